import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrate, openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import { DepositDocument, LoginDocument, OpenAccountDocument, TransferDocument, type TransferInput, type TransferMutation } from '../generated/graphql.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { startPatroniCluster, type PatroniCluster } from '../helpers/patroni-cluster.js';
import { REDIS_URL } from '../helpers/services.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * Failover under Patroni (README "High availability"): Tally's DATABASE_URL points at HAProxy in
 * front of two PostgreSQL nodes in synchronous mode strict. The bank workload runs while the
 * leader's postmaster is SIGKILLed; Patroni promotes the synchronous standby and Tally carries on
 * by itself (the pool drops dead connections, the envelope re-runs a unit that lost its
 * connection, clients retry unanswered keys). Afterwards every acknowledged transfer exists once,
 * no refused one exists, the ledger laws hold on the new leader, and /readyz was 503 only in the
 * outage (from the kill to the end of the longest gap). The second case kills the follower: with
 * strict on a commit waits for it to come back, with strict off the leader goes on alone.
 */

const JWT_SECRET = 'patroni-failover-secret-that-is-long-enough-0123456789';
const ENCRYPTION_KEY = 'patroni-failover-encryption-key-long-enough-0123456789';
const OPENING_MINOR = 1_000_000n;
const CLIENTS = 16;
const ACCOUNTS = 6;
const STEADY_MS = 3_000;
const REQUEST_TIMEOUT_MS = 20_000;
const RETRY_PAUSE_MS = 200;
/**
 * How long after the gap a probe may still be answered 503: right after it the clients' retries
 * fill the pool, and a probe queued behind them waits up to DATABASE_POOL_WAIT_MS (3 s) for a
 * connection; plus the poll interval.
 */
const READYZ_SLACK_MS = 4_500;
const METRICS_TOKEN = 'patroni-failover-metrics-token';

type Outcome =
  | { readonly kind: 'acknowledged'; readonly transactionId: string; readonly replayed: boolean }
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'unanswered'; readonly reason: string };

interface Attempt {
  readonly input: TransferInput & { readonly fromAccountId: string; readonly toAccountId: string };
  readonly amountMinor: bigint;
  readonly outcomes: Outcome[];
  /** When the key was finally answered (ms since the epoch). */
  answeredAt?: number;
}

