import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStreamingReplica, type StreamingReplica } from '../helpers/streaming-replica.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { dataOf } from '../helpers/graphql-client.js';
import { eventually } from '../helpers/process-tree.js';
import {
  AccountDocument,
  AccountsDocument,
  BalanceDocument,
  DepositDocument,
  HistoryDocument,
  OpenAccountDocument,
  StatementDocument,
  TransactionDocument,
  TransferDocument,
  WithdrawDocument,
} from '../generated/graphql.js';

/**
 * Read replicas (README "Read replicas") on a real primary and a real streaming replica started
 * here, the replica applying every commit APPLY_DELAY_SECONDS late. What ran where is read from
 * each server's pg_stat_statements, not from the app's own word.
 */

const DATABASE = 'tally';
const APPLY_DELAY_SECONDS = 3;

let cluster: StreamingReplica;
let tally: TestApp;
/** Two more processes on the same primary and replica that share callers' last movements through Redis. */
let one: TestApp;
let two: TestApp;
let primary: pg.Client;
let replica: pg.Client;

beforeAll(async () => {
  cluster = await startStreamingReplica(DATABASE, APPLY_DELAY_SECONDS);
  primary = await cluster.client('primary', DATABASE);
  replica = await cluster.client('replica', DATABASE);
  const pool = new pg.Pool({ connectionString: cluster.primaryUrl(DATABASE), max: 2 });
  pool.on('error', () => undefined);
  tally = await startTestApp({
    database: { name: DATABASE, url: cluster.primaryUrl(DATABASE), pool, drop: () => pool.end() },
    // No Redis: a CACHED balance then always falls back to the ledger, the read a replica may serve.
    environment: { DATABASE_REPLICA_URLS: cluster.replicaUrl(DATABASE), DATABASE_REPLICA_MAX_LAG_SECONDS: '30', REDIS_URL: '', RISK_RULES: 'off' },
  });
  const withRedis = async () => {
    const pool = new pg.Pool({ connectionString: cluster.primaryUrl(DATABASE), max: 2 });
    pool.on('error', () => undefined);
    return startTestApp({
      database: { name: DATABASE, url: cluster.primaryUrl(DATABASE), pool, drop: () => pool.end() },
      environment: { DATABASE_REPLICA_URLS: cluster.replicaUrl(DATABASE), DATABASE_REPLICA_MAX_LAG_SECONDS: '30', RISK_RULES: 'off', DATABASE_POOL_SIZE: '5' },
    });
  };
  one = await withRedis();
  two = await withRedis();
}, 180_000);

afterAll(async () => {
  // Stops whatever started, even after a failure; the apps first (each close checks the ledger laws on the primary).
  const closed = await Promise.allSettled([two, one, tally].filter((app) => app !== undefined).map((app) => app.close()));
  await primary?.end().catch(() => undefined);
  await replica?.end().catch(() => undefined);
  await cluster?.stop();
  const failure = closed.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}, 60_000);

/** Statements (normalised text and calls) the server ran since its last reset, without the router's polls and these checks. */
async function statementsOn(client: pg.Client): Promise<Array<{ query: string; calls: number }>> {
  const { rows } = await client.query<{ query: string; calls: string }>(
    `select query, calls::text from pg_stat_statements
      where query not like '%pg_stat_statements%' and query not like '%pg_last_wal_replay_lsn%' and query not like '%pg_current_wal_insert_lsn%'`,
  );
  return rows.map((row) => ({ query: row.query, calls: Number(row.calls) }));
}

async function resetStatements(): Promise<void> {
  await primary.query('select pg_stat_statements_reset()');
  await replica.query('select pg_stat_statements_reset()');
}

/** How often the app routed lag-tolerant reads to `target` for `reason`. */
async function reads(target: string, reason: string, app: TestApp = tally): Promise<number> {
  const metric = await app.app.metrics.registry.getSingleMetric('tally_replica_reads_total')?.get();
  return metric?.values.find((value) => value.labels.target === target && value.labels.reason === reason)?.value ?? 0;
}

/** Waits until the router would send `user`'s lag-tolerant reads to the replica (their own writes replayed there). */
async function untilReplicaServes(user: TestUser, app: TestApp = tally): Promise<void> {
  const ready = await eventually(async () => (await app.app.replicas?.route(user.id))?.target === 'replica', 30_000);
  expect(ready, 'the replica caught up with the caller').toBe(true);
}

async function historyKinds(user: TestUser, accountId: string, app: TestApp = tally): Promise<Array<{ version: number; id: string }>> {
  const page = dataOf(await app.gql(HistoryDocument, { accountId, first: 20 }, user.token)).transactions;
  return page.edges.map(({ node }) => ({ version: node.version, id: node.transaction.id }));
}

async function transfer(user: TestUser, fromAccountId: string, toAccountId: string, amount: string, app: TestApp = tally): Promise<string> {
  const moved = dataOf(await app.gql(TransferDocument, { input: { fromAccountId, toAccountId, amount, idempotencyKey: randomUUID() } }, user.token)).transfer;
  if (moved.__typename !== 'MoneyMovement') throw new Error(`transfer refused: ${JSON.stringify(moved)}`);
  return moved.transaction.id;
}

