import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceDocument, DepositDocument, OpenAccountDocument, TransactionDocument, TransferDocument, WithdrawDocument, type Channel } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { CHANNELS } from '../../src/ledger/types.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
/** A service carrying every rail but INTERNAL: money from outside arrives through the rail that carried it. */
let rails: TestUser;
let teller: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, teller] = await Promise.all([t.user(), t.user(), t.user('OPERATOR')]);
  rails = await t.user('SERVICE', { channels: CHANNELS.filter((channel) => channel !== 'INTERNAL') });
});
afterAll(() => t.close());

async function balance(user: TestUser, accountId: string) {
  return dataOf(await t.gql(BalanceDocument, { accountId }, user.token)).balance;
}
async function transactionCount(): Promise<number> {
  const { rows } = await t.database.pool.query<{ count: number }>('select count(*)::int as count from ledger_transactions');
  return rows[0]!.count;
}

describe('deposit, withdraw, transfer', () => {
  it('moves money and answers with final balances, versions and balanced entries', async () => {
    const checking = await t.account(alice);
    const savings = await t.account(alice, { type: 'SAVINGS' });

    const deposited = dataOf(
      await t.gql(DepositDocument, { input: { accountId: checking, amount: '100.00', channel: 'WIRE', externalRef: 'wire-1001', idempotencyKey: randomUUID() } }, rails.token),
    ).deposit;
    // A wire is available at once (a check would be held: test/integration/availability.test.ts).
    expect(deposited).toMatchObject({
      __typename: 'MoneyMovement',
      replayed: false,
      transaction: { kind: 'DEPOSIT', channel: 'WIRE', status: 'POSTED', amount: '100.00', currency: 'USD', externalRef: 'wire-1001' },
      balances: [{ accountId: checking, posted: '100.00', pending: '0.00', available: '100.00', version: 1 }],
    });
    if (deposited.__typename !== 'MoneyMovement') throw new Error('unreachable');
    const entries = deposited.transaction.entries;
    expect(entries).toHaveLength(2);
    expect(entries.find((entry) => entry.direction === 'CREDIT')).toMatchObject({ accountId: checking, amount: '100.00' });
    // The bank side is the WIRE settlement account, an internal account whose id is shown.
    expect(entries.find((entry) => entry.direction === 'DEBIT')?.accountId).toEqual(expect.any(String));

    const withdrawn = dataOf(
      await t.gql(WithdrawDocument, { input: { accountId: checking, amount: '30.25', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token),
    ).withdraw;
    expect(withdrawn).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '69.75', version: 2 }] });

    const moved = dataOf(
      await t.gql(TransferDocument, { input: { fromAccountId: checking, toAccountId: savings, amount: '19.75', idempotencyKey: randomUUID() } }, alice.token),
    ).transfer;
    expect(moved).toMatchObject({
      __typename: 'MoneyMovement',
      transaction: { kind: 'TRANSFER', channel: 'INTERNAL' },
      balances: expect.arrayContaining([
        expect.objectContaining({ accountId: checking, posted: '50.00', version: 3 }),
        expect.objectContaining({ accountId: savings, posted: '19.75', version: 1 }),
      ]),
    });
    expect(await balance(alice, checking)).toMatchObject({ posted: '50.00', available: '50.00', version: 3 });
  });

  it.each([
    ['CASH'], ['CHECK'], ['DIRECT_DEPOSIT'], ['ACH'], ['WIRE'], ['PAYPAL'], ['ZELLE'], ['CARD'], ['ATM'], ['THIRD_PARTY'],
  ] as [Channel][])('a %s deposit posts against its own settlement account', async (channel) => {
    const accountId = await t.account(alice);
    const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '1.00', channel, idempotencyKey: randomUUID() } }, rails.token)).deposit;
    if (result.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(result));
    const bankSide = result.transaction.entries.find((entry) => entry.direction === 'DEBIT')!.accountId;
    const { rows } = await t.database.pool.query('select holder, internal_code from accounts where id = $1', [bankSide]);
    expect(rows[0]).toEqual({ holder: 'INTERNAL', internal_code: channel === 'CASH' ? 'CASH_VAULT' : `SETTLEMENT_${channel}` });
  });

  it('a transfer to a payee shows the payer only their own balance and hides the payee account id', async () => {
    const mine = await t.account(alice, { opening: '10.00' });
    const theirs = await t.account(bob, { opening: '5.00' });
    const moved = dataOf(
      await t.gql(TransferDocument, { input: { fromAccountId: mine, toAccountId: theirs, amount: '2.50', description: 'Lunch', idempotencyKey: randomUUID() } }, alice.token),
    ).transfer;
    if (moved.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(moved));
    expect(moved.balances).toEqual([expect.objectContaining({ accountId: mine, posted: '7.50' })]);
    expect(moved.transaction.entries.map((entry) => entry.accountId).sort()).toEqual([mine, null].sort());
    expect(await balance(bob, theirs)).toMatchObject({ posted: '7.50', version: 2 });
  });

  it('JPY and KWD amounts carry their own fraction digits', async () => {
    const yen = await t.account(alice, { currency: 'JPY', opening: '500' });
    const dinar = await t.account(alice, { currency: 'KWD', opening: '1.125' });
    expect(await balance(alice, yen)).toMatchObject({ posted: '500', currency: 'JPY' });
    expect(await balance(alice, dinar)).toMatchObject({ posted: '1.125', currency: 'KWD' });
  });
});

