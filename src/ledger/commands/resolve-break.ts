import type { MikroORM } from '@mikro-orm/postgresql';
import { canonicalId, isId } from '../persistence/database.js';
import { insertMatch } from '../persistence/reconciliation-runs.js';
import { readEntryFacts, settlementEntryOf } from '../persistence/lock-breaks.js';
import { recordOutcome } from '../persistence/idempotency-records.js';
import { writeBreakResolution } from '../persistence/write-break-resolution.js';
import { newTransactionId, writeMovement } from '../persistence/write-movement.js';
import type { BreakAction, EntryFact } from '../reconciliation/break-snapshot.js';
import { decideResolveBreak, type BreakResolutionPlan } from '../reconciliation/decide-resolve-break.js';
import type { Actor } from '../types.js';
import type { BreakResolutionOutcome, CommandResult, LedgerCommand, Success } from './command.js';
import { runCommand, type UnitOptions } from './run-command.js';

export interface ResolveBreakInput {
  readonly breakId: string;
  readonly action: BreakAction;
  readonly entryIds: readonly string[];
  readonly reason: string | null;
  readonly idempotencyKey: string;
}

/**
 * An operator resolves a reconciliation break through the command envelope: the break is locked
 * first (two resolutions queue; the second finds it resolved), decided purely, then written with
 * its match (MATCH: the line and the named entries; ADJUST: the line or entries and the
 * adjustment's own settlement entry, so no later run reports them again) and the outcome under the
 * key. The named entries are read before the unit (entries never change); whether they are
 * matched is read then too, and the matched-once primary keys stay the last word.
 */
export function resolveBreakCommand(actor: Actor, given: ResolveBreakInput, entries: ReadonlyMap<string, EntryFact>): LedgerCommand<BreakResolutionPlan, BreakResolutionOutcome> {
  const input = { ...given, breakId: isId(given.breakId) ? canonicalId(given.breakId) : given.breakId, entryIds: given.entryIds.map((id) => (isId(id) ? canonicalId(id) : id)) };
  const { idempotencyKey, ...request } = input;
  return {
    name: 'resolveBreak',
    actor,
    idempotencyKey,
    request,
    prefetch: { accountIds: [], ...(actor.role === 'OPERATOR' ? { breakIds: [input.breakId] } : {}) },
    decide: (snapshots, now) => decideResolveBreak(request, entries, snapshots, now),
    apply(plan, unit) {
      unit.applyBreak({ ...plan.before, status: plan.status });
    },
    async write(database, plan, context) {
      const transactionId = plan.adjustment ? newTransactionId() : undefined;
      const outcome: Success<BreakResolutionOutcome> = { ok: true, breakId: plan.before.id, ...(transactionId ? { transactionId } : {}) };
      const { before } = plan;
      if (plan.adjustment && transactionId) {
        const details = { description: `Reconciliation adjustment: ${plan.reason ?? ''}`, externalRef: null, idempotencyKey: context.idempotencyKey };
        const transaction = await writeMovement(database, transactionId, { actor: context.actor, plan: plan.adjustment, details, now: context.now, outcome });
        const adjustmentEntry = await settlementEntryOf(database, transactionId, before.channel);
        await insertMatch(database, { runId: null, breakId: before.id, strategy: 'ADJUSTMENT', lineIds: before.lineId ? [before.lineId] : [], entryIds: [...before.entryIds, adjustmentEntry], now: context.now });
        await writeBreakResolution(database, plan, context.actor.userId, transactionId, context.now);
        return { outcome, transaction };
      }
      if (plan.status === 'MATCHED') {
        await insertMatch(database, { runId: null, breakId: before.id, strategy: 'MANUAL', lineIds: before.lineId ? [before.lineId] : [], entryIds: plan.matchedEntryIds, now: context.now });
      }
      await writeBreakResolution(database, plan, context.actor.userId, null, context.now);
      await recordOutcome(database, context.actor.userId, context.idempotencyKey, outcome);
      return { outcome };
    },
  };
}

export async function resolveBreak(orm: MikroORM, actor: Actor, input: ResolveBreakInput, options?: UnitOptions): Promise<CommandResult<BreakResolutionOutcome>> {
  const facts = await readEntryFacts(orm.em.fork(), input.entryIds.filter(isId).map(canonicalId));
  return runCommand(orm, resolveBreakCommand(actor, input, new Map(facts.map((fact) => [fact.publicId, fact]))), options);
}
