/**
 * One version of a customer account's balances, as the ledger writes it to the outbox in the
 * movement's own transaction (law 6) and as its history replays it: the row's shape is the
 * ledger's; pubsub only carries it. It holds the whole new balance so that subscribers need no
 * database read for the common, gap-free case.
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
