import type { LedgerError, ErrorCode, ValidationError } from '../errors.js';
import type { Database } from '../persistence/database.js';
import type { TransactionView } from '../queries/transactions.js';
import type { AccountSnapshot, Actor } from '../types.js';
import type { BankCalendar } from '../calendar/business-days.js';
import type { CheckDepositFacts, HoldSnapshot, ReviewSnapshot, UnitState } from './unit-state.js';
import type { RiskFactsRequest } from '../risk/risk-facts.js';
import type { RiskInputs } from '../risk/judge-movement.js';
import type { DisputeSnapshot } from '../disputes/dispute-snapshot.js';
import type { BreakSnapshot } from '../reconciliation/break-snapshot.js';

/**
 * The shape of every write (DESIGN.md "Ledger core, second edition" 4, after TigerBeetle's
 * `prefetch_create_transfers` then `create_transfer`): a command says what to lock and read
 * (`prefetch`), decides purely against the unit's snapshots and one clock value (`decide`), applies
 * its plan to those snapshots in memory so the next command of the same unit sees the effect
 * (`apply`), and writes its rows (`write`). The envelope (run-command.ts) owns the database
 * transaction, the idempotency claim, the locks, the clock, the outcome records and the commit.
 */

/** A business failure as stored under its key and replayed (VALIDATION failures are never stored). */
export interface Failure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
  /** The input field at fault, for a VALIDATION failure that names one. */
  readonly field?: string;
}

/** The balances of one account after a movement, as its first answer showed them. */
export interface StoredBalance {
  readonly accountId: string;
  readonly currency: string;
  /**
   * The account's stored minor-unit exponent, so a replay formats the amounts as the first answer
   * did. Outcomes stored before it existed were given it by the migration that added the column.
   */
  readonly currencyExponent: number;
  readonly postedMinor: string;
  readonly pendingMinor: string;
  readonly version: number;
  readonly asOf: string;
}

/** A movement that posted: its transaction and the balances after it. */
export interface PostedOutcome {
  readonly ok: true;
  readonly transactionId: string;
  readonly balances: readonly StoredBalance[];
}

/**
 * A movement the risk step sent to review (MovementInReview): nothing posted; the review, and the
 * balances after its hold. Approval rewrites the key's outcome to the posted movement, decline to
 * RISK_DECLINED, so a replay always answers the movement's present state.
 */
export interface InReviewOutcome {
  readonly ok: true;
  readonly reviewId: string;
  readonly balances: readonly StoredBalance[];
}

/** The outcome of a deposit, withdrawal or transfer. */
export type MovementOutcome = PostedOutcome | InReviewOutcome | Failure;

/** The outcome of opening an account. */
export type OpenAccountOutcome = { readonly ok: true; readonly accountId: string } | Failure;

/** The outcome of authorizing, capturing or voiding a hold: the movement's, plus which hold. */
export type HoldOutcome =
  | (PostedOutcome & { readonly holdId: string })
  | Failure;

/** The outcome of approving or declining a review: the review, and the movement approval posted (null on a decline). */
export type ReviewDecisionOutcome =
  | { readonly ok: true; readonly reviewId: string; readonly transactionId: string | null; readonly balances: readonly StoredBalance[] }
  | Failure;

/**
 * The outcome of a dispute's step: which dispute, and the transaction of a money step (a
 * provisional credit, a final credit or a credit's reversal) with the balances after it.
 */
export type DisputeOutcome =
  | { readonly ok: true; readonly disputeId: string; readonly transactionId?: string; readonly balances: readonly StoredBalance[] }
  | Failure;

/** The outcome of resolving a reconciliation break: which break, and the adjustment an ADJUST posted. */
export type BreakResolutionOutcome = { readonly ok: true; readonly breakId: string; readonly transactionId?: string } | Failure;

/** Every outcome an idempotency record can hold. */
/** A batch key's record (post-movements.ts): how many items its batch had; their outcomes are under their own keys. */
export type BatchKeyOutcome = { readonly ok: true; readonly batchItems: number } | Failure;

