import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import { balanceChannel } from '../../src/pubsub/channels.js';
import { DepositDocument, LoginDocument, OpenAccountDocument } from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { askRedis, ensureRedisSentinelInstalled, SENTINEL_MASTER_NAME, startSentinelSetup, type SentinelSetup } from '../helpers/redis-sentinel.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { openSocket, subscribe, type LiveSocket, type LiveSubscription } from '../helpers/ws-client.js';

/**
 * Redis high availability, end to end: a real Tally server on real PostgreSQL follows a Redis
 * Sentinel setup (REDIS_SENTINELS). While deposits flow and WebSocket subscribers watch
 * balanceUpdated, the Redis primary is killed with SIGKILL and the sentinels promote the replica.
 * Money must keep moving, and every subscriber must end with every version exactly once, in order.
 */

const JWT_SECRET = 'redis-sentinel-secret-that-is-long-enough-0123456789';
const ENCRYPTION_KEY = 'redis-sentinel-encryption-key-long-enough-0123456789';
const ACCOUNTS = 2;
const SUBSCRIBERS_PER_ACCOUNT = 2;
/** Deposits on each account before the kill, and after the sentinels named the new primary. */
const DEPOSITS_BEFORE = 8;
const DEPOSITS_AFTER = 8;
const DEPOSIT_PAUSE_MS = 100;
/** Far below the version watch's 30 s quiet check: catching up must come from the reconnect. */
const CATCH_UP_MS = 20_000;
const SETTLE_MS = 1_500;

const BALANCE_UPDATED = `subscription($id: ID!, $after: Int) {
  balanceUpdated(accountId: $id, afterVersion: $after) { accountId version balance { posted version } }
}`;
interface BalanceUpdatedData {
  readonly balanceUpdated: { readonly accountId: string; readonly version: number; readonly balance: { readonly posted: string; readonly version: number } };
}

/** Everything the test started, stopped by afterAll whatever happened. */
const started: { setup?: SentinelSetup; server?: ServerProcess; database?: TestDatabase; sockets: LiveSocket[] } = { sockets: [] };

afterAll(async () => {
  await Promise.all(started.sockets.map((socket) => socket.dispose().catch(() => undefined)));
  if (started.server && !started.server.exited) {
    started.server.kill('SIGKILL');
    await started.server.waitForExit(10_000).catch(() => undefined);
  }
  await started.setup?.stop();
  await started.database?.drop().catch(() => undefined);
});

async function signIn(url: string, username: string, password: string): Promise<string> {
  const result = dataOf(await postGraphQL(url, LoginDocument, { username, password })).generateToken;
  if (result.__typename !== 'AuthTokens') throw new Error(`login of ${username} failed: ${JSON.stringify(result)}`);
  return result.accessToken;
}

/** A customer and the cash service that posts deposits, in a fresh database. */
async function setUpUsers(database: TestDatabase) {
  const orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY }));
  try {
    const customer = { username: `customer-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
    const cash = { username: `cash-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
    await addUser(orm, { ...customer, email: `${customer.username}@example.test` });
    await addUser(orm, { ...cash, role: 'SERVICE', channels: ['CASH'], email: `${cash.username}@example.test` });
    return { customer, cash };
  } finally {
    await orm.close(true);
  }
}

async function openAccount(url: string, token: string): Promise<string> {
  const result = dataOf(await postGraphQL(url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, token)).openAccount;
  if (result.__typename !== 'OpenAccountSuccess') throw new Error(`openAccount failed: ${JSON.stringify(result)}`);
  return result.account.id;
}

/** One deposit of 1.00; throws unless it moved money (a Redis failover must not stop money). Returns the new version. */
async function deposit(url: string, token: string, accountId: string): Promise<number> {
  const response = await postGraphQL(url, DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, token);
  const result = dataOf(response).deposit;
  if (result.__typename !== 'MoneyMovement') throw new Error(`deposit failed: ${JSON.stringify(result)}`);
  return result.balances.find((line) => line.accountId === accountId)!.version;
}

/** Deposits on every account in turn, `rounds` times; returns each deposit's latency in ms. */
async function depositRounds(url: string, token: string, accountIds: readonly string[], rounds: number, versions: Map<string, number>): Promise<number[]> {
  const latencies: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const accountId of accountIds) {
      const startedAt = Date.now();
      const version = await deposit(url, token, accountId);
      latencies.push(Date.now() - startedAt);
      expect(version, `deposit on ${accountId}`).toBe((versions.get(accountId) ?? 0) + 1);
      versions.set(accountId, version);
    }
    await sleep(DEPOSIT_PAUSE_MS);
  }
  return latencies;
}

/** The longest time between two consecutive updates a subscriber received. */
function longestSilence(arrivals: readonly number[]): number {
  return arrivals.slice(1).reduce((longest, at, index) => Math.max(longest, at - arrivals[index]!), 0);
}

