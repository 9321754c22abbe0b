import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceDocument, DepositDocument, TransferDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * Issue "bounded work for every request", defence in depth: a per-user cap on requests in flight,
 * a bounded wait for a pooled connection, and a statement timeout for reads that never cuts a
 * money movement. Requests are held in flight deterministically by a row or table lock the test
 * takes behind the API's back, so nothing here depends on the machine's speed.
 */

interface Wire {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; error?: Record<string, unknown> };
}

async function post(app: TestApp, query: string, variables: Record<string, unknown>, token: string): Promise<Wire> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Wire['body'] };
}

const DEPOSIT = `mutation D($input: DepositInput!) { deposit(input: $input) { __typename ... on MoneyMovement { balances { posted version } } } }`;
// A customer's own deposit (a mobile check): the caps here are per user, so the customer makes it.
const depositInput = (accountId: string, key = randomUUID()) => ({ input: { accountId, amount: '1.00', channel: 'CHECK', idempotencyKey: key } });

/** Holds a row lock on the account until `release` is called: deposits into it wait, in flight. */
async function lockAccountRow(pool: pg.Pool, accountId: string): Promise<{ release(): Promise<void> }> {
  const client = await pool.connect();
  await client.query('begin');
  await client.query('select id from accounts where id = $1 for update', [accountId]);
  return {
    async release() {
      await client.query('rollback');
      client.release();
    },
  };
}

/** Waits until PostgreSQL shows `count` sessions waiting on a lock (the requests are in flight). */
async function waitForLockWaiters(pool: pg.Pool, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    );
    if ((rows[0]?.n ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${rows[0]?.n} sessions waiting on a lock, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function postedOf(app: TestApp, accountId: string, token: string): Promise<string | undefined> {
  return dataOf(await app.gql(BalanceDocument, { accountId }, token)).balance?.posted;
}

describe('per-user cap on requests in flight (MAX_CONCURRENT_REQUESTS_PER_USER)', () => {
  const CAP = 12;
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let aliceAccount: string;
  let bobAccount: string;

  beforeAll(async () => {
    app = await startTestApp({ environment: { MAX_CONCURRENT_REQUESTS_PER_USER: String(CAP), DATABASE_POOL_SIZE: '20' } });
    [alice, bob] = await Promise.all([app.user(), app.user()]);
    [aliceAccount, bobAccount] = await Promise.all([app.account(alice, { opening: '10.00' }), app.account(bob, { opening: '10.00' })]);
  });
  afterAll(async () => {
    await app?.close();
  });

  it(`makes a customer's ${CAP + 1}th concurrent request wait its turn, then refuses it with LIMIT_EXCEEDED and a retry hint; never another customer's`, async () => {
    const lock = await lockAccountRow(app.database.pool, aliceAccount);
    const held = Array.from({ length: CAP }, () => post(app, DEPOSIT, depositInput(aliceAccount), alice.token));
    try {
      await waitForLockWaiters(app.database.pool, CAP);
      const started = Date.now();
      const refused = await post(app, '{ me { id } }', {}, alice.token);
      // It waited for a slot (5 s) rather than failing at once, and was not left hanging.
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(refused.status).toBe(429);
      expect(refused.retryAfter).toBe('1');
      expect(refused.body.data ?? null).toBeNull();
      expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'LIMIT_EXCEEDED', retryAfterSeconds: 1 });
      // The REST door counts against the same cap.
      const rest = await fetch(`${app.url}/v1/balance?accountId=${aliceAccount}`, { headers: { authorization: `Bearer ${alice.token}` } });
      expect(rest.status).toBe(429);
      expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('LIMIT_EXCEEDED');
      // Another customer is served at the same moment, money included.
      expect(await postedOf(app, bobAccount, bob.token)).toBe('10.00');
      const bobDeposit = await post(app, DEPOSIT, depositInput(bobAccount), bob.token);
      expect(bobDeposit.body.data?.deposit).toMatchObject({ __typename: 'MoneyMovement' });
    } finally {
      await lock.release();
    }
    // Every held request completed, exactly once each, and the slots came back.
    const results = await Promise.all(held);
    expect(results.map((result) => (result.body.data?.deposit as { __typename?: string } | undefined)?.__typename)).toEqual(Array(CAP).fill('MoneyMovement'));
    expect(await postedOf(app, aliceAccount, alice.token)).toBe(`${10 + CAP}.00`);
    const again = await post(app, '{ me { id } }', {}, alice.token);
    expect(again.status).toBe(200);
  });

  it('serves the waiting request as soon as one of the customer\'s own requests ends', async () => {
    const lock = await lockAccountRow(app.database.pool, aliceAccount);
    const held = Array.from({ length: CAP }, () => post(app, DEPOSIT, depositInput(aliceAccount), alice.token));
    await waitForLockWaiters(app.database.pool, CAP);
    const waiting = post(app, '{ me { id } }', {}, alice.token);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await lock.release();
    const served = await waiting;
    expect(served.status).toBe(200);
    expect(served.body.data?.me).toEqual({ id: alice.id });
    await Promise.all(held);
  });

  it('releases a slot when the work ends, also when the client hung up first', async () => {
    const lock = await lockAccountRow(app.database.pool, aliceAccount);
    const aborts = Array.from({ length: CAP }, () => new AbortController());
    const held = aborts.map((controller) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ query: DEPOSIT, variables: depositInput(aliceAccount) }),
        signal: controller.signal,
      }).catch(() => 'aborted'),
    );
    try {
      await waitForLockWaiters(app.database.pool, CAP);
      for (const controller of aborts) controller.abort();
      await Promise.all(held);
      // Hanging up does not free the slot while the server still works for the request.
      expect((await post(app, '{ me { id } }', {}, alice.token)).status).toBe(429);
    } finally {
      await lock.release();
    }
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await post(app, '{ me { id } }', {}, alice.token)).status) !== 200) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
  });
});

