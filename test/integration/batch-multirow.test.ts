import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { dataOf } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { PostHoldMovementsDocument, PostMovementsLeanDocument, type MovementItemInput } from '../generated/graphql.js';

/*
 * A unit's movements are written as multi-row statements (movement-buffer.ts, write-movements.ts):
 * a batch's write statements are a small constant, not one per item, each account is updated once
 * per flush, and every history line stays its own movement's.
 */

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp({ countQueries: true });
  await t.disableRiskRules();
  alice = await t.user();
});
afterAll(() => t.close());

const post = async (items: MovementItemInput[], atomic = false) => {
  const result = dataOf(await t.gql(PostMovementsLeanDocument, { input: { items, atomic, idempotencyKey: randomUUID() } }, alice.token)).postMovements;
  if (result.__typename !== 'BatchResult') throw new Error(JSON.stringify(result));
  return result;
};

/** How many statements of the last request wrote each table (the log of the app's queries since the reset). */
function writeStatements(): { transactions: number; entries: number; accountUpdates: number; outcomes: number } {
  const count = (pattern: RegExp) => t.queries.filter((sql) => pattern.test(sql)).length;
  return {
    transactions: count(/insert into ledger_transactions/i),
    entries: count(/insert into entries/i),
    accountUpdates: count(/update accounts/i),
    outcomes: count(/update idempotency_records/i),
  };
}

/** Each history line of an account in version order, with its movement's signed posted amount. */
async function historyOf(accountId: string) {
  const { rows } = await t.database.pool.query<{ account_version: number; balance_after_minor: string; pending_after_minor: string; signed: string }>(
    `select h.account_version, h.balance_after_minor::text, h.pending_after_minor::text,
            (select coalesce(sum(case when e.direction = 'CREDIT' then e.amount_minor else -e.amount_minor end), 0)::text
               from entries e where e.transaction_id = h.transaction_id and e.account_id = h.account_id and e.layer = 'POSTED') as signed
       from entries h where h.account_id = $1 and h.account_version is not null order by h.account_version`,
    [accountId],
  );
  return rows;
}

/** Versions 1..N with no gap, each line's posted balance the previous plus its movement, the row at the last line. */
async function expectConsecutiveHistory(accountId: string): Promise<void> {
  const lines = await historyOf(accountId);
  expect(lines.map((line) => line.account_version)).toEqual(lines.map((_, index) => index + 1));
  let balance = 0n;
  for (const line of lines) {
    balance += BigInt(line.signed);
    expect(BigInt(line.balance_after_minor)).toBe(balance);
  }
  const { rows } = await t.database.pool.query<{ version: number; posted: string }>('select version, posted_minor::text as posted from accounts where id = $1', [accountId]);
  expect(rows[0]).toEqual({ version: lines.length, posted: balance.toString() });
}

/** `count` transfers around three accounts (a → b → c → a), of 1.00 to 3.00. */
function roundRobin(accounts: readonly string[], count: number): MovementItemInput[] {
  return Array.from({ length: count }, (_, index) => ({
    transfer: {
      fromAccountId: accounts[index % 3]!,
      toAccountId: accounts[(index + 1) % 3]!,
      amount: `${(index % 3) + 1}.00`,
      idempotencyKey: randomUUID(),
    },
  }));
}

describe('a batch on a few hot accounts is a constant number of write statements', () => {
  for (const atomic of [false, true]) {
    it(`${atomic ? 'atomic' : 'non-atomic'}: 300 transfers on 3 accounts, one insert per table and one update of the accounts`, async () => {
      const accounts = [await t.account(alice, { opening: '500.00' }), await t.account(alice, { opening: '500.00' }), await t.account(alice, { opening: '500.00' })];
      t.queries.length = 0;
      const result = await post(roundRobin(accounts, 300), atomic);
      expect(result).toMatchObject({ committed: 300, failed: 0 });
      // One request: its movements are one flush (a 300-item batch is under MAX_MOVEMENTS_PER_FLUSH).
      expect(writeStatements()).toEqual({ transactions: 1, entries: 1, accountUpdates: 1, outcomes: 2 });
      for (const account of accounts) await expectConsecutiveHistory(account);
      expect(await brokenLaws(t.database.pool)).toEqual([]);
    });
  }
});

