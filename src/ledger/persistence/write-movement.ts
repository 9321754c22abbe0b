import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import sql, { join, type Sql } from 'sql-template-tag';
import { isCorrection, type Actor, type MovementPlan } from '../types.js';
import { internalAccountId } from './internal-accounts.js';
import { queryStatement, type Database } from './database.js';
import { MAX_ENTRIES_PER_TRANSACTION } from '../limits.js';
import type { BalanceEvent } from '../balance-event.js';
import type { StoredOutcome, Success } from '../commands/command.js';
import type { TransactionView } from '../queries/transactions.js';

export interface MovementDetails {
  readonly description: string | null;
  readonly externalRef: string | null;
  readonly idempotencyKey: string;
  /** A reversal's original, or a return's deposit: the link is on the new row (unique: undone at most once). */
  readonly reversesTransactionId?: string | null;
  /** A RETURN's reason (required on a RETURN by the database). */
  readonly returnReason?: string | null;
  /** Where a withdrawal or card debit was initiated (ISO 3166-1 alpha-2); null when not said. */
  readonly originCountry?: string | null;
}

/** Everything one movement writes, decided before the statement is built. */
export interface MovementWrite {
  readonly actor: Actor;
  readonly plan: MovementPlan;
  readonly details: MovementDetails;
  /** The unit's clock: every row of the movement carries it. */
  readonly now: Date;
  /** Stored under the actor's key by the same statement. */
  readonly outcome: Success<StoredOutcome>;
  /** Extra rows the movement's unit writes, as CTEs of the same statement (the risk decision): one round trip still. */
  readonly alsoWrite?: readonly Sql[];
}

/*
 * The one statement of a movement, built from named fragments, each a CTE carrying its own
 * parameters (sql-template-tag), instead of one long string beside a flattened positional array.
 */

function stamp(now: Date): Sql {
  return sql`stamp as (select ${now.toISOString()}::timestamptz as at)`;
}

function transactionRow(transactionId: string, write: MovementWrite): Sql {
  const { plan, details, actor } = write;
  return sql`movement as (
    insert into ledger_transactions
      (id, kind, channel, status, amount_minor, currency, currency_exponent, description, external_ref, idempotency_key, initiated_by, created_at, posted_at, reverses_transaction_id, return_reason, origin_country)
    select ${transactionId}::uuid, ${plan.kind}, ${plan.channel}, ${plan.status ?? 'POSTED'}, ${plan.amountMinor.toString()}::bigint, ${plan.currency}, ${plan.currencyExponent}::smallint,
           ${details.description}::text, ${details.externalRef}::text, ${details.idempotencyKey}::text, ${actor.userId}::uuid, stamp.at,
           case when ${plan.status ?? 'POSTED'} = 'POSTED' then stamp.at end, ${details.reversesTransactionId ?? null}::uuid,
           ${details.returnReason ?? null}::text, ${details.originCountry ?? null}::text from stamp
    returning id)`;
}

/** Each entry with its own amount and layer; a customer account's entry is its history line. */
async function entryRows(database: Database, transactionId: string, plan: MovementPlan): Promise<Sql> {
  const changes = new Map(plan.changes.map((change) => [change.accountId, change]));
  // A customer account's first entry is its history line (plan-movement.ts); later ones carry no version.
  const lined = new Set<string>();
  const rows = await Promise.all(
    plan.entries.map(async (entry) => {
      const customerId = 'customerAccountId' in entry.target ? entry.target.customerAccountId : undefined;
      const change = customerId && !lined.has(customerId) ? changes.get(customerId) : undefined;
      if (customerId) lined.add(customerId);
      const accountId =
        'customerAccountId' in entry.target
          ? entry.target.customerAccountId
          : await internalAccountId(database, entry.target.internalCode, { currency: plan.currency, exponent: plan.currencyExponent });
      return sql`(${transactionId}::uuid, ${accountId}::uuid, ${entry.direction}, ${entry.amountMinor.toString()}::bigint, ${plan.currency}, ${entry.layer},
                  ${change?.versionAfter ?? null}::integer, ${change?.postedAfterMinor.toString() ?? null}::bigint, ${change?.pendingAfterMinor.toString() ?? null}::bigint)`;
    }),
  );
  // The query cost model prices `entries` by this bound; a larger movement must raise it.
  assert.ok(rows.length <= MAX_ENTRIES_PER_TRANSACTION, 'a movement has at most MAX_ENTRIES_PER_TRANSACTION entries');
  return sql`postings as (
    insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer, account_version, balance_after_minor, pending_after_minor, created_at)
    select e.*, stamp.at from stamp, (values ${join(rows)}) as e)`;
}

