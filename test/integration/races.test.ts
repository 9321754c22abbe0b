import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsDocument, BalanceDocument, DepositDocument, OpenAccountDocument, TransferDocument, WithdrawDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/** Concurrency on real PostgreSQL: PGlite is one connection and could never show a missing lock. */
let t: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  // Races of the envelope, many quick transfers between two customers: not what the velocity and
  // new-payee rules are about (test/integration/risk-reviews.test.ts races those).
  await t.disableRiskRules('rapid-outgoing-movements', 'new-payee-over-1000');
  [alice, bob] = await Promise.all([t.user(), t.user()]);
});
afterAll(() => t.close());

describe('races', () => {
  it('one customer opening five accounts at once gets five, with no deadlock reaching the client', async () => {
    const user = await t.user();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => t.gql(OpenAccountDocument, { input: { type: 'SAVINGS', currency: 'USD', idempotencyKey: randomUUID() } }, user.token)),
    );
    expect(results.map((response) => dataOf(response).openAccount.__typename)).toEqual(Array(5).fill('OpenAccountSuccess'));
  });

  it('50 concurrent withdrawals of 10.00 from 50.00: exactly 5 succeed, 45 INSUFFICIENT_FUNDS, 0.00 left', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.gql(WithdrawDocument, { input: { accountId, amount: '10.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token),
      ),
    );
    const outcomes = results.map((response) => dataOf(response).withdraw.__typename);
    expect(outcomes.filter((name) => name === 'MoneyMovement')).toHaveLength(5);
    expect(outcomes.filter((name) => name === 'InsufficientFundsError')).toHaveLength(45);
    const balance = dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance;
    expect(balance).toMatchObject({ posted: '0.00', available: '0.00', version: 6 });
  });

  it('20 concurrent requests with one idempotency key make exactly one transaction', async () => {
    const accountId = await t.account(alice);
    const input = { accountId, amount: '7.00', channel: 'CASH' as const, idempotencyKey: randomUUID() };
    const cashier = await t.cashier();
    const results = await Promise.all(Array.from({ length: 20 }, () => t.gql(DepositDocument, { input }, cashier.token)));
    const movements = results.map((response) => dataOf(response).deposit);
    const transactionIds = new Set(movements.map((movement) => (movement.__typename === 'MoneyMovement' ? movement.transaction.id : movement.__typename)));
    expect(transactionIds.size).toBe(1);
    expect(movements.filter((movement) => movement.__typename === 'MoneyMovement' && !movement.replayed)).toHaveLength(1);
    const { rows } = await t.database.pool.query('select count(*)::int as count from ledger_transactions where idempotency_key = $1', [input.idempotencyKey]);
    expect(rows[0].count).toBe(1);
    expect(dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance).toMatchObject({ posted: '7.00', version: 1 });
  });

  it('concurrent A→B and B→A transfers all finish, no deadlock reaches a client, money is conserved', async () => {
    const a = await t.account(alice, { opening: '1000.00' });
    const b = await t.account(bob, { opening: '1000.00' });
    const rounds = 40;
    const results = await Promise.all(
      Array.from({ length: rounds }, (_, index) =>
        index % 2 === 0
          ? t.gql(TransferDocument, { input: { fromAccountId: a, toAccountId: b, amount: '3.00', idempotencyKey: randomUUID() } }, alice.token)
          : t.gql(TransferDocument, { input: { fromAccountId: b, toAccountId: a, amount: '1.00', idempotencyKey: randomUUID() } }, bob.token),
      ),
    );
    for (const response of results) {
      expect(response.errors).toBeUndefined();
      expect(dataOf(response).transfer.__typename).toBe('MoneyMovement');
    }
    const aBalance = dataOf(await t.gql(BalanceDocument, { accountId: a }, alice.token)).balance!;
    const bBalance = dataOf(await t.gql(BalanceDocument, { accountId: b }, bob.token)).balance!;
    expect(aBalance).toMatchObject({ posted: '960.00', version: 1 + rounds });
    expect(bBalance).toMatchObject({ posted: '1040.00', version: 1 + rounds });
  });

  it('`accounts` read during transfers between the same user\'s accounts always sums to the true total', async () => {
    const user = await t.user();
    const ids = await Promise.all([0, 1, 2].map(() => t.account(user, { opening: '100.00' })));
    let stop = false;
    const mover = (async () => {
      let moved = 0;
      // Bounded: at most 150 transfers, and it ends as soon as the reader is done.
      while (!stop && moved < 150) {
        const from = ids[moved % 3]!;
        const to = ids[(moved + 1) % 3]!;
        const response = await t.gql(TransferDocument, { input: { fromAccountId: from, toAccountId: to, amount: '0.01', idempotencyKey: randomUUID() } }, user.token);
        expect(dataOf(response).transfer.__typename).toBe('MoneyMovement');
        moved += 1;
      }
      return moved;
    })();
    const movers = [mover, mover];
    const totals: string[] = [];
    for (let read = 0; read < 60; read += 1) {
      const accounts = dataOf(await t.gql(AccountsDocument, {}, user.token)).accounts;
      const totalCents = accounts.reduce((sum, account) => sum + Math.round(Number(account.balance.posted) * 100), 0);
      totals.push((totalCents / 100).toFixed(2));
    }
    stop = true;
    const moved = await Promise.all(movers);
    expect(moved[0]).toBeGreaterThan(0);
    expect(new Set(totals)).toEqual(new Set(['300.00']));
  });
});
