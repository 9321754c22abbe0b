import type { BalanceEvent } from './channels.js';
import { balanceChannel } from './channels.js';
import type { EventBus } from './event-bus.js';
import type { LedgerVersions, VersionWatch } from './version-watch.js';

/** Most versions read in one statement while catching a subscriber up: bounds memory per stream. */
export const HISTORY_PAGE_SIZE = 500;

/** Where the stream reads the truth when pub/sub is late, out of order, or lost a message. */
export interface BalanceHistory extends LedgerVersions {
  /** Up to HISTORY_PAGE_SIZE balance events with afterVersion < version <= upToVersion, in version order. */
  since(accountId: string, afterVersion: number, upToVersion?: number): Promise<BalanceEvent[]>;
  currentVersion(accountId: string): Promise<number>;
}

/** Set by `return()`; `wake` rouses a stream parked waiting for news, so it sees the request. */
interface StopSignal {
  requested: boolean;
  wake: () => void;
}

/**
 * One subscriber's balance updates: first every version after `afterVersion` from the ledger,
 * then live events, strictly increasing by one with no gaps and no duplicates. Live events that
 * arrive early, late, twice or out of order (several relays, a Redis restart) are put right here:
 * old ones are dropped and a gap is filled from the ledger, which is always ahead of pub/sub.
 *
 * Ending it (`return()`, when the client completes or the socket closes) takes effect at once,
 * also while the stream waits for news: an async generator parked at an `await` would otherwise
 * keep its pub/sub subscription and its place in the watch until the account next changed.
 */
export function balanceUpdates(
  bus: EventBus,
  history: BalanceHistory,
  watch: VersionWatch,
  accountId: string,
  afterVersion: number | null,
): AsyncIterableIterator<BalanceEvent> {
  const stop: StopSignal = { requested: false, wake: () => undefined };
  const updates = streamUpdates(bus, history, watch, accountId, afterVersion, stop);
  return {
    next: () => updates.next(),
    async return() {
      stop.requested = true;
      stop.wake();
      return updates.return(undefined);
    },
    throw: (error: unknown) => updates.throw(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function* streamUpdates(
  bus: EventBus,
  history: BalanceHistory,
  watch: VersionWatch,
  accountId: string,
  afterVersion: number | null,
  stop: StopSignal,
): AsyncGenerator<BalanceEvent, undefined> {
  const inbox: BalanceEvent[] = [];
  let wake: (() => void) | undefined;
  let reconcileWanted = false;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  stop.wake = notify;
  // Subscribe before reading the ledger, so an update committed in between is seen one way or the other.
  let lastNewsMs = Date.now();
  const unsubscribe = await bus.subscribe(balanceChannel(accountId), (event) => {
    lastNewsMs = Date.now();
    // An event an older release published carries no exponent to format it by: read it from the ledger.
    if (typeof (event as Partial<BalanceEvent>).currencyExponent === 'number') inbox.push(event);
    else reconcileWanted = true;
    notify();
  });
  let last = 0;
  // After a bus reconnect, and when the stream has been quiet, the watch checks (for every stream
  // of the process in one read) whether the ledger is ahead, and only then is history read here.
  const unwatch = watch.watch({
    accountId,
    lastVersion: () => last,
    lastNewsMs: () => lastNewsMs,
    behind: () => {
      reconcileWanted = true;
      notify();
    },
  });
  try {
    last = afterVersion ?? (await history.currentVersion(accountId));
    // Page by page, so a resume from far back never holds the whole history in memory.
    const catchUp = async function* (upTo?: number) {
      for (;;) {
        const page = await history.since(accountId, last, upTo);
        for (const event of page) {
          if (event.version !== last + 1) return;
          last = event.version;
          yield event;
        }
        if (page.length < HISTORY_PAGE_SIZE) return;
      }
    };
    if (afterVersion !== null) yield* catchUp();
    while (!stop.requested) {
      if (inbox.length === 0 && !reconcileWanted) await new Promise<void>((resolve) => (wake = resolve));
      if (stop.requested) break;
      if (reconcileWanted) {
        reconcileWanted = false;
        yield* catchUp();
      }
      while (inbox.length > 0) {
        const event = inbox.shift()!;
        if (event.version <= last) continue;
        if (event.version > last + 1) yield* catchUp(event.version - 1);
        if (event.version === last + 1) {
          last = event.version;
          yield event;
        }
      }
    }
  } finally {
    unwatch();
    unsubscribe();
  }
}
