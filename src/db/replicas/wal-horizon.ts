/**
 * How far a streaming replica has caught up, measured in the primary's time. The primary's WAL
 * insert position is sampled every poll with the moment the sampling query was sent: a sample sent
 * after a commit was acknowledged names a position at or past that commit's record. So a replica
 * whose replay position has reached a sample holds every commit acknowledged before the sample was
 * sent: that moment is the replica's horizon. Pure: the polling lives in replica-set.ts.
 */

/** A PostgreSQL `pg_lsn` as text (`16/B374D848`) to one comparable number. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new TypeError(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** One sample of the primary's WAL insert position, and when its query was sent. */
export interface PrimarySample {
  readonly sentAtMs: number;
  readonly lsn: bigint;
}

/**
 * The primary's recent samples, oldest first. Both times and positions only grow (a position
 * that went back, after a failover to another timeline's history, restarts the record).
 */
export class PrimarySamples {
  private samples: PrimarySample[] = [];

  constructor(private readonly keepMs: number) {}

  record(sample: PrimarySample): void {
    const newest = this.samples.at(-1);
    if (newest && (sample.lsn < newest.lsn || sample.sentAtMs < newest.sentAtMs)) this.samples = [];
    this.samples.push(sample);
    const oldestKept = sample.sentAtMs - this.keepMs;
    // Keep one sample older than the window, so a replica just inside it still has a horizon.
    while (this.samples.length > 2 && this.samples[1]!.sentAtMs < oldestKept) this.samples.shift();
  }

  /**
   * The latest moment before which every acknowledged commit is on a replica replayed up to
   * `replayLsn`, or undefined when it is behind every sample kept (further behind than the window).
   */
  horizonOf(replayLsn: bigint): number | undefined {
    for (let index = this.samples.length - 1; index >= 0; index -= 1) {
      const sample = this.samples[index]!;
      if (sample.lsn <= replayLsn) return sample.sentAtMs;
    }
    return undefined;
  }
}
