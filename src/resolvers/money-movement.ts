import assert from 'node:assert/strict';
import type { Context } from '../context.js';
import { isOperator } from '../auth/access.js';
import { auditedUnit } from '../auth/movement-audit.js';
import { deposit, type DepositInput } from '../ledger/commands/deposit.js';
import { failureOf } from '../ledger/commands/run-command.js';
import type { CommandResult, MovementOutcome } from '../ledger/commands/command.js';
import { transfer, type TransferInput } from '../ledger/commands/transfer.js';
import { withdraw, type WithdrawInput } from '../ledger/commands/withdraw.js';
import { expectErrorOf, LimitExceededError, MOVEMENT_ERROR_CLASSES, type MovementError } from '../ledger/errors.js';
import type { Actor } from '../ledger/types.js';
import { noteRetryHint } from '../transport/retry-hints.js';
import { canonicalId } from '../ledger/persistence/database.js';
import { balanceFromStored, type MoneyMovementView, type MovementInReviewView } from './views.js';

/** What a deposit, withdrawal or transfer answers: posted, in review, or why not. */
export type MovementResultView = MoneyMovementView | MovementInReviewView | MovementError;
import { viewerOf } from './viewer.js';

export function toMovement({ outcome, replayed }: CommandResult<MovementOutcome>): MovementResultView {
  const failure = failureOf(outcome);
  if (failure) return expectErrorOf(MOVEMENT_ERROR_CLASSES, failure);
  assert.ok(outcome.ok);
  if ('reviewId' in outcome) return { reviewId: outcome.reviewId, balances: outcome.balances.map(balanceFromStored), replayed };
  return { transactionId: outcome.transactionId, balances: outcome.balances.map(balanceFromStored), replayed };
}

/** A correction (reversal, return) is never risk-checked, so it never answers in review. */
export async function limitedCorrection(context: Context, run: (viewer: Actor) => Promise<CommandResult<MovementOutcome>>): Promise<MoneyMovementView | MovementError> {
  const result = await limited(context, run);
  if ('reviewId' in result) throw new Error('a correction went to risk review');
  return result;
}

/** Runs a movement within the caller's rate limit; a limited request changes nothing. */
export async function limited(context: Context, run: (viewer: Actor) => Promise<CommandResult<MovementOutcome>>): Promise<MovementResultView> {
  const viewer = viewerOf(context);
  const refusal = await context.auth.limits.allowMovement(viewer.userId);
  if (refusal) {
    return noteRetryHint(
      context,
      new LimitExceededError(
        `Too many money movements this minute; retry with the same idempotency key in ${refusal.retryAfterSeconds} seconds.`,
        refusal.retryAfterSeconds,
      ),
    );
  }
  const result = await run(viewer);
  // The movement committed its balance events; publish them now rather than at the next poll.
  if (!result.replayed && result.outcome.ok) context.live.relay.kick();
  // A fresh movement's transaction is known as written; a replay's is read from the ledger.
  if (result.written) context.loaders.transactions.prime(result.written.id, result.written);
  return toMovement(result);
}

/** What an audit line of a deposit or withdrawal says besides who, what and the outcome. */
function movementDetails(input: DepositInput | WithdrawInput): Record<string, unknown> {
  return { idempotencyKey: input.idempotencyKey, amount: input.amount, channel: input.channel };
}

// An operator's deposit and every movement of a service are audited in their own unit: the audit
// row commits with the money or not at all (auth/movement-audit.ts).
export function resolveDeposit(context: Context, input: DepositInput): Promise<MovementResultView> {
  return limited(context, (viewer) => {
    const availability = { availability: context.availability, risk: context.risk };
    if (viewer.role === 'CUSTOMER') return deposit(context.orm, viewer, input, availability);
    const action = isOperator(viewer) ? 'operator.deposit' : 'service.deposit';
    return deposit(context.orm, viewer, input, { ...availability, ...auditedUnit(context, viewer, action, canonicalId(input.accountId), movementDetails(input)) });
  });
}

export function resolveWithdraw(context: Context, input: WithdrawInput): Promise<MovementResultView> {
  return limited(context, (viewer) => {
    if (viewer.role !== 'SERVICE') return withdraw(context.orm, viewer, input, { fees: context.fees, risk: context.risk });
    const audit = auditedUnit(context, viewer, 'service.withdraw', canonicalId(input.accountId), movementDetails(input));
    return withdraw(context.orm, viewer, input, { fees: context.fees, risk: context.risk, ...audit });
  });
}

export function resolveTransfer(context: Context, input: TransferInput): Promise<MovementResultView> {
  return limited(context, (viewer) => {
    if (viewer.role !== 'SERVICE') return transfer(context.orm, viewer, input, { risk: context.risk });
    const details = { idempotencyKey: input.idempotencyKey, amount: input.amount, toAccountId: input.toAccountId };
    return transfer(context.orm, viewer, input, { risk: context.risk, ...auditedUnit(context, viewer, 'service.transfer', canonicalId(input.fromAccountId), details) });
  });
}
