import assert from 'node:assert/strict';
import sql, { join, Sql } from 'sql-template-tag';
import { quoteLongText } from '../../db/sql-literal.js';
import type { Database } from './database.js';
import type { MovementRows } from './movement-rows.js';

/**
 * Writes decided movements of one unit, in their order, as ONE statement of multi-row CTEs: every
 * ledger_transactions row, every entry (each history line its movement's own version and
 * balances), ONE update per customer account to its final balances and version (guarded by its
 * version before the first of these movements), every outbox event, every outcome under its key
 * (one update ... from), and the judged movements' risk decisions. Rows travel as one jsonb array per table:
 * a constant number of parameters however many movements (PostgreSQL allows 65,535 a statement).
 */

/** One account's update: the last change's balances, guarded by the first change's version before. */
interface AccountUpdate {
  readonly id: string;
  posted_minor: string;
  pending_minor: string;
  version: number;
  readonly version_before: number;
  corrected_at_version: number | null;
}

/**
 * Folds the movements' changes per account. Each change must start where the previous one of the
 * account ended (the unit applied them in this order): anything else is a bug, and fails the unit.
 * Folding is sound for the overdraft trigger: every step was allowed, so the last state is either
 * above the line or not below the first one; a correction (allowed as its own version only) is
 * flushed alone (movement-buffer.ts), and its version is the corrected one.
 */
function accountUpdates(movements: readonly MovementRows[]): AccountUpdate[] {
  const updates = new Map<string, AccountUpdate>();
  for (const movement of movements) {
    for (const change of movement.changes) {
      const update = updates.get(change.accountId);
      assert.ok(!update || update.version === change.versionBefore, `account ${change.accountId} changed out of order in its unit`);
      const next = update ?? { id: change.accountId, version_before: change.versionBefore, posted_minor: '', pending_minor: '', version: 0, corrected_at_version: null };
      next.posted_minor = change.postedAfterMinor.toString();
      next.pending_minor = change.pendingAfterMinor.toString();
      next.version = change.versionAfter;
      next.corrected_at_version = movement.correction ? change.versionAfter : next.corrected_at_version;
      updates.set(change.accountId, next);
    }
  }
  return [...updates.values()];
}

const json = (rows: unknown): string => JSON.stringify(rows);

/** The transactions' rows as a JSON array, each judged one with its decision (already JSON text) as `risk_decision`. */
function transactionsJson(movements: readonly MovementRows[]): string {
  const rows = movements.map((movement) => {
    const row = JSON.stringify(movement.transaction);
    return movement.riskDecision === null ? row : `${row.slice(0, -1)},"risk_decision":${movement.riskDecision}}`;
  });
  return `[${rows.join(',')}]`;
}

/** `values` as an array the planner counts (each one a parameter); empty when a movement touches no customer account. */
function constantArray(values: readonly string[], type: 'uuid' | 'text'): Sql {
  if (values.length === 0) return type === 'uuid' ? sql`'{}'::uuid[]` : sql`'{}'::text[]`;
  return type === 'uuid' ? sql`array[${join(values)}]::uuid[]` : sql`array[${join(values)}]::text[]`;
}

/** Transaction id → request id of the movements that came in a request. */
function movementRequests(movements: readonly MovementRows[]): Record<string, string> {
  return Object.fromEntries(movements.flatMap((movement) => (movement.requestId === null ? [] : [[String(movement.transaction.id), movement.requestId]])));
}

