/**
 * The typed channels of Tally's event bus: what is published where.
 */
import type { BalanceEvent } from '../ledger/balance-event.js';

/** The balance event is the ledger's (ledger/balance-event.ts); re-exported for the bus's users. */
export type { BalanceEvent };

/** What each kind of channel carries. The event bus checks every publish and subscribe against it. */
export interface Channels {
  readonly balance: BalanceEvent;
  readonly dispute: DisputeChangedEvent;
}

/** A dispute moved on (a step committed): subscribers read it afresh. */
export interface DisputeChangedEvent {
  readonly disputeId: string;
  /** The step's place in the dispute's history (1 = opened): a subscriber drops what it has seen. */
  readonly sequence: number;
}

declare const carries: unique symbol;

/**
 * A channel name that carries one kind of payload. At run time it is the plain string (Redis sees
 * only that); the type lets `EventBus.publish` and `subscribe` refuse, at compile time, a payload
 * that is not the channel's.
 */
export type Channel<Kind extends keyof Channels> = string & { readonly [carries]: Kind };

/** One account's balance events: every instance's subscribers of that account listen here. */
export function balanceChannel(accountId: string): Channel<'balance'> {
  return `tally:balance:${accountId}` as Channel<'balance'>;
}

/** One dispute's changes: every instance's disputeUpdated subscribers of that dispute listen here. */
export function disputeChannel(disputeId: string): Channel<'dispute'> {
  return `tally:dispute:${disputeId}` as Channel<'dispute'>;
}
