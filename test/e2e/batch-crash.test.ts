import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import { LoginDocument, OpenAccountDocument, PostMovementsLeanDocument, type MovementItemInput, type PostMovementsLeanMutation } from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { eventually } from '../helpers/process-tree.js';
import { REDIS_URL } from '../helpers/services.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * Batches under a real crash (issue 11 §2): one 1,000-item batch of payroll deposits commits and
 * is answered; two more are in the middle of their unit (keys claimed, accounts being locked: one
 * account row is held by the test, as by a slow disk) when the server is SIGKILLed. It restarts on
 * the same database and every batch is sent again with the same batch key and item keys. Then
 * every item key names exactly one transaction, the first batch replays, the others commit once,
 * each account holds exactly what its deposits add up to, and every ledger law holds.
 */

const JWT_SECRET = 'batch-crash-safety-secret-long-enough-0123456789';
const ENCRYPTION_KEY = 'batch-crash-safety-encryption-key-long-enough-0123456789';
const ACCOUNTS = 5;
const ITEMS = 1000;
const START_TIMEOUT_MS = 45_000;
const LEAN_QUERY = print(PostMovementsLeanDocument);

type BatchAnswer = PostMovementsLeanMutation['postMovements'];

/** One batch over real HTTP; undefined when no answer came (the server died). */
async function sendBatch(url: string, token: string, input: { items: MovementItemInput[]; idempotencyKey: string }): Promise<BatchAnswer | undefined> {
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: LEAN_QUERY, variables: { input: { ...input, atomic: false } } }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as { data?: PostMovementsLeanMutation; errors?: unknown[] };
    if (body.errors?.length || !body.data) throw new Error(`batch answered with errors: ${JSON.stringify(body.errors)}`);
    return body.data.postMovements;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('batch answered')) throw error;
    return undefined;
  }
}

describe('crash safety of batches: SIGKILL in the middle of a batch commit, then retries', () => {
  let database: TestDatabase;
  let server: ServerProcess | undefined;
  const env = () => ({
    DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY, REDIS_URL, PORT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'test', RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
    // 3,000 cash deposits in seconds meet the velocity rules; this file is about crashes, not risk.
    RISK_RULES: 'off',
  });

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    if (server && !server.exited) {
      server.kill('SIGKILL');
      await server.waitForExit(10_000).catch(() => undefined);
    }
    await database?.drop();
  });

  it('every item key moves money exactly once', { timeout: 120_000 }, async () => {
    const customer = { username: `payee-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
    const payroll = { username: `payroll-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
    const orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY }));
    await addUser(orm, { ...customer, email: `${customer.username}@example.test` })
      .then(() => addUser(orm, { ...payroll, role: 'SERVICE', channels: ['CASH'], email: `${payroll.username}@example.test` }))
      .finally(() => orm.close(true));

    server = await startServerProcess({ env: env(), startTimeoutMs: START_TIMEOUT_MS });
    const signIn = async (user: { username: string; password: string }) => {
      const login = dataOf(await postGraphQL(server!.url, LoginDocument, user)).generateToken;
      if (login.__typename !== 'AuthTokens') throw new Error(`login failed: ${JSON.stringify(login)}`);
      return login.accessToken;
    };
    const customerToken = await signIn(customer);
    const token = await signIn(payroll);
    const accounts: string[] = [];
    for (let index = 0; index < ACCOUNTS; index += 1) {
      const opened = dataOf(await postGraphQL(server.url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, customerToken)).openAccount;
      if (opened.__typename !== 'OpenAccountSuccess') throw new Error(`open failed: ${JSON.stringify(opened)}`);
      accounts.push(opened.account.id);
    }
    // Batch 0 stays off accounts[0] (the one the test will hold); batches 1 and 2 touch every account.
    const batchOf = (offAccount0: boolean) => {
      const items = Array.from({ length: ITEMS }, (_, index) => {
        const accountId = offAccount0 ? accounts[1 + (index % (ACCOUNTS - 1))]! : accounts[index % ACCOUNTS]!;
        return { deposit: { accountId, amount: `${1 + (index % 9)}.${String(index % 100).padStart(2, '0')}`, channel: 'CASH' as const, idempotencyKey: randomUUID() } };
      });
      return { items, idempotencyKey: randomUUID() };
    };
    const batches = [batchOf(true), batchOf(false), batchOf(false)];

    const first = await sendBatch(server.url, token, batches[0]!);
    expect(first).toMatchObject({ __typename: 'BatchResult', committed: ITEMS, failed: 0, replayed: false });

    const blocker = await database.pool.connect();
    await blocker.query('begin');
    await blocker.query('select id from accounts where id = $1 for update', [accounts[0]]);
    const running = server;
    const inFlight = [sendBatch(running.url, token, batches[1]!), sendBatch(running.url, token, batches[2]!)];
    const waiting = () =>
      database.pool
        .query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> $1`, [(blocker as unknown as { processID: number }).processID])
        .then(({ rows }) => rows[0]!.n);
    // Both batch units are mid-way: their keys are claimed (uncommitted) and they wait on the row.
    expect(await eventually(async () => (await waiting()) >= 1, 20_000), 'a batch unit waits on the held account').toBe(true);
    running.kill('SIGKILL');
    await running.waitForExit(10_000);
    await blocker.query('rollback');
    blocker.release();
    expect(await Promise.all(inFlight)).toEqual([undefined, undefined]);

    server = await startServerProcess({ env: env(), startTimeoutMs: START_TIMEOUT_MS });
    const retried = [];
    for (const batch of batches) retried.push(await sendBatch(server.url, token, batch));
    expect(retried.map((answer) => answer && 'committed' in answer && [answer.committed, answer.failed, answer.replayed])).toEqual([
      [ITEMS, 0, true],
      [ITEMS, 0, false],
      [ITEMS, 0, false],
    ]);

    const keys = batches.flatMap((batch) => batch.items.map((item) => item.deposit.idempotencyKey));
    const { rows: perKey } = await database.pool.query<{ n: number }>(
      `select count(*)::int as n from ledger_transactions where idempotency_key = any($1) group by idempotency_key having count(*) <> 1`,
      [keys],
    );
    expect(perKey).toEqual([]);
    expect((await database.pool.query<{ n: number }>(`select count(*)::int as n from ledger_transactions where idempotency_key = any($1)`, [keys])).rows[0]!.n).toBe(3 * ITEMS);
    // Each account holds exactly what its deposits add up to.
    const expected = new Map<string, number>();
    for (const { deposit } of batches.flatMap((batch) => batch.items)) expected.set(deposit.accountId, (expected.get(deposit.accountId) ?? 0) + Math.round(Number(deposit.amount) * 100));
    const { rows: balances } = await database.pool.query<{ id: string; posted: string }>(`select id, posted_minor::text as posted from accounts where id = any($1)`, [accounts]);
    expect(Object.fromEntries(balances.map((row) => [row.id, Number(row.posted)]))).toEqual(Object.fromEntries(expected));
    expect(await brokenLaws(database.pool)).toEqual([]);
  });
});
