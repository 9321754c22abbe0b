import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm } from '../../src/db/orm.js';
import { addUser } from '../../src/auth/users.js';
import { SYSTEM_USER_ID } from '../../src/ledger/system/system-actor.js';
import { AuthorizeHoldDocument, CaptureHoldDocument, DepositDocument, LoginDocument, OpenAccountDocument, type CaptureHoldMutation } from '../generated/graphql.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { descendantsOf, eventually, stillRunning } from '../helpers/process-tree.js';
import { REDIS_URL } from '../helpers/services.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * Holds under a real crash (issue 8 §3): the server process is SIGKILLed while its scheduler is
 * part-way through expiring a crowd of holds (an expiry unit waits on an account row the test
 * keeps locked, as on a slow disk) and clients are capturing others, some of which are expiring at
 * the same moment. It restarts on the same database; the clients retry every capture
 * with the same key. Then each hold ends in exactly one final state (CAPTURED or EXPIRED, never a
 * capture and an expiry), no capture is applied twice, what the clients were told is what the
 * database holds, and every ledger law (versions 1..N, both layers, pending = active holds) holds.
 */

// Fixed so that access tokens signed before the crash are still valid after the restart.
const JWT_SECRET = 'holds-crash-safety-secret-long-enough-0123456789';
const ENCRYPTION_KEY = 'holds-crash-safety-encryption-key-long-enough-0123456789';
const ACCOUNTS = 4;
const OPENING = '1000.00';
/** Left to expire, due over a few seconds: the scheduler works through them a unit each second while the captures run. */
const EXPIRING_HOLDS = 120;
/** The first expiry wave, after the authorizations are expected to end; the others follow one and two seconds later. */
const FIRST_WAVE_AFTER_SECONDS = 2;
/** Long-lived holds, captured for less (final) while the expiries run. */
const CAPTURED_HOLDS = 60;
/** Due within the same seconds as the expiring ones and captured anyway: whichever locks first wins. */
const RACING_HOLDS = 40;
const CAPTURE_CLIENTS = 4;
/** The kill comes once this many captures were acknowledged and an expiry is in flight (or after the fallback below). */
const KILL_AFTER_CAPTURES = 3;
const KILL_FALLBACK_MS = 15_000;
const START_TIMEOUT_MS = 45_000;
const REQUEST_TIMEOUT_MS = 10_000;

type Answer<Data> = { readonly kind: 'answered'; readonly data: Data } | { readonly kind: 'unknown'; readonly reason: string } | { readonly kind: 'failed'; readonly reason: string };

const CAPTURE_QUERY = print(CaptureHoldDocument);

/** One capture over real HTTP, never throwing: no answer (a dead server) is an outcome too. */
async function sendCapture(url: string, token: string, input: { holdId: string; amount: string; idempotencyKey: string }): Promise<Answer<CaptureHoldMutation['captureHold']>> {
  let response: Response;
  try {
    response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: CAPTURE_QUERY, variables: { input } }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    return { kind: 'unknown', reason: String(error) };
  }
  let body: { data?: CaptureHoldMutation | null; errors?: unknown[] };
  try {
    body = (await response.json()) as typeof body;
  } catch (error) {
    return { kind: 'unknown', reason: `unreadable body (${response.status}): ${String(error)}` };
  }
  if (body.errors?.length || !body.data) return { kind: 'failed', reason: `${response.status} ${JSON.stringify(body.errors)}` };
  return { kind: 'answered', data: body.data.captureHold };
}

/** What a client keeps of a capture's answer: the transaction it was told, or the refusal. */
type Told = { readonly captured: string; readonly replayed: boolean } | { readonly refused: string };
function toldOf(result: CaptureHoldMutation['captureHold']): Told {
  if (result.__typename === 'HoldChange') return { captured: result.transaction!.id, replayed: result.replayed };
  return { refused: result.code };
}

interface Placed {
  readonly id: string;
  readonly group: 'expiring' | 'captured' | 'racing';
  readonly accountId: string;
  readonly amountMinor: bigint;
  /** What the capture asks for (captured and racing holds only). */
  readonly captureMinor: bigint;
  readonly key: string;
  /** Every answer the capture got, in order. */
  readonly told: Told[];
}