describe('idempotency', () => {
  it('the transaction a movement answers with is exactly what the ledger then reads back, for every kind', async () => {
    const source = await t.account(alice, { opening: '20.00' });
    const target = await t.account(alice);
    const text = { description: 'rent, May', externalRef: 'INV-0042' };
    // Each movement is read back by whoever made it: a teller's deposit by the teller.
    const movements = [
      [dataOf(await t.gql(DepositDocument, { input: { accountId: source, amount: '1.25', channel: 'WIRE', idempotencyKey: randomUUID(), ...text } }, teller.token)).deposit, teller],
      [dataOf(await t.gql(WithdrawDocument, { input: { accountId: source, amount: '2.50', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw, alice],
      [
        dataOf(await t.gql(TransferDocument, { input: { fromAccountId: source, toAccountId: target, amount: '3.75', idempotencyKey: randomUUID(), description: text.description } }, alice.token)).transfer,
        alice,
      ],
    ] as const;
    for (const [movement, reader] of movements) {
      if (movement.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(movement));
      const read = dataOf(await t.gql(TransactionDocument, { id: movement.transaction.id }, reader.token)).transaction;
      expect(movement.transaction).toEqual(read);
    }
    const [deposited] = movements;
    expect(movements.map(([movement]) => movement.__typename === 'MoneyMovement' && movement.transaction.kind)).toEqual(['DEPOSIT', 'WITHDRAWAL', 'TRANSFER']);
    expect(deposited[0]).toMatchObject({ transaction: { externalRef: text.externalRef } });
  });

  it('a replay returns the first outcome, moves nothing again, and says so', async () => {
    const accountId = await t.account(alice);
    const input = { accountId, amount: '10.00', channel: 'ACH' as const, idempotencyKey: randomUUID() };
    const first = dataOf(await t.gql(DepositDocument, { input }, rails.token)).deposit;
    const again = dataOf(await t.gql(DepositDocument, { input }, rails.token)).deposit;
    if (first.__typename !== 'MoneyMovement' || again.__typename !== 'MoneyMovement') throw new Error('expected movements');
    expect(again.replayed).toBe(true);
    expect(again.transaction.id).toBe(first.transaction.id);
    expect(again.balances).toEqual(first.balances);
    expect(await balance(alice, accountId)).toMatchObject({ posted: '10.00', version: 1 });
  });

  it("a transfer's replay returns the payer's balance exactly as first answered, stamped with the posting time, and never the payee's", async () => {
    const source = await t.account(alice, { opening: '10.00' });
    const payee = await t.account(bob);
    const input = { fromAccountId: source, toAccountId: payee, amount: '4.00', idempotencyKey: randomUUID() };
    const first = dataOf(await t.gql(TransferDocument, { input }, alice.token)).transfer;
    const again = dataOf(await t.gql(TransferDocument, { input }, alice.token)).transfer;
    if (first.__typename !== 'MoneyMovement' || again.__typename !== 'MoneyMovement') throw new Error('expected movements');
    expect(first.balances).toEqual([expect.objectContaining({ accountId: source, posted: '6.00', version: 2, asOf: first.transaction.postedAt })]);
    expect(again).toMatchObject({ replayed: true, transaction: { id: first.transaction.id } });
    expect(again.balances).toEqual(first.balances);
    expect(await balance(bob, payee)).toMatchObject({ posted: '4.00', version: 1 });
  });

  it('a replay of a business error returns the same error, even after funds arrive', async () => {
    const accountId = await t.account(alice);
    const input = { accountId, amount: '5.00', channel: 'ACH' as const, idempotencyKey: randomUUID() };
    const refused = dataOf(await t.gql(WithdrawDocument, { input }, alice.token)).withdraw;
    expect(refused).toMatchObject({ __typename: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS', retryable: true });
    await t.gql(DepositDocument, { input: { accountId, amount: '50.00', channel: 'CASH', idempotencyKey: randomUUID() } }, rails.token);
    const replayed = dataOf(await t.gql(WithdrawDocument, { input }, alice.token)).withdraw;
    expect(replayed).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect(await balance(alice, accountId)).toMatchObject({ posted: '50.00', version: 1 });
  });

  it('the same key with a different input is IDEMPOTENCY_CONFLICT and moves nothing', async () => {
    const accountId = await t.account(alice);
    const idempotencyKey = randomUUID();
    await t.gql(DepositDocument, { input: { accountId, amount: '10.00', channel: 'CASH', idempotencyKey } }, rails.token);
    const before = await transactionCount();
    const conflict = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '10.01', channel: 'CASH', idempotencyKey } }, rails.token)).deposit;
    expect(conflict).toMatchObject({ __typename: 'IdempotencyConflictError', code: 'IDEMPOTENCY_CONFLICT' });
    const otherCommand = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '10.00', channel: 'CASH', idempotencyKey } }, rails.token)).withdraw;
    expect(otherCommand).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(await transactionCount()).toBe(before);
  });

  it('keys are scoped to the user: two users may use the same key', async () => {
    const idempotencyKey = `shared-${randomUUID()}`;
    const aliceAccount = await t.account(alice, { opening: '5.00' });
    const bobAccount = await t.account(bob, { opening: '5.00' });
    const a = dataOf(await t.gql(WithdrawDocument, { input: { accountId: aliceAccount, amount: '1.00', channel: 'ACH', idempotencyKey } }, alice.token)).withdraw;
    const b = dataOf(await t.gql(WithdrawDocument, { input: { accountId: bobAccount, amount: '2.00', channel: 'ACH', idempotencyKey } }, bob.token)).withdraw;
    expect(a.__typename).toBe('MoneyMovement');
    expect(b).toMatchObject({ __typename: 'MoneyMovement', replayed: false });
  });

  it('openAccount is idempotent too', async () => {
    const input = { type: 'SAVINGS' as const, currency: 'EUR', nickname: 'Trip', idempotencyKey: randomUUID() };
    const first = dataOf(await t.gql(OpenAccountDocument, { input }, alice.token)).openAccount;
    const again = dataOf(await t.gql(OpenAccountDocument, { input }, alice.token)).openAccount;
    if (first.__typename !== 'OpenAccountSuccess' || again.__typename !== 'OpenAccountSuccess') throw new Error('expected success');
    expect(again.account.id).toBe(first.account.id);
    expect(first.account).toMatchObject({ currency: 'EUR', nickname: 'Trip', status: 'OPEN', balance: { posted: '0.00', version: 0 } });
    expect(first.account.number).toMatch(/^\d{11}$/);
  });
});

