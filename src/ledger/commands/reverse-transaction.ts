import type { MikroORM } from '@mikro-orm/postgresql';
import { customerAccountIdsOf, decideReversal, type ReversalOriginal } from '../decide/decide-reversal.js';
import { canonicalId } from '../persistence/database.js';
import { readReversalOriginal } from '../queries/reversal-original.js';
import type { Actor } from '../types.js';
import type { CommandResult, LedgerCommand, MovementOutcome } from './command.js';
import { movementCommand, type MovementCommandPlan } from './movement-command.js';
import { runCommand, type UnitOptions } from './run-command.js';

export interface ReverseTransactionInput {
  readonly transactionId: string;
  /** Why: stored as the REVERSAL transaction's description, shown in history. */
  readonly reason: string;
  readonly idempotencyKey: string;
}

/**
 * An operator undoes a posted transaction with a new REVERSAL transaction of the exact opposite
 * of its POSTED entries (all of them, but a capture's release of its hold), linked to it; the original becomes REVERSED through the link, never an edit. The
 * original (immutable) is read first to know which accounts to lock; whether it is already
 * reversed is read under those locks.
 */
export function reverseTransactionCommand(actor: Actor, given: ReverseTransactionInput, original: ReversalOriginal | undefined): LedgerCommand<MovementCommandPlan, MovementOutcome> {
  const input = { ...given, transactionId: canonicalId(given.transactionId) };
  const { idempotencyKey, ...request } = input;
  return movementCommand({
    name: 'reverseTransaction',
    actor,
    idempotencyKey,
    request,
    // A customer's request locks nothing: it is refused (NOT_FOUND) whatever the accounts hold.
    accountIds: original && actor.role === 'OPERATOR' ? customerAccountIdsOf(original) : [],
    text: { description: input.reason },
    ...(original ? { reverses: original.id, disputesOf: [original.id] } : {}),
    decide: (snapshots, now) => decideReversal(request, original, snapshots, now),
  });
}

export async function reverseTransaction(orm: MikroORM, actor: Actor, input: ReverseTransactionInput, options?: UnitOptions): Promise<CommandResult<MovementOutcome>> {
  const original = await readReversalOriginal(orm.em.fork(), input.transactionId);
  return runCommand(orm, reverseTransactionCommand(actor, input, original), options);
}