export type StoredOutcome = MovementOutcome | OpenAccountOutcome | HoldOutcome | ReviewDecisionOutcome | DisputeOutcome | BreakResolutionOutcome | BatchKeyOutcome;

/** A successful outcome of a command whose outcomes are `Outcome`. */
export type Success<Outcome extends StoredOutcome> = Extract<Outcome, { readonly ok: true }>;

/** The idempotency key's state when the command's turn comes: the first thing every decide looks at. */
export type KeyState<Outcome extends StoredOutcome = StoredOutcome> =
  /** Not a key Tally accepts: nothing was claimed under it. */
  | { readonly kind: 'malformed'; readonly error: ValidationError }
  /** Claimed by this unit for this command: decide for real. */
  | { readonly kind: 'fresh' }
  /** The same request was answered before (or earlier in this unit): return that answer. */
  | { readonly kind: 'replay'; readonly outcome: Outcome }
  /** The key answered a different request. */
  | { readonly kind: 'conflict' };

/** A decision that the request is a replay: its stored outcome is the answer, nothing is written. */
export class Replay<Outcome extends StoredOutcome = StoredOutcome> {
  constructor(readonly outcome: Outcome) {}
}

/** What a command's decide is given: the key's state and the unit's locked snapshots, as seen by its actor. */
export interface CommandSnapshots<Outcome extends StoredOutcome = StoredOutcome> {
  readonly key: KeyState<Outcome>;
  readonly actor: Actor;
  /** The customer accounts the unit locked, as they stand after the unit's earlier commands. */
  account(accountId: string): AccountSnapshot | undefined;
  /** How many accounts a user owns, for users the command asked to count in `prefetch`. */
  ownedAccountCount(userId: string): number | undefined;
  /** Whether a transaction the command named in `prefetch.reversalsOf` is reversed (undefined: not read). */
  isReversed(transactionId: string): boolean | undefined;
  /** The holds the unit locked (FOR UPDATE), as they stand after the unit's earlier commands. */
  hold(holdId: string): HoldSnapshot | undefined;
  /** An account named in `prefetch.checkDepositsOf`: its opening and the banking day's check deposits so far. */
  checkDepositFacts(accountId: string): CheckDepositFacts | undefined;
  /**
   * The risk step's inputs for an ask the command made in `prefetch.riskOf`: the unit's current
   * rules and the account's facts. Undefined when the command asked nothing (risk off).
   */
  riskInputs(accountId: string, payeeAccountId?: string): RiskInputs | undefined;
  /** A review the command named in `prefetch.reviewsOf`, locked after the accounts. */
  review(reviewId: string): ReviewSnapshot | undefined;
  /** The disputes the unit locked (FOR UPDATE), as they stand after the unit's earlier commands. */
  dispute(disputeId: string): DisputeSnapshot | undefined;
  /** Whether a transaction named in `prefetch.disputesOf` has a dispute that is not WITHDRAWN (undefined: not read). */
  isDisputed(transactionId: string): boolean | undefined;
  /** The reconciliation breaks the unit locked (FOR UPDATE), as they stand after the unit's earlier commands. */
  reconciliationBreak(breakId: string): BreakSnapshot | undefined;
}

