import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsDocument, DepositDocument, HistoryDocument, LoginDocument, OpenAccountDocument, PayeeDocument } from '../generated/graphql.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { descendantsOf, eventually, isPortFree, stillRunning } from '../helpers/process-tree.js';
import { REPOSITORY_ROOT, spawnServerProcess, startServerProcess, type ServerProcess, type SpawnedProcess } from '../helpers/server-process.js';
import { LOCK_FILE_NAME } from '../../src/db/data-directory-lock.js';

/**
 * `npm start` with nothing configured: embedded PGlite under TALLY_DATA_DIR, in-process pub/sub,
 * a generated JWT secret, demo users printed in the banner. Then a restart on the same directory
 * must keep the data and must not create the demo users again.
 */

// PGlite boots a WebAssembly PostgreSQL and the first start also migrates and writes demo data:
// tens of seconds on a loaded two-core machine.
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** Everything that configures Tally is removed, so the child sees exactly `npm start`'s defaults. */
const UNCONFIGURED = {
  DATABASE_URL: undefined,
  REDIS_URL: undefined,
  JWT_SECRET: undefined,
  ENCRYPTION_KEY: undefined,
  NODE_ENV: undefined,
  GRAPHIQL: undefined,
  LOG_LEVEL: undefined,
  DATABASE_POOL_SIZE: undefined,
  RATE_LIMIT_MOVEMENTS_PER_MINUTE: undefined,
  RATE_LIMIT_LOGIN_FAILURES: undefined,
} as const;

const DEMO_PASSWORD = (username: string) => new RegExp(`username: ${username}\\s+password: (\\S+)`);

interface FirstRun {
  readonly alicePassword: string;
  readonly bobPassword: string;
  readonly atmPassword: string;
  readonly accessToken: string;
  readonly accountIds: readonly string[];
  readonly openedAccountId: string;
  readonly depositKey: string;
  readonly depositTransactionId: string;
}

