import type { MikroORM } from '@mikro-orm/postgresql';
import { decideReview, type ReviewDecisionPlan, type ReviewStep } from '../decide/decide-review.js';
import { canonicalId, isId, queryRows, runStatement, type Database } from '../persistence/database.js';
import { recordOutcome } from '../persistence/idempotency-records.js';
import { writeHoldTransition } from '../persistence/write-hold.js';
import { newTransactionId, writeMovement } from '../persistence/write-movement.js';
import { SYSTEM_ACTOR, systemKey } from '../system/system-actor.js';
import type { Actor } from '../types.js';
import type { CommandResult, LedgerCommand, MovementOutcome, ReviewDecisionOutcome, Success, WriteContext } from './command.js';
import { storedBalancesOf } from './stored-balances.js';
import { runCommand, type UnitOptions } from './run-command.js';

export interface DecideReviewInput {
  readonly reviewId: string;
  readonly note?: string | null;
  readonly idempotencyKey: string;
}

/** What never changes about a review, read before the unit to know what to lock: its accounts and hold. */
export interface ReviewLocks {
  readonly accountIds: readonly string[];
  readonly holdId: string | null;
}

export async function readReviewLocks(database: Database, reviewId: string): Promise<ReviewLocks | undefined> {
  if (!isId(reviewId)) return undefined;
  const [row] = await queryRows<{ account_id: string; counterparty_account_id: string | null; hold_id: string | null }>(
    database,
    `select account_id, counterparty_account_id, hold_id from reviews where id = ?`,
    [reviewId],
  );
  if (!row) return undefined;
  return { accountIds: [row.account_id, ...(row.counterparty_account_id ? [row.counterparty_account_id] : [])], holdId: row.hold_id };
}

/** What the requester's key answers from now on: the posted movement, or RISK_DECLINED. */
function requesterOutcome(plan: ReviewDecisionPlan, transactionId: string | null, now: Date): MovementOutcome {
  const review = plan.reviewAfter;
  if (plan.step === 'APPROVE' && plan.movement && transactionId) {
    return { ok: true, transactionId, balances: storedBalancesOf(plan.movement, (accountId) => review.visibleAccountIds.includes(accountId), now) };
  }
  const message = plan.step === 'EXPIRE' ? 'This movement was declined: its risk review was not decided in time.' : 'This movement was declined after a risk review.';
  return { ok: false, code: 'RISK_DECLINED', message };
}

/** The review's decision, its hold's step, and the requester's key rewritten, in the deciding unit. */
async function writeDecision(database: Database, plan: ReviewDecisionPlan, transactionId: string | null, context: WriteContext): Promise<void> {
  const review = plan.reviewAfter;
  if (plan.holdAfter && transactionId) {
    const step = plan.step === 'APPROVE' ? 'CAPTURE' : plan.step === 'DECLINE' ? 'VOID' : 'EXPIRE';
    await writeHoldTransition(database, { holdId: plan.holdAfter.id, status: plan.holdAfter.status, capturedMinor: plan.holdAfter.capturedMinor, transactionId, step, now: context.now });
  }
  const updated = await runStatement(
    database,
    `update reviews set status = ?, decided_at = ?, decided_by = ?, note = ?, transaction_id = ? where id = ? and status = 'PENDING'`,
    [review.status, context.now, context.actor.userId, plan.note, plan.step === 'APPROVE' ? transactionId : null, review.id],
  );
  if (updated !== 1) throw new Error(`review ${review.id} was not pending under its row lock`);
  await recordOutcome(database, review.requestedBy, review.idempotencyKey, requesterOutcome(plan, transactionId, context.now));
}