/** Ids to lock and facts to read before any command of the unit decides. */
export interface Prefetch {
  /** Customer accounts to lock (the unit locks the union once, in id order). Malformed ids are skipped. */
  readonly accountIds: readonly string[];
  /** Users whose row to lock and whose accounts to count (opening an account checks the per-user limit). */
  readonly accountOwnerIds?: readonly string[];
  /**
   * Transactions whose reversal link to read after the locks. A reversal locks the customer
   * accounts of its original, which every reversal of that original also locks, so the link read
   * under them is the committed truth (the unique index stays the last word).
   */
  readonly reversalsOf?: readonly string[];
  /** Holds to lock FOR UPDATE before anything else; each one's account is locked with the rest. */
  readonly holdIds?: readonly string[];
  /**
   * Accounts whose opening and check deposits of the banking day of `now` (per `calendar`) to read
   * after the locks and the clock: the availability policy's facts. Every command of a unit uses
   * the one configured calendar.
   */
  readonly checkDepositsOf?: { readonly accountIds: readonly string[]; readonly calendar: BankCalendar };
  /**
   * The account (and payee) whose risk facts to read after the locks and the clock, and the
   * signal to load the current risk rules once for the unit. Absent: the movement is not judged.
   */
  readonly riskOf?: RiskFactsRequest;
  /** Reviews to lock FOR UPDATE after the accounts (their hold and accounts are named in holdIds and accountIds). */
  readonly reviewsOf?: readonly string[];
  /** Disputes to lock FOR UPDATE first (before holds and accounts); each one's account is locked with the rest. */
  readonly disputeIds?: readonly string[];
  /**
   * Transactions whose disputes to look up after the locks: opening a dispute locks the disputed
   * account, which every opening on that transaction also locks, so the answer read under it is
   * the committed truth (the unique index disputes_one_per_transaction stays the last word).
   */
  readonly disputesOf?: readonly string[];
  /** Reconciliation breaks to lock FOR UPDATE first: two resolutions of one break queue, and the second sees the first. */
  readonly breakIds?: readonly string[];
}

/** What a command's write may use besides its plan. */
export interface WriteContext {
  readonly actor: Actor;
  readonly idempotencyKey: string;
  /** The unit's clock, read after the locks: every row of the unit carries this time. */
  readonly now: Date;
}

/** What a write produced: the outcome it stored under the key (in its own statement) and the transaction it wrote. */
export interface Written<Outcome extends StoredOutcome> {
  readonly outcome: Success<Outcome>;
  /** The transaction as a read of it would return it, so the response need not read it back. */
  readonly transaction?: TransactionView;
}

export interface LedgerCommand<Plan, Outcome extends StoredOutcome> {
  /** Stored with the key: a key reused for another command is a conflict. */
  readonly name: string;
  readonly actor: Actor;
  readonly idempotencyKey: string;
  /** Everything the client asked, normalised; its hash tells a replay from a conflict. */
  readonly request: unknown;
  readonly prefetch: Prefetch;
  /**
   * Pure: every check of the command in one documented order, the idempotency key first (a replay
   * or a conflict answers before anything else is looked at). Returns the plan, a typed error or
   * the replay. A VALIDATION error stores nothing under the key; any other error is recorded.
   */
  decide(snapshots: CommandSnapshots<Outcome>, now: Date): Plan | LedgerError | Replay<Outcome>;
  /** The plan's effect on the unit's snapshots, in memory, so the next command decides against it. */
  apply(plan: Plan, unit: UnitState): void;
  /** Writes the plan's rows and stores the success outcome under the key. */
  write(database: Database, plan: Plan, context: WriteContext): Promise<Written<Outcome>>;
  /**
   * Optional: a record of a business refusal, written in the same unit as the refusal's outcome
   * (never for a VALIDATION failure or a replay): a check the customer wrote that bounced is a
   * returned item the bank keeps, though no money moved.
   */
  recordRefusal?(database: Database, error: LedgerError, snapshots: CommandSnapshots<Outcome>, context: WriteContext): Promise<void>;
}

/** Any command, for the envelope, which runs commands of different kinds in one unit. */
// Plan is the command's own business: the envelope only hands it from decide to apply and write.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = LedgerCommand<any, any>;

export type OutcomeOf<Command> = Command extends LedgerCommand<unknown, infer Outcome> ? Outcome : never;

export interface CommandResult<Outcome extends StoredOutcome = StoredOutcome> {
  readonly outcome: Outcome;
  /** True when the outcome is the stored one of an earlier request with the same key. */
  readonly replayed: boolean;
  /** The transaction this request wrote (never on a replay), so the response need not read it back. */
  readonly written?: TransactionView;
}
