/** Plain shapes shared by the ledger's decisions, commands and reads. */

export const CHANNELS = ['CASH', 'CHECK', 'DIRECT_DEPOSIT', 'ACH', 'WIRE', 'PAYPAL', 'ZELLE', 'CARD', 'ATM', 'THIRD_PARTY', 'INTERNAL'] as const;
export type Channel = (typeof CHANNELS)[number];

export const TRANSACTION_KINDS = ['DEPOSIT', 'WITHDRAWAL', 'TRANSFER', 'HOLD_CAPTURE', 'REVERSAL', 'FEE', 'ADJUSTMENT'] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

export const ACCOUNT_TYPES = ['CHECKING', 'SAVINGS'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export const ACCOUNT_STATUSES = ['OPEN', 'FROZEN', 'CLOSED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export type Direction = 'DEBIT' | 'CREDIT';
export type Role = 'CUSTOMER' | 'OPERATOR';

/** Who asks. Customers act on accounts they own; operators' powers arrive with the security issue. */
export interface Actor {
  readonly userId: string;
  readonly role: Role;
}

/** A customer account as read under its row lock: what a decision may look at. */
export interface AccountSnapshot {
  readonly id: string;
  readonly currency: string;
  /** The account's stored minor-unit exponent: what its minor units mean (money.ts CurrencyScale). */
  readonly currencyExponent: number;
  readonly status: AccountStatus;
  readonly postedMinor: bigint;
  readonly pendingMinor: bigint;
  readonly overdraftLimitMinor: bigint;
  readonly version: number;
  /** The actor owns this account (UserAccount). */
  readonly ownedByActor: boolean;
}

/** One leg of a movement on a customer account, with the balance and version it produces. */
export interface CustomerLeg {
  readonly accountId: string;
  readonly direction: Direction;
  readonly postedAfterMinor: bigint;
  readonly versionAfter: number;
  readonly versionBefore: number;
}

/** What a decision produces when the movement may happen: everything persistence needs to write. */
export interface MovementPlan {
  readonly kind: TransactionKind;
  readonly channel: Channel;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** The minor-unit exponent of every entry of the movement: its accounts' stored one. */
  readonly currencyExponent: number;
  readonly customerLegs: readonly CustomerLeg[];
  /** The bank's side of a deposit or withdrawal; transfers between customers have none. */
  readonly internalLeg?: { readonly direction: Direction; readonly internalCode: string };
}

/** The signed effect of an entry on its account's balance: credits add, debits subtract. */
export function signedAmount(direction: Direction, amountMinor: bigint): bigint {
  return direction === 'CREDIT' ? amountMinor : -amountMinor;
}
