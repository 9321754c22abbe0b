import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/*
 * The statement-level triggers on entries (the balance check, the risk lines' copy) join the
 * statement's new rows to whole tables. The planner has no statistics on a transition table and
 * plpgsql keeps a connection's first plan, so a big first statement could leave a hash join over
 * a sequential scan of every entry and every account owner, paid by every write after it
 * (migration 20261205100000: 2.7 ms and 6.1 ms per grouped write on the bench). This test sizes
 * both tables past that point, sends one statement of 60 movements on a fresh connection, and
 * counts the sequential scans that statement's triggers made (pg_stat_xact_user_tables, before and after).
 */

const PADDING_ACCOUNTS = 10_000;
const MOVEMENTS = 60;

let t: TestApp;
let alice: TestUser;
let cashier: TestUser;
let vaultId: string;

/** Movements of 0.01 between each of `accountIds` and the vault, all written by one statement (as a grouped write is). */
async function moveInOneStatement(
  queryable: Pick<pg.Pool, 'query'>,
  move: { kind: string; channel: string; initiatedBy: string; accountIds: readonly string[]; customerSide: 'CREDIT' | 'DEBIT'; version: number; balanceAfter: number },
): Promise<void> {
  await queryable.query(
    `with pad as (select a.account_id, gen_random_uuid() as transaction_id from unnest($1::uuid[]) as a(account_id)),
     moved as (
       insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by, created_at, posted_at)
       select p.transaction_id, $2, $3, 'POSTED', 1, 'USD', 2, 'plan-' || p.transaction_id, $4::uuid, now(), now() from pad p)
     insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer, account_version, balance_after_minor, pending_after_minor, created_at)
     select p.transaction_id, p.account_id, $5, 1, 'USD', 'POSTED', $6::int, $7::bigint, 0, now() from pad p
     union all
     select p.transaction_id, $8::uuid, case $5 when 'CREDIT' then 'DEBIT' else 'CREDIT' end, 1, 'USD', 'POSTED', null, null, null, now() from pad p`,
    [move.accountIds, move.kind, move.channel, move.initiatedBy, move.customerSide, move.version, move.balanceAfter, vaultId],
  );
}

beforeAll(async () => {
  t = await startTestApp();
  await t.disableRiskRules();
  alice = await t.user();
  cashier = await t.cashier();
  // Opening an account creates the bank's internal accounts; its funding deposit credits the vault.
  await t.account(alice, { opening: '100.00' });
  const pool = t.database.pool;
  await pool.query(
    `with opened as (
       insert into accounts (id, number, holder, type, currency, currency_exponent)
       select gen_random_uuid(), 'PAD-' || g, 'CUSTOMER', 'CHECKING', 'USD', 2 from generate_series(1, $1::int) g returning id)
     insert into user_accounts (user_id, account_id) select $2::uuid, id from opened`,
    [PADDING_ACCOUNTS, alice.id],
  );
  // A cash deposit of 0.01 into each padded account (two entries each), so entries is large too.
  vaultId = (await pool.query<{ id: string }>(`select e.account_id as id from entries e where e.account_version is null limit 1`)).rows[0]!.id;
  const { rows: opened } = await pool.query<{ id: string }>(`update accounts set posted_minor = 1, version = 1, updated_at = now() where number like 'PAD-%' returning id`);
  await moveInOneStatement(pool, { kind: 'DEPOSIT', channel: 'CASH', initiatedBy: cashier.id, accountIds: opened.map((row) => row.id), customerSide: 'CREDIT', version: 1, balanceAfter: 1 });
  await pool.query('analyze entries');
  await pool.query('analyze user_accounts');
}, 120_000);
afterAll(() => t?.close());

describe('the statement triggers on entries', () => {
  it('reach entries and user_accounts by index for a statement of many movements, never by scanning them', async () => {
    const pool = t.database.pool;
    const { rows: padded } = await pool.query<{ id: string }>(`select id from accounts where number like 'PAD-%' order by id limit $1`, [MOVEMENTS]);
    const client = await pool.connect();
    try {
      await client.query('begin');
      // The counts a backend has not yet reported include its earlier transactions': compare before and after.
      const scans = async () =>
        (await client.query<{ relname: string; seq_scan: string }>(`select relname, seq_scan from pg_stat_xact_user_tables where relname in ('entries', 'user_accounts') order by relname`)).rows.map(
          (row) => [row.relname, Number(row.seq_scan)] as const,
        );
      const before = await scans();
      // Sixty withdrawals of 0.01 by ACH from sixty padded accounts (version 2), each into the vault.
      await moveInOneStatement(client, { kind: 'WITHDRAWAL', channel: 'ACH', initiatedBy: alice.id, accountIds: padded.map((row) => row.id), customerSide: 'DEBIT', version: 2, balanceAfter: 0 });
      const { rows: copied } = await client.query<{ lines: string }>(`select count(*) as lines from risk_lines where customer_id = $1 and kind = 'WITHDRAWAL'`, [alice.id]);
      // The copy ran, and counted each withdrawal as leaving the customer: the triggers did their work.
      expect(Number(copied[0]!.lines)).toBe(MOVEMENTS);
      const after = await scans();
      expect(after.map(([table, count], index) => [table, count - (before[index]?.[1] ?? 0)])).toEqual([
        ['entries', 0],
        ['user_accounts', 0],
      ]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
