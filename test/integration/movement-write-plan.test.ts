import { randomUUID } from 'node:crypto';
import { SqlEntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { transfer } from '../../src/ledger/commands/transfer.js';
import { RIDING_COMMIT } from '../../src/db/pipelined-transactions.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/*
 * The movement's write statement (write-movements.ts) updates its accounts and its idempotency
 * records from jsonb_to_recordset, which the planner reads as 100 rows whatever it holds. Joined
 * on that guess alone, the update hash-joins a sequential scan of the whole table: every account
 * of the bank and every idempotency record ever kept, once per movement (2-3 ms of PostgreSQL per
 * movement at 10,000 accounts on the bench, and growing with every key). Each update also names
 * its rows as a constant array, which the planner counts: an index scan. This test sizes both
 * tables past the point where the guess picks the scan and reads the plan of a real transfer's
 * statement (EXPLAIN only plans: nothing runs twice).
 */

const PADDING_ROWS = 20_000;

let t: TestApp;
let alice: TestUser;
let from: string;
let to: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.disableRiskRules();
  alice = await t.user();
  from = await t.account(alice, { opening: '100.00' });
  to = await t.account(alice);
  const pool = t.database.pool;
  await pool.query(
    `insert into accounts (id, number, holder, type, currency, currency_exponent) select gen_random_uuid(), 'PAD-' || g, 'CUSTOMER', 'CHECKING', 'USD', 2 from generate_series(1, $1::int) g`,
    [PADDING_ROWS],
  );
  await pool.query(
    `insert into idempotency_records (user_id, key, command, request_hash, outcome) select $1, 'pad-' || g, 'deposit', 'pad', '{"ok":true}' from generate_series(1, $2::int) g`,
    [alice.id, PADDING_ROWS],
  );
  await pool.query('analyze accounts');
  await pool.query('analyze idempotency_records');
}, 120_000);
afterAll(() => t?.close());

describe('the movement write statement', () => {
  it('updates the accounts and the idempotency record it names by index, never by scanning either table', async () => {
    // The statement and its parameters as the writer hands them to the entity manager.
    const execute = vi.spyOn(SqlEntityManager.prototype, 'execute');
    const moved = await transfer(t.app.orm, { userId: alice.id, role: 'CUSTOMER' }, { fromAccountId: from, toAccountId: to, amount: '1.00', idempotencyKey: randomUUID() });
    const calls = [...execute.mock.calls];
    execute.mockRestore();
    expect(moved.outcome).toMatchObject({ ok: true });
    const call = calls.find(([statement]) => typeof statement === 'string' && statement.includes('with movement as ('));
    if (!call) throw new Error('the transfer ran no movement write statement');
    const [message, parameters] = call as unknown as [string, unknown[]];
    // The unit's last write carries its COMMIT in the same message (pipelined-transactions.ts): explain the write alone.
    const statement = message.replace(`;\n${RIDING_COMMIT}`, '');
    expect(statement).not.toContain('COMMIT');
    // Inlined as MikroORM sends it: the planner sees the same constants.
    const inlined = t.app.orm.em.getPlatform().formatQuery(statement, parameters);
    const { rows } = await t.database.pool.query<{ 'QUERY PLAN': string }>(`explain ${inlined}`);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Update on accounts a/);
    expect(plan).toMatch(/Update on idempotency_records r/);
    expect(plan).not.toMatch(/Seq Scan on accounts/);
    expect(plan).not.toMatch(/Seq Scan on idempotency_records/);
    expect(plan).toMatch(/Index Cond: \(\(user_id = ANY .*\) AND \(key = ANY/);
  });
});
