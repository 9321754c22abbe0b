import { randomBytes } from 'node:crypto';

/**
 * How many commands the server's units carried (tally_command_batch_size, from its /metrics): with
 * GROUP_COMMIT=on, how much company a movement found. Read before and after a phase; the
 * difference is that phase's.
 */

/** The bearer token the bench server's /metrics asks for (METRICS_TOKEN), made fresh per run. */
export const BENCH_METRICS_TOKEN = randomBytes(24).toString('base64url');

export interface UnitCount {
  readonly commands: number;
  readonly units: number;
}

const SUM = /^tally_command_batch_size_sum (\S+)$/m;
const COUNT = /^tally_command_batch_size_count (\S+)$/m;

/** The server's totals so far, or null when /metrics did not answer (the report then shows '-'). */
export async function unitCount(origin: string): Promise<UnitCount | null> {
  try {
    const response = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } });
    if (!response.ok) return null;
    const text = await response.text();
    const commands = Number(SUM.exec(text)?.[1]);
    const units = Number(COUNT.exec(text)?.[1]);
    return Number.isFinite(commands) && Number.isFinite(units) ? { commands, units } : null;
  } catch {
    return null;
  }
}

/** Mean commands per unit between two readings; null when either is missing or no unit ran. */
export function commandsPerUnit(before: UnitCount | null, after: UnitCount | null): number | null {
  if (!before || !after || after.units === before.units) return null;
  return (after.commands - before.commands) / (after.units - before.units);
}
