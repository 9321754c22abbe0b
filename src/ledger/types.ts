/** Plain shapes shared by the ledger's decisions, commands and reads. */

export const CHANNELS = ['CASH', 'CHECK', 'DIRECT_DEPOSIT', 'ACH', 'WIRE', 'PAYPAL', 'ZELLE', 'CARD', 'ATM', 'THIRD_PARTY', 'INTERNAL'] as const;
export type Channel = (typeof CHANNELS)[number];

export const TRANSACTION_KINDS = ['DEPOSIT', 'WITHDRAWAL', 'TRANSFER', 'HOLD', 'HOLD_CAPTURE', 'HOLD_RELEASE', 'REVERSAL', 'RETURN', 'FEE', 'ADJUSTMENT'] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/**
 * Corrections: the kinds that may take a customer's available balance below minus its overdraft
 * limit (the account then owes the bank). A reversal undoes a posting whatever was spent since;
 * refusing it would leave the bank's books wrong. A returned deposit (RETURN) takes back money the
 * bank never collected, whatever the customer spent of it meanwhile.
 */
export const CORRECTION_KINDS: ReadonlySet<TransactionKind> = new Set(['REVERSAL', 'RETURN']);

/**
 * Whether a planned movement is a correction: its kind is one (CORRECTION_KINDS), or it says so.
 * An ADJUSTMENT is not a correction by kind (a dispute's provisional credit is one and only adds
 * money); it is one when it reverses a dispute's provisional credit (`correction: true`): the
 * bank takes back what it advanced, whatever the customer spent of it meanwhile.
 */
export function isCorrection(plan: Pick<MovementPlan, 'kind' | 'correction'>): boolean {
  return plan.correction === true || CORRECTION_KINDS.has(plan.kind);
}

export const ACCOUNT_TYPES = ['CHECKING', 'SAVINGS'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export const ACCOUNT_STATUSES = ['OPEN', 'FROZEN', 'CLOSED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export type Direction = 'DEBIT' | 'CREDIT';
export const ROLES = ['CUSTOMER', 'OPERATOR', 'SERVICE'] as const;
/**
 * CUSTOMER: a holder acting on accounts they own. OPERATOR: the bank's staff (tellers, reviewers)
 * and the system actor. SERVICE: one principal per rail integration (the ATM network, the card
 * processor), moving money on any customer account but only on its own channels.
 */
export type Role = (typeof ROLES)[number];

/** Who asks. What each role may do is decided in one place: decide/permissions.ts. */
export interface Actor {
  readonly userId: string;
  readonly role: Role;
  /**
   * A service's channels, read from its `users` row for every request (never from the token, which
   * would outlive a revocation). Absent or empty for customers and operators.
   */
  readonly channels?: readonly Channel[];
  /** The request the actor acts in (its x-request-id): the journal records it beside each change. */
  readonly requestId?: string;
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

/**
 * The two layers of the ledger (DESIGN.md "Ledger core, second edition" 2, TigerBeetle's pending
 * transfers): POSTED money is final; PENDING entries are holds, debited from the customer and
 * released by later transactions. Per currency and per layer a transaction's debits equal its credits.
 */
export const LAYERS = ['POSTED', 'PENDING'] as const;
export type Layer = (typeof LAYERS)[number];

/** Where an entry lands: a customer account (locked, versioned) or one of the bank's internal accounts. */
export type EntryTarget = { readonly customerAccountId: string } | { readonly internalCode: string };

/** One entry of a planned transaction, with its own amount: fees and splits need no equal legs. */
export interface PlannedEntry {
  readonly target: EntryTarget;
  readonly direction: Direction;
  readonly amountMinor: bigint;
  readonly layer: Layer;
}

/**
 * What a transaction does to one customer account: its balances in both layers afterwards and the
 * one version it advances (one version per change, whatever the number of layers it touches).
 */
export interface AccountChange {
  readonly accountId: string;
  readonly postedAfterMinor: bigint;
  readonly pendingAfterMinor: bigint;
  readonly versionBefore: number;
  readonly versionAfter: number;
}

/** What a decision produces when the movement may happen: everything persistence needs to write. */
export interface MovementPlan {
  readonly kind: TransactionKind;
  readonly channel: Channel;
  /** What the customer reads as the transaction's amount (a wire's principal, not its fee). */
  readonly amountMinor: bigint;
  /** PENDING for a hold's authorization (nothing final moved); POSTED, the default, otherwise. */
  readonly status?: 'PENDING' | 'POSTED';
  /** An ADJUSTMENT that reverses a dispute's provisional credit: it may overdraw (isCorrection). */
  readonly correction?: boolean;
  readonly currency: string;
  /** The minor-unit exponent of every entry of the movement: its accounts' stored one. */
  readonly currencyExponent: number;
  readonly entries: readonly PlannedEntry[];
  /** One per customer account the entries touch, in the order they first appear. */
  readonly changes: readonly AccountChange[];
}

/** The signed effect of an entry on its account's balance: credits add, debits subtract. */
export function signedAmount(direction: Direction, amountMinor: bigint): bigint {
  return direction === 'CREDIT' ? amountMinor : -amountMinor;
}
