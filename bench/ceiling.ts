import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Two pgbench scripts of `seconds` each plus schema setup; beyond this the script is stuck. */
const CEILING_SETUP_ALLOWANCE_MS = 60_000;

/** One line of ceiling.sh: `ceiling deposit C=8 tps=1234.5 lat_ms=6.4`. */
export interface CeilingLine {
  readonly script: string;
  readonly clients: number;
  readonly tps: number;
  readonly latencyMs: number | null;
  readonly raw: string;
}

export interface CeilingResult {
  readonly lines: readonly CeilingLine[];
  /** Why the ceiling was skipped or incomplete, when it was. */
  readonly note: string | null;
}

const CEILING_LINE = /^ceiling (\S+) C=(\d+) tps=([\d.]+) lat_ms=([\d.]*)/;

function parseLines(output: string): CeilingLine[] {
  const lines: CeilingLine[] = [];
  for (const raw of output.split('\n')) {
    const match = CEILING_LINE.exec(raw.trim());
    if (!match) continue;
    const [, script = '', clients = '0', tps = '0', latency = ''] = match;
    lines.push({ script, clients: Number(clients), tps: Number(tps), latencyMs: latency ? Number(latency) : null, raw: raw.trim() });
  }
  return lines;
}

/**
 * The physical ceiling of this box: pgbench doing the same durable deposit as plain SQL
 * (`../shared/perf/ceiling.sh` from the project root). Tally's throughput is reported as a fraction of it.
 */
export async function runCeiling(scriptPath: string, clients: number, seconds: number): Promise<CeilingResult> {
  if (!existsSync(scriptPath)) return { lines: [], note: `skipped: ${scriptPath} does not exist` };
  try {
    const { stdout } = await execFileAsync('bash', [scriptPath, String(clients), String(seconds)], {
      timeout: 2 * seconds * 1000 + CEILING_SETUP_ALLOWANCE_MS,
    });
    const lines = parseLines(stdout);
    const missing = lines.length === 0 || lines.some((line) => !(line.tps > 0));
    return { lines, note: missing ? `incomplete output:\n${stdout.trim()}` : null };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { lines: [], note: `failed (is pgbench on PATH?): ${detail.split('\n')[0]}` };
  }
}
