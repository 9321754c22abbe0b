import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DepositDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The holds table keeps its own rules (migration 20261201120000): captured never exceeds the
 * amount nor shrinks, what a hold is never changes, and it leaves ACTIVE once, for good. Each
 * statement here goes behind the API's back, as a bug or a hand-typed psql line would, and must
 * be refused.
 */
let t: TestApp;
let alice: TestUser;
let accountId: string;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
  accountId = await t.account(alice);
});
afterAll(() => t.close());

/*
 * Each test runs in one transaction that is rolled back at its end, each statement under its own
 * savepoint: the guards are immediate (checks and BEFORE triggers), and the rows inserted behind
 * the API's back (holds with no pending money) never commit, so the laws hold after the file.
 */
let client: pg.PoolClient;
beforeEach(async () => {
  client = await t.database.pool.connect();
  await client.query('begin');
});
afterEach(async () => {
  await client.query('rollback');
  client.release();
});

/** Runs one statement under a savepoint: its SQLSTATE if refused, 'accepted' if it ran. */
async function attempt(sql: string, parameters: unknown[] = []): Promise<string> {
  await client.query('savepoint attempt');
  try {
    await client.query(sql, parameters);
    await client.query('release savepoint attempt');
    return 'accepted';
  } catch (error) {
    await client.query('rollback to savepoint attempt');
    return (error as { code?: string }).code ?? 'unknown';
  }
}

/** A hold row of 5.00 behind the API's back; each test gets its own (one authorizing transaction per hold). */
async function insertHold(): Promise<string> {
  const response = await t.gql(DepositDocument, { input: { accountId, amount: '10.00', channel: 'CASH', idempotencyKey: randomUUID() } }, (await t.cashier()).token);
  const deposit = response.data!.deposit;
  if (deposit.__typename !== 'MoneyMovement') throw new Error('deposit failed');
  const transactionId = deposit.transaction.id;
  const holdId = randomUUID();
  const result = await attempt(
    `insert into holds (id, account_id, reason, channel, amount_minor, currency, created_at, updated_at, expires_at, authorization_transaction_id, initiated_by)
     values ($1, $2, 'AUTHORIZATION', 'CARD', 500, 'USD', now(), now(), now() + interval '1 day', $3, $4)`,
    [holdId, accountId, transactionId, alice.id],
  );
  expect(result).toBe('accepted');
  return holdId;
}

describe('the database guards holds', () => {
  it('captured stays within 0..amount and never shrinks', async () => {
    const holdId = await insertHold();
    expect(await attempt(`update holds set captured_minor = 501 where id = $1`, [holdId])).toBe('23514');
    expect(await attempt(`update holds set captured_minor = -1 where id = $1`, [holdId])).toBe('23514');
    expect(await attempt(`update holds set captured_minor = 200 where id = $1`, [holdId])).toBe('accepted');
    expect(await attempt(`update holds set captured_minor = 100 where id = $1`, [holdId])).toBe('23514');
  });

  it('a hold changes only while ACTIVE, and a final state is final', async () => {
    const holdId = await insertHold();
    expect(await attempt(`update holds set status = 'VOIDED' where id = $1`, [holdId])).toBe('accepted');
    expect(await attempt(`update holds set status = 'EXPIRED' where id = $1`, [holdId])).toBe('23001');
    expect(await attempt(`update holds set status = 'ACTIVE' where id = $1`, [holdId])).toBe('23001');
    expect(await attempt(`update holds set status = 'CAPTURED', captured_minor = 500 where id = $1`, [holdId])).toBe('23001');
  });

  it('CAPTURED means something was captured', async () => {
    const holdId = await insertHold();
    expect(await attempt(`update holds set status = 'CAPTURED' where id = $1`, [holdId])).toBe('23514');
  });

  it('what a hold is never changes, and holds are never deleted', async () => {
    const holdId = await insertHold();
    expect(await attempt(`update holds set amount_minor = 900 where id = $1`, [holdId])).toBe('23001');
    expect(await attempt(`update holds set account_id = account_id, expires_at = expires_at + interval '1 day' where id = $1`, [holdId])).toBe('23001');
    expect(await attempt(`delete from holds where id = $1`, [holdId])).toBe('23001');
    expect(await attempt(`truncate holds cascade`)).toBe('23001');
  });
});
