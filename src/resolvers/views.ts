import type { StoredBalance } from '../ledger/commands/command.js';
import type { AccountView } from '../ledger/queries/accounts.js';
import type { HistoryLine, HistoryPage } from '../ledger/queries/history.js';
import type { BalanceEvent } from '../pubsub/channels.js';

/** What the Balance type is built from: a balance at one version, as of one instant. */
export interface BalanceView {
  readonly accountId: string;
  readonly currency: string;
  /** The account's stored minor-unit exponent, which the amounts are formatted by. */
  readonly currencyExponent: number;
  readonly postedMinor: bigint;
  readonly pendingMinor: bigint;
  readonly version: number;
  readonly asOf: Date;
}

/** What the MoneyMovement type is built from. */
export interface MoneyMovementView {
  readonly transactionId: string;
  readonly balances: readonly BalanceView[];
  readonly replayed: boolean;
}

/** What the MovementInReview type is built from: the review, and the balances after its hold. */
export interface MovementInReviewView {
  readonly reviewId: string;
  readonly balances: readonly BalanceView[];
  readonly replayed: boolean;
}

export function balanceOfAccount(account: AccountView): BalanceView {
  return {
    accountId: account.id,
    currency: account.currency,
    currencyExponent: account.currencyExponent,
    postedMinor: account.postedMinor,
    pendingMinor: account.pendingMinor,
    version: account.version,
    asOf: account.asOf,
  };
}

export function balanceFromStored(stored: StoredBalance): BalanceView {
  return {
    accountId: stored.accountId,
    currency: stored.currency,
    currencyExponent: stored.currencyExponent,
    postedMinor: BigInt(stored.postedMinor),
    pendingMinor: BigInt(stored.pendingMinor),
    version: stored.version,
    asOf: new Date(stored.asOf),
  };
}

/** A history line or page with the account's stored minor-unit exponent, which its amounts are formatted by. */
export type HistoryLineView = HistoryLine & { readonly accountCurrencyExponent: number };
export type HistoryPageView = HistoryPage & { readonly accountCurrencyExponent: number };

export function balanceFromEvent(event: BalanceEvent): BalanceView {
  return {
    accountId: event.accountId,
    currency: event.currency,
    currencyExponent: event.currencyExponent,
    postedMinor: BigInt(event.postedMinor),
    pendingMinor: BigInt(event.pendingMinor),
    version: event.version,
    asOf: new Date(event.asOf),
  };
}
