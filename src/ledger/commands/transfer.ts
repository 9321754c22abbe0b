import type { MikroORM } from '@mikro-orm/postgresql';
import { decideTransfer } from '../decide/decide-movement.js';
import type { MovementText } from '../decide/request-checks.js';
import type { Actor } from '../types.js';
import { canonicalId } from '../persistence/database.js';
import type { CommandResult, LedgerCommand, MovementOutcome } from './command.js';
import { judgedAccountMovement, movementCommand, type MovementCommandPlan } from './movement-command.js';
import type { UnitOptions } from './run-command.js';
import { runMovement } from './group-commit.js';
import type { RiskCheck } from '../risk/judge-movement.js';
import { riskAsk } from './risk-step.js';

export interface TransferInput extends MovementText {
  readonly fromAccountId: string;
  readonly toAccountId: string;
  readonly amount: string;
  readonly idempotencyKey: string;
}

/** Money between two customer accounts of one currency: the source must be the actor's own. */
export function transferCommand(actor: Actor, given: TransferInput, riskCheck?: RiskCheck): LedgerCommand<MovementCommandPlan, MovementOutcome> {
  // Canonical before hashing and locking: the same account spelt in upper case is the same request.
  const input = { ...given, fromAccountId: canonicalId(given.fromAccountId), toAccountId: canonicalId(given.toAccountId) };
  const { idempotencyKey, ...request } = input;
  const risk = riskAsk(riskCheck, input.fromAccountId, input.toAccountId);
  return movementCommand({
    name: 'transfer',
    actor,
    idempotencyKey,
    request,
    accountIds: [input.fromAccountId, input.toAccountId],
    text: input,
    decide: (snapshots, now) =>
      decideTransfer({ ...input, sourceAccountId: input.fromAccountId, destinationAccountId: input.toAccountId }, snapshots, now),
    counterpartyAccountId: input.toAccountId,
    // Between the customer's own accounts nothing leaves them; to anyone else's it does.
    ...(risk ? { risk: { ...risk, judged: (movement, snapshots) => judgedAccountMovement('TRANSFER', movement, snapshots, input.fromAccountId, !snapshots.account(input.toAccountId)?.ownedByActor) } } : {}),
  });
}

export function transfer(orm: MikroORM, actor: Actor, input: TransferInput, options?: UnitOptions & { readonly risk?: RiskCheck }): Promise<CommandResult<MovementOutcome>> {
  return runMovement(orm, transferCommand(actor, input, options?.risk), options);
}