/**
 * The version guard can only miss if the row was not locked, a bug: the count check then fails the
 * unit. A correction marks its version as corrected: only such a change may take available below
 * minus the overdraft limit (the accounts_no_overdraft trigger).
 */
function balanceUpdates(plan: MovementPlan): Sql {
  // A movement between internal accounts only (a reconciliation adjustment) changes no stored balance.
  if (plan.changes.length === 0) return sql`balances as (select null::uuid as id where false)`;
  const correction = isCorrection(plan);
  const rows = plan.changes.map(
    (change) =>
      sql`(${change.accountId}::uuid, ${change.postedAfterMinor.toString()}::bigint, ${change.pendingAfterMinor.toString()}::bigint, ${change.versionAfter}::integer, ${change.versionBefore}::integer, ${correction ? change.versionAfter : null}::integer)`,
  );
  return sql`balances as (
    update accounts a set posted_minor = n.posted_minor, pending_minor = n.pending_minor, version = n.version, updated_at = (select at from stamp),
           corrected_at_version = coalesce(n.corrected_at_version, a.corrected_at_version)
      from (values ${join(rows)}) as n (id, posted_minor, pending_minor, version, version_before, corrected_at_version)
     where a.id = n.id and a.version = n.version_before
    returning a.id)`;
}

/** Law 6: the balance events go to the outbox in the same transaction; the relay publishes them after commit. */
function outboxEvents(transactionId: string, write: MovementWrite): Sql {
  const { plan, now } = write;
  if (plan.changes.length === 0) return sql`events as (select 1 where false)`;
  const rows = plan.changes.map((change) => {
    const event: BalanceEvent = {
      accountId: change.accountId,
      version: change.versionAfter,
      currency: plan.currency,
      currencyExponent: plan.currencyExponent,
      postedMinor: change.postedAfterMinor.toString(),
      pendingMinor: change.pendingAfterMinor.toString(),
      transactionId,
      asOf: now.toISOString(),
    };
    return sql`(${change.accountId}::uuid, ${change.versionAfter}::integer, ${JSON.stringify(event)}::jsonb)`;
  });
  return sql`events as (
    insert into outbox_events (account_id, account_version, payload)
    select * from (values ${join(rows)}) as e (account_id, account_version, payload))`;
}

function outcomeRecord(write: MovementWrite): Sql {
  return sql`recorded as (
    update idempotency_records set outcome = ${JSON.stringify(write.outcome)}::jsonb
     where user_id = ${write.actor.userId}::uuid and key = ${write.details.idempotencyKey}::text
    returning 1)`;
}

/**
 * Writes a decided movement in one statement, one round trip: the transaction, its entries, each
 * customer account's new balances and version, the outbox events and the outcome under the key.
 */
export async function writeMovement(database: Database, transactionId: string, write: MovementWrite): Promise<TransactionView> {
  const { plan, details, actor, now } = write;
  const [written] = await queryStatement<{ accounts_updated: number; outcomes_recorded: number }>(
    database,
    sql`with ${join([stamp(now), transactionRow(transactionId, write), await entryRows(database, transactionId, plan), balanceUpdates(plan), outboxEvents(transactionId, write), outcomeRecord(write), ...(write.alsoWrite ?? [])], ',\n')}
     select (select count(*)::int from balances) as accounts_updated, (select count(*)::int from recorded) as outcomes_recorded`,
  );
  assert.ok(written);
  assert.equal(written.accounts_updated, plan.changes.length, 'a customer account changed under its row lock');
  assert.equal(written.outcomes_recorded, 1, 'the idempotency claim is missing when recording the outcome');
  return {
    id: transactionId,
    kind: plan.kind,
    channel: plan.channel,
    status: plan.status ?? 'POSTED',
    amountMinor: plan.amountMinor,
    currency: plan.currency,
    currencyExponent: plan.currencyExponent,
    description: details.description,
    externalRef: details.externalRef,
    originCountry: details.originCountry ?? null,
    idempotencyKey: details.idempotencyKey,
    initiatedBy: actor.userId,
    createdAt: now,
    postedAt: (plan.status ?? 'POSTED') === 'POSTED' ? now : null,
    reversesTransactionId: plan.kind === 'REVERSAL' ? (details.reversesTransactionId ?? null) : null,
    reversedByTransactionId: null,
    returnsTransactionId: plan.kind === 'RETURN' ? (details.reversesTransactionId ?? null) : null,
    returnedByTransactionId: null,
    returnReason: details.returnReason ?? null,
  };
}

export const newTransactionId = (): string => randomUUID();
