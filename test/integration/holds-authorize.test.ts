import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizeHoldDocument, BalanceDocument, LayeredHistoryDocument, WithdrawDocument, type AuthorizeHoldInput } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/** authorizeHold (issue 8 §3) on real PostgreSQL: a PENDING-layer transaction and its hold row. */
let t: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob] = await Promise.all([t.user(), t.user()]);
});
afterAll(() => t.close());

type InputChange = Partial<Omit<AuthorizeHoldInput, 'accountId'>> & { accountId?: string };
const authorize = (input: InputChange & { accountId: string }, user = alice) =>
  t.gql(AuthorizeHoldDocument, { input: { amount: '10.00', channel: 'ACH', idempotencyKey: randomUUID(), ...input } }, user.token);
const balanceOf = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance!;
const holdCount = async (accountId: string) => Number((await t.database.pool.query('select count(*) from holds where account_id = $1', [accountId])).rows[0].count);

describe('authorizeHold', () => {
  it('holds money in the PENDING layer: pending rises, available drops, posted stays, one version and one PENDING history line', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const before = Date.now();
    const result = dataOf(await authorize({ accountId, amount: '12.34', description: 'Coffee Corner', externalRef: 'AUTH-1' })).authorizeHold;
    if (result.__typename !== 'HoldChange') throw new Error(`authorization failed: ${result.__typename}`);
    expect(result.replayed).toBe(false);
    expect(result.hold).toMatchObject({
      accountId,
      reason: 'AUTHORIZATION',
      status: 'ACTIVE',
      channel: 'ACH',
      amount: '12.34',
      capturedAmount: '0.00',
      remaining: '12.34',
      description: 'Coffee Corner',
      releaseAt: null,
      captures: [],
    });
    // Default expiry: 7 days from the unit's clock.
    const expiresIn = new Date(result.hold.expiresAt!).getTime() - before;
    expect(Math.abs(expiresIn - 7 * 24 * 3600 * 1000)).toBeLessThan(60_000);
    expect(result.transaction).toMatchObject({ kind: 'HOLD', status: 'PENDING', channel: 'ACH', amount: '12.34' });
    expect(result.transaction!.entries.map(({ direction, amount, layer }) => ({ direction, amount, layer }))).toEqual([
      { direction: 'DEBIT', amount: '12.34', layer: 'PENDING' },
      { direction: 'CREDIT', amount: '12.34', layer: 'PENDING' },
    ]);
    expect(result.balances).toEqual([expect.objectContaining({ accountId, posted: '50.00', pending: '12.34', available: '37.66', version: 2 })]);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '50.00', pending: '12.34', available: '37.66', version: 2 });
    const [line] = dataOf(await t.gql(LayeredHistoryDocument, { accountId, first: 1 }, alice.token)).transactions.edges.map((edge) => edge.node);
    expect(line).toMatchObject({ amount: '-12.34', layer: 'PENDING', balanceAfter: '50.00', pendingAfter: '12.34', availableAfter: '37.66', version: 2 });
  });

  it('takes expiresInSeconds from 1 s to 30 days', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    for (const seconds of [1, 30 * 24 * 3600]) {
      const result = dataOf(await authorize({ accountId, amount: '1.00', expiresInSeconds: seconds })).authorizeHold;
      if (result.__typename !== 'HoldChange') throw new Error(`authorization failed: ${result.__typename}`);
      const lifetime = new Date(result.hold.expiresAt!).getTime() - new Date(result.hold.createdAt).getTime();
      expect(lifetime).toBe(seconds * 1000);
    }
  });

  it('a retry with the same key replays the same hold and holds nothing more', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const input = { accountId, amount: '10.00', channel: 'ACH' as const, idempotencyKey: randomUUID() };
    const first = dataOf(await authorize(input)).authorizeHold;
    const again = dataOf(await authorize(input)).authorizeHold;
    if (first.__typename !== 'HoldChange' || again.__typename !== 'HoldChange') throw new Error('authorization failed');
    expect(again).toMatchObject({ replayed: true, hold: { id: first.hold.id }, transaction: { id: first.transaction!.id } });
    expect(await balanceOf(accountId)).toMatchObject({ pending: '10.00', available: '40.00', version: 2 });
    expect(await holdCount(accountId)).toBe(1);
  });

  it('refuses past the available balance (held money included) with INSUFFICIENT_FUNDS, and honours the overdraft line', async () => {
    const accountId = await t.account(alice, { opening: '20.00' });
    expect(dataOf(await authorize({ accountId, amount: '15.00' })).authorizeHold.__typename).toBe('HoldChange');
    expect(dataOf(await authorize({ accountId, amount: '5.01' })).authorizeHold).toMatchObject({ __typename: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS' });
    // A withdrawal cannot spend the held money either.
    const withdrawal = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '5.01', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(withdrawal.__typename).toBe('InsufficientFundsError');
    await t.database.pool.query('update accounts set overdraft_limit_minor = 100 where id = $1', [accountId]);
    expect(dataOf(await authorize({ accountId, amount: '6.00' })).authorizeHold.__typename).toBe('HoldChange');
    expect(await balanceOf(accountId)).toMatchObject({ posted: '20.00', pending: '21.00', available: '-1.00' });
  });

  const badInputs: [string, () => InputChange, string, string | null][] = [
    ['a zero amount', () => ({ amount: '0.00' }), 'ValidationError', 'amount'],
    ['a negative amount', () => ({ amount: '-1.00' }), 'ValidationError', 'amount'],
    ['too many fraction digits', () => ({ amount: '1.001' }), 'ValidationError', 'amount'],
    ['an amount that is not a number', () => ({ amount: 'ten' }), 'ValidationError', 'amount'],
    ['a zero expiry', () => ({ expiresInSeconds: 0 }), 'ValidationError', 'expiresInSeconds'],
    ['a negative expiry', () => ({ expiresInSeconds: -5 }), 'ValidationError', 'expiresInSeconds'],
    ['an expiry past 30 days', () => ({ expiresInSeconds: 30 * 24 * 3600 + 1 }), 'ValidationError', 'expiresInSeconds'],
    ['the INTERNAL channel', () => ({ channel: 'INTERNAL' }), 'ValidationError', 'channel'],
    ['the DIRECT_DEPOSIT channel', () => ({ channel: 'DIRECT_DEPOSIT' }), 'ValidationError', 'channel'],
    ['a description with control characters', () => ({ description: 'a\u0007b' }), 'ValidationError', 'description'],
    ['a malformed idempotency key', () => ({ idempotencyKey: '' }), 'ValidationError', 'idempotencyKey'],
    ['an unknown account id', () => ({ accountId: randomUUID() }), 'NotFoundError', null],
    ['text that is not an id', () => ({ accountId: 'not-an-id' }), 'NotFoundError', null],
  ];
  it.each(badInputs)('refuses %s and moves nothing', async (_name, change, typename, field) => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const result = dataOf(await authorize({ accountId, ...change() })).authorizeHold;
    expect(result.__typename).toBe(typename);
    if (field) expect(result).toMatchObject({ field });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '50.00', pending: '0.00', version: 1 });
    expect(await holdCount(accountId)).toBe(0);
  });

  it("refuses another customer's account as NOT_FOUND, and an operator's authorization as FORBIDDEN (operators only void)", async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    expect(dataOf(await authorize({ accountId }, bob)).authorizeHold.__typename).toBe('NotFoundError');
    const operator = await t.user('OPERATOR');
    expect(dataOf(await authorize({ accountId }, operator)).authorizeHold.__typename).toBe('ForbiddenError');
    expect(await balanceOf(accountId)).toMatchObject({ pending: '0.00', version: 1 });
    expect(await holdCount(accountId)).toBe(0);
  });

  it('a frozen account refuses with ACCOUNT_NOT_OPEN', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    await t.database.pool.query(`update accounts set status = 'FROZEN' where id = $1`, [accountId]);
    expect(dataOf(await authorize({ accountId })).authorizeHold.__typename).toBe('AccountNotOpenError');
    expect(await holdCount(accountId)).toBe(0);
  });
});

