import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import { TokenSigner } from '../../src/auth/tokens.js';
import { DepositDocument, LoginDocument, OpenAccountDocument } from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { REDIS_URL } from '../helpers/services.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { describeError, openSocket, subscribe, type LiveSocket, type LiveSubscription } from '../helpers/ws-client.js';

/**
 * Live balances across real processes: server children (`npm start`'s command) on one fresh
 * PostgreSQL database, Redis pub/sub between them (the shared Redis, or a private redis-server
 * the test kills and restarts), and graphql-ws clients on real WebSockets. What a subscriber
 * sees must be every version exactly once, in order, with the balance the ledger holds.
 */

const JWT_SECRET = 'live-instances-secret-that-is-long-enough-0123456789';
const ENCRYPTION_KEY = 'live-instances-encryption-key-long-enough-0123456789';
const START_TIMEOUT_MS = 45_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** A live update travels relay -> Redis -> subscriber in well under this (the reconcile timer is 30 s). */
const LIVE_DELIVERY_MS = 5_000;
/** After the expected updates arrived, wait this long for a duplicate or a stray one. */
const SETTLE_MS = 1_500;

const BALANCE_UPDATED = `subscription($id: ID!, $after: Int) {
  balanceUpdated(accountId: $id, afterVersion: $after) {
    accountId version balance { posted version } transaction { id }
  }
}`;

interface BalanceUpdatedData {
  readonly balanceUpdated: {
    readonly accountId: string;
    readonly version: number;
    readonly balance: { readonly posted: string; readonly version: number };
    readonly transaction: { readonly id: string } | null;
  };
}

type Updates = LiveSubscription<BalanceUpdatedData>;

interface TestUser {
  readonly username: string;
  readonly password: string;
  readonly id: string;
}

interface Deposit {
  readonly transactionId: string;
  readonly version: number;
  readonly posted: string;
}

/** Everything one test started; afterEach kills and drops whatever the test did not finish itself. */
interface Harness {
  database?: TestDatabase;
  readonly servers: ServerProcess[];
  readonly redisServers: RedisServer[];
  readonly sockets: LiveSocket[];
}

let harness: Harness = { servers: [], redisServers: [], sockets: [] };

function newHarness(): Harness {
  harness = { servers: [], redisServers: [], sockets: [] };
  return harness;
}

afterEach(async () => {
  const { database, servers, redisServers, sockets } = harness;
  await Promise.all(sockets.map((socket) => socket.dispose().catch(() => undefined)));
  for (const server of servers) {
    if (!server.exited) {
      server.kill('SIGKILL');
      await server.waitForExit(10_000).catch(() => undefined);
    }
  }
  for (const redis of redisServers) {
    if (!redis.exited) {
      redis.kill('SIGKILL');
      await redis.waitForExit(10_000).catch(() => undefined);
    }
  }
  await database?.drop().catch(() => undefined);
  harness = { servers: [], redisServers: [], sockets: [] };
});

/** A fresh database with the given users, recorded in the harness. */
async function setUp(h: Harness, names: readonly string[]): Promise<{ database: TestDatabase; users: TestUser[] }> {
  const database = await createTestDatabase();
  h.database = database;
  const orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY }));
  const users: TestUser[] = [];
  try {
    for (const name of names) {
      const username = `${name}-${randomUUID().slice(0, 8)}`;
      const password = `password-${randomUUID()}`;
      const user = await addUser(orm, { username, password, email: `${username}@example.test` });
      users.push({ username, password, id: user.id });
    }
    const username = `cash-${randomUUID().slice(0, 8)}`;
    const password = `password-${randomUUID()}`;
    const service = await addUser(orm, { username, password, role: 'SERVICE', channels: ['CASH'], email: `${username}@example.test` });
    cashService = { user: { username, password, id: service.id } };
  } finally {
    await orm.close(true);
  }
  return { database, users };
}

