import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountDocument,
  AccountsWithHistoryDocument,
  BalanceDocument,
  DepositDocument,
  HistoryDocument,
  TransactionDocument,
  TransferDocument,
  WithdrawDocument,
  type HistoryQueryVariables,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let accountId: string;
let bobAccount: string;

/** Alice's account gets 12 lines: deposits 1.00..10.00 (CASH, then WIRE from 6), one withdrawal, one transfer to Bob. */
beforeAll(async () => {
  // The journal sealer polls every 200 ms: its statements are no part of a read's count.
  t = await startTestApp({ countQueries: true, environment: { JOURNAL_SEALER: 'off' } });
  [alice, bob] = await Promise.all([t.user(), t.user()]);
  // Cash and wires arrive through their rails' service.
  const rails = await t.user('SERVICE', { channels: ['CASH', 'WIRE'] });
  accountId = await t.account(alice);
  bobAccount = await t.account(bob, { opening: '1.00' });
  for (let index = 1; index <= 10; index += 1) {
    const channel = index <= 5 ? 'CASH' : 'WIRE';
    await t.gql(DepositDocument, { input: { accountId, amount: `${index}.00`, channel, idempotencyKey: randomUUID() } }, rails.token);
  }
  await t.gql(WithdrawDocument, { input: { accountId, amount: '4.50', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token);
  await t.gql(TransferDocument, { input: { fromAccountId: accountId, toAccountId: bobAccount, amount: '0.50', idempotencyKey: randomUUID() } }, alice.token);
});
afterAll(() => t.close());

async function history(variables: Omit<HistoryQueryVariables, 'accountId'>, user = alice, id = accountId) {
  return dataOf(await t.gql(HistoryDocument, { accountId: id, ...variables }, user.token)).transactions;
}

describe('history', () => {
  it('is newest first with signed amounts, running balances and versions', async () => {
    const page = await history({ first: 3 });
    expect(page.edges.map((edge) => edge.node)).toMatchObject([
      { version: 12, amount: '-0.50', balanceAfter: '50.00', transaction: { kind: 'TRANSFER' } },
      { version: 11, amount: '-4.50', balanceAfter: '50.50', transaction: { kind: 'WITHDRAWAL', channel: 'ACH' } },
      { version: 10, amount: '10.00', balanceAfter: '55.00', transaction: { kind: 'DEPOSIT', channel: 'WIRE' } },
    ]);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  it('walks forward with cursors to the end, seeing every version once', async () => {
    const versions: number[] = [];
    let after: string | null | undefined;
    for (let pageNumber = 0; pageNumber < 10; pageNumber += 1) {
      const page = await history({ first: 5, after });
      versions.push(...page.edges.map((edge) => edge.node.version));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(versions).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('walks backward with last/before, still listing newest first', async () => {
    const oldest = await history({ last: 3 });
    expect(oldest.edges.map((edge) => edge.node.version)).toEqual([3, 2, 1]);
    expect(oldest.pageInfo.hasPreviousPage).toBe(true);
    const newer = await history({ last: 3, before: oldest.pageInfo.startCursor });
    expect(newer.edges.map((edge) => edge.node.version)).toEqual([6, 5, 4]);
  });

  it('cursors stay valid while new transactions arrive', async () => {
    const user = await t.user();
    const id = await t.account(user, { opening: '5.00' });
    await t.gql(DepositDocument, { input: { accountId: id, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, (await t.cashier()).token);
    const first = await history({ first: 1 }, user, id);
    await t.gql(DepositDocument, { input: { accountId: id, amount: '2.00', channel: 'CASH', idempotencyKey: randomUUID() } }, (await t.cashier()).token);
    const next = await history({ first: 5, after: first.pageInfo.endCursor }, user, id);
    expect(next.edges.map((edge) => edge.node.version)).toEqual([1]);
  });

  it.each([
    ['kinds', { kinds: ['WITHDRAWAL'] }, [11]],
    ['channels', { channels: ['WIRE'] }, [10, 9, 8, 7, 6]],
    ['minAmount', { minAmount: '9.00' }, [10, 9]],
    ['maxAmount', { maxAmount: '1.00' }, [12, 1]],
    ['amount range and channel', { minAmount: '2.00', maxAmount: '4.00', channels: ['CASH'] }, [4, 3, 2]],
    ['a date range that holds everything', { from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z' }, [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]],
    ['a date range in the future', { from: '2999-01-01T00:00:00Z' }, []],
  ] as const)('filters by %s', async (_name, filter, versions) => {
    const page = await history({ first: 50, filter: filter as HistoryQueryVariables['filter'] });
    expect(page.edges.map((edge) => edge.node.version)).toEqual(versions);
  });

  it.each([
    ['a page larger than 100', { first: 101 }],
    ['a negative page', { first: -1 }],
    ['first and last together', { first: 2, last: 2 }],
    ['a forged cursor', { first: 2, after: 'bm90LWEtY3Vyc29y' }],
    ['a filter amount with too many digits', { filter: { minAmount: '1.001' } }],
  ])('%s is a VALIDATION error', async (_name, variables) => {
    const response = await t.gql(HistoryDocument, { accountId, ...variables }, alice.token);
    expect(response.errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });

  it('a page of history is a bounded number of queries, whatever its size (no N+1)', async () => {
    const count = async (first: number) => {
      t.queries.length = 0;
      dataOf(await t.gql(AccountsWithHistoryDocument, { first }, alice.token));
      // The outbox relay and the schedulers (hold expiries and releases, dispute credits) poll in the
      // background, each scan `for update skip locked` (their transactions' statements are not the
      // request's), the relay first tries for its turn (an advisory lock), and a commit before this
      // request may be logged after it began.
      return t.queries.filter((sql) => !/outbox_events|for update skip locked|pg_try_advisory|\b(begin|commit|rollback)\b/i.test(sql)).length;
    };
    const small = await count(1);
    const large = await count(3);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(5);
  });
});

describe('privacy', () => {
  it("another customer's account reads exactly like an unknown one", async () => {
    for (const id of [bobAccount, randomUUID(), 'garbage']) {
      expect(dataOf(await t.gql(AccountDocument, { id }, alice.token)).account).toBeNull();
      expect(dataOf(await t.gql(BalanceDocument, { accountId: id }, alice.token)).balance).toBeNull();
      const response = await t.gql(HistoryDocument, { accountId: id, first: 5 }, alice.token);
      expect(response.data ?? null).toBeNull();
      expect(response.errors?.[0]).toMatchObject({ message: 'No such account.', extensions: { code: 'NOT_FOUND' } });
    }
  });

  it('the payee sees the transfer with the payer account hidden; a stranger sees nothing', async () => {
    const bobLines = await history({ first: 1 }, bob, bobAccount);
    const line = bobLines.edges[0]!.node;
    expect(line).toMatchObject({ amount: '0.50', version: 2 });
    expect(line.transaction.entries.map((entry) => entry.accountId).sort()).toEqual([bobAccount, null].sort());

    const transactionId = line.transaction.id;
    expect(dataOf(await t.gql(TransactionDocument, { id: transactionId }, alice.token)).transaction?.id).toBe(transactionId);
    const stranger = await t.user();
    expect(dataOf(await t.gql(TransactionDocument, { id: transactionId }, stranger.token)).transaction).toBeNull();
    expect(dataOf(await t.gql(TransactionDocument, { id: 'garbage' }, stranger.token)).transaction).toBeNull();
  });

  it('nothing is readable without a token', async () => {
    for (const response of [
      await t.gql(AccountsWithHistoryDocument, { first: 1 }),
      await t.gql(BalanceDocument, { accountId }),
      await t.gql(HistoryDocument, { accountId, first: 1 }),
    ]) {
      // A nullable root field comes back as null next to the error; nothing else is returned.
      expect(Object.values(response.data ?? {}).every((value) => value === null)).toBe(true);
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
