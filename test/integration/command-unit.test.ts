import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommands } from '../../src/ledger/commands/run-command.js';
import { depositCommand } from '../../src/ledger/commands/deposit.js';
import { withdrawCommand } from '../../src/ledger/commands/withdraw.js';
import { transferCommand } from '../../src/ledger/commands/transfer.js';
import type { Actor } from '../../src/ledger/types.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { dataOf } from '../helpers/graphql-client.js';
import { BalanceDocument } from '../generated/graphql.js';

let t: TestApp;
let alice: TestUser;
let actor: Actor;
/** The cash service: deposits of cash are the rail's, not the customer's. */
let cash: Actor;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
  actor = { userId: alice.id, role: 'CUSTOMER' };
  cash = { userId: (await t.cashier()).id, role: 'SERVICE', channels: ['CASH', 'ATM'] };
});
afterAll(() => t.close());

const posted = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance?.posted;
const transactionsUnder = async (key: string) =>
  (await t.database.pool.query('select count(*)::int as count from ledger_transactions where idempotency_key = $1', [key])).rows[0].count as number;
const recordUnder = async (key: string) =>
  (await t.database.pool.query('select outcome from idempotency_records where user_id = $1 and key = $2', [alice.id, key])).rows[0]?.outcome;
const withdrawal = (accountId: string, amount: string, idempotencyKey = randomUUID()) =>
  withdrawCommand(actor, { accountId, amount, channel: 'ACH', idempotencyKey });
const depositOf = (accountId: string, amount: string, idempotencyKey = randomUUID()) =>
  depositCommand(cash, { accountId, amount, channel: 'CASH', idempotencyKey });

describe('several commands in one unit of work', () => {
  it('the second of two withdrawals sees the first: 60 available, 50 then 20 → the 20 is INSUFFICIENT_FUNDS', async () => {
    const accountId = await t.account(alice, { opening: '60.00' });
    const [first, second] = await runCommands(t.app.orm, [withdrawal(accountId, '50.00'), withdrawal(accountId, '20.00')]);
    expect(first.outcome).toMatchObject({ ok: true, balances: [{ postedMinor: '1000', version: 2 }] });
    expect(second.outcome).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    expect(await posted(accountId)).toBe('10.00');
  });

  it('a withdrawal decides against the deposit before it in the same unit', async () => {
    const accountId = await t.account(alice);
    const results = await runCommands(t.app.orm, [depositOf(accountId, '30.00'), withdrawal(accountId, '30.00')]);
    expect(results.map((result) => result.outcome.ok)).toEqual([true, true]);
    expect(results[1].outcome).toMatchObject({ balances: [{ postedMinor: '0', version: 2 }] });
    expect(await posted(accountId)).toBe('0.00');
  });

  it("a business failure in the middle is recorded under its key and does not touch its neighbours", async () => {
    const accountId = await t.account(alice, { opening: '5.00' });
    const payee = await t.account(await t.user());
    const failingKey = randomUUID();
    const results = await runCommands(t.app.orm, [
      depositOf(accountId, '10.00'),
      withdrawal(accountId, '1000.00', failingKey),
      transferCommand(actor, { fromAccountId: accountId, toAccountId: payee, amount: '15.00', idempotencyKey: randomUUID() }),
    ]);
    expect(results.map((result) => (result.outcome.ok ? 'OK' : result.outcome.code))).toEqual(['OK', 'INSUFFICIENT_FUNDS', 'OK']);
    expect(await posted(accountId)).toBe('0.00');
    expect(await recordUnder(failingKey)).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    // Versions: opening 1, deposit 2, the refused withdrawal none, the transfer 3.
    expect(results[2].outcome).toMatchObject({ balances: [{ accountId, version: 3 }] });
  });

  it('a VALIDATION failure in the middle stores nothing: its key is free afterwards, its neighbours posted', async () => {
    const accountId = await t.account(alice);
    const invalidKey = randomUUID();
    const results = await runCommands(t.app.orm, [depositOf(accountId, '1.00'), depositOf(accountId, '1.001', invalidKey), depositOf(accountId, '2.00')]);
    expect(results.map((result) => (result.outcome.ok ? 'OK' : result.outcome.code))).toEqual(['OK', 'VALIDATION', 'OK']);
    expect(await recordUnder(invalidKey)).toBeUndefined();
    const [corrected] = await runCommands(t.app.orm, [depositOf(accountId, '1.00', invalidKey)]);
    expect(corrected).toMatchObject({ replayed: false, outcome: { ok: true } });
    expect(await posted(accountId)).toBe('4.00');
  });

  it('a request waiting on a key whose claim its holder freed (a VALIDATION failure) takes the key when the holder commits', async () => {
    const accountId = await t.account(alice);
    const key = randomUUID();
    const holder = await t.database.pool.connect();
    try {
      // What a unit with a VALIDATION failure does: claim, free the claim, commit.
      await holder.query('begin');
      await holder.query(`insert into idempotency_records (user_id, key, command, request_hash, outcome) values ($1, $2, 'deposit', 'other', '{"inFlight":true}')`, [alice.id, key]);
      await holder.query('delete from idempotency_records where user_id = $1 and key = $2', [alice.id, key]);
      const waiter = runCommands(t.app.orm, [depositOf(accountId, '3.00', key)]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await holder.query('commit');
      const [result] = await waiter;
      expect(result).toMatchObject({ replayed: false, outcome: { ok: true } });
      expect(await transactionsUnder(key)).toBe(1);
    } finally {
      holder.release();
    }
  });

  it('the same key twice in one unit is a replay of the first: one transaction', async () => {
    const accountId = await t.account(alice);
    const key = randomUUID();
    const [first, second] = await runCommands(t.app.orm, [depositOf(accountId, '7.00', key), depositOf(accountId, '7.00', key)]);
    expect(first.replayed).toBe(false);
    expect(second).toEqual({ outcome: first.outcome, replayed: true });
    expect(await transactionsUnder(key)).toBe(1);
    expect(await posted(accountId)).toBe('7.00');
    // The same key for a different request in the same unit is a conflict, and moves nothing.
    const other = randomUUID();
    const [, conflicting] = await runCommands(t.app.orm, [depositOf(accountId, '1.00', other), depositOf(accountId, '2.00', other)]);
    expect(conflicting.outcome).toMatchObject({ ok: false, code: 'IDEMPOTENCY_CONFLICT' });
    expect(await posted(accountId)).toBe('8.00');
  });

  it('every row of the unit carries the one clock the envelope read, and tests set it', async () => {
    const accountId = await t.account(alice);
    const now = new Date('2031-02-03T04:05:06.789Z');
    const [deposited] = await runCommands(t.app.orm, [depositOf(accountId, '3.00'), depositOf(accountId, '4.00')], { clock: () => now });
    expect(deposited.written?.createdAt).toEqual(now);
    const { rows } = await t.database.pool.query(
      `select distinct t.created_at, e.created_at as entry_created_at from ledger_transactions t join entries e on e.transaction_id = t.id
        where e.account_id = $1 and t.kind = 'DEPOSIT'`,
      [accountId],
    );
    expect(rows).toEqual([{ created_at: now, entry_created_at: now }]);
    expect(deposited.outcome).toMatchObject({ balances: [{ asOf: now.toISOString() }] });
  });
});