describe('a bounded wait for a pooled connection (DATABASE_POOL_WAIT_MS)', () => {
  const POOL = 2;
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let aliceAccount: string;
  let bobFrom: string;
  let bobTo: string;

  beforeAll(async () => {
    app = await startTestApp({ environment: { DATABASE_POOL_SIZE: String(POOL), DATABASE_POOL_WAIT_MS: '300' } });
    [alice, bob] = await Promise.all([app.user(), app.user()]);
    aliceAccount = await app.account(alice, { opening: '10.00' });
    bobFrom = await app.account(bob, { opening: '10.00' });
    bobTo = await app.account(bob);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers SERVICE_UNAVAILABLE with HTTP 503 and Retry-After within the wait, moves nothing, and the retry moves once', async () => {
    const lock = await lockAccountRow(app.database.pool, aliceAccount);
    // Two deposits wait on the row lock inside their transactions: both pooled connections are taken.
    const held = Array.from({ length: POOL }, () => post(app, DEPOSIT, depositInput(aliceAccount), alice.token));
    const key = randomUUID();
    const transfer = { input: { fromAccountId: bobFrom, toAccountId: bobTo, amount: '3.00', idempotencyKey: key } };
    try {
      await waitForLockWaiters(app.database.pool, POOL);
      const started = Date.now();
      const busy = await post(app, `mutation T($input: TransferInput!) { transfer(input: $input) { __typename } }`, transfer, bob.token);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(busy.status).toBe(503);
      expect(busy.retryAfter).toBe('1');
      expect(busy.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 });
      expect(busy.body.errors?.[0]?.message).toMatch(/busy/);
    } finally {
      await lock.release();
    }
    await Promise.all(held);
    const { rows } = await app.database.pool.query<{ n: number }>('select count(*)::int as n from idempotency_records where key = $1', [key]);
    expect(rows[0]?.n).toBe(0);
    expect(await postedOf(app, bobFrom, bob.token)).toBe('10.00');
    // The same request again, same key, once the pool has room: money moves exactly once.
    const retried = dataOf(await app.gql(TransferDocument, transfer, bob.token)).transfer;
    expect(retried.__typename).toBe('MoneyMovement');
    expect(await postedOf(app, bobFrom, bob.token)).toBe('7.00');
    expect(await postedOf(app, bobTo, bob.token)).toBe('3.00');
  });
});

describe('a statement timeout for reads (READ_STATEMENT_TIMEOUT_MS) that never cuts a money movement', () => {
  const TIMEOUT_MS = 300;
  let app: TestApp;
  let alice: TestUser;
  let account: string;

  beforeAll(async () => {
    app = await startTestApp({ environment: { READ_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) } });
    alice = await app.user();
    account = await app.account(alice, { opening: '10.00' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('cuts a read that waits past the timeout and answers SERVICE_UNAVAILABLE, not a hang', async () => {
    const client = await app.database.pool.connect();
    await client.query('begin');
    // Nothing can read the accounts table while this is held.
    await client.query('lock table accounts in access exclusive mode');
    try {
      const started = Date.now();
      const read = await post(app, `query B($id: ID!) { balance(accountId: $id) { posted } }`, { id: account }, alice.token);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(read.status).toBe(503);
      expect(read.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 });
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('lets a deposit wait for its row lock far past the read timeout and complete', async () => {
    const lock = await lockAccountRow(app.database.pool, account);
    const deposit = app.gql(DepositDocument, depositInput(account) as never, alice.token);
    await waitForLockWaiters(app.database.pool, 1);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3));
    await lock.release();
    const moved = dataOf(await deposit).deposit;
    expect(moved.__typename).toBe('MoneyMovement');
    expect(await postedOf(app, account, alice.token)).toBe('11.00');
  });
});
