import type { MikroORM } from '@mikro-orm/postgresql';
import { ValidationError } from '../errors.js';
import { decideTransfer } from '../decide/decide-movement.js';
import type { Actor } from '../types.js';
import { checkMovementFields, persistDecision, type MovementText } from './movement-input.js';
import { runCommand, type CommandResult } from './run-command.js';
import { canonicalId } from '../persistence/database.js';

export interface TransferInput extends MovementText {
  readonly fromAccountId: string;
  readonly toAccountId: string;
  readonly amount: string;
  readonly idempotencyKey: string;
}

/** Money between two customer accounts of one currency: the source must be the actor's own. */
export function transfer(orm: MikroORM, actor: Actor, given: TransferInput): Promise<CommandResult> {
  // Canonical before hashing and locking: the same account spelt in upper case is the same request.
  const input = { ...given, fromAccountId: canonicalId(given.fromAccountId), toAccountId: canonicalId(given.toAccountId) };
  const { idempotencyKey, ...request } = input;
  const accountIds = [input.fromAccountId, input.toAccountId];
  return runCommand(orm, {
    name: 'transfer',
    actor,
    idempotencyKey,
    request,
    validate: () =>
      (input.fromAccountId === input.toAccountId ? new ValidationError('A transfer needs two different accounts.', 'toAccountId') : undefined) ??
      checkMovementFields(input.amount, accountIds, input),
    lockAccountIds: accountIds,
    async execute(database, accounts) {
      const decision = decideTransfer(
        { amount: input.amount, sourceAccountId: input.fromAccountId, destinationAccountId: input.toAccountId },
        accounts.get(input.fromAccountId),
        accounts.get(input.toAccountId),
      );
      return persistDecision(database, actor, decision, accounts, idempotencyKey, input);
    },
  });
}
