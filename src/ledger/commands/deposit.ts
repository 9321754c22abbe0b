import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { DEFAULT_AVAILABILITY_POLICY, isSubjectToCheckSchedule, type AvailabilityPart, type AvailabilityPolicy } from '../decide/availability-policy.js';
import { decideAvailableDeposit } from '../decide/decide-available-deposit.js';
import { mayShowBalances } from '../decide/permissions.js';
import type { MovementText } from '../decide/request-checks.js';
import { LedgerError } from '../errors.js';
import type { AccountSnapshot, Actor, Channel } from '../types.js';
import { canonicalId, type Database } from '../persistence/database.js';
import { insertHolds } from '../persistence/write-hold.js';
import { newTransactionId, writeMovement } from '../persistence/write-movement.js';
import { Replay, type CommandResult, type LedgerCommand, type MovementOutcome, type Success, type WriteContext } from './command.js';
import type { MovementCommandPlan } from './movement-command.js';
import { storedBalancesOf } from './stored-balances.js';
import type { UnitOptions } from './run-command.js';
import { runMovement } from './group-commit.js';
import type { RiskCheck } from '../risk/judge-movement.js';
import { storeJudgement } from '../risk/store-judgement.js';
import { judgedAccountMovement } from './movement-command.js';
import { riskAsk, riskStep, writeInReview, type RiskOutcome } from './risk-step.js';
import { declinedDecision, judgementRow } from '../risk/store-judgement.js';

export interface DepositInput extends MovementText {
  readonly accountId: string;
  readonly amount: string;
  readonly channel: Channel;
  readonly idempotencyKey: string;
}

/** A decided deposit, the parts of it held for availability, and whose balances its answer shows. */
interface DepositPlan extends MovementCommandPlan {
  readonly heldParts: readonly AvailabilityPart[];
  /** The account as the unit saw it when deciding: a deposit in review answers its unchanged balances. */
  readonly account: AccountSnapshot | undefined;
}

/** One DEPOSIT_AVAILABILITY hold per held part, authorized by the deposit's own transaction, in one statement. */
function insertAvailabilityHolds(database: Database, plan: DepositPlan, accountId: string, transactionId: string, text: MovementText, context: WriteContext): Promise<void> {
  return insertHolds(
    database,
    plan.heldParts.map((part) => ({
      id: randomUUID(),
      accountId,
      reason: 'DEPOSIT_AVAILABILITY' as const,
      channel: plan.movement.channel,
      amountMinor: part.amountMinor,
      currency: plan.movement.currency,
      description: text.description ?? null,
      externalRef: text.externalRef ?? null,
      expiresAt: null,
      releaseAt: part.availableAt,
      authorizationTransactionId: transactionId,
      initiatedBy: context.actor.userId,
      now: context.now,
    })),
  );
}

/**
 * Money arriving from outside the bank on a channel; the channel's settlement account is debited.
 * The availability policy (configuration) decides which parts are held and until when: a check's
 * holds are placed by the deposit's own transaction, so the account changes once.
 */
export function depositCommand(actor: Actor, given: DepositInput, policy: AvailabilityPolicy = DEFAULT_AVAILABILITY_POLICY, riskCheck?: RiskCheck): LedgerCommand<DepositPlan, MovementOutcome> {
  // Canonical before hashing and locking: the same account spelt in upper case is the same request.
  const input = { ...given, accountId: canonicalId(given.accountId) };
  const { idempotencyKey, ...request } = input;
  const checkSchedule = isSubjectToCheckSchedule(input.channel);
  const risk = riskAsk(riskCheck, input.accountId);
  return {
    name: 'deposit',
    actor,
    idempotencyKey,
    request,
    prefetch: {
      accountIds: [input.accountId],
      ...(checkSchedule ? { checkDepositsOf: { accountIds: [input.accountId], calendar: policy.calendar } } : {}),
      ...(risk ? { riskOf: risk.ask } : {}),
    },
    decide(snapshots, now) {
      const decision = decideAvailableDeposit(request, snapshots, now, policy);
      if (decision instanceof LedgerError || decision instanceof Replay) return decision;
      const account = snapshots.account(input.accountId);
      const visible = mayShowBalances(actor, account);
      // The last check, after the deposit's own and its availability (see riskStep). A deposit
      // in review keeps the plain deposit's entries: approval posts it whole (see approve-review.ts).
      const judged: RiskOutcome | LedgerError = risk ? riskStep(decision.movement, judgedAccountMovement('DEPOSIT', decision.movement, snapshots, input.accountId, false), snapshots, risk, now) : {};
      if (judged instanceof LedgerError) return judged;
      return { ...decision, ...judged, account, visibleAccountIds: visible ? [input.accountId] : [] };
    },
    async recordRefusal(database, error, _snapshots, context) {
      const declined = declinedDecision(error);
      if (declined) await storeJudgement(database, declined, context);
    },
    apply(plan, unit) {
      if (plan.review) return;
      unit.applyChanges(plan.movement.changes);
      unit.applyRiskMovement(plan.movement);
      if (checkSchedule) unit.addCheckDeposit(input.accountId, plan.movement.amountMinor);
    },
    async write(database, plan, context) {
      if (plan.review && plan.judgement) {
        const details = { description: input.description ?? null, externalRef: input.externalRef ?? null };
        const write = { review: plan.review, judgement: plan.judgement, visibleAccountIds: plan.visibleAccountIds, account: plan.account, counterpartyAccountId: null, details };
        return writeInReview(database, { ...write, timeoutMs: risk?.check.reviewTimeoutMs ?? 0 }, context);
      }

      const transactionId = newTransactionId();
      const balances = storedBalancesOf(plan.movement, (accountId) => plan.visibleAccountIds.includes(accountId), context.now);
      const outcome: Success<MovementOutcome> = { ok: true, transactionId, balances };
      const details = { description: input.description ?? null, externalRef: input.externalRef ?? null, idempotencyKey: context.idempotencyKey };
      const judged = judgementRow(plan.judgement?.decision);
      const transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: plan.movement, details, now: context.now, outcome, ...judged });
      await insertAvailabilityHolds(database, plan, input.accountId, transactionId, input, context);
      return { outcome, transaction };
    },
  };
}

export function deposit(
  orm: MikroORM,
  actor: Actor,
  input: DepositInput,
  options?: UnitOptions & { readonly availability?: AvailabilityPolicy; readonly risk?: RiskCheck },
): Promise<CommandResult<MovementOutcome>> {
  return runMovement(orm, depositCommand(actor, input, options?.availability, options?.risk), options);
}
