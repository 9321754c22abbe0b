import type { MikroORM } from '@mikro-orm/postgresql';
import { decideWithdrawal } from '../decide/decide-movement.js';
import type { FeeSchedule } from '../decide/wire-fee.js';
import type { Actor } from '../types.js';
import { canonicalId } from '../persistence/database.js';
import type { CommandResult, LedgerCommand, MovementOutcome } from './command.js';
import type { DepositInput } from './deposit.js';
import { movementCommand, type MovementCommandPlan } from './movement-command.js';
import { runCommand, type UnitOptions } from './run-command.js';

export type WithdrawInput = DepositInput;

/**
 * Money leaving the bank on a channel; the channel's settlement account is credited, and the
 * bank's fee income with the channel's fee (a wire's), in the same transaction.
 */
export function withdrawCommand(actor: Actor, given: WithdrawInput, fees?: FeeSchedule): LedgerCommand<MovementCommandPlan, MovementOutcome> {
  // Canonical before hashing and locking: the same account spelt in upper case is the same request.
  const input = { ...given, accountId: canonicalId(given.accountId) };
  const { idempotencyKey, ...request } = input;
  return movementCommand({
    name: 'withdraw',
    actor,
    idempotencyKey,
    request,
    accountIds: [input.accountId],
    text: input,
    decide: (snapshots, now) => decideWithdrawal({ ...request, ...(fees ? { fees } : {}) }, snapshots, now),
  });
}

export function withdraw(
  orm: MikroORM,
  actor: Actor,
  input: WithdrawInput,
  options?: UnitOptions & { readonly fees?: FeeSchedule },
): Promise<CommandResult<MovementOutcome>> {
  return runCommand(orm, withdrawCommand(actor, input, options?.fees), options);
}
