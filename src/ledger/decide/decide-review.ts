import { AccountNotOpenError, NotFoundError, ValidationError, type LedgerError } from '../errors.js';
import type { AccountSnapshot, MovementPlan, PlannedEntry } from '../types.js';
import type { CommandSnapshots, ReviewDecisionOutcome, Replay } from '../commands/command.js';
import type { HoldSnapshot, ReviewSnapshot } from '../commands/unit-state.js';
import { RISK_REVIEWS } from './internal-accounts.js';
import { planMovement } from './plan-movement.js';
import { checkKey } from './request-checks.js';

/** Who decides a review, and how: an operator's approval or decline, or the system's timeout. */
export type ReviewStep = 'APPROVE' | 'DECLINE' | 'EXPIRE';

export interface ReviewDecisionRequest {
  readonly reviewId: string;
  readonly note: string | null;
}

/** What deciding a review does: its state after, the hold's, and the one transaction (none for a declined deposit). */
export interface ReviewDecisionPlan {
  readonly reviewAfter: ReviewSnapshot;
  readonly step: ReviewStep;
  readonly note: string | null;
  /** Approval: releases the hold and posts the movement; decline/expiry: releases the hold. */
  readonly movement: MovementPlan | null;
  readonly holdAfter: HoldSnapshot | null;
}

export const MAX_REVIEW_NOTE_LENGTH = 500;

type ReviewDecision = ReviewDecisionPlan | LedgerError | Replay<ReviewDecisionOutcome>;

/** The hold's PENDING pair released: the customer credited, RISK_REVIEWS debited. */
function releaseEntries(hold: HoldSnapshot): PlannedEntry[] {
  return [
    { target: { customerAccountId: hold.accountId }, direction: 'CREDIT', amountMinor: hold.amountMinor, layer: 'PENDING' },
    { target: { internalCode: RISK_REVIEWS }, direction: 'DEBIT', amountMinor: hold.amountMinor, layer: 'PENDING' },
  ];
}

/** The accounts the review's movement touches, as the unit locked them; NOT_FOUND-worthy when one is missing (a bug). */
function lockedAccounts(review: ReviewSnapshot, snapshots: CommandSnapshots<ReviewDecisionOutcome>): AccountSnapshot[] {
  const ids = [review.accountId, ...(review.counterpartyAccountId ? [review.counterpartyAccountId] : [])];
  return ids.map((id) => {
    const account = snapshots.account(id);
    if (!account) throw new Error(`review ${review.id} names account ${id}, which the unit did not lock`);
    return account;
  });
}

/**
 * Approval posts the movement exactly as decided, with the hold's release, in ONE transaction of
 * the movement's own kind (a WITHDRAWAL, TRANSFER or DEPOSIT in the customer's history, one change
 * of each account: its first entry, the POSTED one, is its history line). No funds check: what is
 * posted was held, so available does not drop (a deposit only adds). Both accounts must still be open.
 */
function approvalPlan(review: ReviewSnapshot, hold: HoldSnapshot | undefined, accounts: AccountSnapshot[]): MovementPlan | AccountNotOpenError {
  const closed = accounts.find((account) => account.status !== 'OPEN');
  if (closed) return new AccountNotOpenError(`The account ${closed.id === review.accountId ? '' : 'paid '}is ${closed.status.toLowerCase()}; decline the review instead.`);
  const header = { kind: review.kind, channel: review.channel, amountMinor: review.amountMinor, currency: review.currency, currencyExponent: review.currencyExponent };
  return planMovement(header, [...review.entries, ...(hold ? releaseEntries(hold) : [])], accounts);
}

function releasePlan(review: ReviewSnapshot, hold: HoldSnapshot, account: AccountSnapshot): MovementPlan {
  const header = { kind: 'HOLD_RELEASE' as const, channel: review.channel, amountMinor: hold.amountMinor, currency: review.currency, currencyExponent: review.currencyExponent };
  return planMovement(header, releaseEntries(hold), [account]);
}

/**
 * Approving, declining or expiring a review, checks in order: 1 the key; 2 the note's length
 * (VALIDATION); 3 the review exists and the actor is an operator (the system is one), else
 * NOT_FOUND; 4 it is still PENDING, else VALIDATION (approving twice, or a declined review, moves
 * nothing and stores nothing: the second of two racing deciders gets this); 5 for the timeout,
 * its due time has come, else VALIDATION; 6 for approval, its accounts are still open, else
 * ACCOUNT_NOT_OPEN (the review stays pending: decline it). Then the plan: approval posts,
 * decline and expiry release the hold (a deposit's review has none: nothing moves).
 */
export function decideReview(step: ReviewStep, request: ReviewDecisionRequest, snapshots: CommandSnapshots<ReviewDecisionOutcome>, now: Date): ReviewDecision {
  const early =
    checkKey(snapshots.key) ??
    (request.note !== null && request.note.length > MAX_REVIEW_NOTE_LENGTH ? new ValidationError(`note must be at most ${MAX_REVIEW_NOTE_LENGTH} characters`, 'note') : undefined);
  if (early) return early;
  const review = snapshots.review(request.reviewId);
  if (!review || snapshots.actor.role !== 'OPERATOR') return new NotFoundError('No such review.');
  if (review.status !== 'PENDING') return new ValidationError(`The review is already ${review.status.toLowerCase()}.`, 'reviewId');
  if (step === 'EXPIRE' && review.dueAt.getTime() > now.getTime()) return new ValidationError('The review is not due yet.', 'reviewId');
  const hold = review.holdId ? snapshots.hold(review.holdId) : undefined;
  if (review.holdId && (!hold || hold.status !== 'ACTIVE')) throw new Error(`review ${review.id} is pending but its hold is not active`);
  const accounts = lockedAccounts(review, snapshots);
  const status = step === 'APPROVE' ? 'APPROVED' : step === 'DECLINE' ? 'DECLINED' : 'EXPIRED';
  const reviewAfter: ReviewSnapshot = { ...review, status };
  if (step === 'APPROVE') {
    const movement = approvalPlan(review, hold, accounts);
    if (movement instanceof AccountNotOpenError) return movement;
    const holdAfter = hold ? { ...hold, status: 'CAPTURED' as const, capturedMinor: hold.amountMinor, captureCount: hold.captureCount + 1 } : null;
    return { reviewAfter, step, note: request.note, movement, holdAfter };
  }
  const [account] = accounts;
  if (!hold || !account) return { reviewAfter, step, note: request.note, movement: null, holdAfter: null };
  const holdAfter = { ...hold, status: step === 'DECLINE' ? ('VOIDED' as const) : ('EXPIRED' as const) };
  return { reviewAfter, step, note: request.note, movement: releasePlan(review, hold, account), holdAfter };
}
