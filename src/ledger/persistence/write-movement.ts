import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Actor, MovementPlan } from '../types.js';
import { internalAccountId } from './internal-accounts.js';
import { queryRows, type Database } from './database.js';
import { MAX_ENTRIES_PER_TRANSACTION } from '../limits.js';
import type { BalanceEvent } from '../../pubsub/channels.js';
import type { StoredBalance } from '../commands/idempotency.js';
import type { TransactionView } from '../queries/transactions.js';

export interface MovementDetails {
  readonly description: string | null;
  readonly externalRef: string | null;
  readonly idempotencyKey: string;
}

/** The success outcome to store under the command's idempotency key, in the same statement. */
export interface OutcomeRecord {
  readonly userId: string;
  readonly idempotencyKey: string;
  /** The balances the actor may see; each gets the movement's `asOf` in SQL. */
  readonly balances: readonly Omit<StoredBalance, 'asOf'>[];
}

export interface WrittenMovement {
  /** The transaction as a read of it would return it, so the response need not read it back. */
  readonly transaction: TransactionView;
  /** The movement's time as the ISO-8601 text stored in its outcome and balance events. */
  readonly asOf: string;
}

/**
 * Writes a decided movement: the transaction, its balanced entries and each customer account's
 * new balance and version. The version guard in the UPDATE can only miss if the row was not
 * locked, which would be a bug: it fails the whole transaction rather than write a wrong balance.
 */
export async function writeMovement(
  database: Database,
  actor: Actor,
  plan: MovementPlan,
  details: MovementDetails,
  /** The pending (held) amount of each customer account, unchanged by this movement. */
  pendingByAccount: ReadonlyMap<string, bigint>,
  outcome: OutcomeRecord,
): Promise<WrittenMovement> {
  const transactionId = randomUUID();
  const amount = plan.amountMinor.toString();
  const entryRows: unknown[][] = plan.customerLegs.map((leg) => [
    transactionId, leg.accountId, leg.direction, amount, plan.currency, leg.versionAfter, leg.postedAfterMinor.toString(),
  ]);
  if (plan.internalLeg) {
    const accountId = await internalAccountId(database, plan.internalLeg.internalCode, { currency: plan.currency, exponent: plan.currencyExponent });
    entryRows.push([transactionId, accountId, plan.internalLeg.direction, amount, plan.currency, null, null]);
  }
  // Law 1, asserted here and again by a deferred trigger at commit.
  const credits = entryRows.filter((row) => row[2] === 'CREDIT').length;
  assert.ok(entryRows.length >= 2 && credits * 2 === entryRows.length, 'a movement must have balanced entries');
  // The query cost model prices `entries` and `balances` by this bound; a larger movement must raise it.
  assert.ok(entryRows.length <= MAX_ENTRIES_PER_TRANSACTION, 'a movement has at most MAX_ENTRIES_PER_TRANSACTION entries');

  // One statement, one round trip: the transaction, its entries, each customer account's new
  // balance and version, the balance events for the outbox (law 6: same database transaction;
  // the relay publishes them only after commit) and the outcome under the idempotency key. The version guard in each UPDATE can only miss if
  // the row was not locked, which would be a bug: the count check below then fails the whole unit.
  const legs = plan.customerLegs;
  const events = legs.map((leg) =>
    JSON.stringify({
      accountId: leg.accountId,
      version: leg.versionAfter,
      currency: plan.currency,
      currencyExponent: plan.currencyExponent,
      postedMinor: leg.postedAfterMinor.toString(),
      pendingMinor: (pendingByAccount.get(leg.accountId) ?? 0n).toString(),
      transactionId,
    } satisfies Omit<BalanceEvent, 'asOf'>),
  );
  const [written] = await queryRows<{ posted_at: Date | string; as_of: string; accounts_updated: number; outcomes_recorded: number }>(
    database,
    // Stamped with the clock after the row locks were taken (not now(), the transaction's start):
    // a later version of an account never carries an earlier time.
    `with stamp as (
       select at, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as as_of
         from (select clock_timestamp() as at) clock),
     movement as (
       insert into ledger_transactions
         (id, kind, channel, status, amount_minor, currency, currency_exponent, description, external_ref, idempotency_key, initiated_by, created_at, posted_at)
       select ?, ?, ?, 'POSTED', ?, ?, ?, ?, ?, ?, ?, stamp.at, stamp.at from stamp
       returning posted_at),
     postings as (
       insert into entries (transaction_id, account_id, direction, amount_minor, currency, account_version, balance_after_minor, created_at)
       select e.*, stamp.at from stamp, (values ${entryRows.map(() => '(?::uuid, ?::uuid, ?, ?::bigint, ?, ?::integer, ?::bigint)').join(', ')}) as e),
     balances as (
       update accounts a set posted_minor = n.posted_minor, version = n.version, updated_at = (select at from stamp)
         from (values ${legs.map(() => '(?::uuid, ?::bigint, ?::integer, ?::integer)').join(', ')}) as n (id, posted_minor, version, version_before)
        where a.id = n.id and a.version = n.version_before
       returning a.id),
     events as (
       insert into outbox_events (account_id, account_version, payload)
       select e.account_id, e.account_version,
              e.payload || jsonb_build_object('asOf', stamp.as_of)
         from stamp, (values ${legs.map(() => '(?::uuid, ?::integer, ?::jsonb)').join(', ')}) as e (account_id, account_version, payload)),
     recorded as (
       update idempotency_records r
          set outcome = jsonb_build_object('ok', true, 'transactionId', ?::text, 'balances',
                (select coalesce(jsonb_agg(b.value || jsonb_build_object('asOf', stamp.as_of) order by b.ordinality), '[]'::jsonb)
                   from jsonb_array_elements(?::jsonb) with ordinality as b))
         from stamp
        where r.user_id = ? and r.key = ?
       returning 1)
     select (select posted_at from movement) as posted_at, (select as_of from stamp) as as_of,
            (select count(*)::int from balances) as accounts_updated, (select count(*)::int from recorded) as outcomes_recorded`,
    [
      transactionId, plan.kind, plan.channel, amount, plan.currency, plan.currencyExponent, details.description, details.externalRef, details.idempotencyKey, actor.userId,
      ...entryRows.flat(),
      ...legs.flatMap((leg) => [leg.accountId, leg.postedAfterMinor.toString(), leg.versionAfter, leg.versionBefore]),
      ...legs.flatMap((leg, index) => [leg.accountId, leg.versionAfter, events[index]]),
      transactionId, JSON.stringify(outcome.balances), outcome.userId, outcome.idempotencyKey,
    ],
  );
  assert.ok(written);
  assert.equal(written.accounts_updated, legs.length, 'a customer account changed under its row lock');
  assert.equal(written.outcomes_recorded, 1, 'the idempotency claim is missing when recording the outcome');
  const postedAt = new Date(written.posted_at);
  return {
    transaction: {
      id: transactionId,
      kind: plan.kind,
      channel: plan.channel,
      status: 'POSTED',
      amountMinor: plan.amountMinor,
      currency: plan.currency,
      currencyExponent: plan.currencyExponent,
      description: details.description,
      externalRef: details.externalRef,
      idempotencyKey: details.idempotencyKey,
      initiatedBy: actor.userId,
      createdAt: postedAt,
      postedAt,
    },
    asOf: written.as_of,
  };
}