function reviewCommand(name: string, step: ReviewStep, actor: Actor, idempotencyKey: string, request: { reviewId: string; note: string | null }, locks: ReviewLocks | undefined): LedgerCommand<ReviewDecisionPlan, ReviewDecisionOutcome> {
  // A customer's request locks nothing: it is refused (NOT_FOUND) whatever the review holds.
  const operator = actor.role === 'OPERATOR';
  return {
    name,
    actor,
    idempotencyKey,
    request,
    prefetch: locks && operator ? { accountIds: locks.accountIds, holdIds: locks.holdId ? [locks.holdId] : [], reviewsOf: [request.reviewId] } : { accountIds: [] },
    decide: (snapshots, now) => decideReview(step, request, snapshots, now),
    apply(plan, unit) {
      if (plan.movement) {
        unit.applyChanges(plan.movement.changes);
        unit.applyRiskMovement(plan.movement);
      }
      if (plan.holdAfter) unit.applyHold(plan.holdAfter);
      unit.applyReview(plan.reviewAfter);
    },
    async write(database, plan, context) {
      const transactionId = plan.movement ? newTransactionId() : null;
      // Operators see every customer account.
      const balances = plan.movement ? storedBalancesOf(plan.movement, () => true, context.now) : [];
      const outcome: Success<ReviewDecisionOutcome> = { ok: true, reviewId: plan.reviewAfter.id, transactionId: plan.step === 'APPROVE' ? transactionId : null, balances };
      let transaction;
      if (plan.movement && transactionId) {
        // The approved debit keeps where it was initiated (a foreign one's dispute gets longer).
        const details = { description: plan.note, externalRef: null, idempotencyKey: context.idempotencyKey, originCountry: plan.reviewAfter.originCountry ?? null };
        transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: plan.movement, details, now: context.now, outcome });
      } else {
        await recordOutcome(database, context.actor.userId, context.idempotencyKey, outcome);
      }
      await writeDecision(database, plan, transactionId, context);
      return { outcome, ...(transaction ? { transaction } : {}) };
    },
  };
}

function normalised(input: DecideReviewInput): { reviewId: string; note: string | null } {
  return { reviewId: canonicalId(input.reviewId), note: input.note ?? null };
}

export function approveReviewCommand(actor: Actor, input: DecideReviewInput, locks: ReviewLocks | undefined): LedgerCommand<ReviewDecisionPlan, ReviewDecisionOutcome> {
  return reviewCommand('approveReview', 'APPROVE', actor, input.idempotencyKey, normalised(input), locks);
}

export function declineReviewCommand(actor: Actor, input: DecideReviewInput, locks: ReviewLocks | undefined): LedgerCommand<ReviewDecisionPlan, ReviewDecisionOutcome> {
  return reviewCommand('declineReview', 'DECLINE', actor, input.idempotencyKey, normalised(input), locks);
}

/** The system's timeout of one review, under `review-timeout:<reviewId>`: run by the scheduler. */
export function expireReviewCommand(reviewId: string, locks: ReviewLocks | undefined): LedgerCommand<ReviewDecisionPlan, ReviewDecisionOutcome> {
  const request = { reviewId: canonicalId(reviewId), note: null };
  return reviewCommand('expireReview', 'EXPIRE', SYSTEM_ACTOR, systemKey('review-timeout', request.reviewId), request, locks);
}

async function runReviewStep(orm: MikroORM, build: (locks: ReviewLocks | undefined) => LedgerCommand<ReviewDecisionPlan, ReviewDecisionOutcome>, reviewId: string, options?: UnitOptions): Promise<CommandResult<ReviewDecisionOutcome>> {
  const locks = await readReviewLocks(orm.em.fork(), canonicalId(reviewId));
  return runCommand(orm, build(locks), options);
}

export function approveReview(orm: MikroORM, actor: Actor, input: DecideReviewInput, options?: UnitOptions): Promise<CommandResult<ReviewDecisionOutcome>> {
  return runReviewStep(orm, (locks) => approveReviewCommand(actor, input, locks), input.reviewId, options);
}

export function declineReview(orm: MikroORM, actor: Actor, input: DecideReviewInput, options?: UnitOptions): Promise<CommandResult<ReviewDecisionOutcome>> {
  return runReviewStep(orm, (locks) => declineReviewCommand(actor, input, locks), input.reviewId, options);
}
