import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthorizeHoldDocument, CaptureHoldDocument, DepositDocument, VoidHoldDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The hold laws of test/helpers/laws.ts can fail: each break below is made behind the API's back,
 * inside a transaction that is rolled back, and the laws, read through that same transaction,
 * must name it. Before and after, on what the API wrote, they all hold.
 */
let t: TestApp;
let alice: TestUser;
let accountId: string;
/** 20.00, untouched. */
let active: string;
/** 10.00, 4.00 captured, the rest still held. */
let partly: string;

async function hold(amount: string): Promise<string> {
  const result = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount, channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).authorizeHold;
  if (result.__typename !== 'HoldChange') throw new Error(result.__typename);
  return result.hold.id;
}

async function depositId(): Promise<string> {
  const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, (await t.cashier()).token)).deposit;
  if (result.__typename !== 'MoneyMovement') throw new Error(result.__typename);
  return result.transaction.id;
}

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
  accountId = await t.account(alice, { opening: '100.00' });
  active = await hold('20.00');
  partly = await hold('10.00');
  const captured = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: partly, amount: '4.00', final: false, idempotencyKey: randomUUID() } }, alice.token)).captureHold;
  expect(captured.__typename).toBe('HoldChange');
  const voided = dataOf(await t.gql(VoidHoldDocument, { input: { holdId: await hold('5.00'), idempotencyKey: randomUUID() } }, alice.token)).voidHold;
  expect(voided.__typename).toBe('HoldChange');
});
afterAll(() => t.close());

let client: pg.PoolClient;
beforeEach(async () => {
  client = await t.database.pool.connect();
  await client.query('begin');
});
afterEach(async () => {
  await client.query('rollback');
  client.release();
});

const LAW = {
  perHoldPending: "each hold's own PENDING entries on its account net to what it still holds",
  captured: "each hold's captured amount is what its HOLD_CAPTURE transactions posted from its account",
  steps: "each hold's steps match its status",
  deadline: 'no hold is captured or voided at or after its expiry, nor expired before it',
};
const brokenNames = async () => (await brokenLaws(client)).map((line) => line.slice(0, line.indexOf(':')));

describe('the hold laws', () => {
  it('hold on what the API wrote', async () => {
    expect(await brokenLaws(client)).toEqual([]);
  });

  it('a capture counted twice breaks the captured law', async () => {
    await client.query('update holds set captured_minor = captured_minor + 400 where id = $1', [partly]);
    expect(await brokenNames()).toContain(LAW.captured);
  });

  it('a hold marked voided without its release breaks the per-hold pending law and the steps law', async () => {
    await client.query(`update holds set status = 'VOIDED' where id = $1`, [active]);
    const broken = await brokenNames();
    expect(broken).toContain(LAW.perHoldPending);
    expect(broken.some((name) => name.startsWith(LAW.steps))).toBe(true);
  });

  it('an expiry recorded beside a live hold (and by a customer, with a deposit) breaks the steps law', async () => {
    const transactionId = await depositId();
    await client.query(`insert into hold_transactions (hold_id, transaction_id, step, created_at) values ($1, $2, 'EXPIRE', now() + interval '30 days')`, [
      partly,
      transactionId,
    ]);
    expect((await brokenNames()).some((name) => name.startsWith(LAW.steps))).toBe(true);
  });

  it('a step after the deadline breaks the deadline law', async () => {
    const transactionId = await depositId();
    await client.query(
      `insert into hold_transactions (hold_id, transaction_id, step, created_at) select id, $2, 'VOID', expires_at from holds where id = $1`,
      [active, transactionId],
    );
    expect(await brokenNames()).toContain(LAW.deadline);
  });
});
