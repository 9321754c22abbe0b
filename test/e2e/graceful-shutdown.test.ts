import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { print } from 'graphql';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import { DepositDocument, LoginDocument, OpenAccountDocument, TransferDocument, type TransferInput, type TransferMutation } from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { REDIS_URL } from '../helpers/services.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { openSocket, subscribe, type LiveSocket } from '../helpers/ws-client.js';

/**
 * SIGTERM under load (README "Operating Tally"): 16 clients move money with idempotent transfers
 * through a "load balancer" that polls /readyz and stops routing new requests once it answers 503,
 * as an orchestrator's would. The server must answer every request it took (the movement
 * committed and acknowledged, or refused), close its WebSockets with 1001, publish the outbox's
 * last events, and exit 0 within SHUTDOWN_TIMEOUT. Afterwards every acknowledged transfer exists
 * exactly once, no refused one exists, and the ledger's laws hold.
 */

const JWT_SECRET = 'graceful-shutdown-secret-that-is-long-enough-0123456789';
const ENCRYPTION_KEY = 'graceful-shutdown-encryption-key-long-enough-0123456789';
const SHUTDOWN_TIMEOUT_SECONDS = 15;
/** Longer than the balancer's poll, so it sees 503 while the port is still open. */
const SHUTDOWN_DRAIN_DELAY_SECONDS = 1;
const READINESS_POLL_MS = 50;
const CLIENTS = 16;
const SIGTERM_AFTER_ACKNOWLEDGED = 150;
const SIGTERM_AFTER_MS = 8_000;
const TRANSFER_QUERY = print(TransferDocument);
const REQUEST_TIMEOUT_MS = 60_000;

type Outcome =
  | { readonly kind: 'acknowledged'; readonly transactionId: string }
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'unanswered'; readonly reason: string };

interface Attempt {
  readonly userId: string;
  readonly input: TransferInput;
  readonly sentAtMs: number;
  outcome?: Outcome;
  answeredAtMs?: number;
}

async function sendTransfer(url: string, token: string, input: TransferInput): Promise<Outcome> {
  let body: { data?: TransferMutation | null; errors?: unknown[] };
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: TRANSFER_QUERY, variables: { input } }),
      // Longer than the server may take to stop: an answer that comes is never cut off by the client.
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    body = (await response.json()) as typeof body;
  } catch (error) {
    return { kind: 'unanswered', reason: error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error) };
  }
  if (body.errors?.length || !body.data) return { kind: 'failed', reason: JSON.stringify(body.errors) };
  const result = body.data.transfer;
  if (result.__typename === 'MoneyMovement') return { kind: 'acknowledged', transactionId: result.transaction.id };
  if (result.__typename === 'MovementInReview') return { kind: 'failed', reason: 'went to review' };
  return { kind: 'refused', code: result.code };
}

