import { readdirSync, readFileSync } from 'node:fs';
import { buildSchema, Kind, parse, print, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { asItWillRun, operationCost } from '../../src/transport/query-cost.js';
import { DEFAULT_PAGE_SIZE, MAX_ACCOUNTS_PER_USER, MAX_ENTRIES_PER_TRANSACTION } from '../../src/ledger/limits.js';
import { QUERY_LIMITS } from '../../src/transport/server.js';
import { schema } from '../../src/schema/index.js';
import { assertEveryListBounded, unboundedListFields } from '../../src/schema/list-bounds.js';

/** The page sizes of every `transactions` field of the document as the cost rule will see it. */
function pageSizes(query: string, variables: Record<string, unknown> = {}, operationName?: string): string[] {
  const running = asItWillRun(schema, parse(query), operationName, variables);
  if (!running) throw new Error('no operation');
  return [...print(running).matchAll(/transactions\(([^)]*)\)/g)].map((match) => match[1]!.replace(/accountId: "[^"]*",? ?/, '').trim());
}

describe('page sizes as they will be served, for the cost limit', () => {
  it.each([
    ['written in', '{ transactions(accountId: "a", first: 7) { edges { cursor } } }', {}, ['first: 7']],
    ['sent as a variable', 'query Q($n: Int) { transactions(accountId: "a", first: $n) { edges { cursor } } }', { n: 100 }, ['first: 100']],
    ['a declared default', 'query Q($n: Int = 60) { transactions(accountId: "a", last: $n) { edges { cursor } } }', {}, ['last: 60']],
    ['a variable sent as null', 'query Q($n: Int) { transactions(accountId: "a", first: $n) { edges { cursor } } }', { n: null }, [`first: ${DEFAULT_PAGE_SIZE}`]],
    ['a declared default of null', 'query Q($n: Int = null) { transactions(accountId: "a", first: $n) { edges { cursor } } }', {}, [`first: ${DEFAULT_PAGE_SIZE}`]],
    ['written in as null', '{ transactions(accountId: "a", first: null) { edges { cursor } } }', {}, [`first: ${DEFAULT_PAGE_SIZE}`]],
    ['not given at all', '{ transactions(accountId: "a") { edges { cursor } } }', {}, [`first: ${DEFAULT_PAGE_SIZE}`]],
    ['inside a fragment', 'query Q($n: Int) { me { accounts { ...H } } } fragment H on Account { transactions(first: $n) { edges { cursor } } }', { n: 90 }, ['first: 90']],
  ])('%s', (_name, query, variables, expected) => {
    expect(pageSizes(query, variables)).toEqual(expected);
  });

  it('judges only the operation that will run, with its own defaults', () => {
    const query = `query Big($n: Int = 100) { transactions(accountId: "a", first: $n) { edges { cursor } } }
      query Decoy($n: Int = 1) { me { accounts { transactions(first: $n) { edges { cursor } } } } }`;
    expect(pageSizes(query, {}, 'Big')).toEqual(['first: 100']);
    expect(pageSizes(query, {}, 'Decoy')).toEqual(['first: 1']);
  });

  it('has nothing to judge when the operation cannot be identified', () => {
    expect(asItWillRun(schema, parse('query A { me { id } } query B { me { id } }'), undefined, {})).toBeUndefined();
  });
});

const costOf = (query: string, variables: Record<string, unknown> = {}, operationName?: string): number => {
  const cost = operationCost(schema, parse(query), operationName, variables);
  if (cost === undefined) throw new Error('no operation');
  return cost;
};
const PAGE_WITH_ENTRIES = 'edges { node { transaction { entries { id accountId amount direction } } } }';

describe('the cost model multiplies by every enclosing list bound', () => {
  it('multiplies a page inside the accounts list by the accounts bound, and entries by theirs', () => {
    const onePage = costOf(`{ transactions(accountId: "a", first: 100) { ${PAGE_WITH_ENTRIES} } }`);
    // 1 connection + 100 × (edge + node + transaction + 2 × (entry + 4 scalars)).
    expect(onePage).toBe(1 + 100 * (3 + MAX_ENTRIES_PER_TRANSACTION * 5));
    const everyAccount = costOf(`{ accounts { transactions(first: 100) { ${PAGE_WITH_ENTRIES} } } }`);
    expect(everyAccount).toBe(MAX_ACCOUNTS_PER_USER * (1 + onePage));
    expect(costOf(`{ me { accounts { id } } }`)).toBe(1 + MAX_ACCOUNTS_PER_USER * 2);
  });

  it.each([
    ['a variable page', 'query Q($n: Int) { accounts { transactions(first: $n) { edges { cursor } } } }', { n: 50 }, 100 * (2 + 50 * 2)],
    ['the default page', '{ accounts { transactions { edges { cursor } } } }', {}, 100 * (2 + DEFAULT_PAGE_SIZE * 2)],
    ['a page past the maximum counts as the maximum (the resolver refuses it)', '{ transactions(accountId: "a", first: 5000) { edges { cursor } } }', {}, 1 + 100 * 2],
    ['a fragment spread', '{ accounts { ...A } } fragment A on Account { id balance { posted } }', {}, 100 * 4],
    ['balances of a movement', 'mutation { deposit(input: { accountId: "a", amount: "1", channel: CASH, idempotencyKey: "k" }) { ... on MoneyMovement { balances { posted } } } }', {}, 1 + 2 * 2],
  ])('%s', (_name, query, variables, expected) => {
    expect(costOf(query, variables)).toBe(expected);
  });

  it('walks a fragment used many times once, so a wide document of spreads stays fast', () => {
    const spreads = Array.from({ length: 15 }, (_, i) => `a${i}: accounts { ...B }`).join(' ');
    const nested = `fragment B on Account { ${Array.from({ length: 15 }, (_, i) => `t${i}: transactions(first: 1) { edges { node { transaction { ...T } } } }`).join(' ')} }
      fragment T on Transaction { ${Array.from({ length: 15 }, (_, i) => `e${i}: entries { id }`).join(' ')} }`;
    const started = performance.now();
    expect(costOf(`{ ${spreads} } ${nested}`)).toBeGreaterThan(QUERY_LIMITS.maxCost);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

/** Every operation of test/operations with its fragments, as one document. */
function clientOperations(): DocumentNode {
  const directory = new URL('../operations/', import.meta.url);
  const files = readdirSync(directory).filter((file) => file.endsWith('.graphql'));
  return parse(files.map((file) => readFileSync(new URL(file, directory), 'utf8')).join('\n'));
}

const README_FIRST_SESSION = `query Money {
  accounts { id number currency balance { posted available version asOf } }
  transactions(accountId: "PASTE-ACCOUNT-ID", first: 10) {
    edges { cursor node { amount balanceAfter version transaction { kind channel description createdAt } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const README_WATCH = `subscription Watch {
  balanceUpdated(accountId: "PASTE-ACCOUNT-ID", afterVersion: 0) { version balance { posted available asOf } transaction { kind amount description } }
}`;

describe(`the cost limit (${QUERY_LIMITS.maxCost}) serves every real client query and refuses the attacks`, () => {
  it('serves every operation of test/operations at its largest page, and the README queries', () => {
    const document = clientOperations();
    const costs = new Map<string, number>();
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION || !definition.name) continue;
      // The largest page a client may ask for, wherever a page size is a variable.
      costs.set(definition.name.value, operationCost(schema, document, definition.name.value, { first: 100, last: 100 })!);
    }
    expect(costs.get('History')).toBe(4406); // the heaviest real page: 100 lines with every field and entry (5 entries an approved wire review's)
    expect(costs.get('Accounts')).toBe(1300); // a dashboard of all 100 accounts with every balance field
    for (const [name, cost] of costs) {
      // AccountsWithHistory is every account's page: served by default (3 lines each), refused at 100.
      if (name !== 'AccountsWithHistory') expect({ name, cost: cost <= QUERY_LIMITS.maxCost }).toEqual({ name, cost: true });
    }
    expect(operationCost(schema, document, 'AccountsWithHistory', {})).toBeLessThanOrEqual(QUERY_LIMITS.maxCost);
    expect(costs.get('AccountsWithHistory')).toBeGreaterThan(QUERY_LIMITS.maxCost);
    expect(costOf(README_FIRST_SESSION)).toBe(1014);
    expect(costOf(README_WATCH)).toBeLessThan(100);
  });

  it.each([
    ['every account\u2019s 100-line page with entries', `{ accounts { transactions(first: 100) { ${PAGE_WITH_ENTRIES} } } }`, {}],
    ['the same through me and a variable', `query Q($n: Int) { me { accounts { transactions(first: $n) { ${PAGE_WITH_ENTRIES} } } } }`, { n: 100 }],
    ['15 aliased 100-line pages with entries', `{ ${Array.from({ length: 15 }, (_, i) => `h${i}: transactions(accountId: "a", first: 100) { ${PAGE_WITH_ENTRIES} }`).join(' ')} }`, {}],
    ['15 aliased lists of every account with its default page', `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: accounts { transactions { edges { cursor } } }`).join(' ')} }`, {}],
  ])('refuses %s', (_name, query, variables) => {
    expect(costOf(query, variables)).toBeGreaterThan(QUERY_LIMITS.maxCost);
  });
});

