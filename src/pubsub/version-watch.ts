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
 * The bus reports a reconnect when its connection is ready, a moment before it has subscribed to
 * its channels again; an update published in between is found by a second look this much later.
 */
const RESUBSCRIBE_GRACE_MS = 1_000;

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
  private graceTimer: NodeJS.Timeout | undefined;
  private stopReconnect: (() => void) | undefined;
  /** The check in progress: checks never overlap, so a slow database is not asked twice at once. */
  private running: Promise<void> | undefined;
  /** A check of every stream was asked for while another check ran. */
  private allWanted = false;

  constructor(
    private readonly versions: LedgerVersions,
    private readonly logger: Logger,
    private readonly timing: VersionWatchTiming = DEFAULT_VERSION_WATCH_TIMING,
  ) {}

  start(bus: EventBus): void {
    this.timer = setInterval(() => void this.check('quiet'), this.timing.everyMs);
    this.timer.unref();
    this.stopReconnect = bus.onReconnect(() => {
      void this.check('all');
      clearTimeout(this.graceTimer);
      this.graceTimer = setTimeout(() => void this.check('all'), RESUBSCRIBE_GRACE_MS);
      this.graceTimer.unref();
    });
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.graceTimer);
    this.stopReconnect?.();
  }

  /** How many streams are watched: every live subscription of this process. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Watches a stream until the returned function is called. */
  watch(stream: WatchedStream): () => void {
    this.streams.set(stream, { checkedMs: Date.now() });
    return () => this.streams.delete(stream);
  }

  /**
   * Checks the quiet streams, or all of them; a failed read is logged and retried at the next
   * round. While a check runs, a quiet check is skipped and a check of all runs right after it.
   */
  check(which: 'quiet' | 'all'): Promise<void> {
    if (this.running) {
      if (which === 'all') this.allWanted = true;
      return this.running;
    }
    this.running = this.checkNow(which).finally(() => {
      this.running = undefined;
      if (this.allWanted) {
        this.allWanted = false;
        void this.check('all');
      }
    });
    return this.running;
  }

  private async checkNow(which: 'quiet' | 'all'): Promise<void> {
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
