/**
 * The server's resident memory over a phase (issue 11: flat within ±10% over a 10-minute soak at
 * 64 clients: `BENCH_CLIENTS=64 BENCH_SECONDS=600`). Sampled every few seconds from /proc; the
 * start and end are the medians of the phase's first and last fifth, so one GC pause or burst
 * moves neither.
 */
export interface ResidentMemory {
  readonly startMb: number;
  readonly endMb: number;
  readonly peakMb: number;
  /** (end − start) / start, in per cent. */
  readonly growthPercent: number;
  readonly samples: number;
}

const SAMPLE_INTERVAL_MS = 2_000;
const MB = 1024 * 1024;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

/** Samples `read` until stopped; `stop` summarises, or answers null without enough samples. */
export function sampleResidentMemory(read: () => number | null): { stop: () => ResidentMemory | null } {
  const samples: number[] = [];
  const take = () => {
    const bytes = read();
    if (bytes !== null) samples.push(bytes / MB);
  };
  take();
  const timer = setInterval(take, SAMPLE_INTERVAL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      if (samples.length < 5) return null;
      const fifth = Math.max(1, Math.floor(samples.length / 5));
      const startMb = median(samples.slice(0, fifth));
      const endMb = median(samples.slice(-fifth));
      return { startMb, endMb, peakMb: Math.max(...samples), growthPercent: ((endMb - startMb) / startMb) * 100, samples: samples.length };
    },
  };
}
