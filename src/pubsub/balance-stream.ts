import type { BalanceEvent } from './channels.js';
import { balanceChannel } from './channels.js';
import type { EventBus } from './event-bus.js';

/** Where the stream reads the truth when pub/sub is late, out of order, or lost a message. */
/** Most versions read in one statement while catching a subscriber up: bounds memory per stream. */
export const HISTORY_PAGE_SIZE = 500;

export interface BalanceHistory {
  /** Up to HISTORY_PAGE_SIZE balance events with afterVersion < version <= upToVersion, in version order. */
  since(accountId: string, afterVersion: number, upToVersion?: number): Promise<BalanceEvent[]>;
  currentVersion(accountId: string): Promise<number>;
}

/**
 * Without a live message for this long, the stream checks the ledger for versions it has not
 * seen: a message lost on the way costs at most this much staleness, never a wrong balance.
 */
export const RECONCILE_INTERVAL_MS = 30_000;

/**
 * One subscriber's balance updates: first every version after `afterVersion` from the ledger,
 * then live events, strictly increasing by one with no gaps and no duplicates. Live events that
 * arrive early, late, twice or out of order (several relays, a Redis restart) are put right here:
 * old ones are dropped and a gap is filled from the ledger, which is always ahead of pub/sub.
 */
export async function* balanceUpdates(bus: EventBus, history: BalanceHistory, accountId: string, afterVersion: number | null): AsyncGenerator<BalanceEvent> {
  const inbox: BalanceEvent[] = [];
  let wake: (() => void) | undefined;
  let reconcileWanted = false;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  // Subscribe before reading the ledger, so an update committed in between is seen one way or the other.
  let lastNewsMs = Date.now();
  const unsubscribe = await bus.subscribe<BalanceEvent>(balanceChannel(accountId), (event) => {
    lastNewsMs = Date.now();
    inbox.push(event);
    notify();
  });
  const stopReconnect = bus.onReconnect(() => {
    reconcileWanted = true;
    notify();
  });
  // Checks only a quiet stream: one that hears news needs no look at the ledger.
  const timer = setInterval(() => {
    if (Date.now() - lastNewsMs < RECONCILE_INTERVAL_MS) return;
    lastNewsMs = Date.now();
    reconcileWanted = true;
    notify();
  }, RECONCILE_INTERVAL_MS / 3);
  try {
    let last = afterVersion ?? (await history.currentVersion(accountId));
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
    for (;;) {
      if (inbox.length === 0 && !reconcileWanted) await new Promise<void>((resolve) => (wake = resolve));
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
    clearInterval(timer);
    stopReconnect();
    unsubscribe();
  }
}
