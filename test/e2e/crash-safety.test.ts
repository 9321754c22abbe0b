import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import {
  BalanceDocument,
  DepositDocument,
  LoginDocument,
  OpenAccountDocument,
  TransferDocument,
  type TransferInput,
  type TransferMutation,
} from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { REDIS_URL } from '../helpers/services.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * Law 5 under a real crash: the server process is SIGKILLed while concurrent clients move money,
 * then restarted on the same database. Clients retry every request whose answer they never got,
 * with the same key and input, as a real client must. Afterwards the database has to hold exactly
 * one transaction per successful key (with the id the client was told), none for a refused key,
 * balances that add up to what the clients were told, and every ledger law intact.
 */

// Fixed so that access tokens signed before a crash are still valid after the restart.
const JWT_SECRET = 'crash-safety-secret-that-is-long-enough-0123456789';
const ENCRYPTION_KEY = 'crash-safety-encryption-key-long-enough-0123456789';
const OPENING_MINOR = 50_000n; // 500.00 per account
const ALICE_ACCOUNTS = 4;
const ALICE_LOOPS = 6;
const BOB_LOOPS = 2;
/** Each round of traffic ends with a SIGKILL; the round's kill trigger is the first that fires. */
const ROUNDS: ReadonlyArray<{ readonly killAfterAcknowledged: number; readonly killAfterMs: number }> = [
  { killAfterAcknowledged: 80, killAfterMs: 6_000 },
  { killAfterAcknowledged: 10_000, killAfterMs: 700 },
  { killAfterAcknowledged: 150, killAfterMs: 6_000 },
];
const MAX_TRANSFERS_PER_LOOP_PER_ROUND = 400;
const REQUEST_TIMEOUT_MS = 15_000;
const RETRY_DEADLINE_MS = 20_000;
const MAX_RETRIES_PER_KEY = 60;
const START_TIMEOUT_MS = 45_000;

interface Client {
  readonly name: string;
  readonly id: string;
  token: string;
}

type Outcome =
  | { readonly kind: 'acknowledged'; readonly transactionId: string; readonly replayed: boolean }
  | { readonly kind: 'refused'; readonly code: string }
  /** The server answered with a top-level error instead of a result: nothing known, retry. */
  | { readonly kind: 'failed'; readonly reason: string }
  /** No answer at all (connection refused or reset): the request may or may not have committed. */
  | { readonly kind: 'unknown'; readonly reason: string };

interface Attempt {
  readonly client: Client;
  readonly input: TransferInput & { readonly fromAccountId: string; readonly toAccountId: string };
  readonly amountMinor: bigint;
  readonly round: number;
  /** Every answer, in order: the first one is what the client saw before any crash. */
  readonly outcomes: Outcome[];
}

function finalOutcome(attempt: Attempt): Outcome {
  return attempt.outcomes[attempt.outcomes.length - 1]!;
}

function isAnswer(outcome: Outcome): boolean {
  return outcome.kind === 'acknowledged' || outcome.kind === 'refused';
}

