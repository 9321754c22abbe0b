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

export interface Channels {
  readonly balance: BalanceEvent;
}

export function balanceChannel(accountId: string): string {
  return `tally:balance:${accountId}`;
}
