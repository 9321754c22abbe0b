import type { MikroORM } from '@mikro-orm/postgresql';
import { decideTransfer } from '../decide/decide-movement.js';
import type { MovementText } from '../decide/request-checks.js';
import type { Actor } from '../types.js';
import { canonicalId } from '../persistence/database.js';
import type { CommandResult, LedgerCommand, MovementOutcome } from './command.js';
import { movementCommand, type MovementCommandPlan } from './movement-command.js';
import { runCommand, type UnitOptions } from './run-command.js';

export interface TransferInput extends MovementText {
  readonly fromAccountId: string;
  readonly toAccountId: string;
  readonly amount: string;
  readonly idempotencyKey: string;
}

/** Money between two customer accounts of one currency: the source must be the actor's own. */
export function transferCommand(actor: Actor, given: TransferInput): LedgerCommand<MovementCommandPlan, MovementOutcome> {
  // Canonical before hashing and locking: the same account spelt in upper case is the same request.
  const input = { ...given, fromAccountId: canonicalId(given.fromAccountId), toAccountId: canonicalId(given.toAccountId) };
  const { idempotencyKey, ...request } = input;
  return movementCommand({
    name: 'transfer',
    actor,
    idempotencyKey,
    request,
    accountIds: [input.fromAccountId, input.toAccountId],
    text: input,
    decide: (snapshots, now) =>
      decideTransfer({ ...input, sourceAccountId: input.fromAccountId, destinationAccountId: input.toAccountId }, snapshots, now),
  });
}

export function transfer(orm: MikroORM, actor: Actor, input: TransferInput, options?: UnitOptions): Promise<CommandResult<MovementOutcome>> {
  return runCommand(orm, transferCommand(actor, input), options);
}