describe('every list field declares its bound', () => {
  it('holds for the schema (it would not build otherwise)', () => {
    expect(unboundedListFields(schema)).toEqual([]);
  });

  it('names a list field without a bound, so the schema refuses to build', () => {
    const unbounded = buildSchema('type Query { accounts: [Account!]! one: Account } type Account { id: ID! tags: [String!] }');
    expect(unboundedListFields(unbounded)).toEqual(['Query.accounts', 'Account.tags']);
    expect(() => assertEveryListBounded(unbounded)).toThrow(/Query\.accounts, Account\.tags/);
  });
});

describe('a batch result is counted per item sent', () => {
  const BATCH = `mutation B($input: PostMovementsInput!) { postMovements(input: $input) {
    ... on BatchResult { committed items { index result { __typename ... on MoneyMovement { transaction { id } replayed } ... on Error { code message } } } } } }`;
  const inputOf = (count: number) => ({ input: { idempotencyKey: 'k', items: Array.from({ length: count }, () => ({ voidHold: { holdId: 'h', idempotencyKey: 'k' } })) } });
  const costOf = (variables: Record<string, unknown>) => operationCost(schema, parse(BATCH), undefined, variables)!;

  it('grows with the items sent: a full selection of 2 items is cheap, of 1,000 refused, of 1,000 lean allowed', () => {
    expect(costOf(inputOf(2))).toBeLessThan(30);
    expect(costOf(inputOf(1000)) - costOf(inputOf(999))).toBe(costOf(inputOf(2)) - costOf(inputOf(1)));
    expect(costOf(inputOf(1000))).toBeGreaterThan(QUERY_LIMITS.maxCost);
    const lean = `mutation B($input: PostMovementsInput!) { postMovements(input: $input) { ... on BatchResult { items { index result { __typename ... on Error { code } } } } } }`;
    expect(operationCost(schema, parse(lean), undefined, inputOf(1000))).toBeLessThanOrEqual(QUERY_LIMITS.maxCost);
  });

  it('counts the most allowed when the items are not known, and never more than the bound', () => {
    expect(costOf({})).toBe(costOf(inputOf(1000)));
    expect(costOf(inputOf(5000))).toBe(costOf(inputOf(1000)));
  });
});