const formatMinor = (minor: bigint) => `${minor / 100n}.${(minor % 100n).toString().padStart(2, '0')}`;

describe('crash safety of holds: SIGKILL during expiries and captures, then retries', () => {
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
    RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
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

  const count = async (sql: string, parameters: unknown[] = []) => (await database.pool.query<{ n: number }>(sql, parameters)).rows[0]!.n;

  it('ends each hold in exactly one final state, applies each capture once and keeps every law', { timeout: 90_000 }, async () => {
    const username = `holder-${randomUUID().slice(0, 8)}`;
    const password = `password-${randomUUID()}`;
    const orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY }));
    // The customer opens the accounts; the card processor (a service on CASH and CARD) funds them,
    // authorizes the holds and captures them, as the rails do.
    const railsName = `rails-${randomUUID().slice(0, 8)}`;
    const userId = await addUser(orm, { username, password, email: `${username}@example.test` })
      .then(async (user) => {
        await addUser(orm, { username: railsName, password, role: 'SERVICE', channels: ['CASH', 'CARD'], email: `${railsName}@example.test` });
        return user.id;
      })
      .finally(() => orm.close(true));

    server = await startServerProcess({ env: serverEnvironment(), startTimeoutMs: START_TIMEOUT_MS });
    const login = dataOf(await postGraphQL(server.url, LoginDocument, { username, password })).generateToken;
    if (login.__typename !== 'AuthTokens') throw new Error(`login failed: ${JSON.stringify(login)}`);
    const customerToken = login.accessToken;
    const railsLogin = dataOf(await postGraphQL(server.url, LoginDocument, { username: railsName, password })).generateToken;
    if (railsLogin.__typename !== 'AuthTokens') throw new Error(`login failed: ${JSON.stringify(railsLogin)}`);
    const token = railsLogin.accessToken;

    const accounts: string[] = [];
    for (let index = 0; index < ACCOUNTS; index += 1) {
      const opened = dataOf(await postGraphQL(server.url, OpenAccountDocument, { input: { type: 'CHECKING', currency: 'USD', idempotencyKey: randomUUID() } }, customerToken)).openAccount;
      if (opened.__typename !== 'OpenAccountSuccess') throw new Error(`open failed: ${JSON.stringify(opened)}`);
      const deposited = dataOf(await postGraphQL(server.url, DepositDocument, { input: { accountId: opened.account.id, amount: OPENING, channel: 'CASH', idempotencyKey: randomUUID() } }, token)).deposit;
      if (deposited.__typename !== 'MoneyMovement') throw new Error(`deposit failed: ${JSON.stringify(deposited)}`);
      accounts.push(opened.account.id);
    }

    // Every hold is authorized before the crash. The long-lived ones go first, and their pace sets
    // when the others fall due: the first expiry wave comes FIRST_WAVE_AFTER_SECONDS after the last
    // authorization is expected to finish, on a loaded machine as on a quiet one. With a fixed
    // expiry, a slow machine was still authorizing when the holds fell due, the scheduler expired the
    // blocked account's holds before the block, and no expiry unit was in flight at the kill.
    const longLived = Array.from({ length: CAPTURED_HOLDS }, () => ({ group: 'captured' as const, wave: 0 }));
    const falling = [
      ...Array.from({ length: EXPIRING_HOLDS }, (_, index) => ({ group: 'expiring' as const, wave: index % 3 })),
      ...Array.from({ length: RACING_HOLDS }, (_, index) => ({ group: 'racing' as const, wave: index % 3 })),
    ].sort(() => Math.random() - 0.5);
    const holds: Placed[] = [];
    let placed = 0;
    const authorize = async (entries: readonly { group: Placed['group']; wave: number }[], expiresInSeconds: (wave: number) => number) => {
      const queue = entries.map((entry) => ({ ...entry, index: (placed += 1) }));
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            const amountMinor = BigInt(100 + (next.index % 7) * 37);
            // Racing holds stay off the blocked account (accounts[0], below): a capture waiting there
            // never holds a due hold, so an expiry unit waits on the account row alone.
            const account = next.group === 'racing' ? accounts[1 + (next.index % (ACCOUNTS - 1))]! : accounts[next.index % ACCOUNTS]!;
            const input = { accountId: account, amount: formatMinor(amountMinor), channel: 'CARD' as const, expiresInSeconds: expiresInSeconds(next.wave), idempotencyKey: randomUUID() };
            const result = dataOf(await postGraphQL(server!.url, AuthorizeHoldDocument, { input }, token)).authorizeHold;
            if (result.__typename !== 'HoldChange') throw new Error(`authorization failed: ${JSON.stringify(result)}`);
            // A captured hold is taken for 0.25 less, final: the rest is released with it.
            const captureMinor = next.group === 'captured' ? amountMinor - 25n : amountMinor;
            holds.push({ id: result.hold.id, group: next.group, accountId: input.accountId, amountMinor, captureMinor, key: `capture-${result.hold.id}`, told: [] });
          }
        }),
      );
    };
    const longLivedStartedAt = Date.now();
    await authorize(longLived, () => 3600);
    const secondsPerHold = (Date.now() - longLivedStartedAt) / 1000 / CAPTURED_HOLDS;
    const firstWaveAt = Date.now() + (falling.length * secondsPerHold + FIRST_WAVE_AFTER_SECONDS) * 1000;
    await authorize(falling, (wave) => Math.max(1, Math.ceil((firstWaveAt - Date.now()) / 1000)) + wave);
    const expiring = holds.filter((hold) => hold.group === 'expiring');
    // Captures on the blocked account (below) come last: the others are acknowledged meanwhile.
    const blockedAccount = accounts[0]!;
    const toCapture = holds
      .filter((hold) => hold.group !== 'expiring')
      .sort(() => Math.random() - 0.5)
      .sort((a, b) => Number(a.accountId === blockedAccount) - Number(b.accountId === blockedAccount));
    const expiredAmong = (ids: readonly string[]) => count(`select count(*)::int as n from holds where id = any($1::uuid[]) and status = 'EXPIRED'`, [ids]);
    /**
     * Due holds of the expiring group that some transaction holds locked right now: only the
     * scheduler locks them (no client touches them), so more than 0 means an expiry is in flight.
     * The probe's own key-share locks last one statement and skip what is locked.
     */
    const expiryInFlight = (ids: readonly string[]) =>
      count(
        `select (select count(*) from holds where id = any($1::uuid[]) and status = 'ACTIVE' and expires_at <= now())
              - (select count(*) from (select id from holds where id = any($1::uuid[]) and status = 'ACTIVE' and expires_at <= now() for key share skip locked) free) as n`,
        [ids],
      );

    // The scheduler's first round commits and the captures start. Once some are acknowledged, one
    // account row is locked, as by a slow disk, so the next expiry unit that reaches it (each holds
    // some of its holds) waits there mid-way with its holds locked, until the kill. Captures on
    // that account come last and wait too, in flight for certain when the process dies. The kill
    // comes once an expiry unit is seen holding due holds after the lock.
    const expiringIds = expiring.map((hold) => hold.id);
    const running = server;
    expect(await eventually(async () => (await expiredAmong(expiringIds)) > 0, 15_000), 'the scheduler began expiring').toBe(true);
    const expiringOnBlocked = expiring.filter((hold) => hold.accountId === blockedAccount).map((hold) => hold.id);
    const blocker = await database.pool.connect();
    /** What had expired when the row was locked: set once the captures were acknowledged (below). */
    let atBlock: { expired: number; expiredOnBlocked: number } | undefined;
    const block = async () => {
      await blocker.query('begin');
      await blocker.query('select id from accounts where id = $1 for update', [blockedAccount]);
      atBlock = { expired: await expiredAmong(expiringIds), expiredOnBlocked: await expiredAmong(expiringOnBlocked) };
    };
    const pidsBeforeKill = [running.pid, ...descendantsOf(running.pid)];
    let acknowledged = 0;
    let killed = false;
    let killedMidExpiry = false;
    const killNow = () => {
      if (killed) return;
      killed = true;
      running.kill('SIGKILL');
    };
    // The row is locked only once some captures were acknowledged: a blocked expiry unit may also
    // hold other accounts' rows (it locks in id order), and would stall every capture behind it.
    let fallback = setTimeout(killNow, KILL_FALLBACK_MS * 2);
    const monitor = (async () => {
      while (!killed) {
        if (!atBlock && acknowledged >= KILL_AFTER_CAPTURES) {
          await block();
          clearTimeout(fallback);
          fallback = setTimeout(killNow, KILL_FALLBACK_MS);
        } else if (atBlock && (await expiryInFlight(expiringIds)) > 0) {
          killedMidExpiry = true;
          killNow();
        }
        await sleep(2);
      }
    })();
    const captureQueue = [...toCapture];
    await Promise.all(
      Array.from({ length: CAPTURE_CLIENTS }, async () => {
        for (let hold = captureQueue.shift(); hold; hold = captureQueue.shift()) {
          const answer = await sendCapture(running.url, token, { holdId: hold.id, amount: formatMinor(hold.captureMinor), idempotencyKey: hold.key });
          if (answer.kind === 'failed') throw new Error(`capture answered with an error: ${answer.reason}`);
          if (answer.kind === 'unknown') return;
          hold.told.push(toldOf(answer.data));
          if (answer.data.__typename === 'HoldChange') acknowledged += 1;
        }
      }),
    );
    clearTimeout(fallback);
    killNow();
    await monitor;
    await blocker.query('rollback');
    blocker.release();
    expect((await running.waitForExit(10_000)).signal).toBe('SIGKILL');
    expect(stillRunning(pidsBeforeKill), 'nothing of the killed server survives it').toEqual([]);
    const expiredAtCrash = await expiredAmong(expiring.map((hold) => hold.id));
    const unanswered = toCapture.filter((hold) => hold.told.length === 0);
    const expiredBeforeBlock = atBlock?.expired ?? 0;
    console.info(`holds crash: ${expiredAtCrash}/${EXPIRING_HOLDS} expired (${expiredBeforeBlock} before the block), ${acknowledged} captures acknowledged, ${unanswered.length}/${toCapture.length} captures unanswered at the kill`);
    expect(killedMidExpiry, 'the kill came while the scheduler held due holds').toBe(true);
    expect(expiredAtCrash, 'the kill came while the scheduler was mid-way').toBeLessThan(EXPIRING_HOLDS);
    expect(expiredBeforeBlock, 'some expiries had committed before the kill').toBeGreaterThan(0);
    expect(await expiredAmong(expiringOnBlocked), 'no unit that reached the blocked account committed').toBe(atBlock?.expiredOnBlocked);
    expect(unanswered.length, 'the kill came while captures were in flight').toBeGreaterThan(0);

    // Restart on the same database; every capture is sent again with its key, answered or not.
    server = await startServerProcess({ env: serverEnvironment(), startTimeoutMs: START_TIMEOUT_MS });
    const retryQueue = [...toCapture];
    await Promise.all(
      Array.from({ length: CAPTURE_CLIENTS }, async () => {
        for (let hold = retryQueue.shift(); hold; hold = retryQueue.shift()) {
          const answer = await sendCapture(server!.url, token, { holdId: hold.id, amount: formatMinor(hold.captureMinor), idempotencyKey: hold.key });
          if (answer.kind !== 'answered') throw new Error(`retry of ${hold.key} got no answer: ${answer.reason}`);
          hold.told.push(toldOf(answer.data));
        }
      }),
    );
    // The new process's scheduler finishes what the killed one left.
    const overdue = () => count(`select count(*)::int as n from holds where status = 'ACTIVE' and expires_at <= now()`);
    expect(await eventually(async () => (await overdue()) === 0, 20_000), 'the restarted scheduler expired every overdue hold').toBe(true);

    // An answer never changes: a capture told once is replayed with the same transaction; a refusal stays one.
    for (const hold of toCapture) {
      const [first, ...later] = hold.told;
      for (const again of later) {
        if ('captured' in first!) expect(again, hold.key).toEqual({ captured: first.captured, replayed: true });
        else expect(again, hold.key).toEqual(first);
      }
    }
    const final = (hold: Placed) => hold.told.at(-1)!;

    // Behind the API's back: each hold's state, steps and money against what the client was told.
    const { rows } = await database.pool.query<{ id: string; status: string; captured_minor: string; steps: string[]; captures: string[] }>(
      `select h.id::text, h.status, h.captured_minor::text,
              coalesce(array_agg(ht.step order by ht.step) filter (where ht.step is not null), '{}') as steps,
              coalesce(array_agg(ht.transaction_id::text) filter (where ht.step = 'CAPTURE'), '{}') as captures
         from holds h left join hold_transactions ht on ht.hold_id = h.id group by h.id`,
    );
    const stored = new Map(rows.map((row) => [row.id, row]));
    expect(stored.size).toBe(holds.length);
    for (const hold of expiring) {
      expect(stored.get(hold.id), `expiring hold ${hold.id}`).toMatchObject({ status: 'EXPIRED', captured_minor: '0', steps: ['EXPIRE'] });
    }
    for (const hold of toCapture) {
      const row = stored.get(hold.id)!;
      const told = final(hold);
      if ('captured' in told) {
        expect(row, `captured hold ${hold.id}`).toMatchObject({ status: 'CAPTURED', captured_minor: String(hold.captureMinor), steps: ['CAPTURE'], captures: [told.captured] });
      } else {
        // Only a hold that was due could be refused; the system then expired it.
        expect(hold.group, `refused capture ${hold.key}`).toBe('racing');
        expect(told.refused).toBe('HOLD_NOT_ACTIVE');
        expect(row, `refused hold ${hold.id}`).toMatchObject({ status: 'EXPIRED', captured_minor: '0', steps: ['EXPIRE'] });
      }
    }
    expect(toCapture.filter((hold) => hold.group === 'captured').every((hold) => 'captured' in final(hold)), 'a hold not yet due is always captured').toBe(true);

    // Exactly one expiry per expired hold, by the system under expire:<holdId>; one capture per acknowledged key.
    const expiredIds = rows.filter((row) => row.status === 'EXPIRED').map((row) => row.id);
    const { rows: expiries } = await database.pool.query<{ idempotency_key: string }>(
      `select t.idempotency_key from ledger_transactions t join hold_transactions ht on ht.transaction_id = t.id where ht.step = 'EXPIRE' and t.initiated_by = $1`,
      [SYSTEM_USER_ID],
    );
    expect(expiries.map((row) => row.idempotency_key).sort()).toEqual(expiredIds.map((id) => `expire:${id}`).sort());
    const capturedKeys = toCapture.filter((hold) => 'captured' in final(hold)).map((hold) => hold.key);
    const { rows: captureRows } = await database.pool.query<{ idempotency_key: string }>(`select idempotency_key from ledger_transactions where kind = 'HOLD_CAPTURE'`);
    expect(captureRows.map((row) => row.idempotency_key).sort()).toEqual([...capturedKeys].sort());
    expect(await count(`select count(*)::int as n from idempotency_records where outcome ->> 'inFlight' is not null`), 'no claim left in flight by the crash').toBe(0);

    // Balances: posted is the opening less what was captured; nothing is pending any more.
    const capturedOn = new Map(accounts.map((id) => [id, 0n]));
    const { rows: accountOf } = await database.pool.query<{ id: string; account_id: string }>('select id::text, account_id::text from holds');
    const holdAccount = new Map(accountOf.map((row) => [row.id, row.account_id]));
    for (const hold of toCapture) {
      if ('captured' in final(hold)) capturedOn.set(holdAccount.get(hold.id)!, capturedOn.get(holdAccount.get(hold.id)!)! + hold.captureMinor);
    }
    const { rows: balances } = await database.pool.query<{ id: string; posted_minor: string; pending_minor: string; version: number }>(
      'select id::text, posted_minor::text, pending_minor::text, version from accounts where id = any($1::uuid[])',
      [accounts],
    );
    for (const balance of balances) {
      expect(BigInt(balance.posted_minor), `posted of ${balance.id}`).toBe(100_000n - capturedOn.get(balance.id)!);
      expect(balance.pending_minor).toBe('0');
    }
    // One version per change: the deposit, each authorization, and each capture or expiry.
    expect(balances.reduce((sum, balance) => sum + balance.version, 0)).toBe(ACCOUNTS + 2 * holds.length);

    expect(await brokenLaws(database.pool)).toEqual([]);

    server.kill('SIGTERM');
    expect(await server.waitForExit(20_000)).toEqual({ code: 0, signal: null });
  });
});