/** Whether the replica itself holds the transaction yet (asked behind the app's back). */
async function onReplica(transactionId: string): Promise<boolean> {
  const { rows } = await replica.query('select 1 from ledger_transactions where id = $1', [transactionId]);
  return rows.length > 0;
}

describe('read-your-writes across processes (REDIS_URL)', () => {
  it('shows a caller the movement one process answered at once when another process answers the read', async () => {
    const carol = await one.user();
    const dave = await one.user();
    const carolAccount = await one.account(carol, { opening: '50.00' });
    const daveAccount = await one.account(dave);
    // Process two has never seen carol: only Redis can tell it she moved money.
    await untilReplicaServes(carol, two);
    const recentBefore = await reads('primary', 'recent-write', two);
    const transferId = await transfer(carol, carolAccount, daveAccount, '7.00', one);
    const history = await historyKinds(carol, carolAccount, two);
    expect(await onReplica(transferId)).toBe(false);
    expect(history[0]).toEqual({ version: 2, id: transferId });
    expect(await reads('primary', 'recent-write', two)).toBe(recentBefore + 1);
  }, 60_000);

  it('reads an account the replica does not have yet from the primary: never NOT_FOUND', async () => {
    // Opened and funded through process one; the first app shares nothing with it (no Redis), so
    // it sends eve to the replica, which has not replayed her account yet.
    const eve = await one.user();
    // Signed in beforehand, so that only the opening and its deposit come between the account's
    // commit and the reads below (well within the replica's apply delay).
    await one.cashier();
    const eveAccount = await one.account(eve, { opening: '12.00' });
    expect((await tally.app.replicas?.route(eve.id))?.target).toBe('replica');
    const history = await historyKinds(eve, eveAccount, tally);
    const { rows } = await replica.query('select 1 from accounts where id = $1', [eveAccount]);
    expect(rows, 'the replica does not have the account yet').toEqual([]);
    expect(history).toHaveLength(1);
    const month = new Date().toISOString().slice(0, 7);
    expect(dataOf(await tally.gql(StatementDocument, { accountId: eveAccount, month }, eve.token)).statement?.closing).toBe('12.00');
    expect(dataOf(await tally.gql(BalanceDocument, { accountId: eveAccount, consistency: 'CACHED' }, eve.token)).balance?.posted).toBe('12.00');
  }, 60_000);
});

