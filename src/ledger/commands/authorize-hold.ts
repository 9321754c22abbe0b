import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { LedgerError } from '../errors.js';
import { decideAuthorization, type AuthorizationPlan, type AuthorizationRequest } from '../decide/decide-authorization.js';
import { mayShowBalances } from '../decide/permissions.js';
import { canonicalId } from '../persistence/database.js';
import { insertHold } from '../persistence/write-hold.js';
import { newTransactionId, writeMovement } from '../persistence/write-movement.js';
import type { Actor } from '../types.js';
import { Replay, type CommandResult, type HoldOutcome, type LedgerCommand, type Success } from './command.js';
import { storedBalancesOf } from './stored-balances.js';
import type { UnitOptions } from './run-command.js';
import { runMovement } from './group-commit.js';

export interface AuthorizeHoldInput extends AuthorizationRequest {
  readonly idempotencyKey: string;
}

/** The authorization's plan and the accounts whose balances its answer may show the actor. */
interface AuthorizeHoldPlan extends AuthorizationPlan {
  readonly visible: boolean;
}

function outcomeOf(plan: AuthorizeHoldPlan, holdId: string, transactionId: string, now: Date): Success<HoldOutcome> {
  const { movement } = plan;
  const balances = storedBalancesOf(movement, () => plan.visible, now);
  return { ok: true, holdId, transactionId, balances };
}

/**
 * A hold on a customer's money (a card authorization, a pre-authorized ACH pull): one
 * PENDING-layer transaction and the hold row that tracks it, in one unit.
 */
export function authorizeHoldCommand(actor: Actor, given: AuthorizeHoldInput): LedgerCommand<AuthorizeHoldPlan, HoldOutcome> {
  const input = { ...given, accountId: canonicalId(given.accountId) };
  const { idempotencyKey, ...request } = input;
  return {
    name: 'authorizeHold',
    actor,
    idempotencyKey,
    request,
    prefetch: { accountIds: [input.accountId] },
    decide(snapshots, now) {
      const decision = decideAuthorization(request, snapshots, now);
      if (decision instanceof LedgerError || decision instanceof Replay) return decision;
      return { ...decision, visible: mayShowBalances(actor, snapshots.account(decision.accountId)) };
    },
    apply(plan, unit) {
      unit.applyChanges(plan.movement.changes);
      unit.applyRiskMovement(plan.movement);
    },
    async write(database, plan, context) {
      const transactionId = newTransactionId();
      const holdId = randomUUID();
      const outcome = outcomeOf(plan, holdId, transactionId, context.now);
      const details = {
        description: request.description ?? null,
        externalRef: request.externalRef ?? null,
        idempotencyKey: context.idempotencyKey,
        originCountry: request.originCountry ?? null,
      };
      const transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: plan.movement, details, now: context.now, outcome });
      await insertHold(database, {
        id: holdId,
        accountId: plan.accountId,
        reason: 'AUTHORIZATION',
        channel: request.channel,
        amountMinor: plan.movement.amountMinor,
        currency: plan.movement.currency,
        description: details.description,
        externalRef: details.externalRef,
        originCountry: details.originCountry,
        expiresAt: plan.expiresAt,
        releaseAt: null,
        authorizationTransactionId: transactionId,
        initiatedBy: context.actor.userId,
        now: context.now,
      });
      return { outcome, transaction };
    },
  };
}

export function authorizeHold(orm: MikroORM, actor: Actor, input: AuthorizeHoldInput, options?: UnitOptions): Promise<CommandResult<HoldOutcome>> {
  return runMovement(orm, authorizeHoldCommand(actor, input), options);
}
