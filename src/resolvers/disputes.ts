import assert from 'node:assert/strict';
import type { Context } from '../context.js';
import { recordAudit } from '../auth/audit.js';
import { auditOperatorRead } from '../auth/operator-reads.js';
import type { CommandResult, DisputeOutcome } from '../ledger/commands/command.js';
import { disputeStep, openDispute, type DisputeStepInput, type OpenDisputeInput } from '../ledger/commands/dispute-commands.js';
import { failureOf } from '../ledger/commands/run-command.js';
import type { DisputeStep } from '../ledger/disputes/dispute-states.js';
import { AccountNotOpenError, expectErrorOf, IdempotencyConflictError, LimitExceededError, NotFoundError, ValidationError } from '../ledger/errors.js';
import { canonicalId } from '../ledger/persistence/database.js';
import type { AuditDisputeCredit } from '../ledger/system/dispute-credits.js';
import { SYSTEM_ACTOR } from '../ledger/system/system-actor.js';
import { disputeSequence, disputesPage, visibleDispute, type DisputePage, type DisputeView } from '../ledger/queries/disputes.js';
import type { Actor } from '../ledger/types.js';
import { disputeChannel } from '../pubsub/channels.js';
import { noteRetryHint } from '../transport/retry-hints.js';
import { viewerOf } from './viewer.js';

/** The failures a dispute's mutation can have; the API lists exactly these in its result unions. */
export const DISPUTE_ERROR_CLASSES = [LimitExceededError, ValidationError, NotFoundError, AccountNotOpenError, IdempotencyConflictError] as const;
export type DisputeError = InstanceType<(typeof DISPUTE_ERROR_CLASSES)[number]>;

/** What the DisputeChange type is built from. */
export interface DisputeChangeView {
  readonly disputeId: string;
  readonly transactionId: string | null;
  readonly replayed: boolean;
}

/** After a committed change: its push to disputeUpdated subscribers, and the relay for its balance event. */
export async function announceDisputeChange(context: Pick<Context, 'live' | 'orm'>, disputeId: string, movedMoney: boolean): Promise<void> {
  if (movedMoney) context.live.relay.kick();
  await context.live.bus.publish(disputeChannel(disputeId), { disputeId, sequence: await disputeSequence(context.orm.em.fork(), disputeId) });
}

/**
 * The scheduler's audit port (src/ledger/system/dispute-credits.ts): one `dispute.step` line per
 * provisional credit the system gave, written in the crediting unit, as an operator's step is.
 */
export const auditSystemDisputeCredit: AuditDisputeCredit = (database, credit) =>
  recordAudit(database, {}, {
    action: 'dispute.step',
    outcome: 'OK',
    actorUserId: SYSTEM_ACTOR.userId,
    target: credit.disputeId,
    details: { step: 'CREDIT_PROVISIONALLY', idempotencyKey: credit.idempotencyKey, replayed: false },
  });

/** Runs a dispute command within the caller's money-movement rate limit, audited in its unit, announced after commit. */
async function limited(
  context: Context,
  audit: { readonly action: 'dispute.open' | 'dispute.step'; readonly target: string; readonly details: Record<string, unknown> },
  run: (viewer: Actor, withinUnit: NonNullable<Parameters<typeof openDispute>[4]>['withinUnit']) => Promise<CommandResult<DisputeOutcome>>,
): Promise<DisputeChangeView | DisputeError> {
  const viewer = viewerOf(context);
  const refusal = await context.auth.limits.allowMovement(viewer.userId);
  if (refusal) {
    return noteRetryHint(
      context,
      new LimitExceededError(`Too many money movements this minute; retry with the same idempotency key in ${refusal.retryAfterSeconds} seconds.`, refusal.retryAfterSeconds),
    );
  }
  const result = await run(viewer, (database, [first]) => {
    const refused = first && !first.outcome.ok ? first.outcome : undefined;
    return recordAudit(database, context, {
      action: audit.action,
      outcome: refused ? 'DENIED' : 'OK',
      actorUserId: viewer.userId,
      target: audit.target,
      details: { ...audit.details, replayed: first?.replayed ?? false, ...(refused ? { code: refused.code } : {}) },
    });
  });
  const { outcome, replayed } = result;
  const failure = failureOf(outcome);
  if (failure) return expectErrorOf(DISPUTE_ERROR_CLASSES, failure);
  assert.ok(outcome.ok && 'disputeId' in outcome);
  if (!replayed) await announceDisputeChange(context, outcome.disputeId, outcome.transactionId !== undefined);
  if (result.written) context.loaders.transactions.prime(result.written.id, result.written);
  return { disputeId: outcome.disputeId, transactionId: outcome.transactionId ?? null, replayed };
}

export function resolveOpenDispute(context: Context, input: OpenDisputeInput): Promise<DisputeChangeView | DisputeError> {
  const details = { idempotencyKey: input.idempotencyKey, reason: input.reason };
  return limited(context, { action: 'dispute.open', target: canonicalId(input.transactionId), details }, (viewer, withinUnit) =>
    openDispute(context.orm, viewer, input, context.disputes, withinUnit ? { withinUnit } : {}),
  );
}

export function resolveDisputeStep(context: Context, step: DisputeStep, input: DisputeStepInput): Promise<DisputeChangeView | DisputeError> {
  const details = { idempotencyKey: input.idempotencyKey, step, note: input.note };
  return limited(context, { action: 'dispute.step', target: canonicalId(input.disputeId), details }, (viewer, withinUnit) =>
    disputeStep(context.orm, step, viewer, input, context.disputes, withinUnit ? { withinUnit } : {}),
  );
}

/** The dispute a DisputeChange is about: the caller just acted on it (or opened it), so they may see it. */
export async function changedDispute(context: Context, disputeId: string): Promise<DisputeView> {
  const dispute = await visibleDispute(context.database, viewerOf(context), disputeId);
  assert.ok(dispute, `dispute ${disputeId} of a stored outcome is not visible to its actor`);
  return dispute;
}

/** Audits an operator's read of customers' disputes (one line per request and dispute), as their account reads are. */
async function audited<Shown extends { readonly id: string }>(context: Context, viewer: Actor, disputes: readonly Shown[]): Promise<void> {
  if (viewer.role !== 'OPERATOR') return;
  await Promise.all(disputes.map((dispute) => auditOperatorRead(context, viewer, 'operator.read_dispute', dispute.id)));
}

/** Query.dispute and each disputeUpdated push: yours, or any for an operator (audited); otherwise undefined. */
export async function readDispute(context: Context, disputeId: string, database = context.database): Promise<DisputeView | undefined> {
  const viewer = viewerOf(context);
  const dispute = await visibleDispute(database, viewer, disputeId);
  if (dispute) await audited(context, viewer, [dispute]);
  return dispute;
}

/** Query.disputes: a page of yours, or of all for an operator (each audited). */
export async function readDisputesPage(context: Context, request: Parameters<typeof disputesPage>[2]): Promise<DisputePage | ValidationError> {
  const viewer = viewerOf(context);
  const page = await disputesPage(context.database, viewer, request);
  if (!(page instanceof ValidationError)) await audited(context, viewer, page.disputes);
  return page;
}
