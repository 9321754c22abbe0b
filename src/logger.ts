import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON line per event on stdout; request ids tie a masked client error to its log line. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'tally' } });
}
