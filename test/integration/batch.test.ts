import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { dataOf } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { BalanceDocument, PostHoldMovementsDocument, PostMovementsDocument, PostMovementsLeanDocument, type MovementItemInput } from '../generated/graphql.js';

let t: TestApp;
let alice: TestUser;
let cashier: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  // Many quick movements meet the velocity rules; this file is about batches, not risk.
  await t.disableRiskRules();
  alice = await t.user();
  cashier = await t.cashier();
});
afterAll(() => t.close());

const posted = async (accountId: string, user = alice) => dataOf(await t.gql(BalanceDocument, { accountId }, user.token)).balance?.posted;
const transactionsUnder = async (keys: readonly string[]) =>
  (await t.database.pool.query('select count(*)::int as count from ledger_transactions where idempotency_key = any($1)', [keys])).rows[0].count as number;
const recordsUnder = async (userId: string, keys: readonly string[]) =>
  (await t.database.pool.query('select count(*)::int as count from idempotency_records where user_id = $1 and key = any($2)', [userId, keys])).rows[0].count as number;
const expectLawsHold = async () => expect(await brokenLaws(t.database.pool)).toEqual([]);

const postLean = async (user: TestUser, items: MovementItemInput[], options: { atomic?: boolean; idempotencyKey?: string } = {}) => {
  const result = dataOf(await t.gql(PostMovementsLeanDocument, { input: { items, atomic: options.atomic ?? false, idempotencyKey: options.idempotencyKey ?? randomUUID() } }, user.token)).postMovements;
  return result;
};

/** 1,000 transfers of 1.00 from `from` to `to`, item 7 of 10,000.00 (more than `from` holds). */
function transfersWithItem7TooLarge(from: string, to: string): { items: MovementItemInput[]; keys: string[] } {
  const keys = Array.from({ length: 1000 }, () => randomUUID());
  const items = keys.map((idempotencyKey, index) => ({ transfer: { fromAccountId: from, toAccountId: to, amount: index === 7 ? '10000.00' : '1.00', idempotencyKey } }));
  return { items, keys };
}

