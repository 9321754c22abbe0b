import type { MikroORM } from '@mikro-orm/postgresql';
import { ValidationError } from '../errors.js';
import { decideDeposit } from '../decide/decide-movement.js';
import { DEPOSIT_CHANNELS } from '../decide/internal-accounts.js';
import type { Actor, Channel } from '../types.js';
import { checkMovementFields, persistDecision, type MovementText } from './movement-input.js';
import { runCommand, type CommandResult } from './run-command.js';
import { canonicalId } from '../persistence/database.js';

export interface DepositInput extends MovementText {
  readonly accountId: string;
  readonly amount: string;
  readonly channel: Channel;
  readonly idempotencyKey: string;
}

/** Money arriving from outside the bank on a channel; the channel's settlement account is debited. */
export function deposit(orm: MikroORM, actor: Actor, given: DepositInput): Promise<CommandResult> {
  // Canonical before hashing and locking: the same account spelt in upper case is the same request.
  const input = { ...given, accountId: canonicalId(given.accountId) };
  const { idempotencyKey, ...request } = input;
  return runCommand(orm, {
    name: 'deposit',
    actor,
    idempotencyKey,
    request,
    validate: () =>
      (DEPOSIT_CHANNELS.has(input.channel) ? undefined : new ValidationError(`Money cannot be deposited through ${input.channel}.`, 'channel')) ??
      checkMovementFields(input.amount, [input.accountId], input),
    lockAccountIds: [input.accountId],
    async execute(database, accounts) {
      const decision = decideDeposit(input, accounts.get(input.accountId), actor.role === 'OPERATOR');
      return persistDecision(database, actor, decision, accounts, idempotencyKey, input);
    },
  });
}