async function startServer(h: Harness, database: TestDatabase, redisUrl: string, extra: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess({
    env: {
      DATABASE_URL: database.url,
      JWT_SECRET,
      ENCRYPTION_KEY,
      REDIS_URL: redisUrl,
      PORT: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
      ...extra,
    },
    startTimeoutMs: START_TIMEOUT_MS,
  });
  h.servers.push(server);
  return server;
}

function connect(h: Harness, server: ServerProcess, token?: string): LiveSocket {
  const socket = openSocket(server.url, token);
  h.sockets.push(socket);
  return socket;
}

async function login(server: ServerProcess, user: TestUser): Promise<string> {
  const result = dataOf(await postGraphQL(server.url, LoginDocument, { username: user.username, password: user.password })).generateToken;
  if (result.__typename !== 'AuthTokens') throw new Error(`login of ${user.username} failed: ${JSON.stringify(result)}`);
  return result.accessToken;
}

async function openAccount(server: ServerProcess, token: string): Promise<string> {
  const result = dataOf(await postGraphQL(server.url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, token)).openAccount;
  if (result.__typename !== 'OpenAccountSuccess') throw new Error(`openAccount failed: ${JSON.stringify(result)}`);
  expect(result.account.balance.version).toBe(0);
  return result.account.id;
}

/** The cash service of the current test's database, which posts every deposit (cash is the rail's, not the customer's). */
let cashService: { user: TestUser; token?: string; expiresAtMs?: number } | undefined;

/**
 * One cash deposit of 1.00 over HTTP by the cash service; throws unless it is a MoneyMovement (a
 * Redis outage must not stop money). Its token is valid on every instance of the database.
 */
async function deposit(server: ServerProcess, accountId: string): Promise<Deposit> {
  if (!cashService) throw new Error('setUp makes the cash service');
  // Signed in again a second before its token lapses (one test runs with six-second tokens).
  if (!cashService.token || (cashService.expiresAtMs ?? 0) - Date.now() < 1_000) {
    cashService.token = await login(server, cashService.user);
    cashService.expiresAtMs = Number((JSON.parse(Buffer.from(cashService.token.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number }).exp) * 1000;
  }
  const response = await Promise.race([
    postGraphQL(server.url, DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, cashService.token),
    sleep(REQUEST_TIMEOUT_MS).then(() => {
      throw new Error(`deposit on ${accountId} got no answer within ${REQUEST_TIMEOUT_MS} ms`);
    }),
  ]);
  const result = dataOf(response).deposit;
  if (result.__typename !== 'MoneyMovement') throw new Error(`deposit failed: ${JSON.stringify(result)}`);
  const balance = result.balances.find((line) => line.accountId === accountId);
  if (!balance) throw new Error(`deposit answered without the account's balance: ${JSON.stringify(result)}`);
  return { transactionId: result.transaction.id, version: balance.version, posted: balance.posted };
}

async function readyz(server: ServerProcess): Promise<{ status: number; body: { redis?: string; database?: string } }> {
  const response = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as { redis?: string; database?: string } };
}

async function waitForReadyz(server: ServerProcess, status: number, timeoutMs: number): Promise<{ status: number; body: { redis?: string } }> {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: { redis?: string } } | undefined;
  while (Date.now() < deadline) {
    last = await readyz(server).catch((error: unknown) => ({ status: -1, body: { redis: String(error) } }));
    if (last.status === status) return last;
    await sleep(200);
  }
  throw new Error(`/readyz did not answer ${status} within ${timeoutMs} ms; last ${JSON.stringify(last)}`);
}

function versionsOf(updates: Updates): number[] {
  return updates.data().map((data) => data.balanceUpdated.version);
}