describe('postMovements: 1,000 items, item 7 INSUFFICIENT_FUNDS', () => {
  it('non-atomic: the other 999 post, item 7 answers INSUFFICIENT_FUNDS, results in input order', async () => {
    const from = await t.account(alice, { opening: '999.00' });
    const to = await t.account(await t.user());
    const { items, keys } = transfersWithItem7TooLarge(from, to);
    const result = await postLean(alice, items);
    if (result.__typename !== 'BatchResult') throw new Error(JSON.stringify(result));
    expect(result).toMatchObject({ committed: 999, failed: 1, replayed: false });
    expect(result.items.map((item) => item.index)).toEqual(keys.map((_, index) => index));
    expect(result.items[7]!.result).toEqual({ __typename: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS' });
    expect(result.items.filter((item) => item.result.__typename === 'MoneyMovement')).toHaveLength(999);
    expect(await transactionsUnder(keys)).toBe(999);
    expect(await posted(from)).toBe('0.00');
    // The refusal is a business outcome: stored under item 7's key, like a single transfer's.
    expect(await recordsUnder(alice.id, keys)).toBe(1000);
    await expectLawsHold();
  });

  it('atomic: none posts, item 7 says why, every other item is BatchAbortedError naming 7, no key stores anything', async () => {
    const from = await t.account(alice, { opening: '999.50' });
    const to = await t.account(await t.user());
    const { items, keys } = transfersWithItem7TooLarge(from, to);
    const batchKey = randomUUID();
    const result = await postLean(alice, items, { atomic: true, idempotencyKey: batchKey });
    if (result.__typename !== 'BatchResult') throw new Error(JSON.stringify(result));
    expect(result).toMatchObject({ committed: 0, failed: 1000, replayed: false });
    expect(result.items[7]!.result).toEqual({ __typename: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS' });
    expect(result.items.filter((item) => item.result.__typename === 'BatchAbortedError')).toHaveLength(999);
    expect(await transactionsUnder(keys)).toBe(0);
    expect(await recordsUnder(alice.id, [...keys, batchKey])).toBe(0);
    expect(await posted(from)).toBe('999.50');

    // Fixed and sent again with the same keys (the batch key included): all 1,000 commit once.
    const fixed = items.map((item, index) => (index === 7 ? { transfer: { ...item.transfer!, amount: '0.50' } } : item));
    const retried = await postLean(alice, fixed, { atomic: true, idempotencyKey: batchKey });
    expect(retried).toMatchObject({ committed: 1000, failed: 0, replayed: false });
    expect(await transactionsUnder(keys)).toBe(1000);
    expect(await posted(from)).toBe('0.00');
    await expectLawsHold();
  });

  it('the failing item\'s full answer and the aborted ones\' failedIndex', async () => {
    const from = await t.account(alice, { opening: '5.00' });
    const to = await t.account(await t.user());
    const items = [1, 2, 3].map((amount) => ({ transfer: { fromAccountId: from, toAccountId: to, amount: `${amount}.00`, idempotencyKey: randomUUID() } }));
    const result = dataOf(await t.gql(PostMovementsDocument, { input: { items, atomic: true, idempotencyKey: randomUUID() } }, alice.token)).postMovements;
    if (result.__typename !== 'BatchResult') throw new Error(JSON.stringify(result));
    expect(result.items.map((item) => item.result)).toMatchObject([
      { __typename: 'BatchAbortedError', code: 'BATCH_ABORTED', failedIndex: 2 },
      { __typename: 'BatchAbortedError', code: 'BATCH_ABORTED', failedIndex: 2 },
      { __typename: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS' },
    ]);
    expect(await posted(from)).toBe('5.00');
  });
});

describe('postMovements: the batch key', () => {
  it('the same batch again replays every item: replayed, nothing moves again', async () => {
    const account = await t.account(alice);
    const items = ['10.00', '20.00'].map((amount) => ({ deposit: { accountId: account, amount, channel: 'CASH' as const, idempotencyKey: randomUUID() } }));
    const batchKey = randomUUID();
    const first = dataOf(await t.gql(PostMovementsDocument, { input: { items, idempotencyKey: batchKey } }, cashier.token)).postMovements;
    const again = dataOf(await t.gql(PostMovementsDocument, { input: { items, idempotencyKey: batchKey } }, cashier.token)).postMovements;
    if (first.__typename !== 'BatchResult' || again.__typename !== 'BatchResult') throw new Error(JSON.stringify([first, again]));
    expect(first).toMatchObject({ committed: 2, failed: 0, replayed: false });
    expect(again).toMatchObject({ committed: 2, failed: 0, replayed: true });
    expect(again.items.map((item) => item.result)).toEqual(first.items.map((item) => ({ ...item.result, replayed: true })));
    expect(await posted(account)).toBe('30.00');
  });

  it('the same batch key with other items is IDEMPOTENCY_CONFLICT and runs nothing', async () => {
    const account = await t.account(alice);
    const batchKey = randomUUID();
    const deposit = (amount: string, idempotencyKey = randomUUID()) => ({ deposit: { accountId: account, amount, channel: 'CASH' as const, idempotencyKey } });
    await postLean(cashier, [deposit('10.00')], { idempotencyKey: batchKey });
    const otherKey = randomUUID();
    const conflict = await postLean(cashier, [deposit('10.00'), deposit('5.00', otherKey)], { idempotencyKey: batchKey });
    expect(conflict).toMatchObject({ __typename: 'IdempotencyConflictError', code: 'IDEMPOTENCY_CONFLICT' });
    expect(await recordsUnder(cashier.id, [otherKey])).toBe(0);
    expect(await posted(account)).toBe('10.00');
  });

  it('the same item key in two batches at once: one transaction, the other batch replays it', async () => {
    const account = await t.account(alice);
    const shared = { deposit: { accountId: account, amount: '7.00', channel: 'CASH' as const, idempotencyKey: randomUUID() } };
    const own = () => ({ deposit: { accountId: account, amount: '1.00', channel: 'CASH' as const, idempotencyKey: randomUUID() } });
    const results = await Promise.all([postLean(cashier, [own(), shared, own()]), postLean(cashier, [shared, own()])]);
    for (const result of results) expect(result).toMatchObject({ __typename: 'BatchResult', failed: 0 });
    expect(await transactionsUnder([shared.deposit.idempotencyKey])).toBe(1);
    expect(await posted(account)).toBe('10.00');
    await expectLawsHold();
  });
});

describe('postMovements: bounds and permissions', () => {
  it('more than 1,000 items is VALIDATION and stores nothing', async () => {
    const account = await t.account(alice);
    const keys = Array.from({ length: 1001 }, () => randomUUID());
    const items = keys.map((idempotencyKey) => ({ deposit: { accountId: account, amount: '1.00', channel: 'CASH' as const, idempotencyKey } }));
    expect(await postLean(cashier, items)).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION' });
    expect(await recordsUnder(cashier.id, keys)).toBe(0);
  });

  it('an item with two kinds (or none) refuses the batch with VALIDATION naming it; nothing runs', async () => {
    const account = await t.account(alice);
    const key = randomUUID();
    const good = { deposit: { accountId: account, amount: '1.00', channel: 'CASH' as const, idempotencyKey: key } };
    const both = { ...good, withdraw: { accountId: account, amount: '1.00', channel: 'ACH' as const, idempotencyKey: randomUUID() } };
    const result = dataOf(await t.gql(PostMovementsDocument, { input: { items: [good, both], idempotencyKey: randomUUID() } }, cashier.token)).postMovements;
    expect(result).toMatchObject({ __typename: 'ValidationError', field: 'items[1]' });
    expect(await postLean(cashier, [{}])).toMatchObject({ __typename: 'ValidationError' });
    expect(await recordsUnder(cashier.id, [key])).toBe(0);
    expect(await posted(account)).toBe('0.00');
  });

  it("a customer may batch only what they may do singly: their cash deposit is FORBIDDEN, their transfer posts", async () => {
    const from = await t.account(alice, { opening: '10.00' });
    const cashKey = randomUUID();
    const items = [
      { deposit: { accountId: from, amount: '5.00', channel: 'CASH' as const, idempotencyKey: cashKey } },
      { withdraw: { accountId: from, amount: '3.00', channel: 'ACH' as const, idempotencyKey: randomUUID() } },
    ];
    const result = await postLean(alice, items);
    if (result.__typename !== 'BatchResult') throw new Error(JSON.stringify(result));
    expect(result.items.map((item) => item.result.__typename)).toEqual(['ForbiddenError', 'MoneyMovement']);
    // FORBIDDEN stores nothing under the key, as for the single deposit.
    expect(await recordsUnder(alice.id, [cashKey])).toBe(0);
    expect(await posted(from)).toBe('7.00');
  });

  it("a service's payroll deposits are audited one line per item, marked with the batch key", async () => {
    const accounts = [await t.account(alice), await t.account(await t.user())];
    const batchKey = randomUUID();
    const items = accounts.map((accountId) => ({ deposit: { accountId, amount: '1500.00', channel: 'CASH' as const, idempotencyKey: randomUUID() } }));
    expect(await postLean(cashier, items, { idempotencyKey: batchKey })).toMatchObject({ committed: 2 });
    const { rows } = await t.database.pool.query(`select action, outcome, target from audit_events where details->>'batchIdempotencyKey' = $1 order by target`, [batchKey]);
    expect(rows).toEqual([...accounts].sort().map((target) => ({ action: 'service.deposit', outcome: 'OK', target })));
  });

  it('holds in batches: authorize in one, void in the next', async () => {
    const account = await t.account(alice, { opening: '50.00' });
    const authorized = dataOf(
      await t.gql(PostHoldMovementsDocument, { input: { items: [{ authorizeHold: { accountId: account, amount: '20.00', channel: 'ACH', idempotencyKey: randomUUID() } }], idempotencyKey: randomUUID() } }, alice.token),
    ).postMovements;
    if (authorized.__typename !== 'BatchResult' || authorized.items[0]!.result.__typename !== 'HoldChange') throw new Error(JSON.stringify(authorized));
    const holdId = authorized.items[0]!.result.hold.id;
    const voided = await postLean(alice, [{ voidHold: { holdId, idempotencyKey: randomUUID() } }]);
    expect(voided).toMatchObject({ committed: 1, items: [{ result: { __typename: 'HoldChange' } }] });
    await expectLawsHold();
  });
});
