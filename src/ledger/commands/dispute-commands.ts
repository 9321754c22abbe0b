import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { canonicalId } from '../persistence/database.js';
import { recordOutcome } from '../persistence/idempotency-records.js';
import { insertDispute, writeDisputeStep } from '../persistence/write-dispute.js';
import { newTransactionId, writeMovement } from '../persistence/write-movement.js';
import { readDisputedTransaction, type DisputedTransaction } from '../queries/disputed-transaction.js';
import { decideDisputeStep, type DisputeStepRequest } from '../disputes/decide-dispute-step.js';
import { decideOpenDispute, type OpenDisputeRequest } from '../disputes/decide-open-dispute.js';
import type { DisputePolicy } from '../disputes/dispute-policy.js';
import type { DisputeStepPlan, OpenDisputePlan } from '../disputes/dispute-plans.js';
import type { DisputeStep } from '../disputes/dispute-states.js';
import type { Actor } from '../types.js';
import type { CommandResult, DisputeOutcome, LedgerCommand, Success } from './command.js';
import { runCommand, type UnitOptions } from './run-command.js';
import { storedBalancesOf } from './stored-balances.js';

export interface OpenDisputeInput extends OpenDisputeRequest {
  readonly idempotencyKey: string;
}

/**
 * A customer opens a dispute on a debit of their account (issue 9 §2). The transaction is read
 * before the unit (immutable) to know which account to lock; whether it is reversed or disputed
 * already is read under that lock, so two concurrent openings on one transaction queue on the
 * account and the second is refused.
 */
export function openDisputeCommand(actor: Actor, given: OpenDisputeInput, original: DisputedTransaction | undefined, policy: DisputePolicy): LedgerCommand<OpenDisputePlan, DisputeOutcome> {
  const { idempotencyKey, ...request } = { ...given, transactionId: canonicalId(given.transactionId) };
  // Chosen before decide, so decide stays pure; unused when the request is refused.
  const newId = randomUUID();
  return {
    name: 'openDispute',
    actor,
    idempotencyKey,
    request,
    prefetch: {
      accountIds: original?.debitedAccountId ? [original.debitedAccountId] : [],
      reversalsOf: original ? [original.id] : [],
      disputesOf: original ? [original.id] : [],
    },
    decide: (snapshots, now) => decideOpenDispute(request, original, snapshots, now, { policy, newId }),
    apply: (plan, unit) => unit.markDisputed(plan.transactionId),
    async write(database, plan, context) {
      await insertDispute(database, plan, context.actor.userId, context.now);
      const outcome: Success<DisputeOutcome> = { ok: true, disputeId: plan.id, balances: [] };
      await recordOutcome(database, context.actor.userId, context.idempotencyKey, outcome);
      return { outcome };
    },
  };
}

export async function openDispute(orm: MikroORM, actor: Actor, input: OpenDisputeInput, policy: DisputePolicy, options?: UnitOptions): Promise<CommandResult<DisputeOutcome>> {
  const original = await readDisputedTransaction(orm.em.fork(), input.transactionId);
  return runCommand(orm, openDisputeCommand(actor, input, original, policy), options);
}

export interface DisputeStepInput extends DisputeStepRequest {
  readonly idempotencyKey: string;
}

/** Command names as stored with their keys: one per step, so a key reused for another step is a conflict. */
const COMMAND_NAMES: Readonly<Record<DisputeStep, string>> = {
  START_INVESTIGATION: 'startInvestigation',
  CREDIT_PROVISIONALLY: 'creditProvisionally',
  NOTICE_REVERSAL: 'noticeReversal',
  RESOLVE_CUSTOMER: 'resolveDispute',
  RESOLVE_BANK: 'resolveDispute',
  WITHDRAW: 'withdrawDispute',
};

/**
 * A step of a dispute after its opening. The dispute row is locked first (it names the account),
 * then its account; decide is the state machine with its checks; a money step writes its
 * ADJUSTMENT in the same unit as the dispute's new state and event.
 */
export function disputeStepCommand(step: DisputeStep, actor: Actor, given: DisputeStepInput, policy: DisputePolicy): LedgerCommand<DisputeStepPlan, DisputeOutcome> {
  const { idempotencyKey, ...request } = { ...given, disputeId: canonicalId(given.disputeId) };
  return {
    name: COMMAND_NAMES[step],
    actor,
    idempotencyKey,
    // The outcome is part of what was asked: resolving for the customer and for the bank are different requests.
    request: step.startsWith('RESOLVE_') ? { ...request, outcome: step === 'RESOLVE_CUSTOMER' ? 'CUSTOMER' : 'BANK' } : request,
    prefetch: { accountIds: [], disputeIds: [request.disputeId] },
    decide: (snapshots, now) => decideDisputeStep(step, request, snapshots, now, policy),
    apply(plan, unit) {
      if (plan.movement) unit.applyChanges(plan.movement.changes);
      unit.applyDispute(plan.after);
    },
    async write(database, plan, context) {
      if (!plan.movement) {
        await writeDisputeStep(database, plan, context.actor.userId, undefined, context.now);
        const outcome: Success<DisputeOutcome> = { ok: true, disputeId: plan.before.id, balances: [] };
        await recordOutcome(database, context.actor.userId, context.idempotencyKey, outcome);
        return { outcome };
      }
      const transactionId = newTransactionId();
      // The system and operators see the balances they moved; the owner is not the actor of a money step.
      const balances = storedBalancesOf(plan.movement, () => true, context.now);
      const outcome = { ok: true as const, disputeId: plan.before.id, transactionId, balances };
      const description = plan.money === 'CREDIT' ? `Dispute ${plan.before.id}: credit` : `Dispute ${plan.before.id}: provisional credit reversed`;
      const details = { description, externalRef: null, idempotencyKey: context.idempotencyKey };
      const transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: plan.movement, details, now: context.now, outcome });
      await writeDisputeStep(database, plan, context.actor.userId, transactionId, context.now);
      return { outcome, transaction };
    },
  };
}

export function disputeStep(orm: MikroORM, step: DisputeStep, actor: Actor, input: DisputeStepInput, policy: DisputePolicy, options?: UnitOptions): Promise<CommandResult<DisputeOutcome>> {
  return runCommand(orm, disputeStepCommand(step, actor, input, policy), options);
}
