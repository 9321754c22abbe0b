import type { MikroORM } from '@mikro-orm/postgresql';
import { ValidationError } from '../errors.js';
import { decideWithdrawal } from '../decide/decide-movement.js';
import { WITHDRAWAL_CHANNELS } from '../decide/internal-accounts.js';
import type { Actor } from '../types.js';
import type { DepositInput } from './deposit.js';
import { checkMovementFields, persistDecision } from './movement-input.js';
import { runCommand, type CommandResult } from './run-command.js';
import { canonicalId } from '../persistence/database.js';

export type WithdrawInput = DepositInput;

/** Money leaving the bank on a channel; the channel's settlement account is credited. */
export function withdraw(orm: MikroORM, actor: Actor, given: WithdrawInput): Promise<CommandResult> {
  // Canonical before hashing and locking: the same account spelt in upper case is the same request.
  const input = { ...given, accountId: canonicalId(given.accountId) };
  const { idempotencyKey, ...request } = input;
  return runCommand(orm, {
    name: 'withdraw',
    actor,
    idempotencyKey,
    request,
    validate: () =>
      (WITHDRAWAL_CHANNELS.has(input.channel) ? undefined : new ValidationError(`Money cannot be withdrawn through ${input.channel}.`, 'channel')) ??
      checkMovementFields(input.amount, [input.accountId], input),
    lockAccountIds: [input.accountId],
    async execute(database, accounts) {
      const decision = decideWithdrawal(input, accounts.get(input.accountId));
      return persistDecision(database, actor, decision, accounts, idempotencyKey, input);
    },
  });
}