function rowsStatement(movements: readonly MovementRows[], updates: readonly AccountUpdate[]): Sql {
  const at = movements[0]?.at ?? new Date().toISOString();
  const ctes = [
    sql`movement as (
      insert into ledger_transactions
        (id, kind, channel, status, amount_minor, currency, currency_exponent, description, external_ref, idempotency_key, initiated_by, created_at, posted_at, reverses_transaction_id, return_reason, origin_country, risk_decision)
      select t.* from jsonb_to_recordset(${transactionsJson(movements)}::jsonb) as t
        (id uuid, kind text, channel text, status text, amount_minor bigint, currency text, currency_exponent smallint, description text, external_ref text,
         idempotency_key text, initiated_by uuid, created_at timestamptz, posted_at timestamptz, reverses_transaction_id uuid, return_reason text, origin_country text, risk_decision jsonb))`,
    sql`postings as (
      insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer, account_version, balance_after_minor, pending_after_minor, created_at)
      select e.* from jsonb_to_recordset(${json(movements.flatMap((movement) => movement.entries))}::jsonb) as e
        (transaction_id uuid, account_id uuid, direction text, amount_minor bigint, currency text, layer text, account_version integer, balance_after_minor bigint, pending_after_minor bigint, created_at timestamptz))`,
    // Each update also names its rows as a constant array: the planner reads jsonb_to_recordset as
    // 100 rows and would otherwise hash-join a sequential scan of the whole table (every account,
    // every idempotency record ever kept) into each movement; the arrays give it an index scan.
    sql`balances as (
      update accounts a set posted_minor = n.posted_minor, pending_minor = n.pending_minor, version = n.version, updated_at = ${at}::timestamptz,
             corrected_at_version = coalesce(n.corrected_at_version, a.corrected_at_version)
        from jsonb_to_recordset(${json(updates)}::jsonb) as n (id uuid, posted_minor bigint, pending_minor bigint, version integer, version_before integer, corrected_at_version integer)
       where a.id = n.id and a.version = n.version_before and a.id = any(${constantArray(updates.map((update) => update.id), 'uuid')})
      returning a.id)`,
    sql`events as (
      insert into outbox_events (account_id, account_version, payload)
      select e.* from jsonb_to_recordset(${json(movements.flatMap((movement) => movement.events))}::jsonb) as e (account_id uuid, account_version integer, payload jsonb))`,
    sql`recorded as (
      update idempotency_records r set outcome = v.outcome
        from jsonb_to_recordset(${json(movements.map((movement) => movement.outcome))}::jsonb) as v (user_id uuid, key text, outcome jsonb)
       where r.user_id = v.user_id and r.key = v.key
         and r.user_id = any(${constantArray(movements.map((movement) => movement.outcome.user_id), 'uuid')}) and r.key = any(${constantArray(movements.map((movement) => movement.outcome.key), 'text')})
      returning 1)`,
    // Each movement's request, for the journal's trigger (migration 20261204400000): set while the
    // statement runs, read after it. Referenced by the final select, or it would never run. A
    // movement of no request is left out: its record names the transaction's `tally.request_id`,
    // which work in its own transaction sets (movement-buffer.ts sends it in a unit).
    sql`requests as (select set_config('tally.movement_requests', ${json(movementRequests(movements))}, true) as requests)`,
  ];
  // The counts are checked by the statement itself (tally_assert, migration 20261210100000): a
  // unit's last write carries its COMMIT (pipelined-transactions.ts), which a failed check must stop.
  return sql`with ${join(ctes, ',\n')},
    counted as (select (select count(*)::int from balances) as accounts_updated, (select count(*)::int from recorded) as outcomes_recorded,
                       (select count(*)::int from requests) as requests_set)
    select c.accounts_updated, c.outcomes_recorded, c.requests_set,
           tally_assert(c.accounts_updated = ${updates.length} and c.outcomes_recorded = ${movements.length},
                        format('the movement write updated %s of %s accounts (one changed under its row lock) and recorded %s of %s outcomes (a claim is missing)',
                               c.accounts_updated, ${updates.length}, c.outcomes_recorded, ${movements.length})) as checked
      from counted c`;
}

/** What the write statement answers: how many accounts and outcomes it updated. */
interface Written {
  readonly accounts_updated: number;
  readonly outcomes_recorded: number;
}

/** The rows of one statement's result, as MikroORM gives them for either method ('all': the rows; 'run': an object holding them). */
function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  return (result as { rows?: unknown[] } | undefined)?.rows ?? [];
}

/**
 * The movements' write statement and the check of what it answered. The version guard can only
 * miss if a row was not locked (a bug), and the count checks then fail the unit.
 */
export function movementWrite(movements: readonly MovementRows[]): { readonly statement: Sql; readonly check: (result: unknown) => void } {
  const updates = accountUpdates(movements);
  return {
    statement: rowsStatement(movements, updates),
    check: (result) => {
      const [written] = rowsOf(result) as Written[];
      assert.ok(written, 'the movement write statement answered no row');
      assert.equal(written.accounts_updated, updates.length, 'a customer account changed under its row lock');
      assert.equal(written.outcomes_recorded, movements.length, 'the idempotency claim is missing when recording the outcome');
    },
  };
}

/** Writes them now, straight on the entity manager, not through db/sql.ts: it IS the flush the barrier there waits for. */
export async function writeMovements(database: Database, movements: readonly MovementRows[]): Promise<void> {
  if (movements.length === 0) return;
  const { statement, check } = movementWrite(movements);
  check(await database.execute(statement.sql, quoteLongText(statement.values), 'all'));
}
