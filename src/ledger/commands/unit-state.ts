import type { AccountChange, AccountSnapshot, Actor, Channel, MovementPlan, PlannedEntry } from '../types.js';
import type { CommandSnapshots, KeyState, StoredOutcome } from './command.js';
import type { CompiledRule } from '../risk/compile-rule.js';
import type { RiskFacts } from '../risk/risk-facts.js';
import { riskFactsKey } from '../persistence/risk-facts.js';
import { factsAfterMovement } from '../risk/facts-after-movement.js';
import type { DisputeSnapshot } from '../disputes/dispute-snapshot.js';
import type { BreakSnapshot } from '../reconciliation/break-snapshot.js';

/** A customer account as the unit locked it: a snapshot minus whose it is, plus every owner's id. */
export type LockedAccount = Omit<AccountSnapshot, 'ownedByActor'> & { readonly ownerIds: readonly string[] };

/** A hold as the unit locked it (FOR UPDATE): what capture, void and expiry decide against. */
export interface HoldSnapshot {
  readonly id: string;
  readonly accountId: string;
  readonly status: 'ACTIVE' | 'CAPTURED' | 'VOIDED' | 'EXPIRED';
  /** An availability hold is released on schedule (releaseAt) or by a return, never captured. */
  readonly reason: 'AUTHORIZATION' | 'DEPOSIT_AVAILABILITY' | 'RISK_REVIEW';
  readonly channel: Channel;
  readonly amountMinor: bigint;
  readonly capturedMinor: bigint;
  readonly expiresAt: Date | null;
  /** When an availability hold's money becomes available (the scheduler releases it then). */
  readonly releaseAt: Date | null;
  /** Captures so far (Hold.captures is bounded by MAX_CAPTURES_PER_HOLD). */
  readonly captureCount: number;
  /** Where the hold was initiated (ISO 3166-1 alpha-2), carried to its captures; null when not said. */
  readonly originCountry?: string | null;
}

/** A risk review as the unit locked it (FOR UPDATE): what approve, decline and the timeout decide against. */
export interface ReviewSnapshot {
  readonly id: string;
  readonly status: 'PENDING' | 'APPROVED' | 'DECLINED' | 'EXPIRED';
  readonly kind: 'DEPOSIT' | 'WITHDRAWAL' | 'TRANSFER';
  readonly channel: Channel;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly accountId: string;
  readonly counterpartyAccountId: string | null;
  /** The movement's POSTED entries as decided: what approval posts. */
  readonly entries: readonly PlannedEntry[];
  readonly holdId: string | null;
  /** Whose request it is, and its key: approval and decline rewrite that key's outcome. */
  readonly requestedBy: string;
  readonly idempotencyKey: string;
  readonly visibleAccountIds: readonly string[];
  readonly dueAt: Date;
  /** Where the debit was initiated (ISO 3166-1 alpha-2), as its request said: approval posts it with it. */
  readonly originCountry?: string | null;
}

/**
 * What the availability policy needs of an account, read under the unit's locks after its clock:
 * when the account opened, and its check-schedule deposits already made on the banking day of `now`.
 */
export interface CheckDepositFacts {
  readonly openedAt: Date;
  readonly sameBankingDayMinor: bigint;
}

/** The current compiled rules and each asked movement's facts (risk-facts.ts riskFactsKey). */
export interface UnitRiskInputs {
  readonly rules: readonly CompiledRule[];
  readonly facts: ReadonlyMap<string, RiskFacts>;
  /** The unit's clock: the facts' windows end at it, and the unit's own movements carry it. */
  readonly now: Date;
}

/** What a unit read beyond accounts, holds and check deposits, when its commands asked for it. */
export interface UnitExtras {
  /** The risk step's inputs; undefined when no command asked (risk off). */
  readonly risk?: UnitRiskInputs | undefined;
  /** Reviews locked FOR UPDATE after the accounts. */
  readonly reviews?: Iterable<ReviewSnapshot>;
  /** Disputes locked FOR UPDATE first. */
  readonly disputes?: Iterable<DisputeSnapshot>;
  /** Whether each transaction named in `prefetch.disputesOf` has a live dispute. */
  readonly disputedTransactions?: ReadonlyMap<string, boolean>;
  /** Reconciliation breaks locked FOR UPDATE first. */
  readonly breaks?: Iterable<BreakSnapshot>;
}

/**
 * The snapshots of one unit of work, shared by its commands in arrival order: each command decides
 * against them and applies its plan to them, so the next one sees the effect (two withdrawals on
 * one account in one unit cannot both spend the same money). Nothing here touches the database.
 */
export class UnitState {
  private readonly accounts: Map<string, LockedAccount>;
  private readonly ownedAccountCounts: Map<string, number>;
  private readonly reversed: Map<string, boolean>;
  private readonly holds: Map<string, HoldSnapshot>;
  private readonly checkDeposits: Map<string, CheckDepositFacts>;
  private readonly risk: UnitRiskInputs | undefined;
  /** The risk facts as the unit's own movements so far changed them. */
  private readonly riskFacts: Map<string, RiskFacts>;
  private readonly reviews: Map<string, ReviewSnapshot>;
  private readonly disputes: Map<string, DisputeSnapshot>;
  private readonly disputedTransactions: Map<string, boolean>;
  private readonly breaks: Map<string, BreakSnapshot>;

