import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountDocument, BalanceDocument, DepositDocument, HistoryDocument, TransferDocument, WithdrawDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/** Correctness gaps of one issue: impossible dates, upper-case ids, validation failures and idempotency keys. */

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(() => t.close());

function deposit(accountId: string, amount: string, idempotencyKey: string, user = alice) {
  return t.gql(DepositDocument, { input: { accountId, amount, channel: 'CASH', idempotencyKey } }, user.token);
}

async function idempotencyRows(key: string): Promise<number> {
  const { rows } = await t.database.pool.query('select count(*)::int as count from idempotency_records where user_id = $1 and key = $2', [alice.id, key]);
  return rows[0].count;
}

describe('DateTime', () => {
  it.each([
    ['2026-02-30T00:00:00Z', 'February has no 30th'],
    ['2026-13-01T00:00:00Z', 'there is no month 13'],
    ['2026-01-01T25:00:00Z', 'there is no hour 25'],
    ['2025-02-29T00:00:00Z', '2025 is not a leap year'],
    ['2026-04-31T00:00:00Z', 'April has 30 days'],
    ['2026-01-01T10:60:00Z', 'there is no minute 60'],
    ['2026-01-01T10:00:00+24:00', 'an offset is under 24 hours'],
    ['2026-01-00T00:00:00Z', 'days start at 1'],
  ])('refuses %s (%s) with a typed error, and the query does not run', async (instant) => {
    const accountId = await t.account(alice);
    const response = await t.gql(HistoryDocument, { accountId, filter: { from: instant } }, alice.token);
    expect(response.data ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.message).toContain('DateTime must be a real ISO 8601 instant');
  });

  it.each([
    ['2024-02-29T00:00:00Z', 1],
    ['2000-02-29T12:30:59.999+05:30', 1],
    ['2999-12-31T23:59:59Z', 0],
  ])('accepts the real instant %s', async (instant, lines) => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const history = dataOf(await t.gql(HistoryDocument, { accountId, filter: { from: instant } }, alice.token)).transactions;
    expect(history.edges).toHaveLength(lines);
  });
});

describe('ids are the same in any letter case', () => {
  it('an upper-case id of your own account works in a read and a movement alike, and the same key then replays', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const upper = accountId.toUpperCase();
    expect(upper).not.toBe(accountId);
    expect(dataOf(await t.gql(AccountDocument, { id: upper }, alice.token)).account?.id).toBe(accountId);
    expect(dataOf(await t.gql(BalanceDocument, { accountId: upper }, alice.token)).balance?.posted).toBe('1.00');

    const key = randomUUID();
    const first = dataOf(await deposit(upper, '2.00', key)).deposit;
    expect(first).toMatchObject({ __typename: 'MoneyMovement', replayed: false, balances: [{ accountId, posted: '3.00' }] });
    // The same request, the id spelt the canonical way: a replay, not a conflict and not a second deposit.
    const again = dataOf(await deposit(accountId, '2.00', key)).deposit;
    expect(again).toMatchObject({ __typename: 'MoneyMovement', replayed: true, balances: [{ accountId, posted: '3.00' }] });

    const withdrawn = dataOf(
      await t.gql(WithdrawDocument, { input: { accountId: upper, amount: '0.50', channel: 'CASH', idempotencyKey: randomUUID() } }, alice.token),
    ).withdraw;
    expect(withdrawn).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '2.50' }] });
    const history = dataOf(await t.gql(HistoryDocument, { accountId: upper }, alice.token)).transactions;
    expect(history.edges.map((edge) => edge.node.amount)).toEqual(['-0.50', '2.00', '1.00']);
  });

  it('a transfer from an upper-case source to the same account in lower case is the one account, refused as such', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const refused = dataOf(
      await t.gql(TransferDocument, { input: { fromAccountId: accountId.toUpperCase(), toAccountId: accountId, amount: '0.10', idempotencyKey: randomUUID() } }, alice.token),
    ).transfer;
    expect(refused).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'toAccountId' });
  });

  it('REST /v1/balance and a subscription take an upper-case id of your own account', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const response = await fetch(`${t.url}/v1/balance?accountId=${accountId.toUpperCase()}`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accountId, posted: '1.00' });

    const client = createClient({ url: `${t.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${alice.token}` }, retryAttempts: 0 });
    try {
      const first = new Promise<unknown>((resolve, reject) => {
        client.subscribe(
          { query: 'subscription($id: ID!) { balanceUpdated(accountId: $id, afterVersion: 0) { accountId version balance { posted } } }', variables: { id: accountId.toUpperCase() } },
          { next: resolve, error: reject, complete: () => reject(new Error('completed without an update')) },
        );
      });
      expect(await first).toEqual({ data: { balanceUpdated: { accountId, version: 1, balance: { posted: '1.00' } } } });
    } finally {
      await client.dispose();
    }
  });
});

