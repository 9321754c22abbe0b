import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizeHoldDocument, CaptureHoldDocument, HoldsPageDocument, VoidHoldDocument, type HoldsPageQueryVariables } from '../generated/graphql.js';
import { dataOf, postGraphQL } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { expireHoldCommand } from '../../src/ledger/commands/change-hold.js';
import { runSystemCommands } from '../../src/ledger/system/run-system-commands.js';
import { encodeCursor } from '../../src/ledger/queries/history.js';
import { encodeHoldCursor } from '../../src/ledger/queries/hold-pages.js';
import { MAX_CAPTURES_PER_HOLD } from '../../src/ledger/hold-limits.js';
import { MAX_ENTRIES_PER_TRANSACTION } from '../../src/ledger/limits.js';
import { operationCost } from '../../src/transport/query-cost.js';
import { QUERY_LIMITS } from '../../src/transport/server.js';
import { schema } from '../../src/schema/index.js';

/** Query.holds (issue 8 §3): a Relay connection of one account's holds, newest first. */
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let operator: TestUser;
let accountId: string;
/** Alice's 25 holds, oldest first, and the status each was left in. */
const placed: { id: string; status: string }[] = [];
let bobHoldId: string;

async function authorize(user: TestUser, onAccount: string, amount: string): Promise<{ id: string; expiresAt: Date }> {
  const result = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId: onAccount, amount, channel: 'ACH', idempotencyKey: randomUUID() } }, user.token)).authorizeHold;
  if (result.__typename !== 'HoldChange') throw new Error(`authorization failed: ${result.__typename}`);
  return { id: result.hold.id, expiresAt: new Date(result.hold.expiresAt!) };
}

async function capture(holdId: string, input: { amount?: string; final?: boolean } = {}): Promise<void> {
  const result = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId, idempotencyKey: randomUUID(), ...input } }, alice.token)).captureHold;
  if (result.__typename !== 'HoldChange') throw new Error(`capture failed: ${result.__typename}`);
}

async function voidIt(holdId: string): Promise<void> {
  const result = dataOf(await t.gql(VoidHoldDocument, { input: { holdId, idempotencyKey: randomUUID() } }, alice.token)).voidHold;
  if (result.__typename !== 'HoldChange') throw new Error(`void failed: ${result.__typename}`);
}

/** 25 holds of 1.00..25.00; by their number mod 5: captured, partly captured (still ACTIVE), voided, expired by the system, untouched. */
beforeAll(async () => {
  // The journal sealer polls every 200 ms: its statements are no part of a read's count.
  t = await startTestApp({ countQueries: true, environment: { JOURNAL_SEALER: 'off' } });
  [alice, bob, operator] = await Promise.all([t.user(), t.user(), t.user('OPERATOR')]);
  accountId = await t.account(alice, { opening: '500.00' });
  for (let number = 1; number <= 25; number += 1) {
    const { id, expiresAt } = await authorize(alice, accountId, `${number}.00`);
    switch (number % 5) {
      case 1:
        await capture(id);
        placed.push({ id, status: 'CAPTURED' });
        break;
      case 2:
        await capture(id, { amount: '0.50', final: false });
        placed.push({ id, status: 'ACTIVE' });
        break;
      case 3:
        await voidIt(id);
        placed.push({ id, status: 'VOIDED' });
        break;
      case 4: {
        const [expired] = await runSystemCommands(t.app.orm, [expireHoldCommand(id)], { clock: () => new Date(expiresAt.getTime() + 1_000) });
        if (!expired.outcome.ok) throw new Error(`expiry failed: ${JSON.stringify(expired.outcome)}`);
        placed.push({ id, status: 'EXPIRED' });
        break;
      }
      default:
        placed.push({ id, status: 'ACTIVE' });
    }
  }
  const bobAccount = await t.account(bob, { opening: '5.00' });
  bobHoldId = (await authorize(bob, bobAccount, '1.00')).id;
});
afterAll(() => t.close());

const page = async (variables: Omit<HoldsPageQueryVariables, 'accountId'>, user = alice, id = accountId) =>
  dataOf(await t.gql(HoldsPageDocument, { accountId: id, ...variables }, user.token)).holds;

