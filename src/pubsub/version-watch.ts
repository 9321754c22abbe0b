import type { Logger } from '../logger.js';
import type { EventBus } from './event-bus.js';

/** The ledger's current version of many accounts at once (unknown accounts are left out). */
export interface LedgerVersions {
  currentVersions(accountIds: readonly string[]): Promise<Map<string, number>>;
}

/** One live stream as the watch sees it. */
export interface WatchedStream {
  readonly accountId: string;
  /** The last version the stream delivered. */
  lastVersion(): number;
  /** When the stream last heard a live event (epoch ms). */
  lastNewsMs(): number;
  /** The ledger is ahead of the stream: read the missing versions from it. */
  behind(): void;
}

export interface VersionWatchTiming {
  /** A stream without news for this long is checked against the ledger. */
  readonly quietMs: number;
  /** How often quiet streams are looked for. */
  readonly everyMs: number;
}

/**
 * Without a live message for this long, a stream is checked against the ledger: a message lost on
 * the way costs at most this much staleness, never a wrong balance.
 */
export const DEFAULT_VERSION_WATCH_TIMING: VersionWatchTiming = { quietMs: 30_000, everyMs: 10_000 };

/** Account ids read in one statement; ten thousand subscribers are ten statements, not ten thousand. */
const IDS_PER_READ = 1_000;

/**
 * Finds the live streams that pub/sub left behind, for every stream of this process at once: one
 * read of the accounts' versions, and only the streams that are behind read their missing history.
 * It looks at streams that have been quiet for a while, and at all of them after the event bus
 * reconnects (messages may have been lost while it was down). A stream checked and found current
 * counts as having heard news, so an idle stream costs one row of one read per `quietMs`.
 */
export class VersionWatch {
  private readonly streams = new Map<WatchedStream, { checkedMs: number }>();
  private timer: NodeJS.Timeout | undefined;
  private stopReconnect: (() => void) | undefined;

  constructor(
    private readonly versions: LedgerVersions,
    private readonly logger: Logger,
    private readonly timing: VersionWatchTiming = DEFAULT_VERSION_WATCH_TIMING,
  ) {}

  start(bus: EventBus): void {
    this.timer = setInterval(() => void this.check('quiet'), this.timing.everyMs);
    this.timer.unref();
    this.stopReconnect = bus.onReconnect(() => void this.check('all'));
  }

  stop(): void {
    clearInterval(this.timer);
    this.stopReconnect?.();
  }

  /** Watches a stream until the returned function is called. */
  watch(stream: WatchedStream): () => void {
    this.streams.set(stream, { checkedMs: Date.now() });
    return () => this.streams.delete(stream);
  }

  /** Checks the quiet streams, or all of them; a failed read is logged and retried at the next round. */
  async check(which: 'quiet' | 'all'): Promise<void> {
    const now = Date.now();
    const due = [...this.streams].filter(
      ([stream, state]) => which === 'all' || now - Math.max(stream.lastNewsMs(), state.checkedMs) >= this.timing.quietMs,
    );
    if (due.length === 0) return;
    const accountIds = [...new Set(due.map(([stream]) => stream.accountId))];
    const current = new Map<string, number>();
    try {
      for (let start = 0; start < accountIds.length; start += IDS_PER_READ) {
        for (const [id, version] of await this.versions.currentVersions(accountIds.slice(start, start + IDS_PER_READ))) current.set(id, version);
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, streams: due.length }, 'could not check live streams against the ledger; will retry');
      return;
    }
    for (const [stream, state] of due) {
      state.checkedMs = now;
      if ((current.get(stream.accountId) ?? 0) > stream.lastVersion()) stream.behind();
    }
  }
}
