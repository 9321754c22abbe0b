/**
 * The typed channels of Tally's event bus: what is published where. A balance event carries the
 * whole new balance so that subscribers need no database read for the common, gap-free case.
 */
export interface BalanceEvent {
  readonly accountId: string;
  readonly version: number;
  readonly currency: string;
  /** The account's stored minor-unit exponent: how the minor units below are formatted. */
  readonly currencyExponent: number;
  /** Minor units as decimal strings: JSON has no bigint. */
  readonly postedMinor: string;
  readonly pendingMinor: string;
  readonly transactionId: string;
  readonly asOf: string;
}

/** What each kind of channel carries. The event bus checks every publish and subscribe against it. */
export interface Channels {
  readonly balance: BalanceEvent;
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