describe('what a batch decides across its items survives the multi-row writes', () => {
  it('an item refused INSUFFICIENT_FUNDS mid-way, items after it post, a key repeated in the batch replays', async () => {
    const from = await t.account(alice, { opening: '10.00' });
    const to = await t.account(alice);
    const repeated = randomUUID();
    const items: MovementItemInput[] = [
      { transfer: { fromAccountId: from, toAccountId: to, amount: '6.00', idempotencyKey: randomUUID() } },
      // 4.00 left: refused, and its outcome is written between two buffered movements.
      { transfer: { fromAccountId: from, toAccountId: to, amount: '5.00', idempotencyKey: randomUUID() } },
      { transfer: { fromAccountId: from, toAccountId: to, amount: '4.00', idempotencyKey: repeated } },
      { transfer: { fromAccountId: to, toAccountId: from, amount: '1.50', idempotencyKey: randomUUID() } },
      // The same key and request again: the third item's answer, nothing moves.
      { transfer: { fromAccountId: from, toAccountId: to, amount: '4.00', idempotencyKey: repeated } },
    ];
    t.queries.length = 0;
    const result = await post(items);
    expect(result.items.map((item) => item.result.__typename)).toEqual(['MoneyMovement', 'InsufficientFundsError', 'MoneyMovement', 'MoneyMovement', 'MoneyMovement']);
    // The refusal's outcome flushes the first movement before it; the next two go together.
    expect(writeStatements().transactions).toBe(2);
    expect(result).toMatchObject({ committed: 4, failed: 1 });
    const { rows } = await t.database.pool.query('select count(*)::int as count from ledger_transactions where idempotency_key = $1', [repeated]);
    expect(rows[0].count).toBe(1);
    await expectConsecutiveHistory(from);
    await expectConsecutiveHistory(to);
    const { rows: balances } = await t.database.pool.query<{ posted: string }>('select posted_minor::text as posted from accounts where id = $1', [from]);
    expect(balances[0]!.posted).toBe('150');
    expect(await brokenLaws(t.database.pool)).toEqual([]);
  });

  it('a capture and a hold in one batch with movements around them: the hold rows see the buffered transactions', async () => {
    const account = await t.account(alice, { opening: '100.00' });
    const other = await t.account(alice);
    const first = dataOf(
      await t.gql(PostHoldMovementsDocument, { input: { items: [{ authorizeHold: { accountId: account, amount: '30.00', channel: 'ACH', idempotencyKey: randomUUID() } }], idempotencyKey: randomUUID() } }, alice.token),
    ).postMovements;
    if (first.__typename !== 'BatchResult' || first.items[0]!.result.__typename !== 'HoldChange') throw new Error(JSON.stringify(first));
    const holdId = first.items[0]!.result.hold.id;
    t.queries.length = 0;
    const result = await post([
      { transfer: { fromAccountId: account, toAccountId: other, amount: '10.00', idempotencyKey: randomUUID() } },
      { captureHold: { holdId, amount: '20.00', idempotencyKey: randomUUID() } },
      { authorizeHold: { accountId: account, amount: '40.00', channel: 'ACH', idempotencyKey: randomUUID() } },
      // 100 - 10 - 20 captured = 70 posted, 40 held: 30 available, so 31 is refused and 30 posts.
      { transfer: { fromAccountId: account, toAccountId: other, amount: '31.00', idempotencyKey: randomUUID() } },
      { transfer: { fromAccountId: account, toAccountId: other, amount: '30.00', idempotencyKey: randomUUID() } },
    ]);
    expect(result.items.map((item) => item.result.__typename)).toEqual(['MoneyMovement', 'HoldChange', 'HoldChange', 'InsufficientFundsError', 'MoneyMovement']);
    // Flushed by the capture's hold update (transfer and capture), by the new hold's insert, and at the end.
    expect(writeStatements().transactions).toBe(3);
    const { rows } = await t.database.pool.query<{ posted: string; pending: string; version: number }>(
      'select posted_minor::text as posted, pending_minor::text as pending, version from accounts where id = $1',
      [account],
    );
    expect(rows[0]).toEqual({ posted: '4000', pending: '4000', version: 6 });
    await expectConsecutiveHistory(account);
    expect(await brokenLaws(t.database.pool)).toEqual([]);
  });
});
