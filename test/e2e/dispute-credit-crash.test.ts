import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import { DepositDocument, LoginDocument, OpenAccountDocument, OpenDisputeDocument, WithdrawDocument } from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { REDIS_URL } from '../helpers/services.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * Crash safety of the scheduler's provisional credits (issue 9 §2): many disputes fall due at
 * once, the server is SIGKILLed as soon as the first credits commit, and restarted on the same
 * database. Afterwards every dispute is credited exactly once (one ADJUSTMENT each, balances
 * whole again) and every ledger law holds: a unit cut by the kill left nothing, a committed one
 * is not repeated.
 */

const JWT_SECRET = 'dispute-crash-secret-that-is-long-enough-0123456789';
const ENCRYPTION_KEY = 'dispute-crash-encryption-key-long-enough-0123456789';
const ACCOUNTS = 4;
const DISPUTES_PER_ACCOUNT = 60;
const START_TIMEOUT_MS = 45_000;

describe('crash safety: SIGKILL during the scheduler’s provisional credits', () => {
  let database: TestDatabase;
  let server: ServerProcess | undefined;
  const environment = () => ({
    DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY, REDIS_URL, PORT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'test',
    DATABASE_POOL_SIZE: '20', RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
    // 60 card debits a minute per account are the setup here, not abuse: the velocity rule would send them to review.
    RISK_RULES: 'off',
  });
  const start = async () => (server = await startServerProcess({ env: environment(), startTimeoutMs: START_TIMEOUT_MS }));
  const kill = async () => {
    server?.kill('SIGKILL');
    await server?.waitForExit(10_000);
  };
  const credited = async () =>
    (await database.pool.query(`select count(*)::int as n from disputes where credit_transaction_id is not null`)).rows[0].n as number;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    if (server && !server.exited) await kill().catch(() => undefined);
    await database?.drop();
  });

  it('credits each dispute once across the kill and the restart', { timeout: 180_000 }, async () => {
    const username = `alice-${randomUUID().slice(0, 8)}`;
    const password = `password-${randomUUID()}`;
    const orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY }));
    try {
      await addUser(orm, { username, password, email: `${username}@example.test` });
      // Cash and card debits are posted by their rails: one service for both.
      await addUser(orm, { username: `${username}-rails`, password, role: 'SERVICE', channels: ['CASH', 'CARD'], email: `${username}-rails@example.test` });
    } finally {
      await orm.close(true);
    }
    await start();
    const login = dataOf(await postGraphQL(server!.url, LoginDocument, { username, password })).generateToken;
    if (login.__typename !== 'AuthTokens') throw new Error(JSON.stringify(login));
    const token = login.accessToken;
    const railsLogin = dataOf(await postGraphQL(server!.url, LoginDocument, { username: `${username}-rails`, password })).generateToken;
    if (railsLogin.__typename !== 'AuthTokens') throw new Error(JSON.stringify(railsLogin));
    const railsToken = railsLogin.accessToken;
    const key = () => ({ idempotencyKey: randomUUID() });

    await Promise.all(
      Array.from({ length: ACCOUNTS }, async () => {
        const opened = dataOf(await postGraphQL(server!.url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', ...key() } }, token)).openAccount;
        if (opened.__typename !== 'OpenAccountSuccess') throw new Error(JSON.stringify(opened));
        const accountId = opened.account.id;
        await postGraphQL(server!.url, DepositDocument, { input: { accountId, amount: '1000.00', channel: 'CASH', ...key() } }, railsToken);
        for (let index = 0; index < DISPUTES_PER_ACCOUNT; index += 1) {
          const spent = dataOf(await postGraphQL(server!.url, WithdrawDocument, { input: { accountId, amount: '1.25', channel: 'CARD', ...key() } }, railsToken)).withdraw;
          if (spent.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(spent));
          const dispute = dataOf(await postGraphQL(server!.url, OpenDisputeDocument, { input: { transactionId: spent.transaction.id, reason: 'UNAUTHORIZED', ...key() } }, token)).openDispute;
          if (dispute.__typename !== 'DisputeChange') throw new Error(JSON.stringify(dispute));
        }
      }),
    );
    const total = ACCOUNTS * DISPUTES_PER_ACCOUNT;
    await kill();
    // Their deadline arrives: brought forward while no server runs, past the transition guard
    // (which refuses any update that is not a step of the state machine).
    const client = await database.pool.connect();
    try {
      await client.query(`begin; set local session_replication_role = replica;
                          update disputes set provisional_credit_by = now() - interval '1 minute'; commit`);
    } finally {
      client.release();
    }
    expect(await credited()).toBe(0);

    await start();
    let atKill = 0;
    for (let waited = 0; waited < 30_000 && atKill === 0; waited += 5) {
      atKill = await credited();
      if (atKill === 0) await sleep(5);
    }
    await kill();
    expect(atKill).toBeGreaterThan(0);
    const afterKill = await credited();

    await start();
    for (let waited = 0; waited < 60_000 && (await credited()) < total; waited += 100) await sleep(100);
    await kill();
    console.info(`dispute credits: ${atKill} seen before the kill, ${afterKill} committed by then, ${total} in all`);

    const { rows } = await database.pool.query(`
      select d.id, (select count(*)::int from dispute_events de where de.dispute_id = d.id and de.step = 'PROVISIONALLY_CREDITED') as credits, d.status
        from disputes d`);
    expect(rows).toHaveLength(total);
    expect(rows.filter((row) => row.credits !== 1 || row.status !== 'PROVISIONALLY_CREDITED')).toEqual([]);
    const adjustments = await database.pool.query(`select count(*)::int as n, count(distinct idempotency_key)::int as keys from ledger_transactions where kind = 'ADJUSTMENT'`);
    expect(adjustments.rows[0]).toEqual({ n: total, keys: total });
    const balances = await database.pool.query(`select posted_minor::text as posted from accounts where holder = 'CUSTOMER'`);
    expect(balances.rows.map((row) => row.posted)).toEqual(Array.from({ length: ACCOUNTS }, () => '100000'));
    expect(await brokenLaws(database.pool)).toEqual([]);
  });
});