/** Waits until `count` updates arrived, lets stragglers come, and checks they are exactly `from..from+count-1`. */
async function expectVersions(updates: Updates, accountId: string, from: number, to: number, timeoutMs: number, label: string, transactions?: ReadonlyMap<number, string>) {
  const count = to - from + 1;
  await updates.waitUntil((subscription) => subscription.data().length >= count, timeoutMs, label);
  await sleep(SETTLE_MS);
  expect(updates.results.filter((result) => result.errors !== undefined), `${label}: no errors`).toEqual([]);
  expect(versionsOf(updates), `${label}: versions exactly once, in order`).toEqual(Array.from({ length: count }, (_, index) => from + index));
  for (const { balanceUpdated: update } of updates.data()) {
    expect(update.accountId).toBe(accountId);
    expect(update.balance.version).toBe(update.version);
    // Every deposit is 1.00 on a new account: version N carries a posted balance of N.00.
    expect(update.balance.posted, `${label}: posted balance at version ${update.version}`).toBe(`${update.version}.00`);
    if (transactions?.has(update.version)) expect(update.transaction?.id, `${label}: transaction of version ${update.version}`).toBe(transactions.get(update.version));
    else expect(update.transaction?.id).toEqual(expect.any(String));
  }
}

/** Graceful end of a test: sockets closed, servers stopped, laws checked behind the API's back, database dropped. */
async function finish(h: Harness): Promise<void> {
  await Promise.all(h.sockets.map((socket) => socket.dispose()));
  for (const server of h.servers) {
    server.kill('SIGTERM');
    await server.waitForExit(20_000);
  }
  for (const redis of h.redisServers) {
    redis.kill('SIGKILL');
    await redis.waitForExit(10_000);
  }
  const database = h.database!;
  expect(await brokenLaws(database.pool)).toEqual([]);
  await database.drop();
  h.database = undefined;
}

