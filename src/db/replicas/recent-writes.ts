/**
 * When each caller's last movement was acknowledged, for read-your-writes (route-read.ts). Kept
 * for maxLag only: past that, any replica that still serves reads (no further behind than maxLag)
 * has the movement, so the entry decides nothing. In process memory, so it holds for the
 * process that answered the movement (README "Read replicas" on several processes).
 */
export class RecentWrites {
  private readonly wroteAtMs = new Map<string, number>();

  constructor(private readonly keepMs: number) {}

  /** Called once the movement's unit committed, before its answer is sent. */
  note(userId: string, atMs: number): void {
    // Re-inserted, so the map stays in order of writing and pruning stops at the first young entry.
    this.wroteAtMs.delete(userId);
    this.wroteAtMs.set(userId, atMs);
  }

  /** The caller's last movement's acknowledgement time, when it is still young enough to matter. */
  lastWriteOf(userId: string, nowMs: number): number | undefined {
    const at = this.wroteAtMs.get(userId);
    return at !== undefined && nowMs - at <= this.keepMs ? at : undefined;
  }

  /** Drops entries older than keepMs (a poll calls it), so memory is what maxLag seconds of writers take. */
  prune(nowMs: number): void {
    for (const [userId, at] of this.wroteAtMs) {
      if (nowMs - at <= this.keepMs) break;
      this.wroteAtMs.delete(userId);
    }
  }

  get size(): number {
    return this.wroteAtMs.size;
  }
}