const TRANSFER_QUERY = print(TransferDocument);
const formatMinor = (minor: bigint) => `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;
const pick = <T,>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const seconds = (at: number | undefined, from: number) => (at === undefined ? '?' : ((at - from) / 1000).toFixed(1));
const isAnswer = (outcome: Outcome | undefined) => outcome !== undefined && outcome.kind !== 'unanswered';

/** One transfer over HTTP, classified: no answer, or a top-level error, is "unanswered" (retry). */
async function sendTransfer(url: string, token: string, input: TransferInput, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Outcome> {
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: TRANSFER_QUERY, variables: { input } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { data?: TransferMutation | null; errors?: unknown[] };
    if (body.errors?.length || !body.data) return { kind: 'unanswered', reason: `${response.status} ${JSON.stringify(body.errors)}` };
    const result = body.data.transfer;
    if (result.__typename === 'MoneyMovement') return { kind: 'acknowledged', transactionId: result.transaction.id, replayed: result.replayed };
    if (result.__typename === 'MovementInReview') throw new Error('a failover transfer went to risk review');
    return { kind: 'refused', code: result.code };
  } catch (error) {
    return { kind: 'unanswered', reason: error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error) };
  }
}

/** Sends one key until it is answered, with the same input each time, as a real client must. */
async function untilAnswered(url: string, token: string, attempt: Attempt, deadline: number): Promise<void> {
  while (!isAnswer(attempt.outcomes.at(-1)) && Date.now() < deadline) {
    if (attempt.outcomes.length > 0) await sleep(RETRY_PAUSE_MS);
    attempt.outcomes.push(await sendTransfer(url, token, attempt.input));
  }
  if (isAnswer(attempt.outcomes.at(-1))) attempt.answeredAt = Date.now();
}

/** /readyz every 200 ms: when each probe was sent and answered, and with what status (0: none). */
function pollReadiness(url: string): { samples: Array<{ sentAt: number; answeredAt: number; status: number }>; stop: () => Promise<void> } {
  const samples: Array<{ sentAt: number; answeredAt: number; status: number }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const sentAt = Date.now();
      const status = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) }).then((response) => response.status, () => 0);
      samples.push({ sentAt, answeredAt: Date.now(), status });
      await sleep(200);
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Polls Patroni's view every 250 ms: when another node first led, and when a synchronous standby was back. */
function watchFailover(cluster: PatroniCluster, oldLeader: string): { promotedAt?: number; standbyAt?: number; stop: () => Promise<void> } {
  let running = true;
  const watch: { promotedAt?: number; standbyAt?: number; stop: () => Promise<void> } = { stop: async () => undefined };
  const loop = (async () => {
    while (running) {
      const members = await cluster.members();
      const now = Date.now();
      if (watch.promotedAt === undefined && members.some((member) => member.role === 'leader' && member.state === 'running' && member.name !== oldLeader)) watch.promotedAt = now;
      if (watch.promotedAt !== undefined && watch.standbyAt === undefined && members.some((member) => member.role === 'sync_standby' && member.name === oldLeader)) watch.standbyAt = now;
      await sleep(250);
    }
  })();
  watch.stop = async () => {
    running = false;
    await loop;
  };
  return watch;
}

/** The longest stretch without a newly acknowledged movement, from the times keys were answered. */
function longestGap(times: readonly number[], from: number): { start: number; end: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let best = { start: from, end: from };
  let previous = sorted.filter((time) => time <= from).at(-1) ?? from;
  for (const time of sorted.filter((time) => time > from)) {
    if (time - previous > best.end - best.start) best = { start: previous, end: time };
    previous = time;
  }
  return best;
}

describe('failover under Patroni: synchronous mode strict behind HAProxy', () => {
  let cluster: PatroniCluster | undefined;
  let server: ServerProcess | undefined;
  let pool: pg.Pool | undefined;
  let bank: { token: string; accounts: string[] };
  const attempts: Attempt[] = [];
  /** A transfer between two of the customer's accounts under a fresh key, recorded for the checks. */
  const newAttempt = (): Attempt => {
    const fromAccountId = pick(bank.accounts);
    const toAccountId = pick(bank.accounts.filter((id) => id !== fromAccountId));
    const amountMinor = BigInt(100 + Math.floor(Math.random() * 20_000));
    const attempt: Attempt = { input: { fromAccountId, toAccountId, amount: formatMinor(amountMinor), idempotencyKey: randomUUID() }, amountMinor, outcomes: [] };
    attempts.push(attempt);
    return attempt;
  };

  beforeAll(async () => {
    cluster = await startPatroniCluster();
    const admin = new pg.Client({ connectionString: cluster.databaseUrl('postgres') });
    await admin.connect();
    await admin.query('create database tally');
    await admin.end();
    pool = new pg.Pool({ connectionString: cluster.databaseUrl('tally'), max: 2 });
    // Its connections die with the leader; the checks afterwards get fresh ones.
    pool.on('error', () => undefined);
    const users = await createUsers(cluster.databaseUrl('tally'));
    server = await startServerProcess({ env: serverEnvironment(cluster.databaseUrl('tally')), startTimeoutMs: 45_000 });
    bank = await openBank(server.url, users);
  }, 240_000);

  afterAll(async () => {
    if (server && !server.exited) {
      server.kill('SIGKILL');
      await server.waitForExit(10_000).catch(() => undefined);
    }
    await pool?.end().catch(() => undefined);
    await cluster?.stop();
  }, 30_000);

  it('keeps every acknowledged transfer exactly once when the leader\'s PostgreSQL is SIGKILLed under 16 clients', { timeout: 120_000 }, async () => {
    const ha = cluster!;
    const url = server!.url;
    const oldLeader = (await ha.leader())!;
    const readiness = pollReadiness(url);
    const startedAt = Date.now();
    let stopAt = Number.POSITIVE_INFINITY;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < stopAt) await untilAnswered(url, bank.token, newAttempt(), Date.now() + 60_000);
    });
    await sleep(STEADY_MS);
    const killedAt = Date.now();
    ha.killPostgres(oldLeader);
    const roles = watchFailover(ha, oldLeader.name);
    // The workload goes on until a movement was acknowledged after the kill, then STEADY_MS more.
    const recovered = await waitFor(() => attempts.some((attempt) => (attempt.answeredAt ?? 0) > killedAt + 100 && attempt.outcomes.at(-1)?.kind === 'acknowledged'), 60_000);
    expect(recovered, 'a movement succeeds after the failover').toBe(true);
    stopAt = Date.now() + STEADY_MS;
    await Promise.all(clients);
    const endedAt = Date.now();
    await readiness.stop();
    expect((await ha.leader())?.name, 'Patroni promoted the other node').not.toBe(oldLeader.name);
    await waitFor(() => roles.standbyAt !== undefined, 60_000);
    await roles.stop();
    await ha.waitUntilHealthy(60_000);

    const acknowledgedTimes = attempts.flatMap((attempt) => (attempt.outcomes.at(-1)?.kind === 'acknowledged' ? [attempt.answeredAt!] : []));
    const gap = longestGap(acknowledgedTimes, killedAt);
    const perSecond = (from: number, to: number) => (acknowledgedTimes.filter((time) => time >= from && time <= to).length / ((to - from) / 1000)).toFixed(0);
    const notReady = readiness.samples.filter((sample) => sample.status !== 200);
    const clientSaw = [...new Set(attempts.flatMap((attempt) => attempt.outcomes.flatMap((outcome) => (outcome.kind === 'unanswered' ? [outcome.reason.slice(0, 80)] : []))))];
    console.info(
      `patroni failover: gap ${seconds(gap.end, gap.start)} s without a successful movement (kill at +${killedAt - startedAt} ms; ` +
        `promoted ${seconds(roles.promotedAt, killedAt)} s and the old leader synchronous standby ${seconds(roles.standbyAt, killedAt)} s after the kill); ` +
        `throughput ${perSecond(startedAt, killedAt)}/s before, ${perSecond(gap.end, endedAt)}/s after; ${attempts.length} keys, ` +
        `${attempts.filter((attempt) => attempt.outcomes.length > 1).length} retried by clients; /readyz not ready in ${notReady.length} of ${readiness.samples.length} probes; ` +
        `envelope retries ${await envelopeRetries(url)}; clients saw ${JSON.stringify(clientSaw.slice(0, 4))}`,
    );
    expect(clientSaw.filter((reason) => /Internal server error/.test(reason)), `a lost connection is answered "busy, retry", never as an internal error; the server logged ${JSON.stringify(serverErrors(server!))}`).toEqual([]);
    // /readyz: ready before and after, and not ready only while no movement could succeed.
    expect(readiness.samples.filter((sample) => sample.answeredAt < killedAt).every((sample) => sample.status === 200)).toBe(true);
    expect(readiness.samples.at(-1)?.status).toBe(200);
    // The outage runs from the kill to the end of the longest gap; inside it Patroni may restart the
    // old leader's PostgreSQL and let a few movements through before it fails over, so a probe
    // answered 503 anywhere in that stretch is the truth (CI saw one 38 ms after the kill with the
    // longest gap from +4.2 s to +8.9 s).
    const relative = (sample: { sentAt: number; answeredAt: number; status?: number }) =>
      JSON.stringify({ sentAt: sample.sentAt - killedAt, answeredAt: sample.answeredAt - killedAt, status: sample.status });
    const outsideOutage = notReady.filter((sample) => sample.answeredAt < killedAt || sample.sentAt > gap.end + READYZ_SLACK_MS);
    expect(outsideOutage.map(relative), `/readyz was 503 only between the kill and the end of the gap ${relative({ sentAt: gap.start, answeredAt: gap.end })} (ms after the kill)`).toEqual([]);
    // Not asserted: that some probe answered 503 inside the gap. /readyz asks whether the database
    // answers a query; under synchronous_mode_strict the promoted leader answers reads while its
    // commits wait for a synchronous standby, so a write outage can pass with every probe ready
    // (CI: 0 of 60 probes, a 9.6 s gap, the standby back 12.1 s after the kill). The count is logged above.
    await expectExactlyOnce(pool!, attempts, bank.accounts);
    expect(await brokenLaws(pool!)).toEqual([]);
  });

  it('makes a commit wait for a dead follower while strict, and goes on without it when not', { timeout: 90_000 }, async () => {
    const ha = cluster!;
    const url = server!.url;
    await ha.waitUntilHealthy(60_000);
    const leader = (await ha.leader())!;
    const follower = ha.nodes.find((node) => node.name !== leader.name)!;

    // Strict: a commit waits until a standby acknowledges it again.
    ha.killNode(follower);
    const blocked = newAttempt();
    const blockedAnswer = untilAnswered(url, bank.token, blocked, Date.now() + 60_000);
    await sleep(3_000);
    expect(blocked.outcomes, 'with synchronous_mode_strict a commit waits while no standby acknowledges it').toEqual([]);
    const restartedAt = Date.now();
    ha.startNode(follower);
    await blockedAnswer;
    expect(blocked.outcomes.map((outcome) => outcome.kind), 'once the follower is back, the waiting commit goes through').toEqual(['acknowledged']);

    // Not strict: the leader drops the dead standby from synchronous_standby_names and goes on alone.
    await ha.patchConfig({ synchronous_mode_strict: false });
    await ha.waitUntilHealthy(60_000);
    ha.killNode(follower);
    const continued = newAttempt();
    const continuedAt = Date.now();
    await untilAnswered(url, bank.token, continued, Date.now() + 10_000);
    expect(continued.outcomes.map((outcome) => outcome.kind), 'without strict, writes continue on the leader alone').toEqual(['acknowledged']);
    console.info(
      `patroni follower kill: strict, a transfer waited until the restarted follower acknowledged it ${blocked.answeredAt! - restartedAt} ms after its restart; ` +
        `not strict, a transfer sent right after the kill was answered in ${continued.answeredAt! - continuedAt} ms`,
    );
    await expectExactlyOnce(pool!, attempts, bank.accounts);
    expect(await brokenLaws(pool!)).toEqual([]);
  });
});

/** What the server process needs: the database through HAProxy, and no limits a load test would meet. */
function serverEnvironment(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    ENCRYPTION_KEY,
    REDIS_URL,
    PORT: '0',
    LOG_LEVEL: 'error',
    NODE_ENV: 'test',
    DATABASE_POOL_SIZE: '20',
    RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
    // A load test of the envelope, like the crash-safety test: the velocity rule would send them to review.
    RISK_RULES: 'off',
    METRICS_TOKEN,
  };
}

/** The distinct errors the server logged (type and the end of the message), to explain a failure. */
function serverErrors(server: ServerProcess): string[] {
  const lines = (server.stdout() + server.stderr()).split('\n').filter((line) => line.includes('"level":50'));
  return [...new Set(lines.map((line) => line.replace(/.*"err":\{"type":"([^"]*)","message":"((?:[^"\\]|\\.)*)".*/, '$1: $2').slice(-160)))];
}

/** tally_command_retries_total by SQLSTATE, from /metrics: how often the envelope re-ran a unit itself. */
async function envelopeRetries(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return text.split('\n').filter((line) => line.startsWith('tally_command_retries_total{')).join(', ') || 'none';
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(100);
  }
  return false;
}

interface Users {
  readonly aliceId: string;
  readonly alice: { username: string; password: string };
  readonly cash: { username: string; password: string };
}

/** A customer and the cash service that funds her accounts, made through the ORM (migrating first). */
async function createUsers(databaseUrl: string): Promise<Users> {
  const orm = await openOrm(loadConfig({ DATABASE_URL: databaseUrl, JWT_SECRET, ENCRYPTION_KEY }));
  try {
    await migrate(orm);
    const alice = { username: `alice-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
    const cash = { username: `cash-${randomUUID().slice(0, 8)}`, password: `password-${randomUUID()}` };
    const aliceId = (await addUser(orm, { ...alice, email: `${alice.username}@example.test` })).id;
    await addUser(orm, { ...cash, role: 'SERVICE', channels: ['CASH'], email: `${cash.username}@example.test` });
    return { aliceId, alice, cash };
  } finally {
    await orm.close(true);
  }
}

