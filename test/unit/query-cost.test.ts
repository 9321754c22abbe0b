import { parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { asItWillRun } from '../../src/query-cost.js';
import { DEFAULT_PAGE_SIZE } from '../../src/ledger/limits.js';
import { schema } from '../../src/schema/index.js';

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
