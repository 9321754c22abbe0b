import { randomUUID } from 'node:crypto';
import { RiskDeclinedError } from '../errors.js';
import { planReview, type ReviewPlan } from '../decide/plan-review.js';
import { isId } from '../persistence/database.js';
import { recordOutcome } from '../persistence/idempotency-records.js';
import { insertHold } from '../persistence/write-hold.js';
import { newTransactionId, writeMovement, type MovementDetails } from '../persistence/write-movement.js';
import { insertReview } from '../persistence/write-review.js';
import { judgeMovement, type RiskCheck, type RiskJudgement } from '../risk/judge-movement.js';
import type { JudgedMovement } from '../risk/movement-features.js';
import type { RiskFactsRequest } from '../risk/risk-facts.js';
import { storeJudgement } from '../risk/store-judgement.js';
import type { AccountSnapshot, MovementPlan } from '../types.js';
import type { CommandSnapshots, InReviewOutcome, MovementOutcome, StoredBalance, WriteContext, Written } from './command.js';
import { storedBalancesOf } from './stored-balances.js';

/** What the risk step added to a decided movement: the decision to store, and a review when it asked for one. */
export interface RiskOutcome {
  readonly judgement?: RiskJudgement;
  readonly review?: ReviewPlan;
}

/** How a command is judged: the ask its prefetch makes, and the settings. */
export interface MovementRisk {
  readonly check: RiskCheck;
  readonly ask: RiskFactsRequest;
}

export function riskAsk(check: RiskCheck | undefined, accountId: string, payeeAccountId?: string): MovementRisk | undefined {
  if (!check) return undefined;
  // A payee that is not an account id was never paid, and the transfer's decide refuses it with its
  // own typed error: asked about, it would reach the claim statement's `::uuid` cast and fail the
  // whole unit (every command grouped with it) with a database error.
  return { check, ask: { accountId, calendar: check.calendar, ...(payeeAccountId && isId(payeeAccountId) ? { payeeAccountId } : {}) } };
}

/**
 * The risk step of a movement's decide, last of its checks: the movement was decided (every one
 * of the command's own checks passed), so only the rules may still stop it. DENY refuses it
 * (RISK_DECLINED); REVIEW turns it into a review that holds its money; ALLOW keeps it as decided.
 */
export function riskStep(movement: MovementPlan, judged: JudgedMovement, snapshots: CommandSnapshots<MovementOutcome>, risk: MovementRisk | undefined, now: Date): RiskOutcome | RiskDeclinedError {
  if (!risk) return {};
  const judgement = judgeMovement(judged, snapshots.riskInputs(risk.ask.accountId, risk.ask.payeeAccountId), now);
  if (judgement instanceof RiskDeclinedError) return judgement;
  if (!judgement) return {};
  if (judgement.action === 'REVIEW') return { judgement, review: planReview(movement, judged.account) };
  return { judgement };
}

/** The balances an in-review answer shows: after the hold, or as they stand for a deposit (nothing changed). */
function inReviewBalances(review: ReviewPlan, account: AccountSnapshot | undefined, visible: readonly string[], now: Date): StoredBalance[] {
  if (review.hold) return storedBalancesOf(review.hold, (accountId) => visible.includes(accountId), now);
  if (!account || !visible.includes(account.id)) return [];
  return [
    {
      accountId: account.id,
      currency: account.currency,
      currencyExponent: account.currencyExponent,
      postedMinor: account.postedMinor.toString(),
      pendingMinor: account.pendingMinor.toString(),
      version: account.version,
      asOf: now.toISOString(),
    },
  ];
}

export interface InReviewWrite {
  readonly review: ReviewPlan;
  readonly judgement: RiskJudgement;
  readonly visibleAccountIds: readonly string[];
  /** The judged account as the unit saw it: a deposit's in-review answer shows its unchanged balances. */
  readonly account: AccountSnapshot | undefined;
  readonly counterpartyAccountId: string | null;
  readonly details: Pick<MovementDetails, 'description' | 'externalRef' | 'originCountry'>;
  readonly timeoutMs: number;
}

/**
 * Writes a movement sent to review, in its command's unit: the decision, the RISK_REVIEW hold's
 * PENDING transaction and hold row (none for a deposit), the review, and the in-review outcome
 * under the requester's key. No expiry on the hold: the review's own due time ends it.
 */
export async function writeInReview(database: Parameters<typeof insertReview>[0], write: InReviewWrite, context: WriteContext): Promise<Written<MovementOutcome>> {
  const { review } = write;
  const reviewId = randomUUID();
  const outcome: InReviewOutcome = { ok: true, reviewId, balances: inReviewBalances(review, write.account, write.visibleAccountIds, context.now) };
  const decisionId = await storeJudgement(database, write.judgement.decision, context);
  let holdId: string | null = null;
  let transaction: Written<MovementOutcome>['transaction'];
  if (review.hold) {
    const transactionId = newTransactionId();
    holdId = randomUUID();
    const details = {
      description: write.details.description,
      externalRef: write.details.externalRef,
      idempotencyKey: context.idempotencyKey,
      originCountry: write.details.originCountry ?? null,
    };
    transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: review.hold, details, now: context.now, outcome });
    await insertHold(database, {
      id: holdId,
      accountId: review.accountId,
      reason: 'RISK_REVIEW',
      channel: review.hold.channel,
      amountMinor: review.hold.amountMinor,
      currency: review.hold.currency,
      description: write.details.description,
      externalRef: write.details.externalRef,
      originCountry: write.details.originCountry ?? null,
      expiresAt: null,
      releaseAt: null,
      authorizationTransactionId: transactionId,
      initiatedBy: context.actor.userId,
      now: context.now,
    });
  } else {
    await recordOutcome(database, context.actor.userId, context.idempotencyKey, outcome);
  }
  await insertReview(database, {
    id: reviewId,
    movement: review.movement,
    accountId: review.accountId,
    counterpartyAccountId: write.counterpartyAccountId,
    description: write.details.description,
    externalRef: write.details.externalRef,
    originCountry: write.details.originCountry ?? null,
    holdId,
    decisionId,
    requestedBy: context.actor.userId,
    idempotencyKey: context.idempotencyKey,
    visibleAccountIds: write.visibleAccountIds,
    now: context.now,
    dueAt: new Date(context.now.getTime() + write.timeoutMs),
  });
  return { outcome, ...(transaction ? { transaction } : {}) };
}