/** Logs both in and opens ACCOUNTS funded checking accounts for the customer. */
async function openBank(url: string, users: Users): Promise<{ token: string; accounts: string[] }> {
  const login = async ({ username, password }: { username: string; password: string }) => {
    const result = dataOf(await postGraphQL(url, LoginDocument, { username, password })).generateToken;
    if (result.__typename !== 'AuthTokens') throw new Error(`login of ${username} failed: ${JSON.stringify(result)}`);
    return result.accessToken;
  };
  const token = await login(users.alice);
  const cashToken = await login(users.cash);
  const accounts: string[] = [];
  for (let index = 0; index < ACCOUNTS; index += 1) {
    const opened = dataOf(await postGraphQL(url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, token)).openAccount;
    if (opened.__typename !== 'OpenAccountSuccess') throw new Error(`open failed: ${JSON.stringify(opened)}`);
    const input = { accountId: opened.account.id, amount: formatMinor(OPENING_MINOR), channel: 'CASH' as const, idempotencyKey: randomUUID() };
    const deposited = dataOf(await postGraphQL(url, DepositDocument, { input }, cashToken)).deposit;
    if (deposited.__typename !== 'MoneyMovement') throw new Error(`opening deposit failed: ${JSON.stringify(deposited)}`);
    accounts.push(opened.account.id);
  }
  return { token, accounts };
}

