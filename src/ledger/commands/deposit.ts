import type { MikroORM } from '@mikro-orm/postgresql';
import { decideDeposit } from '../decide/decide-movement.js';
import type { MovementText } from '../decide/request-checks.js';
import type { Actor, Channel } from '../types.js';
import { canonicalId } from '../persistence/database.js';
import type { CommandResult, LedgerCommand, MovementOutcome } from './command.js';
import { movementCommand, type MovementCommandPlan } from './movement-command.js';
import { runCommand, type UnitOptions } from './run-command.js';

export interface DepositInput extends MovementText {
  readonly accountId: string;
  readonly amount: string;
  readonly channel: Channel;
  readonly idempotencyKey: string;
}

/** Money arriving from outside the bank on a channel; the channel's settlement account is debited. */
export function depositCommand(actor: Actor, given: DepositInput): LedgerCommand<MovementCommandPlan, MovementOutcome> {
  // Canonical before hashing and locking: the same account spelt in upper case is the same request.
  const input = { ...given, accountId: canonicalId(given.accountId) };
  const { idempotencyKey, ...request } = input;
  return movementCommand({
    name: 'deposit',
    actor,
    idempotencyKey,
    request,
    accountIds: [input.accountId],
    text: input,
    decide: (snapshots, now) => decideDeposit(request, snapshots, now),
  });
}

export function deposit(orm: MikroORM, actor: Actor, input: DepositInput, options?: UnitOptions): Promise<CommandResult<MovementOutcome>> {
  return runCommand(orm, depositCommand(actor, input), options);
}
