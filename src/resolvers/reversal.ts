import type { Context } from '../context.js';
import { isOperator } from '../auth/access.js';
import { recordAudit } from '../auth/audit.js';
import { reverseTransaction, type ReverseTransactionInput } from '../ledger/commands/reverse-transaction.js';
import { canonicalId } from '../ledger/persistence/database.js';
import type { MovementError } from '../ledger/errors.js';
import { limitedCorrection } from './money-movement.js';
import type { MoneyMovementView } from './views.js';

export function resolveReverseTransaction(context: Context, input: ReverseTransactionInput): Promise<MoneyMovementView | MovementError> {
  return limitedCorrection(context, (viewer) =>
    // An operator's reversal is audited in its own unit: the audit row commits with the money or not at all.
    reverseTransaction(context.orm, viewer, input, {
      ...(isOperator(viewer)
        ? {
            withinUnit: (database, [result]) =>
              recordAudit(database, context, {
                action: 'operator.reverse_transaction',
                outcome: result?.outcome.ok ? 'OK' : 'DENIED',
                actorUserId: viewer.userId,
                target: canonicalId(input.transactionId),
                details: { idempotencyKey: input.idempotencyKey, reason: input.reason, replayed: result?.replayed ?? false },
              }),
          }
        : {}),
    }),
  );
}