it('follows a Sentinel failover: deposits continue and every subscriber gets every version once, in order', { timeout: 90_000 }, async () => {
  const testStartedAt = Date.now();
  ensureRedisSentinelInstalled();
  const setup = await startSentinelSetup();
  started.setup = setup;
  expect(await setup.currentPrimaryPort()).toBe(setup.primary.port);
  const database = await createTestDatabase();
  started.database = database;
  const { customer, cash } = await setUpUsers(database);
  const server = await startServerProcess({
    env: {
      DATABASE_URL: database.url,
      JWT_SECRET,
      ENCRYPTION_KEY,
      REDIS_URL: undefined,
      REDIS_SENTINELS: setup.sentinelList,
      REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
      PORT: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
    },
    startTimeoutMs: 45_000,
  });
  started.server = server;
  const ready = await fetch(`${server.url}/readyz`);
  expect(await ready.json()).toEqual(expect.objectContaining({ database: 'up', redis: 'up' }));

  const customerToken = await signIn(server.url, customer.username, customer.password);
  const cashToken = await signIn(server.url, cash.username, cash.password);
  const accountIds = await Promise.all(Array.from({ length: ACCOUNTS }, () => openAccount(server.url, customerToken)));
  const watchers: Array<{ accountId: string; updates: LiveSubscription<BalanceUpdatedData>; arrivals: number[] }> = [];
  for (const accountId of accountIds) {
    for (let index = 0; index < SUBSCRIBERS_PER_ACCOUNT; index += 1) {
      const socket = openSocket(server.url, customerToken);
      started.sockets.push(socket);
      await socket.connected;
      const updates = subscribe<BalanceUpdatedData>(socket, BALANCE_UPDATED, { id: accountId, after: 0 });
      const arrivals: number[] = [];
      // When each update arrived: the predicate runs on every delivery and never holds.
      const clock = (s: LiveSubscription<BalanceUpdatedData>) => {
        while (arrivals.length < s.results.length) arrivals.push(Date.now());
        return false;
      };
      updates.waitUntil(clock, 85_000, 'arrival clock').catch(() => undefined);
      watchers.push({ accountId, updates, arrivals });
    }
  }
  await sleep(300);

  const versions = new Map<string, number>();
  await depositRounds(server.url, cashToken, accountIds, DEPOSITS_BEFORE, versions);
  for (const { accountId, updates } of watchers) {
    await updates.waitUntil((s) => s.data().length >= versions.get(accountId)!, 5_000, `live before the failover on ${accountId}`);
  }

  // The failover: the primary dies without a word; deposits go on while the sentinels agree.
  setup.primary.kill('SIGKILL');
  await setup.primary.waitForExit(10_000);
  const killedAt = Date.now();
  let promotedAt: number | undefined;
  let duringRounds: number[] = [];
  const stopDuring = { stop: false };
  // Deposits keep flowing (one round at a time) until the replica is the primary.
  const flowing = (async () => {
    while (!stopDuring.stop) duringRounds = duringRounds.concat(await depositRounds(server.url, cashToken, accountIds, 1, versions));
  })();
  while (promotedAt === undefined) {
    if ((await setup.currentPrimaryPort()) === setup.replica.port) promotedAt = Date.now();
    else if (Date.now() - killedAt > 30_000) throw new Error('the sentinels did not promote the replica within 30 s');
    else await sleep(100);
  }
  stopDuring.stop = true;
  await flowing;
  const afterLatencies = await depositRounds(server.url, cashToken, accountIds, DEPOSITS_AFTER, versions);

  // Every subscriber ends with 1..N exactly once, in order, with the balance of that version.
  const caughtUpFrom = Date.now();
  for (const { accountId, updates } of watchers) {
    await updates.waitUntil((s) => s.data().length >= versions.get(accountId)!, CATCH_UP_MS, `caught up on ${accountId}`);
  }
  const caughtUpIn = Date.now() - caughtUpFrom;
  await sleep(SETTLE_MS);
  for (const { accountId, updates } of watchers) {
    const final = versions.get(accountId)!;
    expect(final).toBeGreaterThan(DEPOSITS_BEFORE + DEPOSITS_AFTER);
    expect(updates.results.filter((result) => result.errors !== undefined)).toEqual([]);
    const seen = updates.data().map(({ balanceUpdated }) => balanceUpdated);
    expect(seen.map((update) => update.version), `versions on ${accountId}`).toEqual(Array.from({ length: final }, (_, index) => index + 1));
    for (const update of seen) {
      expect(update.accountId).toBe(accountId);
      expect(update.balance).toEqual({ version: update.version, posted: `${update.version}.00` });
    }
  }
  // The live updates came through the promoted replica: Tally's subscriber listens there now.
  const channelsOnNewPrimary = await askRedis(setup.replica.port, 'PUBSUB', 'CHANNELS', 'tally:*');
  expect(channelsOnNewPrimary).toEqual(expect.arrayContaining(accountIds.map((id) => balanceChannel(id))));
  const readyAfter = await fetch(`${server.url}/readyz`);
  expect(readyAfter.status).toBe(200);
  expect(await readyAfter.json()).toEqual(expect.objectContaining({ redis: 'up' }));

  await Promise.all(started.sockets.map((socket) => socket.dispose()));
  server.kill('SIGTERM');
  await server.waitForExit(20_000);
  expect(await brokenLaws(database.pool)).toEqual([]);
  console.info(
    `redis sentinel failover: replica promoted ${promotedAt - killedAt} ms after the primary was killed; ` +
      `${duringRounds.length} deposits during it (slowest ${Math.max(0, ...duringRounds)} ms), slowest after ${Math.max(...afterLatencies)} ms; ` +
      `longest silence a subscriber saw ${Math.max(...watchers.map((w) => longestSilence(w.arrivals)))} ms; ` +
      `last subscriber complete ${caughtUpIn} ms after the last deposit; test ${Date.now() - testStartedAt} ms`,
  );
});