  constructor(
    accounts: Iterable<LockedAccount>,
    ownedAccountCounts: ReadonlyMap<string, number>,
    reversed: ReadonlyMap<string, boolean> = new Map(),
    holds: Iterable<HoldSnapshot> = [],
    checkDeposits: ReadonlyMap<string, CheckDepositFacts> = new Map(),
    extras: UnitExtras = {},
  ) {
    this.risk = extras.risk;
    this.riskFacts = new Map(extras.risk?.facts ?? []);
    this.reviews = new Map([...(extras.reviews ?? [])].map((review) => [review.id, review]));
    this.disputes = new Map([...(extras.disputes ?? [])].map((dispute) => [dispute.id, dispute]));
    this.disputedTransactions = new Map(extras.disputedTransactions ?? []);
    this.breaks = new Map([...(extras.breaks ?? [])].map((item) => [item.id, item]));
    this.accounts = new Map([...accounts].map((account) => [account.id, account]));
    this.ownedAccountCounts = new Map(ownedAccountCounts);
    this.reversed = new Map(reversed);
    this.holds = new Map([...holds].map((hold) => [hold.id, hold]));
    this.checkDeposits = new Map(checkDeposits);
  }

  /** What `actor`'s command may look at, with the key's state for that command. */
  snapshotsFor<Outcome extends StoredOutcome>(actor: Actor, key: KeyState<Outcome>): CommandSnapshots<Outcome> {
    return {
      key,
      actor,
      account: (accountId) => {
        const locked = this.accounts.get(accountId);
        if (!locked) return undefined;
        const { ownerIds, ...snapshot } = locked;
        return { ...snapshot, ownedByActor: ownerIds.includes(actor.userId) };
      },
      ownedAccountCount: (userId) => this.ownedAccountCounts.get(userId),
      isReversed: (transactionId) => this.reversed.get(transactionId),
      hold: (holdId) => this.holds.get(holdId),
      checkDepositFacts: (accountId) => this.checkDeposits.get(accountId),
      review: (reviewId) => this.reviews.get(reviewId),
      riskInputs: (accountId, payeeAccountId) =>
        this.risk ? { rules: this.risk.rules, facts: this.riskFacts.get(riskFactsKey(accountId, payeeAccountId)) } : undefined,
      dispute: (disputeId) => this.disputes.get(disputeId),
      isDisputed: (transactionId) => this.disputedTransactions.get(transactionId),
      reconciliationBreak: (breakId) => this.breaks.get(breakId),
    };
  }

  /** A check deposit made in this unit: the next one of the same banking day counts it. */
  addCheckDeposit(accountId: string, amountMinor: bigint): void {
    const facts = this.checkDeposits.get(accountId);
    if (facts) this.checkDeposits.set(accountId, { ...facts, sameBankingDayMinor: facts.sameBankingDayMinor + amountMinor });
  }

  /** A review decided in this unit: a second decision of it in the same unit is refused. */
  applyReview(review: ReviewSnapshot): void {
    this.reviews.set(review.id, review);
  }

  /** A hold's new state after a capture, void or expiry: the next command of the unit sees it. */
  applyHold(hold: HoldSnapshot): void {
    this.holds.set(hold.id, hold);
  }

  /** A break's new state after its resolution: a second resolution of it in the same unit is refused. */
  applyBreak(resolved: BreakSnapshot): void {
    this.breaks.set(resolved.id, resolved);
  }

  /** A dispute's new state after a step: the next command of the unit sees it. */
  applyDispute(dispute: DisputeSnapshot): void {
    this.disputes.set(dispute.id, dispute);
  }

  /** A dispute opened in this unit: a second one on the same transaction in the unit is refused. */
  markDisputed(transactionId: string): void {
    this.disputedTransactions.set(transactionId, true);
  }

  /** A committed-to-be movement's new balances and versions. */
  applyChanges(changes: readonly AccountChange[]): void {
    for (const change of changes) {
      const account = this.accounts.get(change.accountId);
      if (!account || account.version !== change.versionBefore) throw new Error(`account ${change.accountId} changed outside its plan`);
      this.accounts.set(change.accountId, {
        ...account,
        postedMinor: change.postedAfterMinor,
        pendingMinor: change.pendingAfterMinor,
        version: change.versionAfter,
      });
    }
  }

  /**
   * A movement written in this unit, counted in the risk facts of the commands after it (velocity,
   * cash today, last activity, payee paid): facts-after-movement.ts. A facts' customer owns an
   * account when one of its owners is an owner of the facts' account (every account a movement
   * changes is locked, so its owners are known).
   */
  applyRiskMovement(movement: MovementPlan): void {
    if (!this.risk) return;
    // The owners of the accounts it changes, found once: facts whose customer owns none of them
    // stay as they are (factsAfterMovement's first test), and in a group-committed unit most do.
    const movedOwners = new Set(movement.changes.flatMap((change) => this.accounts.get(change.accountId)?.ownerIds ?? []));
    if (movedOwners.size === 0) return;
    for (const [key, facts] of this.riskFacts) {
      const ownerIds = this.accounts.get(facts.accountId)?.ownerIds ?? [];
      if (!ownerIds.some((ownerId) => movedOwners.has(ownerId))) continue;
      const customer = new Set(ownerIds);
      const owned = (accountId: string) => (this.accounts.get(accountId)?.ownerIds ?? []).some((ownerId) => customer.has(ownerId));
      this.riskFacts.set(key, factsAfterMovement(facts, facts.payeeAccountId, movement, owned, this.risk.now));
    }
  }

  /** A transaction reversed in this unit: a second reversal of it in the same unit is refused. */
  markReversed(transactionId: string): void {
    this.reversed.set(transactionId, true);
  }

  /** An account opened for `userId`: the next open in the unit counts it. */
  countOpenedAccount(userId: string): void {
    this.ownedAccountCounts.set(userId, (this.ownedAccountCounts.get(userId) ?? 0) + 1);
  }
}
