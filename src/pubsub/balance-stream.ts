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

/** Where one stream stands, shared by its pub/sub listener, its watch entry and its loop. */
interface StreamState {
  /** The last version yielded (or the start point before the first). */
  last: number;
  /** Live events not yet looked at, in arrival order (not necessarily version order). */
  readonly inbox: BalanceEvent[];
  /** Set when the ledger may be ahead of what pub/sub delivered: read history before going on. */
  reconcileWanted: boolean;
  /** When the last live event arrived; the watch checks the ledger for streams quiet for long. */
  lastNewsMs: number;
  /** Rouses the loop parked waiting for news; set only while it is parked. */
  wake: (() => void) | undefined;
}

function notify(state: StreamState): void {
  state.wake?.();
  state.wake = undefined;
}

async function* streamUpdates(
  bus: EventBus,
  history: BalanceHistory,
  watch: VersionWatch,
  accountId: string,
  afterVersion: number | null,
  stop: StopSignal,
): AsyncGenerator<BalanceEvent, undefined> {
  const state: StreamState = { last: 0, inbox: [], reconcileWanted: false, lastNewsMs: Date.now(), wake: undefined };
  stop.wake = () => notify(state);
  // Subscribe before reading the ledger, so an update committed in between is seen one way or the other.
  const stopListening = await listenForNews(bus, watch, accountId, state);
  try {
    state.last = afterVersion ?? (await history.currentVersion(accountId));
    if (afterVersion !== null) yield* catchUp(history, accountId, state);
    while (!stop.requested) {
      if (state.inbox.length === 0 && !state.reconcileWanted) await new Promise<void>((resolve) => (state.wake = resolve));
      if (stop.requested) break;
      if (state.reconcileWanted) {
        state.reconcileWanted = false;
        yield* catchUp(history, accountId, state);
      }
      // The common case, one live event that is the next version, without a generator of its own:
      // at ten thousand streams each push is paid once per stream.
      const next = state.inbox.length === 1 ? state.inbox[0]! : undefined;
      if (next && next.version === state.last + 1) {
        state.inbox.length = 0;
        state.last = next.version;
        yield next;
        continue;
      }
      yield* drainInbox(history, accountId, state);
    }
  } finally {
    stopListening();
  }
}

/**
 * Puts the stream on the account's channel and in the watch; returns what takes it off both.
 * After a bus reconnect, and when the stream has been quiet, the watch checks (for every stream
 * of the process in one read) whether the ledger is ahead, and only then is history read here.
 */
async function listenForNews(bus: EventBus, watch: VersionWatch, accountId: string, state: StreamState): Promise<() => void> {
  const unsubscribe = await bus.subscribe(balanceChannel(accountId), (event) => {
    state.lastNewsMs = Date.now();
    // An event an older release published carries no exponent to format it by: read it from the ledger.
    if (typeof (event as Partial<BalanceEvent>).currencyExponent === 'number') state.inbox.push(event);
    else state.reconcileWanted = true;
    notify(state);
  });
  const unwatch = watch.watch({
    accountId,
    lastVersion: () => state.last,
    lastNewsMs: () => state.lastNewsMs,
    behind: () => {
      state.reconcileWanted = true;
      notify(state);
    },
  });
  return () => {
    unwatch();
    unsubscribe();
  };
}

/**
 * The ledger's versions after `state.last` (up to `upTo`), in order, stopping at a gap. Page by
 * page, so a resume from far back never holds the whole history in memory.
 */
async function* catchUp(history: BalanceHistory, accountId: string, state: StreamState, upTo?: number): AsyncGenerator<BalanceEvent, void> {
  for (;;) {
    const page = await history.since(accountId, state.last, upTo);
    for (const event of page) {
      if (event.version !== state.last + 1) return;
      state.last = event.version;
      yield event;
    }
    if (page.length < HISTORY_PAGE_SIZE) return;
  }
}

/** Live events in version order: an old one is dropped, a gap before a new one is filled from the ledger. */
async function* drainInbox(history: BalanceHistory, accountId: string, state: StreamState): AsyncGenerator<BalanceEvent, void> {
  while (state.inbox.length > 0) {
    const event = state.inbox.shift()!;
    if (event.version <= state.last) continue;
    if (event.version > state.last + 1) yield* catchUp(history, accountId, state, event.version - 1);
    if (event.version === state.last + 1) {
      state.last = event.version;
      yield event;
    }
  }
}