/** Walks every page of `size` and returns the ids in the order served. */
async function walk(variables: Omit<HoldsPageQueryVariables, 'accountId' | 'after'>, size: number): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let after: string | null = null;
  for (;;) {
    const served = await page({ ...variables, first: size, after });
    ids.push(...served.edges.map((edge) => edge.node.id));
    pages.push(served.edges.length);
    expect(served.pageInfo.hasPreviousPage).toBe(after !== null && served.edges.length > 0);
    if (!served.pageInfo.hasNextPage) return { ids, pages };
    after = served.pageInfo.endCursor!;
  }
}

const newestFirst = (status?: string[]) => [...placed].reverse().filter((hold) => !status || status.includes(hold.status)).map((hold) => hold.id);

describe('Query.holds', () => {
  it('pages through 25 holds of every status newest first, each exactly once', async () => {
    const { ids, pages } = await walk({}, 10);
    expect(pages).toEqual([10, 10, 5]);
    expect(ids).toEqual(newestFirst());
    const first = await page({ first: 3 });
    expect(first.edges.map((edge) => edge.node)).toMatchObject([
      { id: placed[24]!.id, status: 'ACTIVE', amount: '25.00', capturedAmount: '0.00', remaining: '25.00' },
      { id: placed[23]!.id, status: 'EXPIRED', amount: '24.00', remaining: '0.00' },
      { id: placed[22]!.id, status: 'VOIDED', amount: '23.00', remaining: '0.00' },
    ]);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: first.edges[0]!.cursor, endCursor: first.edges[2]!.cursor });
    // The default page is 20.
    expect((await page({})).edges).toHaveLength(20);
    const statuses = new Map((await walk({}, 100)).ids.map((id) => [id, placed.find((hold) => hold.id === id)!.status]));
    expect([...statuses.values()].filter((status) => status === 'ACTIVE')).toHaveLength(10);
  });

  it('the database orders them the same way (creation time, then id)', async () => {
    const { rows } = await t.database.pool.query<{ id: string }>('select id::text from holds where account_id = $1 order by created_at desc, id desc', [accountId]);
    expect(rows.map((row) => row.id)).toEqual(newestFirst());
  });

  it.each([
    [['ACTIVE'], 10],
    [['CAPTURED', 'VOIDED'], 10],
    [['EXPIRED'], 5],
    [[], 0],
  ] as const)('filters by status %j', async (status, count) => {
    const { ids } = await walk({ status: [...status] }, 4);
    expect(ids).toEqual(newestFirst([...status]));
    expect(ids).toHaveLength(count);
  });

  it('a partial capture shows what was captured and what is still held', async () => {
    const partly = placed[1]!.id;
    const served = await page({ status: ['ACTIVE'], first: 100 });
    expect(served.edges.find((edge) => edge.node.id === partly)?.node).toMatchObject({ amount: '2.00', capturedAmount: '0.50', remaining: '1.50', captures: [{ kind: 'HOLD_CAPTURE', amount: '0.50' }] });
  });

  it("another customer's account, an unknown id and text that is not an id all read as NOT_FOUND, alike", async () => {
    for (const id of [accountId, randomUUID(), 'garbage']) {
      const response = await t.gql(HoldsPageDocument, { accountId: id, first: 5 }, bob.token);
      expect(response.data ?? null).toBeNull();
      expect(response.errors?.map((error) => ({ message: error.message, code: error.extensions?.code }))).toEqual([{ message: 'No such account.', code: 'NOT_FOUND' }]);
    }
  });

  it.each([
    ['a page larger than 100', () => ({ first: 101 })],
    ['a negative page', () => ({ first: -1 })],
    ['a forged cursor', () => ({ after: 'bm90LWEtY3Vyc29y' })],
    ['a history cursor', () => ({ after: encodeCursor(3) })],
    ["a cursor of another account's hold", () => ({ after: encodeHoldCursor(bobHoldId) })],
    ['a cursor of no hold at all', () => ({ after: encodeHoldCursor(randomUUID()) })],
  ])('%s is a VALIDATION error', async (_name, variables) => {
    const response = await t.gql(HoldsPageDocument, { accountId, ...variables() }, alice.token);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });

  it('an operator sees any customer account, and each read is one audit line for the account', async () => {
    const audited = async () =>
      (
        await t.database.pool.query<{ count: number }>(
          `select count(*)::int as count from audit_events where action = 'operator.read_account' and actor_user_id = $1 and target = $2`,
          [operator.id, accountId],
        )
      ).rows[0]!.count;
    const before = await audited();
    const served = await page({ first: 100 }, operator);
    expect(served.edges.map((edge) => edge.node.id)).toEqual(newestFirst());
    expect(await audited()).toBe(before + 1);
    // The owner's own reads are not operator reads.
    await page({ first: 1 });
    expect(await audited()).toBe(before + 1);
  });

  it('the query cost counts every page, capture and entry: a deep page of 100 is refused before anything runs, a page of 10 is served', async () => {
    const deep = (first: number) =>
      `query Deep { holds(accountId: "${accountId}", first: ${first}) { edges { node { captures { entries { id accountId amount direction layer } } } } } }`;
    const perHold = 1 + 1 + MAX_CAPTURES_PER_HOLD * (1 + MAX_ENTRIES_PER_TRANSACTION * (1 + 5));
    expect(operationCost(schema, parse(deep(100)), 'Deep', {})).toBe(1 + 100 * perHold);
    expect(operationCost(schema, parse(deep(10)), 'Deep', {})).toBe(1 + 10 * perHold);
    expect(1 + 100 * perHold).toBeGreaterThan(QUERY_LIMITS.maxCost);
    expect(1 + 10 * perHold).toBeLessThanOrEqual(QUERY_LIMITS.maxCost);
    const asDocument = (text: string) => parse(text) as unknown as TypedDocumentNode<{ holds: { edges: unknown[] } }, Record<string, never>>;
    const refused = await postGraphQL(t.url, asDocument(deep(100)), {}, alice.token);
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const served = await postGraphQL(t.url, asDocument(deep(10)), {}, alice.token);
    expect(dataOf(served).holds.edges).toHaveLength(10);
  });

  it('a page of holds with their captures is a bounded number of queries, whatever its size (no N+1)', async () => {
    const count = async (first: number) => {
      t.queries.length = 0;
      expect((await page({ first })).edges).toHaveLength(first);
      // The outbox relay and the hold expiry and release poll in the background; their statements are not the request's.
      return t.queries.filter((sql) => !/outbox_events|for update skip locked|pg_try_advisory|\b(begin|commit|rollback)\b/i.test(sql)).length;
    };
    // Both pages hold captured holds: the capture transactions are one more query, once.
    const small = await count(10);
    const large = await count(25);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(5);
  });

  it('cursors keep their place while new holds arrive and while held ones change status', async () => {
    const own = await t.account(alice, { opening: '100.00' });
    const older: string[] = [];
    for (let number = 1; number <= 8; number += 1) older.push((await authorize(alice, own, '1.00')).id);
    const expected = [...older].reverse();

    const first = await page({ first: 3 }, alice, own);
    expect(first.edges.map((edge) => edge.node.id)).toEqual(expected.slice(0, 3));
    const newer = [(await authorize(alice, own, '1.00')).id, (await authorize(alice, own, '1.00')).id];
    // The hold the cursor names is captured meanwhile: the cursor still means "placed before it".
    await capture(expected[2]!);
    const second = await page({ first: 3, after: first.pageInfo.endCursor }, alice, own);
    expect(second.edges.map((edge) => edge.node.id)).toEqual(expected.slice(3, 6));

    // Filtered to ACTIVE: the cursor's hold leaves the filter between pages and the walk goes on.
    const active = await page({ status: ['ACTIVE'], first: 2, after: first.pageInfo.endCursor }, alice, own);
    expect(active.edges.map((edge) => edge.node.id)).toEqual(expected.slice(3, 5));
    await voidIt(expected[4]!);
    const rest = await page({ status: ['ACTIVE'], first: 10, after: active.pageInfo.endCursor }, alice, own);
    expect(rest.edges.map((edge) => edge.node.id)).toEqual(expected.slice(5));
    expect(rest.pageInfo.hasNextPage).toBe(false);

    // A fresh walk sees the newcomers first.
    expect((await page({ first: 2 }, alice, own)).edges.map((edge) => edge.node.id)).toEqual([...newer].reverse());
  });
});