describe('bad input gets a typed error and moves nothing', () => {
  let accountId: string;
  let bobAccount: string;
  beforeAll(async () => {
    accountId = await t.account(alice, { opening: '100.00' });
    bobAccount = await t.account(bob, { opening: '100.00' });
  });

  async function expectNothingMoved(run: () => Promise<unknown>) {
    const transactionsBefore = await transactionCount();
    const aliceBefore = await balance(alice, accountId);
    const bobBefore = await balance(bob, bobAccount);
    await run();
    expect(await transactionCount()).toBe(transactionsBefore);
    expect(await balance(alice, accountId)).toEqual(aliceBefore);
    expect(await balance(bob, bobAccount)).toEqual(bobBefore);
  }

  it.each([
    '-1.00', '0', '0.001', '1e3', '+10', ' 10', '10.', '.5', '0x10', 'NaN', '1234567890123456', '', '١٠', '10.00.0',
  ])('amount %j is VALIDATION for every movement', async (amount) => {
    await expectNothingMoved(async () => {
      const key = () => randomUUID();
      const results = [
        dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel: 'CASH', idempotencyKey: key() } }, rails.token)).deposit,
        dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount, channel: 'ACH', idempotencyKey: key() } }, alice.token)).withdraw,
        dataOf(await t.gql(TransferDocument, { input: { fromAccountId: accountId, toAccountId: bobAccount, amount, idempotencyKey: key() } }, alice.token)).transfer,
      ];
      for (const result of results) expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', retryable: false });
    });
  });

  it('a JPY amount with a fraction is VALIDATION', async () => {
    const yen = await t.account(alice, { currency: 'JPY' });
    const result = dataOf(await t.gql(DepositDocument, { input: { accountId: yen, amount: '1.5', channel: 'CASH', idempotencyKey: randomUUID() } }, rails.token)).deposit;
    expect(result).toMatchObject({ code: 'VALIDATION' });
    expect(await balance(alice, yen)).toMatchObject({ posted: '0', version: 0 });
  });

  it('an amount sent as a JSON number is refused before any resolver runs', async () => {
    await expectNothingMoved(async () => {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({
          query: 'mutation($input: DepositInput!) { deposit(input: $input) { __typename } }',
          variables: { input: { accountId, amount: 10, channel: 'CASH', idempotencyKey: randomUUID() } },
        }),
      });
      const body = (await response.json()) as { errors?: Array<{ message: string }> };
      expect(body.errors?.[0]?.message).toMatch(/Decimal must be a string/);
    });
  });

  it.each(['usd', 'ZZZ', 'US', ''])('currency %j is VALIDATION and opens nothing', async (currency) => {
    const { rows: before } = await t.database.pool.query('select count(*)::int as count from accounts');
    const result = dataOf(await t.gql(OpenAccountDocument, { input: { type: 'CHECKING', currency, idempotencyKey: randomUUID() } }, alice.token)).openAccount;
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'currency' });
    const { rows: after } = await t.database.pool.query('select count(*)::int as count from accounts');
    expect(after[0].count).toBe(before[0].count);
  });

  it.each([
    ['an unknown account id', () => randomUUID()],
    ['a malformed account id', () => 'not-an-id'],
    ["another customer's account", () => bobAccount],
  ])('%s is NOT_FOUND for deposits and withdrawals, and as a transfer source', async (_name, target) => {
    await expectNothingMoved(async () => {
      const id = target();
      const deposit = dataOf(await t.gql(DepositDocument, { input: { accountId: id, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, alice.token)).deposit;
      const withdraw = dataOf(await t.gql(WithdrawDocument, { input: { accountId: id, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
      const transfer = dataOf(await t.gql(TransferDocument, { input: { fromAccountId: id, toAccountId: accountId, amount: '1.00', idempotencyKey: randomUUID() } }, alice.token)).transfer;
      for (const result of [deposit, withdraw, transfer]) expect(result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    });
  });

  it('a transfer to an unknown account is NOT_FOUND; to the same account VALIDATION; to another currency CURRENCY_MISMATCH', async () => {
    const euros = await t.account(bob, { currency: 'EUR' });
    await expectNothingMoved(async () => {
      const transfer = async (toAccountId: string) =>
        dataOf(await t.gql(TransferDocument, { input: { fromAccountId: accountId, toAccountId, amount: '1.00', idempotencyKey: randomUUID() } }, alice.token)).transfer;
      expect(await transfer(randomUUID())).toMatchObject({ code: 'NOT_FOUND' });
      expect(await transfer(accountId)).toMatchObject({ code: 'VALIDATION', field: 'toAccountId' });
      expect(await transfer(euros)).toMatchObject({ code: 'CURRENCY_MISMATCH' });
    });
  });

  it('INTERNAL is no deposit channel and DIRECT_DEPOSIT no withdrawal channel', async () => {
    await expectNothingMoved(async () => {
      const deposit = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '1.00', channel: 'INTERNAL', idempotencyKey: randomUUID() } }, alice.token)).deposit;
      const withdraw = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'DIRECT_DEPOSIT', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
      expect(deposit).toMatchObject({ code: 'VALIDATION', field: 'channel' });
      expect(withdraw).toMatchObject({ code: 'VALIDATION', field: 'channel' });
    });
  });

  it.each([
    ['an empty key', ''],
    ['a key of 129 characters', 'k'.repeat(129)],
    ['a key with a newline', 'key\nwith newline'],
    ['a key of spaces', '   '],
    ['a non-ASCII key', 'clé'],
  ])('%s is VALIDATION', async (_name, idempotencyKey) => {
    await expectNothingMoved(async () => {
      const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey } }, alice.token)).deposit;
      expect(result).toMatchObject({ code: 'VALIDATION', field: 'idempotencyKey' });
    });
  });

  it('a description that is too long or has control characters is VALIDATION', async () => {
    await expectNothingMoved(async () => {
      for (const description of ['x'.repeat(501), 'bell\u0007']) {
        const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', description, idempotencyKey: randomUUID() } }, alice.token)).deposit;
        expect(result).toMatchObject({ code: 'VALIDATION', field: 'description' });
      }
    });
  });

  it('no token, or a bad token, is a top-level UNAUTHENTICATED and moves nothing', async () => {
    await expectNothingMoved(async () => {
      for (const token of [undefined, 'not-a-jwt', `${alice.token.slice(0, -2)}xx`]) {
        const response = await t.gql(DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, token);
        expect(response.data ?? null).toBeNull();
        expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
    });
  });
});
