import type { MikroORM } from '@mikro-orm/postgresql';
import { customerAccountIdsOf, type ReversalOriginal } from '../decide/decide-reversal.js';
import { decideReturn, type ReturnPlan } from '../decide/decide-return.js';
import { canonicalId } from '../persistence/database.js';
import { writeHoldTransition } from '../persistence/write-hold.js';
import { newTransactionId, writeMovement } from '../persistence/write-movement.js';
import { readDepositHoldIds } from '../queries/deposit-holds.js';
import { readReversalOriginal } from '../queries/reversal-original.js';
import type { Actor } from '../types.js';
import type { CommandResult, LedgerCommand, MovementOutcome, Success } from './command.js';
import { storedBalancesOf } from './stored-balances.js';
import { runCommand, type UnitOptions } from './run-command.js';

export interface ReturnDepositInput {
  readonly transactionId: string;
  /** Why (e.g. "NSF", "account closed", "refer to maker"): shown as returnReason on the return and the deposit. */
  readonly reason: string;
  readonly idempotencyKey: string;
}

/**
 * An operator returns a deposited item the bank could not collect: one RETURN transaction, linked
 * to the deposit through the reversal link (unique: returned at most once, never also reversed),
 * that debits the deposit back and releases its still-active availability holds (VOIDED, step
 * RETURN). The deposit and its hold ids are read first (they never change) to know what to lock;
 * the link and the holds' state are read under the locks.
 */
export function returnDepositCommand(
  actor: Actor,
  given: ReturnDepositInput,
  original: ReversalOriginal | undefined,
  holdIds: readonly string[],
): LedgerCommand<ReturnPlan, MovementOutcome> {
  const input = { ...given, transactionId: canonicalId(given.transactionId) };
  const { idempotencyKey, ...request } = input;
  // A customer's request locks nothing: it is refused (NOT_FOUND) whatever the accounts hold.
  const operator = actor.role === 'OPERATOR';
  return {
    name: 'returnDeposit',
    actor,
    idempotencyKey,
    request,
    prefetch: {
      accountIds: original && operator ? customerAccountIdsOf(original) : [],
      ...(original && operator ? { reversalsOf: [original.id], holdIds } : {}),
    },
    decide: (snapshots, now) => decideReturn(request, original, holdIds, snapshots, now),
    apply(plan, unit) {
      unit.applyChanges(plan.movement.changes);
      if (original) unit.markReversed(original.id);
      for (const hold of plan.releasedHolds) unit.applyHold(hold);
    },
    async write(database, plan, context) {
      const transactionId = newTransactionId();
      // Only operators get this far, and they see every customer account.
      const outcome: Success<MovementOutcome> = { ok: true, transactionId, balances: storedBalancesOf(plan.movement, () => true, context.now) };
      const details = { description: input.reason, externalRef: null, idempotencyKey: context.idempotencyKey, reversesTransactionId: original?.id ?? null, returnReason: input.reason };
      const transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: plan.movement, details, now: context.now, outcome });
      for (const hold of plan.releasedHolds) {
        await writeHoldTransition(database, { holdId: hold.id, status: 'VOIDED', capturedMinor: hold.capturedMinor, transactionId, step: 'RETURN', now: context.now });
      }
      return { outcome, transaction };
    },
  };
}

export async function returnDeposit(orm: MikroORM, actor: Actor, input: ReturnDepositInput, options?: UnitOptions): Promise<CommandResult<MovementOutcome>> {
  const database = orm.em.fork();
  const original = await readReversalOriginal(database, input.transactionId);
  const holdIds = original ? await readDepositHoldIds(database, original.id) : [];
  return runCommand(orm, returnDepositCommand(actor, input, original, holdIds), options);
}
