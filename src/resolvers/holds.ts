import assert from 'node:assert/strict';
import type { Context } from '../context.js';
import { visibleAccount } from '../auth/access.js';
import { auditedUnit, type ServiceAuditAction } from '../auth/movement-audit.js';
import { canonicalId } from '../ledger/persistence/database.js';
import type { UnitOptions } from '../ledger/commands/run-command.js';
import { authorizeHold, type AuthorizeHoldInput } from '../ledger/commands/authorize-hold.js';
import { captureHold, voidHold, type CaptureHoldInput, type VoidHoldInput } from '../ledger/commands/change-hold.js';
import type { CommandResult, HoldOutcome } from '../ledger/commands/command.js';
import { failureOf } from '../ledger/commands/run-command.js';
import { expectErrorOf, HOLD_ERROR_CLASSES, LimitExceededError, NotFoundError, type HoldError } from '../ledger/errors.js';
import { holdsPage, type HoldPage, type HoldPageRequest } from '../ledger/queries/hold-pages.js';
import { holdById, type HoldView } from '../ledger/queries/holds.js';
import type { Actor } from '../ledger/types.js';
import { noteRetryHint } from '../transport/retry-hints.js';
import { balanceFromStored, type BalanceView } from './views.js';
import { viewerOf } from './viewer.js';

/** What the HoldChange type is built from. */
export interface HoldChangeView {
  readonly holdId: string;
  readonly transactionId: string;
  readonly balances: readonly BalanceView[];
  readonly replayed: boolean;
}

export function toHoldChange({ outcome, replayed }: CommandResult<HoldOutcome>): HoldChangeView | HoldError {
  const failure = failureOf(outcome);
  if (failure) return expectErrorOf(HOLD_ERROR_CLASSES, failure);
  assert.ok(outcome.ok);
  return { holdId: outcome.holdId, transactionId: outcome.transactionId, balances: outcome.balances.map(balanceFromStored), replayed };
}

/** Runs a hold command within the caller's money-movement rate limit; a limited request changes nothing. */
async function limited(context: Context, run: (viewer: Actor) => Promise<CommandResult<HoldOutcome>>): Promise<HoldChangeView | HoldError> {
  const viewer = viewerOf(context);
  const refusal = await context.auth.limits.allowMovement(viewer.userId);
  if (refusal) {
    return noteRetryHint(
      context,
      new LimitExceededError(`Too many money movements this minute; retry with the same idempotency key in ${refusal.retryAfterSeconds} seconds.`, refusal.retryAfterSeconds),
    );
  }
  const result = await run(viewer);
  if (!result.replayed && result.outcome.ok) context.live.relay.kick();
  if (result.written) context.loaders.transactions.prime(result.written.id, result.written);
  return toHoldChange(result);
}

/** Every hold command of a service is audited in its own unit (auth/movement-audit.ts); others' are not. */
function serviceAudit(viewer: Actor, context: Context, action: ServiceAuditAction, target: string, details: Record<string, unknown>): UnitOptions | undefined {
  return viewer.role === 'SERVICE' ? auditedUnit(context, viewer, action, target, details) : undefined;
}

export function resolveAuthorizeHold(context: Context, input: AuthorizeHoldInput): Promise<HoldChangeView | HoldError> {
  return limited(context, (viewer) => {
    const details = { idempotencyKey: input.idempotencyKey, amount: input.amount, channel: input.channel };
    return authorizeHold(context.orm, viewer, input, serviceAudit(viewer, context, 'service.authorize_hold', canonicalId(input.accountId), details));
  });
}

export function resolveCaptureHold(context: Context, input: CaptureHoldInput): Promise<HoldChangeView | HoldError> {
  return limited(context, (viewer) => {
    const details = { idempotencyKey: input.idempotencyKey, amount: input.amount ?? null, final: input.final ?? true };
    return captureHold(context.orm, viewer, input, serviceAudit(viewer, context, 'service.capture_hold', canonicalId(input.holdId), details));
  });
}

export function resolveVoidHold(context: Context, input: VoidHoldInput): Promise<HoldChangeView | HoldError> {
  return limited(context, (viewer) =>
    voidHold(context.orm, viewer, input, serviceAudit(viewer, context, 'service.void_hold', canonicalId(input.holdId), { idempotencyKey: input.idempotencyKey })),
  );
}

/** A hold the caller may see (its account's owner, or an operator): anything else is not found. */
export async function visibleHold(context: Context, holdId: string): Promise<HoldView | undefined> {
  const hold = await holdById(context.database, holdId);
  if (!hold) return undefined;
  return (await visibleAccount(context, viewerOf(context), hold.accountId)) ? hold : undefined;
}

/** The hold a HoldChange is about: the caller just acted on it, so it exists. */
export async function changedHold(context: Context, holdId: string): Promise<HoldView> {
  const hold = await holdById(context.database, holdId);
  assert.ok(hold, `hold ${holdId} of a stored outcome is missing`);
  return hold;
}

/** The transactions that captured a hold, in order; the holds of one response are read in one query. */
export function captureIdsOf(context: Context, holdId: string): Promise<string[]> {
  return context.loaders.holdCaptures.load(holdId);
}

/**
 * Query.holds: a page of an account's holds for its owner or an operator (whose read is audited
 * as a read of the account, in visibleAccount). Any other account is NOT_FOUND, exactly like an
 * unknown id, as Query.transactions answers.
 */
export async function resolveHoldsOfAccount(context: Context, accountId: string, request: HoldPageRequest): Promise<HoldPage> {
  const account = await visibleAccount(context, viewerOf(context), accountId);
  if (!account) throw new NotFoundError('No such account.');
  return holdsPage(context.database, account.id, request);
}
