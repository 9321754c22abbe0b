import { context, trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One JSON line per event on stdout; request ids tie a masked client error to its log line. With
 * traces on (src/tracing/), a line written inside a traced request carries its `trace_id` and
 * `span_id`, so a log line leads to its trace and back.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'tally' }, mixin: traceFields });
}

function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  // An unsampled or invalid context names no trace a reader could find.
  if (!trace.isSpanContextValid(span.spanContext()) || (traceFlags & 1) === 0) return {};
  return { trace_id: traceId, span_id: spanId };
}