function formatMinor(minor: bigint): string {
  return `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;
}

function randomInteger(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

function pick<T>(items: readonly T[]): T {
  return items[randomInteger(0, items.length - 1)]!;
}

const TRANSFER_QUERY = print(TransferDocument);

/** One transfer over real HTTP, classified without ever throwing: a dead server is an outcome too. */
async function sendTransfer(url: string, token: string, input: TransferInput): Promise<Outcome> {
  let response: Response;
  try {
    response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: TRANSFER_QUERY, variables: { input } }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    return { kind: 'unknown', reason: error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : String(error) };
  }
  let body: { data?: TransferMutation | null; errors?: unknown[] };
  try {
    body = (await response.json()) as typeof body;
  } catch (error) {
    // The connection died while the body was on its way: as unknown as no answer at all.
    return { kind: 'unknown', reason: `unreadable body (${response.status}): ${String(error)}` };
  }
  if (body.errors?.length || !body.data) {
    return { kind: 'failed', reason: `${response.status} ${JSON.stringify(body.errors)}` };
  }
  const result = body.data.transfer;
  if (result.__typename === 'MoneyMovement') {
    return { kind: 'acknowledged', transactionId: result.transaction.id, replayed: result.replayed };
  }
  if (result.__typename === 'MovementInReview') throw new Error('a crash-safety transfer went to risk review');
  return { kind: 'refused', code: result.code };
}

describe('crash safety: SIGKILL during concurrent transfers, then retries', () => {
  let database: TestDatabase;
  let server: ServerProcess | undefined;

  const serverEnvironment = () => ({
    DATABASE_URL: database.url,
    JWT_SECRET,
    ENCRYPTION_KEY,
    REDIS_URL,
    PORT: '0',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    DATABASE_POOL_SIZE: '20',
    // Thousands of transfers a minute from two users are the point here, not abuse.
    RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
    // A load test of the envelope, like the bench: the velocity rule would send them to review.
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

  it('moves every acknowledged transfer exactly once and loses nothing', { timeout: 120_000 }, async () => {
    const startedAtMs = Date.now();
    const passwords = { alice: `password-${randomUUID()}`, bob: `password-${randomUUID()}`, cash: `password-${randomUUID()}` };
    const usernames = { alice: `alice-${randomUUID().slice(0, 8)}`, bob: `bob-${randomUUID().slice(0, 8)}`, cash: `cash-${randomUUID().slice(0, 8)}` };
    const orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY }));
    let aliceId: string;
    let bobId: string;
    let cashId: string;
    try {
      aliceId = (await addUser(orm, { username: usernames.alice, password: passwords.alice, email: `${usernames.alice}@example.test` })).id;
      bobId = (await addUser(orm, { username: usernames.bob, password: passwords.bob, email: `${usernames.bob}@example.test` })).id;
      // Opening balances are cash, posted by the cash service as a bank would.
      cashId = (await addUser(orm, { username: usernames.cash, password: passwords.cash, role: 'SERVICE', channels: ['CASH'], email: `${usernames.cash}@example.test` })).id;
    } finally {
      await orm.close(true);
    }

    server = await startServerProcess({ env: serverEnvironment(), startTimeoutMs: START_TIMEOUT_MS });
    const login = async (name: string, username: string, password: string, id: string): Promise<Client> => {
      const result = dataOf(await postGraphQL(server!.url, LoginDocument, { username, password })).generateToken;
      if (result.__typename !== 'AuthTokens') throw new Error(`login of ${username} failed: ${JSON.stringify(result)}`);
      return { name, id, token: result.accessToken };
    };
    const alice = await login('alice', usernames.alice, passwords.alice, aliceId);
    const bob = await login('bob', usernames.bob, passwords.bob, bobId);
    const cash = await login('cash', usernames.cash, passwords.cash, cashId);

    const openFunded = async (client: Client): Promise<string> => {
      const opened = dataOf(
        await postGraphQL(server!.url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, client.token),
      ).openAccount;
      if (opened.__typename !== 'OpenAccountSuccess') throw new Error(`open failed: ${JSON.stringify(opened)}`);
      const deposited = dataOf(
        await postGraphQL(
          server!.url,
          DepositDocument,
          { input: { accountId: opened.account.id, amount: formatMinor(OPENING_MINOR), channel: 'CASH', idempotencyKey: randomUUID() } },
          cash.token,
        ),
      ).deposit;
      if (deposited.__typename !== 'MoneyMovement') throw new Error(`opening deposit failed: ${JSON.stringify(deposited)}`);
      return opened.account.id;
    };
    const aliceAccounts: string[] = [];
    for (let index = 0; index < ALICE_ACCOUNTS; index += 1) aliceAccounts.push(await openFunded(alice));
    const bobAccount = await openFunded(bob);
    const allAccounts = [...aliceAccounts, bobAccount];

    const attempts: Attempt[] = [];
    /** Alice moves money among her accounts and pays Bob; Bob pays Alice. Keys repeat across the two users on purpose: they are per user. */
    const newAttempt = (client: Client, loop: number, round: number, serial: number): Attempt => {
      const fromAccountId = client === bob ? bobAccount : pick(aliceAccounts);
      const toAccountId = client === bob ? pick(aliceAccounts) : pick(allAccounts.filter((id) => id !== fromAccountId));
      const amountMinor = BigInt(randomInteger(100, 25_000));
      const attempt: Attempt = {
        client,
        input: { fromAccountId, toAccountId, amount: formatMinor(amountMinor), idempotencyKey: `r${round}-l${loop}-${serial}` },
        amountMinor,
        round,
        outcomes: [],
      };
      attempts.push(attempt);
      return attempt;
    };

    /** Retries one request with the same key and input until the server gives an answer. */
    const retryUntilAnswered = async (attempt: Attempt): Promise<void> => {
      const deadline = Date.now() + RETRY_DEADLINE_MS;
      for (let retry = 0; retry < MAX_RETRIES_PER_KEY && Date.now() < deadline; retry += 1) {
        const outcome = await sendTransfer(server!.url, attempt.client.token, attempt.input);
        attempt.outcomes.push(outcome);
        if (isAnswer(outcome)) return;
        await sleep(200);
      }
    };

    const retryInParallel = async (pending: Attempt[], parallelism = 8): Promise<void> => {
      const queue = [...pending];
      await Promise.all(
        Array.from({ length: parallelism }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) await retryUntilAnswered(next);
        }),
      );
    };

    const roundStats: Array<{ acknowledged: number; refused: number; unknown: number; failed: number; committedButUnanswered: number }> = [];
    for (const [round, trigger] of ROUNDS.entries()) {
      const running = server;
      let acknowledged = 0;
      let killed = false;
      const killNow = () => {
        if (killed) return;
        killed = true;
        running.kill('SIGKILL');
      };
      const timer = setTimeout(killNow, trigger.killAfterMs);
      const loop = async (client: Client, loopIndex: number) => {
        for (let serial = 0; serial < MAX_TRANSFERS_PER_LOOP_PER_ROUND; serial += 1) {
          const attempt = newAttempt(client, loopIndex, round, serial);
          const outcome = await sendTransfer(running.url, client.token, attempt.input);
          attempt.outcomes.push(outcome);
          if (outcome.kind === 'acknowledged') {
            acknowledged += 1;
            if (acknowledged >= trigger.killAfterAcknowledged) killNow();
          }
          // The server is gone: this client stops and will retry what it does not know.
          if (outcome.kind === 'unknown') return;
        }
      };
      await Promise.all([
        ...Array.from({ length: ALICE_LOOPS }, (_, index) => loop(alice, index)),
        ...Array.from({ length: BOB_LOOPS }, (_, index) => loop(bob, index)),
      ]);
      clearTimeout(timer);
      expect(killed, `round ${round}: the server was killed while the clients were still sending`).toBe(true);
      const exit = await running.waitForExit(10_000);
      expect(exit.signal).toBe('SIGKILL');

      const thisRound = attempts.filter((attempt) => attempt.round === round);
      const unanswered = thisRound.filter((attempt) => !isAnswer(finalOutcome(attempt)));
      server = await startServerProcess({ env: serverEnvironment(), startTimeoutMs: START_TIMEOUT_MS });
      await retryInParallel(unanswered);
      roundStats.push({
        acknowledged: thisRound.filter((attempt) => attempt.outcomes[0]!.kind === 'acknowledged').length,
        refused: thisRound.filter((attempt) => attempt.outcomes[0]!.kind === 'refused').length,
        unknown: thisRound.filter((attempt) => attempt.outcomes[0]!.kind === 'unknown').length,
        failed: thisRound.filter((attempt) => attempt.outcomes[0]!.kind === 'failed').length,
        committedButUnanswered: unanswered.filter((attempt) => {
          const last = finalOutcome(attempt);
          return last.kind === 'acknowledged' && last.replayed;
        }).length,
      });
      expect(roundStats[round]!.unknown, `round ${round}: the crash left some requests without an answer`).toBeGreaterThan(0);
    }
    console.info(`crash-safety rounds: ${JSON.stringify(roundStats)}; ${attempts.length} keys in ${Date.now() - startedAtMs} ms`);

    // Every key has a final answer, and every answer is one a client may legitimately get.
    const stillUnknown = attempts.filter((attempt) => !isAnswer(finalOutcome(attempt)));
    expect(stillUnknown.map((attempt) => [attempt.input.idempotencyKey, attempt.outcomes])).toEqual([]);
    const serverFailures = attempts.flatMap((attempt) => attempt.outcomes.filter((outcome) => outcome.kind === 'failed'));
    expect(serverFailures, 'no transfer is answered with a top-level error').toEqual([]);
    const refusalCodes = new Set(attempts.flatMap((attempt) => attempt.outcomes.flatMap((outcome) => (outcome.kind === 'refused' ? [outcome.code] : []))));
    expect([...refusalCodes].filter((code) => code !== 'INSUFFICIENT_FUNDS'), 'the only refusal is INSUFFICIENT_FUNDS').toEqual([]);

    // An answer never changes: once a key was answered, every later answer is the same outcome.
    for (const attempt of attempts) {
      const answers = attempt.outcomes.filter(isAnswer);
      const first = answers[0]!;
      for (const later of answers.slice(1)) {
        if (first.kind === 'acknowledged') {
          expect(later, `key ${attempt.client.name}/${attempt.input.idempotencyKey}`).toEqual({ kind: 'acknowledged', transactionId: first.transactionId, replayed: true });
        } else {
          expect(later, `key ${attempt.client.name}/${attempt.input.idempotencyKey}`).toEqual(first);
        }
      }
    }

    // Replays after the restarts: a sample of keys answered before a crash (the last answers before
    // each kill are the most interesting), the keys that were only answered by a retry, and refusals.
    const acknowledgedFirst = attempts.filter((attempt) => attempt.outcomes[0]!.kind === 'acknowledged');
    const lastBeforeKill = ROUNDS.flatMap((_, round) => acknowledgedFirst.filter((attempt) => attempt.round === round).slice(-12));
    const randomAcknowledged = Array.from({ length: 20 }, () => pick(acknowledgedFirst));
    const answeredByRetry = attempts.filter((attempt) => !isAnswer(attempt.outcomes[0]!));
    const refusedSample = attempts.filter((attempt) => attempt.outcomes[0]!.kind === 'refused').slice(0, 15);
    const replaySample = [...new Set([...lastBeforeKill, ...randomAcknowledged, ...answeredByRetry, ...refusedSample])];
    for (const attempt of replaySample) {
      const replay = await sendTransfer(server.url, attempt.client.token, attempt.input);
      const expected = finalOutcome(attempt);
      attempt.outcomes.push(replay);
      const key = `${attempt.client.name}/${attempt.input.idempotencyKey}`;
      if (expected.kind === 'acknowledged') {
        expect(replay, `replay of ${key}`).toEqual({ kind: 'acknowledged', transactionId: expected.transactionId, replayed: true });
      } else {
        expect(replay, `replay of ${key}`).toEqual(expected);
      }
    }
    // The same key with another input is a conflict, also after a restart, and moves nothing.
    const conflicting = acknowledgedFirst[0]!;
    expect(await sendTransfer(server.url, conflicting.client.token, { ...conflicting.input, amount: formatMinor(conflicting.amountMinor + 1n) })).toEqual({
      kind: 'refused',
      code: 'IDEMPOTENCY_CONFLICT',
    });

    // Behind the API's back: the database holds exactly what the clients were told.
    const succeeded = attempts.filter((attempt) => finalOutcome(attempt).kind === 'acknowledged');
    const refused = attempts.filter((attempt) => finalOutcome(attempt).kind === 'refused');
    expect(succeeded.length).toBeGreaterThan(100);
    expect(succeeded.length + refused.length).toBe(attempts.length);

    const { rows: transactions } = await database.pool.query<{ id: string; idempotency_key: string; initiated_by: string; kind: string; amount_minor: string }>(
      `select id::text, idempotency_key, initiated_by::text, kind, amount_minor::text from ledger_transactions`,
    );
    const byKey = new Map<string, typeof transactions>();
    for (const row of transactions) {
      const key = `${row.initiated_by}\0${row.idempotency_key}`;
      byKey.set(key, [...(byKey.get(key) ?? []), row]);
    }
    const { rows: customerEntries } = await database.pool.query<{ transaction_id: string; account_id: string; direction: string; amount_minor: string }>(
      `select e.transaction_id::text, e.account_id::text, e.direction, e.amount_minor::text
         from entries e join accounts a on a.id = e.account_id
        where a.holder = 'CUSTOMER'
        order by e.direction desc`,
    );
    const entriesOf = new Map<string, string[]>();
    for (const entry of customerEntries) {
      entriesOf.set(entry.transaction_id, [...(entriesOf.get(entry.transaction_id) ?? []), `${entry.direction} ${entry.account_id} ${entry.amount_minor}`]);
    }

    const expectedMinor = new Map<string, bigint>(allAccounts.map((id) => [id, OPENING_MINOR]));
    for (const attempt of succeeded) {
      const outcome = finalOutcome(attempt);
      if (outcome.kind !== 'acknowledged') throw new Error('unreachable');
      const key = `${attempt.client.name}/${attempt.input.idempotencyKey}`;
      const rows = byKey.get(`${attempt.client.id}\0${attempt.input.idempotencyKey}`) ?? [];
      expect(rows.map((row) => row.id), `transactions of ${key}`).toEqual([outcome.transactionId]);
      expect(rows[0]!.kind).toBe('TRANSFER');
      expect(BigInt(rows[0]!.amount_minor), `amount of ${key}`).toBe(attempt.amountMinor);
      expect(entriesOf.get(outcome.transactionId), `customer entries of ${key}`).toEqual([
        `DEBIT ${attempt.input.fromAccountId} ${attempt.amountMinor}`,
        `CREDIT ${attempt.input.toAccountId} ${attempt.amountMinor}`,
      ]);
      expectedMinor.set(attempt.input.fromAccountId, expectedMinor.get(attempt.input.fromAccountId)! - attempt.amountMinor);
      expectedMinor.set(attempt.input.toAccountId, expectedMinor.get(attempt.input.toAccountId)! + attempt.amountMinor);
    }
    for (const attempt of refused) {
      const rows = byKey.get(`${attempt.client.id}\0${attempt.input.idempotencyKey}`) ?? [];
      expect(rows, `transactions of refused ${attempt.client.name}/${attempt.input.idempotencyKey}`).toEqual([]);
    }
    expect(transactions.filter((row) => row.kind === 'TRANSFER').length).toBe(succeeded.length);
    expect(transactions.filter((row) => row.kind === 'DEPOSIT').length).toBe(allAccounts.length);
    expect(transactions.length).toBe(succeeded.length + allAccounts.length);

    // One idempotency record per key that reached the server (all of them, after the retries),
    // and no claim left "in flight" by a crash: a claim commits with its outcome or not at all.
    const { rows: records } = await database.pool.query<{ transfers: string; in_flight: string }>(
      `select count(*) filter (where command = 'transfer')::text as transfers,
              count(*) filter (where outcome ->> 'inFlight' is not null)::text as in_flight
         from idempotency_records`,
    );
    expect(records[0]).toEqual({ transfers: String(attempts.length), in_flight: '0' });

    const { rows: balances } = await database.pool.query<{ id: string; posted_minor: string; pending_minor: string }>(
      `select id::text, posted_minor::text, pending_minor::text from accounts where id = any($1::uuid[])`,
      [allAccounts],
    );
    expect(Object.fromEntries(balances.map((row) => [row.id, BigInt(row.posted_minor)]))).toEqual(Object.fromEntries(expectedMinor));
    expect(balances.every((row) => row.pending_minor === '0')).toBe(true);
    const totalMinor = [...expectedMinor.values()].reduce((sum, value) => sum + value, 0n);
    expect(totalMinor, 'transfers between customers conserve the customers\' total').toBe(OPENING_MINOR * BigInt(allAccounts.length));

    // The API tells the owners the same balances.
    for (const [client, accountIds] of [
      [alice, aliceAccounts],
      [bob, [bobAccount]],
    ] as const) {
      for (const accountId of accountIds) {
        const balance = dataOf(await postGraphQL(server.url, BalanceDocument, { accountId }, client.token)).balance;
        expect(balance?.posted, `posted balance of ${accountId}`).toBe(formatMinor(expectedMinor.get(accountId)!));
      }
    }

    expect(await brokenLaws(database.pool)).toEqual([]);

    server.kill('SIGTERM');
    const exit = await server.waitForExit(20_000);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
