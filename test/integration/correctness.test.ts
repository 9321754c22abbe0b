import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountDocument, BalanceDocument, DepositDocument, HistoryDocument, OpenAccountDocument, TransactionDocument, TransferDocument, WithdrawDocument } from '../generated/graphql.js';
import { Redis } from 'ioredis';
import { dataOf } from '../helpers/graphql-client.js';
import { REDIS_URL } from '../helpers/services.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { depositThroughEnvelope } from '../helpers/envelope-deposit.js';
import { BALANCE_CACHE_KEY_PREFIX } from '../../src/pubsub/balance-cache.js';

/** Correctness gaps of one issue: currency exponents, impossible dates, upper-case ids, validation failures and idempotency keys. */

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(() => t.close());

/** A cash deposit, posted by the cash service as a bank would. */
async function deposit(accountId: string, amount: string, idempotencyKey: string) {
  return t.gql(DepositDocument, { input: { accountId, amount, channel: 'CASH', idempotencyKey } }, (await t.cashier()).token);
}

async function idempotencyRows(key: string): Promise<number> {
  // Keys are fresh UUIDs, so whoever used one (alice, or the cash service) is the only user under it.
  const { rows } = await t.database.pool.query('select count(*)::int as count from idempotency_records where key = $1', [key]);
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
      await t.gql(WithdrawDocument, { input: { accountId: upper, amount: '0.50', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token),
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
      t.gql(WithdrawDocument, { input: { accountId, amount, channel: 'ACH', idempotencyKey: key } }, alice.token);
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

/** Every place an account's money is shown, read through the API: they must all agree. */
async function moneyShownFor(accountId: string) {
  const balance = dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance;
  const history = dataOf(await t.gql(HistoryDocument, { accountId }, alice.token)).transactions;
  const newest = history.edges[0]?.node;
  const transaction = newest ? dataOf(await t.gql(TransactionDocument, { id: newest.transaction.id }, alice.token)).transaction : undefined;
  const rest = (await (await fetch(`${t.url}/v1/balance?accountId=${accountId}`, { headers: { authorization: `Bearer ${alice.token}` } })).json()) as { posted: string };
  return {
    posted: balance?.posted,
    available: balance?.available,
    restPosted: rest.posted,
    lineAmount: newest?.amount,
    lineBalanceAfter: newest?.balanceAfter,
    transactionAmount: transaction?.amount,
    entryAmounts: transaction?.entries.map((entry) => entry.amount),
  };
}

async function openIn(currency: string) {
  return dataOf(await t.gql(OpenAccountDocument, { input: { type: 'CHECKING', currency, idempotencyKey: randomUUID() } }, alice.token)).openAccount;
}

describe('currency exponents come from ISO 4217 and are stored with each account', () => {
  it.each([
    ['HUF', '100.50', 2],
    ['IQD', '1.000', 3],
    ['IDR', '0.01', 2],
    ['JPY', '500', 0],
  ])('%s %s is shown as %s everywhere', async (currency, amount, exponent) => {
    const opened = await openIn(currency);
    expect(opened).toMatchObject({ __typename: 'OpenAccountSuccess', account: { currency } });
    const accountId = opened.__typename === 'OpenAccountSuccess' ? opened.account.id : '';
    const { rows } = await t.database.pool.query('select currency_exponent from accounts where id = $1', [accountId]);
    expect(rows[0].currency_exponent).toBe(exponent);
    const deposited = dataOf(await deposit(accountId, amount, randomUUID())).deposit;
    expect(deposited).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: amount }], transaction: { amount } });
    expect(await moneyShownFor(accountId)).toEqual({
      posted: amount,
      available: amount,
      restPosted: amount,
      lineAmount: amount,
      lineBalanceAfter: amount,
      transactionAmount: amount,
      entryAmounts: [amount, amount],
    });
  });

  it('concurrent first opens in a currency all succeed: its internal accounts are created once', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => t.user()));
    for (const currency of ['EUR', 'GBP', 'CHF', 'CAD', 'AUD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'MXN', 'BRL', 'ZAR', 'SGD', 'HKD', 'NZD']) {
      const opened = await Promise.all(
        users.map(async (user) => dataOf(await t.gql(OpenAccountDocument, { input: { type: 'CHECKING', currency, idempotencyKey: randomUUID() } }, user.token)).openAccount.__typename),
      );
      expect(opened, currency).toEqual(users.map(() => 'OpenAccountSuccess'));
    }
    const { rows } = await t.database.pool.query(
      `select count(*)::int as count from accounts where holder = 'INTERNAL' and currency = 'EUR' and internal_code = 'CASH_VAULT'`,
    );
    expect(rows[0].count).toBe(1);
  });

  it('100.501 on a HUF account is VALIDATION and moves nothing', async () => {
    const opened = await openIn('HUF');
    const accountId = opened.__typename === 'OpenAccountSuccess' ? opened.account.id : '';
    expect(dataOf(await deposit(accountId, '100.501', randomUUID())).deposit).toMatchObject({ code: 'VALIDATION', field: 'amount' });
    expect(dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance).toMatchObject({ posted: '0.00', version: 0 });
  });

  it.each(['XAU', 'XXX', 'XTS', 'USN', 'CLF', 'HRK'])('refuses to open an account in %s (no minor unit, a fund code, or withdrawn)', async (currency) => {
    expect(await openIn(currency)).toMatchObject({ __typename: 'ValidationError', field: 'currency' });
  });

  it('an account whose stored exponent differs from the data package keeps parsing and formatting by the stored one', async () => {
    const opened = await openIn('HUF');
    const accountId = opened.__typename === 'OpenAccountSuccess' ? opened.account.id : '';
    // As if opened under ICU's digits, which count whole forints.
    await t.database.pool.query('update accounts set currency_exponent = 0 where id = $1', [accountId]);
    expect(dataOf(await deposit(accountId, '100.50', randomUUID())).deposit).toMatchObject({ code: 'VALIDATION', field: 'amount' });
    const key = randomUUID();
    expect(dataOf(await deposit(accountId, '10050', key)).deposit).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '10050' }] });
    expect(await moneyShownFor(accountId)).toEqual({
      posted: '10050',
      available: '10050',
      restPosted: '10050',
      lineAmount: '10050',
      lineBalanceAfter: '10050',
      transactionAmount: '10050',
      entryAmounts: ['10050', '10050'],
    });
    // The stored outcome replays in the same units.
    expect(dataOf(await deposit(accountId, '10050', key)).deposit).toMatchObject({ replayed: true, balances: [{ posted: '10050' }] });
    // The balance cache, once the relay filled it, and both kinds of subscription payload, too.
    let cached: string | undefined;
    for (let attempt = 0; attempt < 100 && cached !== '10050'; attempt += 1) {
      cached = dataOf(await t.gql(BalanceDocument, { accountId, consistency: 'CACHED' }, alice.token)).balance?.posted;
      if (cached !== '10050') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(cached).toBe('10050');
    const client = createClient({ url: `${t.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${alice.token}` }, retryAttempts: 0 });
    try {
      const updates: unknown[] = [];
      const two = new Promise<void>((resolve, reject) => {
        client.subscribe(
          { query: 'subscription($id: ID!) { balanceUpdated(accountId: $id, afterVersion: 0) { version balance { posted } transaction { amount } } }', variables: { id: accountId } },
          {
            next: (message) => {
              updates.push(message.data?.balanceUpdated);
              if (updates.length === 1) void deposit(accountId, '7', randomUUID());
              if (updates.length === 2) resolve();
            },
            error: reject,
            complete: () => reject(new Error('completed early')),
          },
        );
      });
      await two;
      expect(updates).toEqual([
        { version: 1, balance: { posted: '10050' }, transaction: { amount: '10050' } },
        { version: 2, balance: { posted: '10057' }, transaction: { amount: '7' } },
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('a transfer between accounts counting one currency in different minor units is refused, not rescaled', async () => {
    const legacy = await openIn('HUF');
    const current = await openIn('HUF');
    const [from, to] = [legacy, current].map((opened) => (opened.__typename === 'OpenAccountSuccess' ? opened.account.id : ''));
    await t.database.pool.query('update accounts set currency_exponent = 0 where id = $1', [from]);
    await deposit(from!, '500', randomUUID());
    const refused = dataOf(await t.gql(TransferDocument, { input: { fromAccountId: from!, toAccountId: to!, amount: '100', idempotencyKey: randomUUID() } }, alice.token)).transfer;
    expect(refused).toMatchObject({ code: 'CURRENCY_MISMATCH' });
    expect(dataOf(await t.gql(BalanceDocument, { accountId: to! }, alice.token)).balance?.posted).toBe('0.00');
  });
});


describe('balances an older release published or cached carry no exponent', () => {
  it('a live event without one is read again from the ledger, and a cached balance without one is a cache miss', async () => {
    const opened = await openIn('HUF');
    const accountId = opened.__typename === 'OpenAccountSuccess' ? opened.account.id : '';
    await t.database.pool.query('update accounts set currency_exponent = 0 where id = $1', [accountId]);
    await deposit(accountId, '10050', randomUUID());
    const client = createClient({ url: `${t.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${alice.token}` }, retryAttempts: 0 });
    const redis = new Redis(REDIS_URL);
    try {
      const update = new Promise<unknown>((resolve, reject) => {
        client.subscribe(
          { query: 'subscription($id: ID!) { balanceUpdated(accountId: $id, afterVersion: 1) { version balance { posted } } }', variables: { id: accountId } },
          { next: (message) => resolve(message.data?.balanceUpdated), error: reject, complete: () => reject(new Error('completed early')) },
        );
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The event is published as an older release wrote it: no currencyExponent.
      await depositThroughEnvelope(t.app.orm, (await t.cashier()).id, accountId, '7', async (database) => {
        await database.execute(`update outbox_events set payload = payload - 'currencyExponent' where account_id = ? and account_version = 2`, [accountId]);
      });
      expect(await update).toEqual({ version: 2, balance: { posted: '10057' } });

      const oldEvent = { accountId, version: 99, currency: 'HUF', postedMinor: '1', pendingMinor: '0', transactionId: randomUUID(), asOf: new Date().toISOString() };
      await redis.hset(BALANCE_CACHE_KEY_PREFIX + accountId, 'version', '99', 'event', JSON.stringify(oldEvent));
      expect(dataOf(await t.gql(BalanceDocument, { accountId, consistency: 'CACHED' }, alice.token)).balance).toMatchObject({ version: 2, posted: '10057' });
    } finally {
      await client.dispose();
      redis.disconnect();
    }
  });
});