describe('graceful shutdown: SIGTERM during concurrent transfers', () => {
  let database: TestDatabase;
  let server: ServerProcess | undefined;
  const sockets: LiveSocket[] = [];
  /** Holds one account's row lock across the port's close; released here if the test failed first. */
  let lockHolder: PoolClient | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await lockHolder?.query('rollback').catch(() => undefined);
    lockHolder?.release();
    for (const socket of sockets) await socket.dispose().catch(() => undefined);
    if (server && !server.exited) {
      server.kill('SIGKILL');
      await server.waitForExit(10_000).catch(() => undefined);
    }
    await database?.drop();
  });

  it('answers every request it took, closes sockets with 1001, and loses nothing', { timeout: 120_000 }, async () => {
    const users = ['alice', 'bob', 'cash'].map((name) => ({ name, username: `${name}-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}`, id: '' }));
    const orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY }));
    try {
      for (const user of users) {
        const service = user.name === 'cash' ? { role: 'SERVICE' as const, channels: ['CASH' as const] } : {};
        user.id = (await addUser(orm, { username: user.username, password: user.password, email: `${user.username}@example.test`, ...service })).id;
      }
    } finally {
      await orm.close(true);
    }
    server = await startServerProcess({
      env: {
        DATABASE_URL: database.url,
        JWT_SECRET,
        ENCRYPTION_KEY,
        REDIS_URL,
        PORT: '0',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'test',
        RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
        MAX_CONCURRENT_REQUESTS_PER_USER: '0',
        RISK_RULES: 'off',
        SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_SECONDS),
        SHUTDOWN_DRAIN_DELAY: String(SHUTDOWN_DRAIN_DELAY_SECONDS),
      },
    });
    const url = server.url;
    const tokens = new Map<string, string>();
    for (const user of users) {
      const login = dataOf(await postGraphQL(url, LoginDocument, { username: user.username, password: user.password })).generateToken;
      if (login.__typename !== 'AuthTokens') throw new Error(`login failed: ${JSON.stringify(login)}`);
      tokens.set(user.name, login.accessToken);
    }
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const openFunded = async (owner: string): Promise<string> => {
      const opened = dataOf(await postGraphQL(url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, tokens.get(owner))).openAccount;
      if (opened.__typename !== 'OpenAccountSuccess') throw new Error(`open failed: ${JSON.stringify(opened)}`);
      const deposited = dataOf(await postGraphQL(url, DepositDocument, { input: { accountId: opened.account.id, amount: '1000.00', channel: 'CASH', idempotencyKey: randomUUID() } }, tokens.get('cash'))).deposit;
      if (deposited.__typename !== 'MoneyMovement') throw new Error(`deposit failed: ${JSON.stringify(deposited)}`);
      return opened.account.id;
    };
    const accounts = { alice: [await openFunded('alice'), await openFunded('alice'), await openFunded('alice')], bob: [await openFunded('bob'), await openFunded('bob')] };
    // A transfer between two accounts no client uses, from one the test holds locked: it is still
    // in flight when the port closes, and blocks nobody else.
    const lockedAccount = await openFunded('alice');
    const heldPayee = await openFunded('bob');

    // Live subscribers on the accounts that move: each must see the server's 1001 "going away".
    for (const [owner, accountId] of [['alice', accounts.alice[0]!], ['bob', accounts.bob[0]!]] as const) {
      const socket = openSocket(url, tokens.get(owner));
      sockets.push(socket);
      await socket.connected;
      const updates = subscribe<{ balanceUpdated: { version: number } }>(socket, 'subscription($id: ID!) { balanceUpdated(accountId: $id, afterVersion: 0) { version } }', { id: accountId });
      await updates.waitUntil((subscription) => subscription.data().length > 0, 5_000, 'first balance update');
    }

    // The load balancer: routes while /readyz is 200, and never again once it is not.
    let routing = true;
    const readiness: Array<{ atMs: number; status: number | 'refused'; body: string }> = [];
    const balancer = (async () => {
      while (!server!.exited) {
        const seen = await fetch(`${url}/readyz`).then(async (response) => ({ status: response.status, body: await response.text() }), () => ({ status: 'refused' as const, body: '' }));
        readiness.push({ atMs: Date.now(), ...seen });
        if (seen.status !== 200) routing = false;
        await sleep(READINESS_POLL_MS);
      }
    })();

    const attempts: Attempt[] = [];
    let acknowledged = 0;
    let sigtermAtMs: number | undefined;
    let held: Promise<Outcome> | undefined;
    let heldInput: TransferInput | undefined;
    /** A backend of the server's waits for the test's row lock: the held transfer is in flight. */
    const heldIsWaiting = async () =>
      (await database.pool.query(`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rowCount! > 0;
    const sigterm = () => {
      if (held) return;
      held = sendTransfer(url, tokens.get('alice')!, heldInput!);
      void (async () => {
        for (let waited = 0; !(await heldIsWaiting()) && waited < 10_000; waited += READINESS_POLL_MS) await sleep(READINESS_POLL_MS);
        sigtermAtMs = Date.now();
        server!.kill('SIGTERM');
      })();
    };
    lockHolder = await database.pool.connect();
    await lockHolder.query('begin');
    await lockHolder.query('select 1 from accounts where id = $1 for update', [lockedAccount]);
    heldInput = { fromAccountId: lockedAccount, toAccountId: heldPayee, amount: '12.34', idempotencyKey: 'held-across-close' };
    const timer = setTimeout(sigterm, SIGTERM_AFTER_MS);
    const client = async (index: number) => {
      const owner = index % 2 === 0 ? alice : bob;
      const own = index % 2 === 0 ? accounts.alice : accounts.bob;
      const others = index % 2 === 0 ? accounts.bob : accounts.alice;
      for (let serial = 0; routing; serial += 1) {
        const input = { fromAccountId: own[serial % own.length]!, toAccountId: serial % 3 === 0 ? own[(serial + 1) % own.length]! : others[serial % others.length]!, amount: `${1 + (serial % 7)}.${String(index).padStart(2, '0')}`, idempotencyKey: `c${index}-${serial}` };
        const attempt: Attempt = { userId: owner.id, input, sentAtMs: Date.now() };
        attempts.push(attempt);
        attempt.outcome = await sendTransfer(url, tokens.get(owner.name)!, input);
        attempt.answeredAtMs = Date.now();
        if (attempt.outcome.kind === 'acknowledged' && (acknowledged += 1) >= SIGTERM_AFTER_ACKNOWLEDGED) sigterm();
        if (attempt.outcome.kind === 'unanswered') return;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
    clearTimeout(timer);
    expect(sigtermAtMs, 'SIGTERM was sent while the clients were sending').toBeDefined();
    // The port closes after the drain delay (the balancer's probe is refused); the held transfer is still waiting for its lock.
    while (!readiness.some((probe) => probe.status === 'refused') && !server.exited) await sleep(READINESS_POLL_MS);
    expect(server.exited, 'the server waits for the in-flight transfer').toBe(false);
    await lockHolder.query('commit');
    lockHolder.release();
    lockHolder = undefined;
    const releasedAtMs = Date.now();
    const heldOutcome = await held!;
    const timeline = `SIGTERM at 0, port closed by ${readiness.find((probe) => probe.status === 'refused')!.atMs - sigtermAtMs!} ms, lock released at ${releasedAtMs - sigtermAtMs!} ms, answered at ${Date.now() - sigtermAtMs!} ms`;
    expect(heldOutcome.kind, `${JSON.stringify(heldOutcome)}; ${timeline}\n${server.stderr()}`).toBe('acknowledged');
    attempts.push({ userId: alice.id, input: heldInput!, sentAtMs: 0, outcome: heldOutcome, answeredAtMs: Date.now() });
    acknowledged += 1;
    const exit = await server.waitForExit(SHUTDOWN_TIMEOUT_SECONDS * 1000 + 5_000);
    const exitedAfterMs = Date.now() - sigtermAtMs!;
    await balancer;

    expect(exit, `the server exits 0 on SIGTERM\n${server.stderr()}`).toEqual({ code: 0, signal: null });
    expect(exitedAfterMs, 'within SHUTDOWN_TIMEOUT').toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000);

    // /readyz: ready before SIGTERM, then 503 "draining" while the port was still open.
    expect(readiness.some((probe) => probe.atMs < sigtermAtMs! && probe.status === 200)).toBe(true);
    const draining = readiness.filter((probe) => probe.status === 503);
    expect(draining.length, JSON.stringify(readiness.slice(-10))).toBeGreaterThan(0);
    expect(JSON.parse(draining[0]!.body)).toEqual({ status: 'draining' });
    expect(draining[0]!.atMs - sigtermAtMs!).toBeLessThan(SHUTDOWN_DRAIN_DELAY_SECONDS * 1000);

    // No client was left without an answer: every request it sent was acknowledged or refused.
    const unanswered = attempts.filter((attempt) => attempt.outcome?.kind !== 'acknowledged' && attempt.outcome?.kind !== 'refused');
    expect(unanswered.map((attempt) => [attempt.input.idempotencyKey, attempt.outcome])).toEqual([]);
    const inFlightAtSigterm = attempts.filter((attempt) => attempt.sentAtMs <= sigtermAtMs! && attempt.answeredAtMs! > sigtermAtMs!);
    expect(inFlightAtSigterm.length, 'some transfers were in flight at SIGTERM and answered').toBeGreaterThan(0);
    const answeredDuringDrain = attempts.filter((attempt) => attempt.sentAtMs > sigtermAtMs!);
    console.info(`graceful shutdown: ${attempts.length} transfers (${acknowledged} acknowledged), ${inFlightAtSigterm.length} in flight at SIGTERM, ${answeredDuringDrain.length} sent after it and answered; exit after ${exitedAfterMs} ms`);

    for (const socket of sockets) expect((await socket.waitForClose(1_000)).code, 'WebSocket close code').toBe(1001);

    // Behind the API: each acknowledged transfer exactly once with the id its client was told, no refused one.
    const { rows } = await database.pool.query<{ id: string; key: string; by: string }>(
      `select id::text, idempotency_key as key, initiated_by::text as by from ledger_transactions where kind = 'TRANSFER'`,
    );
    const byKey = new Map<string, string[]>();
    for (const row of rows) byKey.set(`${row.by}/${row.key}`, [...(byKey.get(`${row.by}/${row.key}`) ?? []), row.id]);
    for (const attempt of attempts) {
      const stored = byKey.get(`${attempt.userId}/${attempt.input.idempotencyKey}`) ?? [];
      if (attempt.outcome?.kind === 'acknowledged') expect(stored, attempt.input.idempotencyKey).toEqual([attempt.outcome.transactionId]);
      else expect(stored, attempt.input.idempotencyKey).toEqual([]);
    }
    expect(rows.length).toBe(acknowledged);
    // The relay drained before exit: every committed balance event was published.
    const { rows: outbox } = await database.pool.query<{ waiting: string }>(`select count(*)::text as waiting from outbox_events where published_at is null`);
    expect(outbox[0]!.waiting).toBe('0');
    expect(await brokenLaws(database.pool)).toEqual([]);
  });
});
