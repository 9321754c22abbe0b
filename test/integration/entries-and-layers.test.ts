import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { dataOf } from '../helpers/graphql-client.js';
import { BalanceDocument, LayeredHistoryDocument, WithdrawDocument } from '../generated/graphql.js';

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(() => t.close());

const wire = (accountId: string, amount: string) =>
  t.gql(WithdrawDocument, { input: { accountId, amount, channel: 'WIRE', idempotencyKey: randomUUID() } }, alice.token);
const balanceOf = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance;
const internalCodeOf = async (accountId: string | null | undefined) =>
  (await t.database.pool.query('select internal_code from accounts where id = $1', [accountId])).rows[0]?.internal_code;

describe('entries carry their own amounts: a WIRE withdrawal and its fee', () => {
  it('posts the principal to the wire settlement account and the 25.00 fee to fee income, in one transaction', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const result = dataOf(await wire(accountId, '50.00')).withdraw;
    expect(result).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '25.00', available: '25.00', version: 2 }] });

    const [line] = dataOf(await t.gql(LayeredHistoryDocument, { accountId, first: 1 }, alice.token)).transactions.edges.map((edge) => edge.node);
    // What the customer reads: the principal as the transaction's amount, the net change on the line.
    expect(line).toMatchObject({ amount: '-75.00', layer: 'POSTED', balanceAfter: '25.00', pendingAfter: '0.00', availableAfter: '25.00', version: 2 });
    expect(line!.transaction).toMatchObject({ kind: 'WITHDRAWAL', channel: 'WIRE', amount: '50.00' });
    const entries = line!.transaction.entries;
    expect(entries.map(({ direction, amount, layer }) => ({ direction, amount, layer }))).toEqual([
      { direction: 'DEBIT', amount: '75.00', layer: 'POSTED' },
      { direction: 'CREDIT', amount: '50.00', layer: 'POSTED' },
      { direction: 'CREDIT', amount: '25.00', layer: 'POSTED' },
    ]);
    expect(entries[0]!.accountId).toBe(accountId);
    expect([await internalCodeOf(entries[1]!.accountId), await internalCodeOf(entries[2]!.accountId)]).toEqual(['SETTLEMENT_WIRE', 'FEE_INCOME']);
  });

  it('is refused whole when the principal is available but principal + fee is not, and posts when exactly covered', async () => {
    const accountId = await t.account(alice, { opening: '30.00' });
    expect(dataOf(await wire(accountId, '5.01')).withdraw).toMatchObject({ __typename: 'InsufficientFundsError' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '30.00', version: 1 });
    expect(dataOf(await wire(accountId, '5.00')).withdraw).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '0.00', version: 2 }] });
  });

  it('other channels carry no fee', async () => {
    const accountId = await t.account(alice, { opening: '30.00' });
    const result = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '30.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(result).toMatchObject({ __typename: 'MoneyMovement', balances: [{ posted: '0.00' }] });
  });
});
