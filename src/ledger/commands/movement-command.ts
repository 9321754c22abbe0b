import { LedgerError } from '../errors.js';
import { newTransactionId, writeMovement } from '../persistence/write-movement.js';
import type { MovementText } from '../decide/request-checks.js';
import { mayShowBalances } from '../decide/permissions.js';
import type { Actor, MovementPlan } from '../types.js';
import { Replay, type CommandSnapshots, type LedgerCommand, type MovementOutcome } from './command.js';
import { storedBalancesOf } from './stored-balances.js';

/** A decided movement and the accounts whose balances its answer may show the actor. */
export interface MovementCommandPlan {
  readonly movement: MovementPlan;
  /** Operators see every customer account, a service the account it moved; customers only their own, never a payee's. */
  readonly visibleAccountIds: readonly string[];
}

export interface MovementCommandSpec {
  readonly name: string;
  readonly actor: Actor;
  readonly idempotencyKey: string;
  /** What the client asked, normalised: hashed to tell a replay from a conflict. */
  readonly request: unknown;
  readonly accountIds: readonly string[];
  readonly text: MovementText;
  /** A reversal's original: read under the unit's locks, linked from the new row, marked reversed in the unit. */
  readonly reverses?: string;
  /** Transactions whose disputes to read under the locks (a reversal refuses a disputed original). */
  readonly disputesOf?: readonly string[];
  decide(snapshots: CommandSnapshots<MovementOutcome>, now: Date): MovementPlan | LedgerError | Replay<MovementOutcome>;
  /** See LedgerCommand.recordRefusal: a returned check withdrawal. */
  recordRefusal?: LedgerCommand<MovementCommandPlan, MovementOutcome>['recordRefusal'];
}

/** The answer replays return: the balances after the movement of the accounts the actor may see. */
function outcomeOf(plan: MovementCommandPlan, transactionId: string, now: Date): Extract<MovementOutcome, { ok: true }> {
  const { movement } = plan;
  const balances = storedBalancesOf(movement, (accountId) => plan.visibleAccountIds.includes(accountId), now);
  return { ok: true, transactionId, balances };
}

/** Deposits, withdrawals and transfers share everything but their decide function. */
export function movementCommand(spec: MovementCommandSpec): LedgerCommand<MovementCommandPlan, MovementOutcome> {
  return {
    name: spec.name,
    actor: spec.actor,
    idempotencyKey: spec.idempotencyKey,
    request: spec.request,
    prefetch: { accountIds: spec.accountIds, ...(spec.reverses ? { reversalsOf: [spec.reverses] } : {}), ...(spec.disputesOf ? { disputesOf: spec.disputesOf } : {}) },
    decide(snapshots, now) {
      const decision = spec.decide(snapshots, now);
      if (decision instanceof LedgerError || decision instanceof Replay) return decision;
      const visibleAccountIds = decision.changes
        .filter((change) => mayShowBalances(spec.actor, snapshots.account(change.accountId)))
        .map((change) => change.accountId);
      return { movement: decision, visibleAccountIds };
    },
    ...(spec.recordRefusal ? { recordRefusal: spec.recordRefusal } : {}),
    apply(plan, unit) {
      unit.applyChanges(plan.movement.changes);
      if (spec.reverses) unit.markReversed(spec.reverses);
    },
    async write(database, plan, context) {
      const transactionId = newTransactionId();
      const outcome = outcomeOf(plan, transactionId, context.now);
      const details = { description: spec.text.description ?? null, externalRef: spec.text.externalRef ?? null, idempotencyKey: context.idempotencyKey, reversesTransactionId: spec.reverses ?? null };
      const transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: plan.movement, details, now: context.now, outcome });
      return { outcome, transaction };
    },
  };
}