async function get(url: string, accept = 'application/json'): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(url, { headers: { accept }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

async function login(url: string, username: string, password: string): Promise<string> {
  const result = dataOf(await postGraphQL(url, LoginDocument, { username, password })).generateToken;
  if (result.__typename !== 'AuthTokens') throw new Error(`login of ${username} failed: ${JSON.stringify(result)}`);
  return result.accessToken;
}

/** SIGTERM, then the exit; a process that ignores SIGTERM is SIGKILLed so the next step can run. */
async function stop(server: SpawnedProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'hung'> {
  server.kill('SIGTERM');
  try {
    return await server.waitForExit(timeoutMs);
  } catch {
    server.kill('SIGKILL');
    await server.waitForExit(10_000);
    return 'hung';
  }
}

describe('npm start with nothing configured (embedded PGlite)', () => {
  let dataDirectory: string;
  let server: ServerProcess | undefined;
  let firstRun: FirstRun | undefined;

  const start = () =>
    startServerProcess({ env: { ...UNCONFIGURED, TALLY_DATA_DIR: dataDirectory, PORT: '0' }, startTimeoutMs: START_TIMEOUT_MS });

  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 'tally-embedded-'));
  });

  afterAll(async () => {
    if (server && !server.exited) {
      server.kill('SIGKILL');
      await server.waitForExit(10_000).catch(() => undefined);
    }
    await rm(dataDirectory, { recursive: true, force: true });
  });

  it('starts, serves health, GraphiQL without a CDN, and demo users who can move money', { timeout: 150_000 }, async () => {
    server = await start();
    const { url } = server;
    const alicePassword = (await server.waitForOutput(DEMO_PASSWORD('alice'), 10_000))[1]!;
    const bobPassword = (await server.waitForOutput(DEMO_PASSWORD('bob'), 10_000))[1]!;
    const tellerPassword = (await server.waitForOutput(DEMO_PASSWORD('teller'), 10_000))[1]!;
    const atmPassword = (await server.waitForOutput(DEMO_PASSWORD('atm-network'), 10_000))[1]!;
    expect(server.stdout()).toContain(`embedded PGlite under ${dataDirectory}`);
    // The generated secret is kept with the data, so tokens survive a restart.
    expect(existsSync(join(dataDirectory, 'jwt-secret'))).toBe(true);

    const health = await get(`${url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await get(`${url}/readyz`);
    expect(ready.status, ready.text).toBe(200);

    const graphiql = await get(`${url}/graphql`, 'text/html');
    expect(graphiql.status).toBe(200);
    expect(graphiql.type).toMatch(/text\/html/);
    expect(graphiql.text).toMatch(/graphiql/i);
    // Served from the app itself: no script or stylesheet is fetched from another host.
    expect(graphiql.text.match(/<script[^>]*\ssrc\s*=\s*["']?(https?:)?\/\/[^>]*>/gi) ?? []).toEqual([]);
    expect(graphiql.text.match(/<link[^>]*\shref\s*=\s*["']?(https?:)?\/\/[^>]*>/gi) ?? []).toEqual([]);

    const accessToken = await login(url, 'alice', alicePassword);
    const bobToken = await login(url, 'bob', bobPassword);
    // The demo users have full names, which a payer sees masked.
    const bobAccount = dataOf(await postGraphQL(url, AccountsDocument, {}, bobToken)).accounts[0]!;
    expect(dataOf(await postGraphQL(url, PayeeDocument, { accountNumber: bobAccount.number }, accessToken)).payee).toEqual({
      accountId: bobAccount.id,
      currency: bobAccount.currency,
      holderName: 'B*** S****',
    });
    const accounts = dataOf(await postGraphQL(url, AccountsDocument, {}, accessToken)).accounts;
    expect(accounts.length).toBeGreaterThan(0);
    for (const account of accounts) {
      expect(account.balance.accountId).toBe(account.id);
      expect(account.balance.posted).toMatch(/^-?\d+(\.\d+)?$/);
      expect(account.balance.available).toMatch(/^-?\d+(\.\d+)?$/);
      expect(account.balance.version).toBeGreaterThanOrEqual(0);
    }
    // The demo gives alice some history to look at.
    expect(accounts.some((account) => account.balance.version > 0 && account.balance.posted !== '0.00')).toBe(true);

    const opened = dataOf(
      await postGraphQL(url, OpenAccountDocument, { input: { type: 'SAVINGS', currency: 'USD', nickname: 'e2e', idempotencyKey: randomUUID() } }, accessToken),
    ).openAccount;
    if (opened.__typename !== 'OpenAccountSuccess') throw new Error(`open failed: ${JSON.stringify(opened)}`);
    const openedAccountId = opened.account.id;
    expect(opened.account.balance).toMatchObject({ posted: '0.00', version: 0 });

    // Cash is the cash service's to post: a customer's cash deposit is the typed refusal on PGlite
    // too, never a top-level "Internal server error", and stores nothing under its key.
    const depositKey = `embedded-${randomUUID()}`;
    const cash = { input: { accountId: openedAccountId, amount: '123.45', channel: 'CASH' as const, idempotencyKey: depositKey } };
    const refused = await postGraphQL(url, DepositDocument, cash, accessToken);
    expect(refused.errors).toBeUndefined();
    expect(dataOf(refused).deposit).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    // The demo's teller and ATM network sign in like anyone; the ATM network posts the cash.
    await login(url, 'teller', tellerPassword);
    const atmToken = await login(url, 'atm-network', atmPassword);
    const deposited = dataOf(await postGraphQL(url, DepositDocument, cash, atmToken)).deposit;
    if (deposited.__typename !== 'MoneyMovement') throw new Error(`deposit failed: ${JSON.stringify(deposited)}`);
    expect(deposited.replayed).toBe(false);
    expect(deposited.balances.find((balance) => balance.accountId === openedAccountId)).toMatchObject({ posted: '123.45', available: '123.45', version: 1 });

    const history = dataOf(await postGraphQL(url, HistoryDocument, { accountId: openedAccountId, first: 10 }, accessToken)).transactions;
    expect(history.edges.map((edge) => ({ id: edge.node.transaction.id, kind: edge.node.transaction.kind, amount: edge.node.amount, balanceAfter: edge.node.balanceAfter, version: edge.node.version }))).toEqual([
      { id: deposited.transaction.id, kind: 'DEPOSIT', amount: '123.45', balanceAfter: '123.45', version: 1 },
    ]);

    const accountsAfter = dataOf(await postGraphQL(url, AccountsDocument, {}, accessToken)).accounts;
    expect(accountsAfter.map((account) => account.id).sort()).toEqual([...accounts.map((account) => account.id), openedAccountId].sort());

    firstRun = {
      alicePassword,
      bobPassword,
      atmPassword,
      accessToken,
      accountIds: accountsAfter.map((account) => account.id).sort(),
      openedAccountId,
      depositKey,
      depositTransactionId: deposited.transaction.id,
    };
  });

  it('stops by itself on SIGTERM, with exit code 0', { timeout: 60_000 }, async () => {
    expect(server, 'the first start succeeded').toBeDefined();
    const exit = await stop(server!, STOP_TIMEOUT_MS);
    expect(exit, `SIGTERM must end the process within ${STOP_TIMEOUT_MS} ms; output:\n${server!.stdout().slice(-2000)}${server!.stderr().slice(-2000)}`).toEqual({
      code: 0,
      signal: null,
    });
  });

  it('restarts on the same data directory with the data kept and the same demo users', { timeout: 150_000 }, async () => {
    expect(firstRun, 'the first run succeeded').toBeDefined();
    const before = firstRun!;
    if (server && !server.exited) server.kill('SIGKILL');
    await server?.waitForExit(10_000);

    server = await start();
    const { url } = server;
    // The same passwords: the demo users were not created again (a new creation draws new ones).
    expect((await server.waitForOutput(DEMO_PASSWORD('alice'), 10_000))[1]).toBe(before.alicePassword);
    expect((await server.waitForOutput(DEMO_PASSWORD('bob'), 10_000))[1]).toBe(before.bobPassword);
    expect((await get(`${url}/readyz`)).status).toBe(200);

    // A token from before the restart is still valid: the generated secret was kept.
    const accountsWithOldToken = dataOf(await postGraphQL(url, AccountsDocument, {}, before.accessToken)).accounts;
    expect(accountsWithOldToken.map((account) => account.id).sort()).toEqual(before.accountIds);
    const accessToken = await login(url, 'alice', before.alicePassword);
    await login(url, 'bob', before.bobPassword);

    const opened = accountsWithOldToken.find((account) => account.id === before.openedAccountId);
    expect(opened?.balance).toMatchObject({ posted: '123.45', available: '123.45', version: 1 });
    const history = dataOf(await postGraphQL(url, HistoryDocument, { accountId: before.openedAccountId, first: 10 }, accessToken)).transactions;
    expect(history.edges.map((edge) => [edge.node.transaction.id, edge.node.amount, edge.node.version])).toEqual([[before.depositTransactionId, '123.45', 1]]);

    // Exactly once across the restart: the same key replays the stored outcome and moves nothing.
    const atmToken = await login(url, 'atm-network', before.atmPassword);
    const replay = dataOf(
      await postGraphQL(url, DepositDocument, { input: { accountId: before.openedAccountId, amount: '123.45', channel: 'CASH', idempotencyKey: before.depositKey } }, atmToken),
    ).deposit;
    expect(replay.__typename === 'MoneyMovement' ? { id: replay.transaction.id, replayed: replay.replayed } : replay).toEqual({
      id: before.depositTransactionId,
      replayed: true,
    });
    const after = dataOf(await postGraphQL(url, AccountsDocument, {}, accessToken)).accounts.find((account) => account.id === before.openedAccountId);
    expect(after?.balance).toMatchObject({ posted: '123.45', version: 1 });

    // Stopped for the look at the files below; a clean exit is the previous test's business.
    await stop(server, STOP_TIMEOUT_MS);
  });

  it('holds each demo user once and keeps every ledger law, read straight from the data directory', { timeout: 90_000 }, async () => {
    expect(firstRun, 'the first run succeeded').toBeDefined();
    expect(server?.exited, 'the server has stopped').toBe(true);
    const database = await PGlite.create(join(dataDirectory, 'pglite'));
    try {
      const users = await database.query<{ username: string; copies: number }>(
        `select username, count(*)::int as copies from users group by username order by username`,
      );
      expect(users.rows).toEqual([
        // The reserved system principal (ledger/system/system-actor.ts) is there from the migrations.
        { username: '@system', copies: 1 },
        { username: 'alice', copies: 1 },
        { username: 'atm-network', copies: 1 },
        { username: 'bob', copies: 1 },
        { username: 'teller', copies: 1 },
      ]);
      const deposits = await database.query<{ copies: number }>(`select count(*)::int as copies from ledger_transactions where idempotency_key = $1`, [
        firstRun!.depositKey,
      ]);
      expect(deposits.rows).toEqual([{ copies: 1 }]);
      // brokenLaws only calls `query(sql)` and reads `rows`, which PGlite answers the same way.
      const pool = { query: (sql: string) => database.query(sql) } as unknown as pg.Pool;
      expect(await brokenLaws(pool)).toEqual([]);
    } finally {
      await database.close();
    }
  });
});

/** `npm run tally -- user add carol …` with its password on standard input. */
function runUserAdd(env: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string }> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...env })) if (value !== undefined) environment[name] = value;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'user', 'add', 'carol', '--email', 'carol@example.test'], {
    cwd: REPOSITORY_ROOT,
    env: environment,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  child.stdin.end('a-long-enough-password\n');
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('npm start as a process: signals sent to npm, a taken port, one process per data directory', () => {
  let dataDirectory: string;
  let lockFile: string;
  const spawned: SpawnedProcess[] = [];
  /** Processes below npm, seen while it ran: a broken stop would leave them orphaned. */
  const seenBelowNpm = new Set<number>();
  const environment = (overrides: Record<string, string> = {}) => ({ ...UNCONFIGURED, TALLY_DATA_DIR: dataDirectory, PORT: '0', ...overrides });
  const track = <T extends SpawnedProcess>(child: T): T => {
    spawned.push(child);
    return child;
  };
  // How long a process that refuses to start may take: loading the app before the refusal takes
  // seconds on a loaded machine (the taken port is refused before that).
  const REFUSAL_TIMEOUT_MS = 60_000;

  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 'tally-lifecycle-'));
    lockFile = join(dataDirectory, LOCK_FILE_NAME);
  });

  afterAll(async () => {
    for (const child of spawned) {
      if (!child.exited) for (const pid of descendantsOf(child.pid)) seenBelowNpm.add(pid);
      child.kill('SIGKILL');
      await child.waitForExit(10_000).catch(() => undefined);
    }
    for (const pid of stillRunning([...seenBelowNpm])) process.kill(pid, 'SIGKILL');
    await rm(dataDirectory, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s sent to npm itself stops the server: npm exits 0, no process of it remains, the port is free, the lock is gone',
    { timeout: 150_000 },
    async (signal) => {
      const npm = track(await startServerProcess({ env: environment(), throughNpm: true, startTimeoutMs: START_TIMEOUT_MS }));
      const port = Number(new URL(npm.url).port);
      const tree = descendantsOf(npm.pid);
      for (const pid of tree) seenBelowNpm.add(pid);
      expect(tree.length, 'npm runs the server as its child').toBeGreaterThan(0);
      expect(existsSync(lockFile)).toBe(true);
      expect((await get(`${npm.url}/healthz`)).status).toBe(200);

      npm.kill(signal);
      expect(await npm.waitForExit(STOP_TIMEOUT_MS)).toEqual({ code: 0, signal: null });
      // Before `exec`, npm's shell died and node was orphaned here, still serving.
      expect(await eventually(() => stillRunning(tree).length === 0, 10_000), `still running: ${stillRunning(tree).join(', ')}`).toBe(true);
      expect(await isPortFree(port)).toBe(true);
      expect(existsSync(lockFile), 'the lock is released on a clean stop').toBe(false);
    },
  );

  it('refuses a second start on the same data directory in one line; after the first is SIGKILLed, a new one starts', { timeout: 240_000 }, async () => {
    const first = track(await startServerProcess({ env: environment(), startTimeoutMs: START_TIMEOUT_MS }));
    const second = track(spawnServerProcess({ env: environment(), throughNpm: true }));
    expect(await second.waitForExit(REFUSAL_TIMEOUT_MS)).toEqual({ code: 1, signal: null });
    expect(second.stderr().split('\n').filter(Boolean)).toEqual([
      `tally: the data directory ${dataDirectory} is in use by another Tally process (pid ${first.pid}); stop it, or set TALLY_DATA_DIR to another directory`,
    ]);
    expect(second.stdout()).not.toContain('serving the ledger API');
    // The user command opens the same database, so it is refused the same way while a server runs.
    const command = await runUserAdd(environment());
    expect(command.code).toBe(1);
    expect(command.stderr.split('\n').filter(Boolean)).toEqual([
      `tally: the data directory ${dataDirectory} is in use by another Tally process (pid ${first.pid}); stop it, or set TALLY_DATA_DIR to another directory`,
    ]);
    // The refused process changed nothing: the first still serves and still holds the lock.
    expect((await get(`${first.url}/readyz`)).status).toBe(200);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: first.pid });

    // SIGKILL runs no exit handler: the dead process's lock stays behind and must not block a restart.
    first.kill('SIGKILL');
    await first.waitForExit(10_000);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: first.pid });
    const third = track(await startServerProcess({ env: environment(), startTimeoutMs: START_TIMEOUT_MS }));
    expect((await get(`${third.url}/readyz`)).status).toBe(200);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: third.pid });
    expect(await stop(third, STOP_TIMEOUT_MS)).toEqual({ code: 0, signal: null });
    expect(existsSync(lockFile)).toBe(false);
  });

  it('stops at once with one line when the port is taken, having opened no database', { timeout: 60_000 }, async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'tally-port-taken-'));
    const holder = createServer();
    try {
      await new Promise<void>((resolve) => holder.listen(0, resolve));
      const { port } = holder.address() as AddressInfo;
      const startedAt = Date.now();
      const npm = track(spawnServerProcess({ env: { ...environment({ PORT: String(port) }), TALLY_DATA_DIR: fresh }, throughNpm: true }));
      // Refused before the app is loaded: about 2 s here; the bound is for a loaded machine.
      expect(await npm.waitForExit(20_000)).toEqual({ code: 1, signal: null });
      expect(Date.now() - startedAt).toBeLessThan(20_000);
      expect(npm.stderr()).toBe(`tally: port ${port} is already in use (set PORT to another port)\n`);
      expect(existsSync(join(fresh, 'pglite')), 'the embedded database was never opened').toBe(false);
      expect(existsSync(join(fresh, LOCK_FILE_NAME))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
      await rm(fresh, { recursive: true, force: true });
    }
  });
});
