import type { MikroORM } from '@mikro-orm/postgresql';
import { decideWithdrawal } from '../decide/decide-movement.js';
import type { FeeSchedule } from '../decide/wire-fee.js';
import type { Actor } from '../types.js';
import { canonicalId } from '../persistence/database.js';
import type { CommandResult, LedgerCommand, MovementOutcome } from './command.js';
import { InsufficientFundsError, type LedgerError } from '../errors.js';
import { parseAmount } from '../money.js';
import { writeReturnedItem } from '../persistence/returned-item.js';
import type { DepositInput } from './deposit.js';
import { judgedAccountMovement, movementCommand, type MovementCommandPlan } from './movement-command.js';
import type { UnitOptions } from './run-command.js';
import { runMovement } from './group-commit.js';
import type { RiskCheck } from '../risk/judge-movement.js';
import { riskAsk } from './risk-step.js';

export type WithdrawInput = DepositInput;

/**
 * Money leaving the bank on a channel; the channel's settlement account is credited, and the
 * bank's fee income with the channel's fee (a wire's), in the same transaction.
 */
export function withdrawCommand(actor: Actor, given: WithdrawInput, fees?: FeeSchedule, riskCheck?: RiskCheck): LedgerCommand<MovementCommandPlan, MovementOutcome> {
  // Canonical before hashing and locking: the same account spelt in upper case is the same request.
  const input = { ...given, accountId: canonicalId(given.accountId) };
  const { idempotencyKey, ...request } = input;
  const risk = riskAsk(riskCheck, input.accountId);
  return movementCommand({
    name: 'withdraw',
    actor,
    idempotencyKey,
    request,
    accountIds: [input.accountId],
    text: input,
    decide: (snapshots, now) => decideWithdrawal({ ...request, ...(fees ? { fees } : {}) }, snapshots, now),
    ...(input.channel === 'CHECK' ? { recordRefusal: returnedCheckRecorder(input) } : {}),
    ...(risk ? { risk: { ...risk, judged: (movement, snapshots) => judgedAccountMovement('WITHDRAWAL', movement, snapshots, input.accountId, true) } } : {}),
  });
}

/**
 * A check the customer wrote, presented by another bank, that finds insufficient funds is refused
 * AND kept as a returned item with its reason (issue 8 §4), in the refusing unit.
 */
function returnedCheckRecorder(input: WithdrawInput): NonNullable<LedgerCommand<MovementCommandPlan, MovementOutcome>['recordRefusal']> {
  return async (database, error, snapshots, context) => {
    const reason = returnedCheckReason(error);
    const account = snapshots.account(input.accountId);
    if (!reason || !account) return;
    const amountMinor = parseAmount(input.amount, { currency: account.currency, exponent: account.currencyExponent });
    if (typeof amountMinor !== 'bigint') return;
    await writeReturnedItem(database, {
      accountId: account.id,
      channel: input.channel,
      amountMinor,
      currency: account.currency,
      currencyExponent: account.currencyExponent,
      description: input.description ?? null,
      externalRef: input.externalRef ?? null,
      reason,
      idempotencyKey: context.idempotencyKey,
      actor: context.actor,
      now: context.now,
    });
  };
}

/** The refusals a paying bank returns a check for, and the reason it writes on it. */
function returnedCheckReason(error: LedgerError): string | undefined {
  return error instanceof InsufficientFundsError ? 'NSF: insufficient funds' : undefined;
}

export function withdraw(
  orm: MikroORM,
  actor: Actor,
  input: WithdrawInput,
  options?: UnitOptions & { readonly fees?: FeeSchedule; readonly risk?: RiskCheck },
): Promise<CommandResult<MovementOutcome>> {
  return runMovement(orm, withdrawCommand(actor, input, options?.fees, options?.risk), options);
}