describe('read replicas', () => {
  let alice: TestUser;
  let bob: TestUser;
  let aliceAccount: string;
  let bobAccount: string;

  beforeAll(async () => {
    alice = await tally.user();
    bob = await tally.user();
    aliceAccount = await tally.account(alice, { opening: '100.00' });
    bobAccount = await tally.account(bob, { opening: '5.00' });
    await untilReplicaServes(alice);
    await untilReplicaServes(bob);
  }, 60_000);

  it('serves a history page, a statement and a CACHED balance from the replica, not the primary', async () => {
    await resetStatements();
    const servedBefore = await reads('replica', 'replica');
    expect(await historyKinds(alice, aliceAccount)).toHaveLength(1);
    const month = new Date().toISOString().slice(0, 7);
    const statement = dataOf(await tally.gql(StatementDocument, { accountId: aliceAccount, month }, alice.token)).statement;
    expect(statement?.closing).toBe('100.00');
    const cached = dataOf(await tally.gql(BalanceDocument, { accountId: aliceAccount, consistency: 'CACHED' }, alice.token)).balance;
    expect(cached?.posted).toBe('100.00');

    // The reads that may lag ran on the replica: the history page, the statement's lines, and the
    // account row each request checks ownership on (for CACHED, its balance); none on the primary.
    // (A history line's nested transaction and entries share the request's loaders with STRONG
    // paths, so they stay on the primary.)
    const lagTolerant = (query: string) => query.includes('page_account_id') || query.includes('l.balance_after_minor') || query.includes('join user_accounts ua on ua.account_id = a.id');
    const onTheReplica = await statementsOn(replica);
    expect(onTheReplica.filter(({ query }) => lagTolerant(query)).map(({ calls }) => calls).sort((a, b) => a - b), JSON.stringify(onTheReplica)).toEqual([1, 1, 3]);
    const onThePrimary = await statementsOn(primary);
    expect(onThePrimary.filter(({ query }) => lagTolerant(query)), JSON.stringify(onThePrimary)).toEqual([]);
    expect(await reads('replica', 'replica')).toBe(servedBefore + 3);
    // The scrape shows the replica up, with its lag (here at most the apply delay and a poll).
    const scraped = await tally.app.metrics.registry.metrics();
    const name = new URL(cluster.replicaUrl(DATABASE)).host + '/' + DATABASE;
    expect(scraped).toContain(`tally_replica_up{replica="${name}"} 1`);
    const lag = Number(new RegExp(`tally_replica_lag_seconds\\{replica="${name.replaceAll('.', '\\.')}"\\} ([0-9.e-]+)`).exec(scraped)?.[1]);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(APPLY_DELAY_SECONDS + 2);
  });

  it('shows the caller their own movement at once though the replica has not replayed it', async () => {
    const recentBefore = await reads('primary', 'recent-write');
    const transferId = await transfer(alice, aliceAccount, bobAccount, '10.00');
    const history = await historyKinds(alice, aliceAccount);
    // Proof the follower is really behind at this moment: otherwise this test could not fail.
    expect(await onReplica(transferId)).toBe(false);
    expect(history[0]).toEqual({ version: 2, id: transferId });
    expect(await reads('primary', 'recent-write')).toBe(recentBefore + 1);

    // Another caller (the payee) reads the replica, which may trail by the lag: documented.
    const bobsNow = await historyKinds(bob, bobAccount);
    const replayedYet = await onReplica(transferId);
    if (!replayedYet) expect(bobsNow.map(({ id }) => id)).not.toContain(transferId);
    const caughtUp = await eventually(async () => (await historyKinds(bob, bobAccount)).some(({ id }) => id === transferId), (APPLY_DELAY_SECONDS + 10) * 1000);
    expect(caughtUp, 'the payee sees the transfer once the replica replays it').toBe(true);
    // And once the replica has replayed it, the payer's reads go back to the replica.
    await untilReplicaServes(alice);
  }, 60_000);

  it('never sends a STRONG read or a command to the replica', async () => {
    await untilReplicaServes(alice);
    const cash = await tally.cashier();
    await resetStatements();
    // A caller the router would send to the replica for history: so a leak would land there.
    expect((await tally.app.replicas?.route(alice.id))?.target).toBe('replica');
    expect(dataOf(await tally.gql(BalanceDocument, { accountId: aliceAccount, consistency: 'STRONG' }, alice.token)).balance?.posted).toBe('90.00');
    expect(dataOf(await tally.gql(AccountsDocument, {}, alice.token)).accounts).toHaveLength(1);
    expect(dataOf(await tally.gql(AccountDocument, { id: aliceAccount }, alice.token)).account?.id).toBe(aliceAccount);
    const deposited = dataOf(await tally.gql(DepositDocument, { input: { accountId: aliceAccount, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, cash.token)).deposit;
    expect(deposited.__typename).toBe('MoneyMovement');
    const withdrawn = dataOf(await tally.gql(WithdrawDocument, { input: { accountId: aliceAccount, amount: '2.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(withdrawn.__typename).toBe('MoneyMovement');
    const transferId = await transfer(alice, aliceAccount, bobAccount, '3.00');
    expect(dataOf(await tally.gql(TransactionDocument, { id: transferId }, alice.token)).transaction?.id).toBe(transferId);
    const opened = dataOf(await tally.gql(OpenAccountDocument, { input: { type: 'SAVINGS', currency: 'USD', idempotencyKey: randomUUID() } }, alice.token)).openAccount;
    expect(opened.__typename).toBe('OpenAccountSuccess');

    expect(await statementsOn(replica)).toEqual([]);
    expect((await statementsOn(primary)).length).toBeGreaterThan(0);
  });

  it('answers from the primary, without an error, when the replica is down', async () => {
    await untilReplicaServes(bob);
    // The replica first replays bob's three movements (the last, the previous test's transfer,
    // may still be inside its apply delay): a read it answers while it dies is then as complete
    // as the primary's, and which of the two answers no longer decides the test.
    expect(await eventually(async () => (await historyKinds(bob, bobAccount)).length >= 3, (APPLY_DELAY_SECONDS + 10) * 1000)).toBe(true);
    cluster.killReplica();
    // At once (the router may not have noticed: the read fails over mid-request) and after a poll.
    const first = await tally.gql(HistoryDocument, { accountId: bobAccount, first: 20 }, bob.token);
    expect(first.errors).toBeUndefined();
    expect(dataOf(first).transactions.edges.length).toBeGreaterThanOrEqual(3);
    expect(await eventually(() => tally.app.replicas?.status()[0]?.up === false, 5_000)).toBe(true);
    const downBefore = await reads('primary', 'down');
    const second = await tally.gql(HistoryDocument, { accountId: bobAccount, first: 20 }, bob.token);
    expect(second.errors).toBeUndefined();
    expect(dataOf(second).transactions.edges.map(({ node }) => node.version)).toEqual(dataOf(first).transactions.edges.map(({ node }) => node.version));
    const cached = await tally.gql(BalanceDocument, { accountId: bobAccount, consistency: 'CACHED' }, bob.token);
    expect(cached.errors).toBeUndefined();
    expect(dataOf(cached).balance?.posted).toBe('18.00');
    expect(await reads('primary', 'down')).toBe(downBefore + 2);
    const scraped = await tally.app.metrics.registry.metrics();
    expect(scraped).toMatch(/tally_replica_up\{replica="[^"]+"\} 0/);
    expect(scraped).not.toMatch(/tally_replica_lag_seconds\{/);
  });
});