describe('live balances across real server processes', () => {
  it('fans out: a subscriber on instance B sees every deposit made through instance A, once, in order', { timeout: 90_000 }, async () => {
    const h = newHarness();
    const startedAt = Date.now();
    const { database, users } = await setUp(h, ['fan']);
    const [a, b] = await Promise.all([startServer(h, database, REDIS_URL), startServer(h, database, REDIS_URL)]);
    expect(a!.url).not.toBe(b!.url);
    const token = await login(a!, users[0]!);
    const accountId = await openAccount(a!, token);

    const socketB = connect(h, b!, token);
    await socketB.connected;
    const onB = subscribe<BalanceUpdatedData>(socketB, BALANCE_UPDATED, { id: accountId, after: 0 });
    // A second subscriber on A itself, for contrast: both instances must tell the same story.
    const socketA = connect(h, a!, token);
    await socketA.connected;
    const onA = subscribe<BalanceUpdatedData>(socketA, BALANCE_UPDATED, { id: accountId, after: 0 });
    await sleep(300);

    const transactions = new Map<number, string>();
    // One at a time first: each update has to reach B on its own, long before any reconcile timer.
    for (let version = 1; version <= 5; version += 1) {
      const made = await deposit(a!, accountId);
      expect(made.version).toBe(version);
      transactions.set(made.version, made.transactionId);
      await onB.waitUntil((subscription) => subscription.data().length >= version, LIVE_DELIVERY_MS, `instance B: version ${version}`);
    }
    // Then a burst.
    const burstStartedAt = Date.now();
    for (let version = 6; version <= 10; version += 1) {
      const made = await deposit(a!, accountId);
      expect(made).toEqual({ transactionId: expect.any(String), version, posted: `${version}.00` });
      transactions.set(made.version, made.transactionId);
    }
    await onB.waitUntil((subscription) => subscription.data().length >= 10, LIVE_DELIVERY_MS * 2, 'instance B: the burst');
    const burstDeliveredIn = Date.now() - burstStartedAt;
    await expectVersions(onB, accountId, 1, 10, 1_000, 'instance B', transactions);
    await expectVersions(onA, accountId, 1, 10, LIVE_DELIVERY_MS * 2, 'instance A', transactions);
    expect(onB.error).toBeUndefined();
    expect(socketB.isClosed).toBe(false);
    console.info(`fan-out: 10 versions via two instances; burst of 5 deposited and delivered to B in ${burstDeliveredIn} ms; test ${Date.now() - startedAt} ms`);
    await finish(h);
  });

  it('survives a Redis outage: money keeps moving, /readyz says so, and subscribers catch up without gaps or duplicates', { timeout: 120_000 }, async () => {
    const h = newHarness();
    const startedAt = Date.now();
    const port = await freePort();
    const redis = await startRedisServer(port);
    h.redisServers.push(redis);
    const { database, users } = await setUp(h, ['outage']);
    const server = await startServer(h, database, redis.url);
    expect(await readyz(server)).toEqual({ status: 200, body: expect.objectContaining({ database: 'up', redis: 'up' }) });

    const token = await login(server, users[0]!);
    const accountId = await openAccount(server, token);
    const socket = connect(h, server, token);
    await socket.connected;
    const first = subscribe<BalanceUpdatedData>(socket, BALANCE_UPDATED, { id: accountId, after: 0 });
    const transactions = new Map<number, string>();
    for (let version = 1; version <= 3; version += 1) {
      const made = await deposit(server, accountId);
      expect(made.version).toBe(version);
      transactions.set(made.version, made.transactionId);
    }
    await first.waitUntil((subscription) => subscription.data().length >= 3, LIVE_DELIVERY_MS * 2, 'before the outage: versions 1..3');
    expect(versionsOf(first)).toEqual([1, 2, 3]);

    // The outage: this test's own redis-server, and only it, dies.
    redis.kill('SIGKILL');
    await redis.waitForExit(10_000);
    const outageStartedAt = Date.now();
    const outageDeposits: number[] = [];
    for (let version = 4; version <= 8; version += 1) {
      // Two at once, the rest once the server's Redis clients are deep in their reconnect loops
      // and the relay's backoff has grown: money must not wait for Redis at any point.
      if (version === 6) await sleep(3_000);
      const requestStartedAt = Date.now();
      const made = await deposit(server, accountId);
      outageDeposits.push(Date.now() - requestStartedAt);
      expect(made).toEqual({ transactionId: expect.any(String), version, posted: `${version}.00` });
      transactions.set(made.version, made.transactionId);
    }
    const unready = await waitForReadyz(server, 503, 10_000);
    expect(unready.body).toEqual(expect.objectContaining({ redis: 'down' }));
    // Keep Redis away long enough for the relay to back off to its ceiling (5 s).
    await sleep(Math.max(0, 8_000 - (Date.now() - outageStartedAt)));
    const seenDuringOutage = versionsOf(first);
    expect(seenDuringOutage.slice(0, 3)).toEqual([1, 2, 3]);
    const downFor = Date.now() - outageStartedAt;

    // Redis comes back on the same port; the subscriber, still connected, must get 4..8.
    const restarted = await startRedisServer(port);
    h.redisServers.push(restarted);
    const restartedAt = Date.now();
    await first.waitUntil((subscription) => subscription.data().length >= 8, 40_000, 'after the outage: versions 4..8');
    const caughtUpIn = Date.now() - restartedAt;
    await expectVersions(first, accountId, 1, 8, 1_000, 'the subscriber that lived through the outage', transactions);
    expect(socket.isClosed).toBe(false);
    const ready = await waitForReadyz(server, 200, 15_000);
    expect(ready.body).toEqual(expect.objectContaining({ redis: 'up' }));
    const readyAgainIn = Date.now() - restartedAt;

    // A new subscriber resumes after version 5, then gets the next live deposit.
    const second = subscribe<BalanceUpdatedData>(socket, BALANCE_UPDATED, { id: accountId, after: 5 });
    await second.waitUntil((subscription) => subscription.data().length >= 3, LIVE_DELIVERY_MS, 'new subscriber: replay of 6..8');
    expect(versionsOf(second)).toEqual([6, 7, 8]);
    const ninth = await deposit(server, accountId);
    expect(ninth.version).toBe(9);
    transactions.set(9, ninth.transactionId);
    await expectVersions(second, accountId, 6, 9, LIVE_DELIVERY_MS, 'new subscriber after version 5', transactions);
    await expectVersions(first, accountId, 1, 9, LIVE_DELIVERY_MS, 'the first subscriber, live again', transactions);
    console.info(
      `redis outage: deposits during outage took ${JSON.stringify(outageDeposits)} ms; ` +
        `versions seen while Redis was down ${JSON.stringify(seenDuringOutage)}; Redis down ${downFor} ms; ` +
        `subscriber caught up ${caughtUpIn} ms and /readyz 200 ${readyAgainIn} ms after Redis restarted; test ${Date.now() - startedAt} ms`,
    );
    await finish(h);
  });

  it('closes a socket with 4401 when its token expires; a reconnect with afterVersion misses nothing', { timeout: 90_000 }, async () => {
    const h = newHarness();
    const startedAt = Date.now();
    const { database, users } = await setUp(h, ['expiry']);
    const server = await startServer(h, database, REDIS_URL, { ACCESS_TOKEN_TTL_SECONDS: '6' });
    const user = users[0]!;

    const token = await login(server, user);
    const issuedBy = Date.now();
    const expiresAtMs = Number((JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number }).exp) * 1000;
    expect(expiresAtMs - issuedBy).toBeLessThanOrEqual(6_000);
    const accountId = await openAccount(server, token);
    const socket = connect(h, server, token);
    await socket.connected;
    const before = subscribe<BalanceUpdatedData>(socket, BALANCE_UPDATED, { id: accountId, after: 0 });
    const firstDeposit = await deposit(server, accountId);
    expect(firstDeposit.version).toBe(1);
    await before.waitUntil((subscription) => subscription.data().length >= 1, LIVE_DELIVERY_MS, 'an update before the token expires');

    const close = await socket.waitForClose(9_000);
    expect(close.code, `closed with ${close.code} ${close.reason}`).toBe(4401);
    expect(close.atMs - issuedBy, 'closed within ~8 s of the token being issued').toBeLessThanOrEqual(8_000);
    // Not before the token expired (same clock; a little slack for timer granularity).
    expect(close.atMs).toBeGreaterThanOrEqual(expiresAtMs - 250);
    await before.waitForEnd(2_000);
    expect(before.error, 'the subscription ends with the close').toBeDefined();
    expect(versionsOf(before)).toEqual([1]);
    const lastSeen = versionsOf(before).at(-1)!;

    // Money moves while the client is away (posted by the cash service).
    const transactions = new Map<number, string>([[1, firstDeposit.transactionId]]);
    for (let version = 2; version <= 3; version += 1) {
      const made = await deposit(server, accountId);
      expect(made.version).toBe(version);
      transactions.set(made.version, made.transactionId);
    }

    // The client logs in again and resumes after the last version it saw.
    const freshToken = await login(server, user);
    const again = connect(h, server, freshToken);
    await again.connected;
    const resumed = subscribe<BalanceUpdatedData>(again, BALANCE_UPDATED, { id: accountId, after: lastSeen });
    await resumed.waitUntil((subscription) => subscription.data().length >= 2, LIVE_DELIVERY_MS, 'replay of the missed versions 2..3');
    expect(versionsOf(resumed)).toEqual([2, 3]);
    const live = await deposit(server, accountId);
    expect(live.version).toBe(4);
    transactions.set(4, live.transactionId);
    await resumed.waitUntil((subscription) => subscription.data().length >= 3, LIVE_DELIVERY_MS, 'live version 4 after the resume');
    expect(versionsOf(resumed)).toEqual([2, 3, 4]);
    expect([...versionsOf(before), ...versionsOf(resumed)], 'nothing missed, nothing twice').toEqual([1, 2, 3, 4]);
    for (const { balanceUpdated: update } of [...before.data(), ...resumed.data()]) {
      expect(update.balance.posted).toBe(`${update.version}.00`);
      expect(update.transaction?.id).toBe(transactions.get(update.version));
    }
    // The resumed socket expires too: 4401 again, never served past its token.
    const secondClose = await again.waitForClose(9_000);
    expect(secondClose.code).toBe(4401);
    console.info(`token expiry: closed ${close.atMs - issuedBy} ms after issue (exp at +${expiresAtMs - issuedBy} ms); test ${Date.now() - startedAt} ms`);
    await finish(h);
  });

  it('refuses sockets without a valid token (4403) and subscriptions to accounts of others (errors, no data)', { timeout: 90_000 }, async () => {
    const h = newHarness();
    const { database, users } = await setUp(h, ['owner', 'stranger']);
    const [owner, stranger] = [users[0]!, users[1]!];
    const server = await startServer(h, database, REDIS_URL);

    const refusedWith = async (token: string | undefined, label: string) => {
      const socket = connect(h, server, token);
      const close = await socket.waitForClose(8_000);
      expect(close.code, `${label}: ${close.code} ${close.reason}`).toBe(4403);
      await expect(socket.connected, `${label}: never acknowledged`).rejects.toThrow();
    };
    await refusedWith(undefined, 'no token');
    await refusedWith('garbage', 'garbage token');
    const forged = await new TokenSigner('a-different-secret-that-is-long-enough-000000').issueAccessToken(stranger.id, 'CUSTOMER');
    await refusedWith(forged.token, 'token signed with another key');
    const expired = await new TokenSigner(JWT_SECRET, 5).issueAccessToken(stranger.id, 'CUSTOMER', new Date(Date.now() - 60_000));
    await refusedWith(expired.token, 'expired token');

    const ownerToken = await login(server, owner);
    const strangerToken = await login(server, stranger);
    const accountId = await openAccount(server, ownerToken);

    const ownerSocket = connect(h, server, ownerToken);
    const strangerSocket = connect(h, server, strangerToken);
    await Promise.all([ownerSocket.connected, strangerSocket.connected]);
    const ownView = subscribe<BalanceUpdatedData>(ownerSocket, BALANCE_UPDATED, { id: accountId, after: 0 });
    const peek = subscribe<BalanceUpdatedData>(strangerSocket, BALANCE_UPDATED, { id: accountId, after: 0 });
    const peekLive = subscribe<BalanceUpdatedData>(strangerSocket, BALANCE_UPDATED, { id: accountId });
    const missing = subscribe<BalanceUpdatedData>(strangerSocket, BALANCE_UPDATED, { id: randomUUID(), after: 0 });

    const errorsOf = (updates: Updates): unknown[] => [
      ...updates.results.flatMap((result) => result.errors ?? []),
      ...(Array.isArray(updates.error) ? (updates.error as unknown[]) : []),
    ];
    for (const [updates, label] of [
      [peek, 'stranger with afterVersion'],
      [peekLive, 'stranger, live only'],
      [missing, 'an account that does not exist'],
    ] as const) {
      await updates.waitUntil((subscription) => errorsOf(subscription).length > 0, 5_000, `${label}: an error`);
    }
    // A deposit to the owner's account must not leak to the stranger's subscriptions, even after a while.
    const made = await deposit(server, accountId);
    expect(made.version).toBe(1);
    await ownView.waitUntil((subscription) => subscription.data().length >= 1, LIVE_DELIVERY_MS, 'the owner sees the deposit');
    await sleep(SETTLE_MS);
    for (const [updates, label] of [
      [peek, 'stranger with afterVersion'],
      [peekLive, 'stranger, live only'],
      [missing, 'an account that does not exist'],
    ] as const) {
      expect(updates.results.filter((result) => result.data !== undefined && result.data !== null), `${label}: no data`).toEqual([]);
      expect(updates.completed || updates.error !== undefined, `${label}: the subscription has ended (${JSON.stringify(describeError(updates.error))})`).toBe(true);
    }
    // Someone else's account looks exactly like one that does not exist.
    const shapeOf = (updates: Updates) =>
      errorsOf(updates).map((error) => {
        const { message, extensions } = error as { message?: string; extensions?: { code?: unknown } };
        return { message, code: extensions?.code };
      });
    expect(shapeOf(peek)).toEqual(shapeOf(missing));
    expect(shapeOf(peek).length).toBe(1);
    expect(versionsOf(ownView)).toEqual([1]);
    expect(strangerSocket.isClosed).toBe(false);
    await finish(h);
  });
});
