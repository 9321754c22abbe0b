import { LedgerError } from '../errors.js';
import type { JudgedMovement } from '../risk/movement-features.js';
import { declinedDecision, judgementRow, storeJudgement } from '../risk/store-judgement.js';
import { riskStep, writeInReview, type MovementRisk, type RiskOutcome } from './risk-step.js';
import { newTransactionId, writeMovement } from '../persistence/write-movement.js';
import type { MovementText } from '../decide/request-checks.js';
import { mayShowBalances } from '../decide/permissions.js';
import type { Actor, MovementPlan } from '../types.js';
import { Replay, type CommandSnapshots, type LedgerCommand, type MovementOutcome } from './command.js';
import { storedBalancesOf } from './stored-balances.js';

/** A decided movement and the accounts whose balances its answer may show the actor. */
export interface MovementCommandPlan extends RiskOutcome {
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
  /** The risk step (absent: not judged, e.g. a correction, or RISK_RULES=off) and what it judges of a decided movement. */
  readonly risk?: MovementRisk & { judged(movement: MovementPlan, snapshots: CommandSnapshots<MovementOutcome>): JudgedMovement };
  /** A transfer's destination, kept on its review so that approval locks it. */
  readonly counterpartyAccountId?: string;
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
    prefetch: {
      accountIds: spec.accountIds,
      ...(spec.reverses ? { reversalsOf: [spec.reverses] } : {}),
      ...(spec.disputesOf ? { disputesOf: spec.disputesOf } : {}),
      ...(spec.risk ? { riskOf: spec.risk.ask } : {}),
    },
    decide(snapshots, now) {
      const decision = spec.decide(snapshots, now);
      if (decision instanceof LedgerError || decision instanceof Replay) return decision;
      const visibleAccountIds = decision.changes
        .filter((change) => mayShowBalances(spec.actor, snapshots.account(change.accountId)))
        .map((change) => change.accountId);
      // The last check, after every one of the command's own (see riskStep).
      const risk = spec.risk ? riskStep(decision, spec.risk.judged(decision, snapshots), snapshots, spec.risk, now) : {};
      if (risk instanceof LedgerError) return risk;
      return { movement: decision, visibleAccountIds, ...risk };
    },
    async recordRefusal(database, error, snapshots, context) {
      const declined = declinedDecision(error);
      if (declined) await storeJudgement(database, declined, context);
      await spec.recordRefusal?.(database, error, snapshots, context);
    },
    apply(plan, unit) {
      // A movement in review changes only what its hold holds; nothing is posted.
      if (plan.review) {
        if (plan.review.hold) {
          unit.applyChanges(plan.review.hold.changes);
          unit.applyRiskMovement(plan.review.hold);
        }
        return;
      }
      unit.applyChanges(plan.movement.changes);
      unit.applyRiskMovement(plan.movement);
      if (spec.reverses) unit.markReversed(spec.reverses);
    },
    async write(database, plan, context) {
      if (plan.review && plan.judgement) {
        return writeInReview(
          database,
          {
            review: plan.review,
            judgement: plan.judgement,
            visibleAccountIds: plan.visibleAccountIds,
            account: undefined,
            counterpartyAccountId: spec.counterpartyAccountId ?? null,
            details: { description: spec.text.description ?? null, externalRef: spec.text.externalRef ?? null, originCountry: spec.text.originCountry ?? null },
            timeoutMs: spec.risk?.check.reviewTimeoutMs ?? 0,
          },
          context,
        );
      }
      const transactionId = newTransactionId();
      const outcome = outcomeOf(plan, transactionId, context.now);
      const details = {
        description: spec.text.description ?? null,
        externalRef: spec.text.externalRef ?? null,
        idempotencyKey: context.idempotencyKey,
        reversesTransactionId: spec.reverses ?? null,
        originCountry: spec.text.originCountry ?? null,
      };
      const judged = judgementRow(plan.judgement?.decision);
      const transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: plan.movement, details, now: context.now, outcome, ...judged });
      return { outcome, transaction };
    },
  };
}

/** What the risk step judges of a decided movement on `accountId` (locked by the unit, so present). */
export function judgedAccountMovement(
  kind: JudgedMovement['kind'],
  movement: MovementPlan,
  snapshots: CommandSnapshots<MovementOutcome>,
  accountId: string,
  leavesCustomer: boolean,
): JudgedMovement {
  const account = snapshots.account(accountId);
  if (!account) throw new Error(`a decided movement names account ${accountId}, which the unit did not lock`);
  return { kind, channel: movement.channel, amountMinor: movement.amountMinor, account, leavesCustomer };
}