describe('a VALIDATION failure never uses up an idempotency key', () => {
  it('1.001 on a USD account is VALIDATION; the corrected request with the same key then succeeds', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const key = randomUUID();
    const invalid = dataOf(await deposit(accountId, '1.001', key)).deposit;
    expect(invalid).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'amount' });
    expect(await idempotencyRows(key)).toBe(0);
    const corrected = dataOf(await deposit(accountId, '1.01', key)).deposit;
    expect(corrected).toMatchObject({ __typename: 'MoneyMovement', replayed: false, balances: [{ posted: '2.01' }] });
    expect(dataOf(await deposit(accountId, '1.01', key)).deposit).toMatchObject({ __typename: 'MoneyMovement', replayed: true });
  });

  it('a field check that needs no account (a malformed amount) leaves the key free too', async () => {
    const accountId = await t.account(alice);
    const key = randomUUID();
    expect(dataOf(await deposit(accountId, '-1', key)).deposit).toMatchObject({ code: 'VALIDATION' });
    expect(await idempotencyRows(key)).toBe(0);
    expect(dataOf(await deposit(accountId, '1.00', key)).deposit).toMatchObject({ __typename: 'MoneyMovement', replayed: false });
  });

  it('a business failure stays recorded: INSUFFICIENT_FUNDS, then the same key, is the replayed failure', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const key = randomUUID();
    const withdrawal = (amount: string) =>
      t.gql(WithdrawDocument, { input: { accountId, amount, channel: 'CASH', idempotencyKey: key } }, alice.token);
    expect(dataOf(await withdrawal('5.00')).withdraw).toMatchObject({ __typename: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS' });
    await deposit(accountId, '10.00', randomUUID());
    // The funds are there now, but the key's outcome is the first one.
    expect(dataOf(await withdrawal('5.00')).withdraw).toMatchObject({ __typename: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS' });
    expect(await idempotencyRows(key)).toBe(1);
  });

  it('the rolled-back claim leaves no row and no lock behind: the account moves money at once', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const key = randomUUID();
    expect(dataOf(await deposit(accountId, '0.001', key)).deposit).toMatchObject({ code: 'VALIDATION' });
    expect(await idempotencyRows(key)).toBe(0);
    const client = await t.database.pool.connect();
    try {
      // NOWAIT fails at once if anything still holds the row.
      await client.query('begin');
      await client.query('select 1 from accounts where id = $1 for update nowait', [accountId]);
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(dataOf(await deposit(accountId, '0.01', randomUUID())).deposit).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '1.01' }] });
  });

  it('two concurrent identical invalid requests both get VALIDATION, and the key stays free', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const key = randomUUID();
    const results = await Promise.all([deposit(accountId, '2.005', key), deposit(accountId, '2.005', key)]);
    expect(results.map((result) => dataOf(result).deposit)).toEqual([
      expect.objectContaining({ code: 'VALIDATION', field: 'amount' }),
      expect.objectContaining({ code: 'VALIDATION', field: 'amount' }),
    ]);
    expect(await idempotencyRows(key)).toBe(0);
    expect(dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance?.posted).toBe('1.00');
  });
});
