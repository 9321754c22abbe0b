import type { MikroORM } from '@mikro-orm/postgresql';
import { LedgerError } from '../errors.js';
import { decideCapture, decideExpiry, decideRelease, decideVoid, type CaptureRequest, type HoldChangePlan, type ReleaseRequest } from '../decide/decide-hold-change.js';
import { canonicalId } from '../persistence/database.js';
import { writeHoldTransition } from '../persistence/write-hold.js';
import { newTransactionId, writeMovement } from '../persistence/write-movement.js';
import { SYSTEM_ACTOR, systemKey } from '../system/system-actor.js';
import type { Actor } from '../types.js';
import { Replay, type CommandResult, type CommandSnapshots, type HoldOutcome, type LedgerCommand, type Success } from './command.js';
import { storedBalancesOf } from './stored-balances.js';
import type { UnitOptions } from './run-command.js';
import { runMovement } from './group-commit.js';

export interface CaptureHoldInput extends CaptureRequest {
  readonly idempotencyKey: string;
}
export interface VoidHoldInput extends ReleaseRequest {
  readonly idempotencyKey: string;
}

function outcomeOf(plan: HoldChangePlan, transactionId: string, now: Date): Success<HoldOutcome> {
  const { movement } = plan;
  const balances = storedBalancesOf(movement, () => plan.visible, now);
  return { ok: true, holdId: plan.holdAfter.id, transactionId, balances };
}

/**
 * Capture, void and expiry share everything but their decide: the hold (and its account) locked in
 * prefetch, one transaction that releases and (for a capture) posts, the hold's guarded transition.
 */
function holdChangeCommand(
  name: string,
  actor: Actor,
  idempotencyKey: string,
  request: { readonly holdId: string },
  decide: (snapshots: CommandSnapshots<HoldOutcome>, now: Date) => HoldChangePlan | LedgerError | Replay<HoldOutcome>,
): LedgerCommand<HoldChangePlan, HoldOutcome> {
  return {
    name,
    actor,
    idempotencyKey,
    request,
    prefetch: { accountIds: [], holdIds: [request.holdId] },
    decide,
    apply(plan, unit) {
      unit.applyChanges(plan.movement.changes);
      unit.applyRiskMovement(plan.movement);
      unit.applyHold(plan.holdAfter);
    },
    async write(database, plan, context) {
      const transactionId = newTransactionId();
      const outcome = outcomeOf(plan, transactionId, context.now);
      // A capture is the card debit itself: it carries where its hold was initiated (a foreign dispute's clock).
      const details = { description: null, externalRef: null, idempotencyKey: context.idempotencyKey, originCountry: plan.holdAfter.originCountry ?? null };
      const transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: plan.movement, details, now: context.now, outcome });
      await writeHoldTransition(database, {
        holdId: plan.holdAfter.id,
        status: plan.holdAfter.status,
        capturedMinor: plan.holdAfter.capturedMinor,
        transactionId,
        step: plan.step,
        now: context.now,
      });
      return { outcome, transaction };
    },
  };
}

export function captureHoldCommand(actor: Actor, given: CaptureHoldInput): LedgerCommand<HoldChangePlan, HoldOutcome> {
  const { idempotencyKey, ...rest } = given;
  const request = { holdId: canonicalId(rest.holdId), amount: rest.amount ?? null, final: rest.final ?? true };
  return holdChangeCommand('captureHold', actor, idempotencyKey, request, (snapshots, now) => decideCapture(request, snapshots, now));
}

export function voidHoldCommand(actor: Actor, given: VoidHoldInput): LedgerCommand<HoldChangePlan, HoldOutcome> {
  const request = { holdId: canonicalId(given.holdId) };
  return holdChangeCommand('voidHold', actor, given.idempotencyKey, request, (snapshots, now) => decideVoid(request, snapshots, now));
}

/** The system's expiry of one hold, under its deterministic key: run by the expiry scheduler. */
export function expireHoldCommand(holdId: string): LedgerCommand<HoldChangePlan, HoldOutcome> {
  const request = { holdId: canonicalId(holdId) };
  return holdChangeCommand('expireHold', SYSTEM_ACTOR, systemKey('expire', request.holdId), request, (snapshots, now) => decideExpiry(request, snapshots, now));
}

/** The system's scheduled release of one availability hold, under `release:<holdId>`: run by the scheduler. */
export function releaseAvailabilityCommand(holdId: string): LedgerCommand<HoldChangePlan, HoldOutcome> {
  const request = { holdId: canonicalId(holdId) };
  return holdChangeCommand('releaseAvailability', SYSTEM_ACTOR, systemKey('release', request.holdId), request, (snapshots, now) => decideRelease(request, snapshots, now));
}

export function captureHold(orm: MikroORM, actor: Actor, input: CaptureHoldInput, options?: UnitOptions): Promise<CommandResult<HoldOutcome>> {
  return runMovement(orm, captureHoldCommand(actor, input), options);
}

export function voidHold(orm: MikroORM, actor: Actor, input: VoidHoldInput, options?: UnitOptions): Promise<CommandResult<HoldOutcome>> {
  return runMovement(orm, voidHoldCommand(actor, input), options);
}
