import assert from 'node:assert/strict';
import sql from 'sql-template-tag';
import { queryStatement, type Database } from './database.js';
import type { OpenDisputePlan, DisputeStepPlan } from '../disputes/dispute-plans.js';
import { EVENT_STEP_OF } from '../disputes/dispute-states.js';

/** Inserts a new dispute and its first event (OPENED) in one statement, in the unit that decided it. */
export async function insertDispute(database: Database, plan: OpenDisputePlan, actorId: string, now: Date): Promise<void> {
  const at = now.toISOString();
  const [row] = await queryStatement<{ events: number }>(
    database,
    sql`with opened as (
          insert into disputes (id, transaction_id, account_id, status, reason, description, amount_minor, currency, currency_exponent, opened_by,
                                created_at, updated_at, provisional_credit_by, resolution_by)
          values (${plan.id}::uuid, ${plan.transactionId}::uuid, ${plan.accountId}::uuid, 'OPEN', ${plan.reason}, ${plan.description}::text,
                  ${plan.amountMinor.toString()}::bigint, ${plan.currency}, ${plan.currencyExponent}::smallint, ${actorId}::uuid,
                  ${at}::timestamptz, ${at}::timestamptz, ${plan.provisionalCreditBy.toISOString()}::timestamptz, ${plan.resolutionBy.toISOString()}::timestamptz)
          returning id),
        first_event as (
          insert into dispute_events (dispute_id, sequence, step, status, actor_id, note, transaction_id, created_at)
          select id, 1, 'OPENED', 'OPEN', ${actorId}::uuid, null, null, ${at}::timestamptz from opened
          returning 1)
        select (select count(*)::int from first_event) as events`,
  );
  assert.equal(row?.events, 1, 'the dispute was not written');
}

/**
 * Moves a dispute on, guarded: only a row still in the status the step was decided from changes
 * (it is locked by the unit, so a miss is a bug and fails the unit), the money step's transaction
 * is linked, and the step's event is appended, in one statement. The database's trigger refuses
 * any other transition (migration 20261201140000).
 */
export async function writeDisputeStep(database: Database, plan: DisputeStepPlan, actorId: string, transactionId: string | undefined, now: Date): Promise<void> {
  const at = now.toISOString();
  const credit = plan.money === 'CREDIT' ? (transactionId ?? null) : null;
  const reversal = plan.money === 'REVERSE_CREDIT' ? (transactionId ?? null) : null;
  const [row] = await queryStatement<{ updated: number; events: number }>(
    database,
    sql`with moved as (
          update disputes set status = ${plan.after.status}, updated_at = ${at}::timestamptz,
                 credit_transaction_id = coalesce(${credit}::uuid, credit_transaction_id),
                 credit_reversal_transaction_id = coalesce(${reversal}::uuid, credit_reversal_transaction_id),
                 reversal_noticed_at = coalesce(${plan.after.reversalNoticedAt?.toISOString() ?? null}::timestamptz, reversal_noticed_at),
                 reversal_not_before = coalesce(${plan.after.reversalNotBefore?.toISOString() ?? null}::timestamptz, reversal_not_before)
           where id = ${plan.before.id}::uuid and status = ${plan.before.status}
          returning id),
        event as (
          insert into dispute_events (dispute_id, sequence, step, status, actor_id, note, transaction_id, created_at)
          select id, ${plan.after.eventCount}::integer, ${EVENT_STEP_OF[plan.step]}, ${plan.after.status}, ${actorId}::uuid, ${plan.note}::text,
                 ${transactionId ?? null}::uuid, ${at}::timestamptz from moved
          returning 1)
        select (select count(*)::int from moved) as updated, (select count(*)::int from event) as events`,
  );
  assert.ok(row && row.updated === 1 && row.events === 1, `dispute ${plan.before.id} was not ${plan.before.status} under its row lock`);
}
