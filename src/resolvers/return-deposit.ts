import type { Context } from '../context.js';
import { isOperator } from '../auth/access.js';
import { recordAudit } from '../auth/audit.js';
import { returnDeposit, type ReturnDepositInput } from '../ledger/commands/return-deposit.js';
import { canonicalId } from '../ledger/persistence/database.js';
import type { MovementError } from '../ledger/errors.js';
import { limitedCorrection } from './money-movement.js';
import type { MoneyMovementView } from './views.js';

export function resolveReturnDeposit(context: Context, input: ReturnDepositInput): Promise<MoneyMovementView | MovementError> {
  return limitedCorrection(context, (viewer) =>
    // An operator's return is audited in its own unit: the audit row commits with the money or not at all.
    returnDeposit(context.orm, viewer, input, {
      ...(isOperator(viewer)
        ? {
            withinUnit: (database, [result]) =>
              recordAudit(database, context, {
                action: 'operator.return_deposit',
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
