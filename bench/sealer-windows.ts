import pg from 'pg';
import { SEALER_LOCK_KEY } from '../src/journal/sealer.js';

/**
 * The journal sealer's A/B inside ONE phase (BENCH_SEALER_WINDOWS_MS, issue 10 §3): the phase is cut
 * into windows of that length, alternately with the sealer running and paused, and the movements
 * acknowledged in each kind of window are compared. Back-to-back runs on this shared two-core box
 * differ by up to 25% in throughput, far more than the 5% the sealer may cost; windows a few seconds
 * apart see the same machine, so the load's drift falls on both kinds alike.
 *
 * The sealer is paused from outside the server: the bench holds the sealer's advisory lock
 * (src/journal/sealer.ts, SEALER_LOCK_KEY) on a connection of its own, so every sealing round's
 * pg_try_advisory_xact_lock fails and seals nothing, exactly as when another process seals. Nothing
 * a movement takes is touched. A paused window's records are sealed in the running window after it,
 * so a running window seals about twice what a steady sealer would: the measured difference is an
 * upper bound of the sealer's cost, about twice it.
 */

export interface SealerWindow {
  /** performance.now() at the window's start and end: when the lock was taken or let go. */
  readonly startMs: number;
  readonly endMs: number;
  readonly sealing: boolean;
}

export interface SealerWindowsResult {
  readonly windows: number;
  readonly sealingTxPerSecond: number;
  readonly pausedTxPerSecond: number;
  /** (paused - sealing) / paused: what the sealer took, at most about twice its steady cost (above). */
  readonly sealerShare: number;
}

export interface SealerWindows {
  /** Ends the current window, lets go of the lock and returns every window. */
  stop(): Promise<SealerWindow[]>;
}

/** Starts alternating at once, with the sealer running first. */
export async function startSealerWindows(databaseUrl: string, windowMs: number): Promise<SealerWindows> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench sealer windows' });
  await client.connect();
  const windows: SealerWindow[] = [];
  let sealing = true;
  let startMs = performance.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let switching = Promise.resolve();

  // Taking the lock waits for a sealing round in flight to end; the window changes when it is held.
  const toggle = async () => {
    await client.query(sealing ? 'select pg_advisory_lock($1)' : 'select pg_advisory_unlock($1)', [SEALER_LOCK_KEY]);
    const now = performance.now();
    windows.push({ startMs, endMs: now, sealing });
    sealing = !sealing;
    startMs = now;
  };
  const schedule = () => {
    timer = setTimeout(() => {
      switching = toggle().then(() => {
        if (!stopped) schedule();
      });
    }, windowMs);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await switching;
      windows.push({ startMs, endMs: performance.now(), sealing });
      if (!sealing) await client.query('select pg_advisory_unlock($1)', [SEALER_LOCK_KEY]);
      await client.end();
      return windows;
    },
  };
}

/** Movements acknowledged per second in the windows of each kind; `acknowledgedAt` holds one time per movement. */
export function compareWindows(windows: readonly SealerWindow[], acknowledgedAt: readonly number[]): SealerWindowsResult {
  const totals = { sealing: { ms: 0, count: 0 }, paused: { ms: 0, count: 0 } };
  const sorted = [...acknowledgedAt].sort((left, right) => left - right);
  for (const window of windows) {
    const total = window.sealing ? totals.sealing : totals.paused;
    total.ms += window.endMs - window.startMs;
    total.count += countBetween(sorted, window.startMs, window.endMs);
  }
  const rate = ({ ms, count }: { ms: number; count: number }) => (ms > 0 ? (count * 1000) / ms : Number.NaN);
  const sealingTxPerSecond = rate(totals.sealing);
  const pausedTxPerSecond = rate(totals.paused);
  return { windows: windows.length, sealingTxPerSecond, pausedTxPerSecond, sealerShare: (pausedTxPerSecond - sealingTxPerSecond) / pausedTxPerSecond };
}

/** How many of the ascending `times` fall in [start, end). */
export function countBetween(times: readonly number[], start: number, end: number): number {
  return firstAtOrAfter(times, end) - firstAtOrAfter(times, start);
}

function firstAtOrAfter(times: readonly number[], value: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((times[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