describe('authorization races', () => {
  it('50 concurrent authorizations of 10.00 on 50.00: five ACTIVE holds, 45 INSUFFICIENT_FUNDS, available 0.00, posted 50.00', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const results = await Promise.all(Array.from({ length: 50 }, () => authorize({ accountId })));
    const outcomes = results.map((response) => dataOf(response).authorizeHold.__typename);
    expect(outcomes.filter((name) => name === 'HoldChange')).toHaveLength(5);
    expect(outcomes.filter((name) => name === 'InsufficientFundsError')).toHaveLength(45);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '50.00', pending: '50.00', available: '0.00', version: 6 });
    const { rows } = await t.database.pool.query(`select status, count(*)::int as n from holds where account_id = $1 group by status`, [accountId]);
    expect(rows).toEqual([{ status: 'ACTIVE', n: 5 }]);
  });

  it('authorizations and withdrawals racing for the same funds never overdraw', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const withdraw = async () =>
      dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '10.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw.__typename;
    const hold = async () => dataOf(await authorize({ accountId })).authorizeHold.__typename;
    const names: string[] = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? hold() : withdraw())));
    const holds = names.filter((name) => name === 'HoldChange').length;
    const withdrawals = names.filter((name) => name === 'MoneyMovement').length;
    expect(holds + withdrawals).toBe(5);
    expect(names.filter((name) => name === 'InsufficientFundsError')).toHaveLength(15);
    const balance = await balanceOf(accountId);
    expect(balance).toMatchObject({ available: '0.00', posted: `${50 - 10 * withdrawals}.00`, pending: `${10 * holds}.00` });
    expect(balance.version).toBe(6);
  });
});
