import type { MovementOutcome } from './operations.js';
import type { ResidentMemory } from './resident-memory.js';
import type { SealerWindowsResult } from './sealer-windows.js';

/** Distinct failure texts kept for the report; the counts cover all of them. */
const MAX_FAILURE_SAMPLES = 5;

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

export interface PhaseResult {
  readonly scenario: string;
  readonly clients: number;
  readonly elapsedSeconds: number;
  readonly requests: number;
  readonly ok: number;
  /** Business failures the API reports as typed results, by code (e.g. INSUFFICIENT_FUNDS). */
  readonly typedErrors: Readonly<Record<string, number>>;
  /** HTTP or GraphQL errors, timeouts, resets: anything a healthy server should never produce. */
  readonly unexpectedErrors: number;
  readonly unexpectedSamples: readonly string[];
  readonly transactionsPerSecond: number;
  readonly latencyMs: LatencySummary;
}

/** A phase with what it cost the server: CPU milliseconds per committed transaction, and its memory over the phase. */
export interface MeasuredPhase extends PhaseResult {
  readonly serverCpuMsPerTransaction: number | null;
  /** PostgreSQL's CPU milliseconds per committed transaction over the phase, every process of the local server (bench/database-cpu.ts); null when it runs elsewhere. */
  readonly databaseCpuMsPerTransaction: number | null;
  readonly serverMemory: ResidentMemory | null;
  /** Mean commands per database transaction in the phase (bench/unit-sizes.ts); above 1 only with group commit. */
  readonly commandsPerUnit?: number | null;
  /** With BENCH_SEALER_WINDOWS_MS: the phase's movements/s with the sealer running against paused (bench/sealer-windows.ts). */
  readonly sealerWindows?: SealerWindowsResult;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Exact percentiles of every sample; sorts `latencies` in place. */
export function summarise(latencies: number[]): LatencySummary {
  latencies.sort((left, right) => left - right);
  const total = latencies.reduce((sum, value) => sum + value, 0);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    mean: latencies.length > 0 ? total / latencies.length : Number.NaN,
    max: latencies.at(-1) ?? Number.NaN,
  };
}

/**
 * A closed loop: `clients` workers each send one request, wait for its answer, and send the
 * next, until the deadline. Requests in flight at the deadline finish and count, so the elapsed
 * time runs to the last answer. Every request's latency is kept (a 15 s phase is a few ten
 * thousand numbers), so percentiles are exact rather than estimated.
 */
export async function runClosedLoop(
  scenario: string,
  clients: number,
  durationMs: number,
  operation: () => Promise<MovementOutcome>,
  /** When given, the time (performance.now()) each movement was acknowledged, one entry per movement. */
  acknowledgedAt?: number[],
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const typedErrors: Record<string, number> = {};
  const samples = new Set<string>();
  let ok = 0;
  let unexpected = 0;

  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      let outcome: MovementOutcome;
      try {
        outcome = await operation();
      } catch (error) {
        outcome = { kind: 'unexpected', reason: error instanceof Error ? error.message : String(error) };
      }
      const answered = performance.now();
      latencies.push(answered - sent);
      const movements = outcome.kind === 'ok' ? 1 : outcome.kind === 'batch' ? outcome.committed : 0;
      for (let index = 0; index < movements; index += 1) acknowledgedAt?.push(answered);
      if (outcome.kind === 'ok') ok += 1;
      else if (outcome.kind === 'typed') typedErrors[outcome.code] = (typedErrors[outcome.code] ?? 0) + 1;
      else if (outcome.kind === 'batch') {
        ok += outcome.committed;
        for (const [code, count] of Object.entries(outcome.typed)) typedErrors[code] = (typedErrors[code] ?? 0) + count;
      } else {
        unexpected += 1;
        if (samples.size < MAX_FAILURE_SAMPLES) samples.add(outcome.reason);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsedSeconds = (performance.now() - started) / 1000;

  return {
    scenario,
    clients,
    elapsedSeconds,
    requests: latencies.length,
    ok,
    typedErrors,
    unexpectedErrors: unexpected,
    unexpectedSamples: [...samples],
    transactionsPerSecond: ok / elapsedSeconds,
    latencyMs: summarise(latencies),
  };
}

/** Runs `work` over every item with at most `limit` in flight; the first failure rejects. */
export async function forEachConcurrently<Item>(items: readonly Item[], limit: number, work: (item: Item) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as Item;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