/**
 * Behind the API's back, on the new leader: one transaction per acknowledged key with the id the
 * client was told, none for a refused key, and balances that add up to what the clients were told.
 */
async function expectExactlyOnce(pool: pg.Pool, attempts: readonly Attempt[], accounts: readonly string[]): Promise<void> {
  const unanswered = attempts.filter((attempt) => !isAnswer(attempt.outcomes.at(-1)));
  expect(unanswered.map((attempt) => attempt.outcomes), 'every key got an answer').toEqual([]);
  for (const attempt of attempts) {
    const answers = attempt.outcomes.filter(isAnswer);
    expect(answers.length, 'a client stops at the first answer').toBe(1);
  }
  const refusals = attempts.flatMap((attempt) => attempt.outcomes.flatMap((outcome) => (outcome.kind === 'refused' ? [outcome.code] : [])));
  expect([...new Set(refusals)].filter((code) => code !== 'INSUFFICIENT_FUNDS'), 'the only refusal is INSUFFICIENT_FUNDS').toEqual([]);

  const { rows } = await pool.query<{ id: string; idempotency_key: string; amount_minor: string }>(
    `select id::text, idempotency_key, amount_minor::text from ledger_transactions where kind = 'TRANSFER'`,
  );
  const byKey = new Map<string, string[]>();
  for (const row of rows) byKey.set(row.idempotency_key, [...(byKey.get(row.idempotency_key) ?? []), row.id]);
  const expected = new Map<string, bigint>(accounts.map((id) => [id, OPENING_MINOR]));
  for (const attempt of attempts) {
    const outcome = attempt.outcomes.at(-1)!;
    const stored = byKey.get(attempt.input.idempotencyKey) ?? [];
    if (outcome.kind === 'acknowledged') {
      expect(stored, `transactions of acknowledged ${attempt.input.idempotencyKey}`).toEqual([outcome.transactionId]);
      expected.set(attempt.input.fromAccountId, expected.get(attempt.input.fromAccountId)! - attempt.amountMinor);
      expected.set(attempt.input.toAccountId, expected.get(attempt.input.toAccountId)! + attempt.amountMinor);
    } else {
      expect(stored, `transactions of refused ${attempt.input.idempotencyKey}`).toEqual([]);
    }
  }
  expect(rows.length).toBe(attempts.filter((attempt) => attempt.outcomes.at(-1)?.kind === 'acknowledged').length);
  const { rows: balances } = await pool.query<{ id: string; posted_minor: string }>(`select id::text, posted_minor::text from accounts where id = any($1::uuid[])`, [accounts]);
  expect(Object.fromEntries(balances.map((row) => [row.id, BigInt(row.posted_minor)]))).toEqual(Object.fromEntries(expected));
}
