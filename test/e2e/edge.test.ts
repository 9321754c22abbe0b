import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Kind, parse, print, visit, type DefinitionNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../src/transport/server.js';
import { AccountsWithHistoryDocument, BalanceDocument, DepositDocument, HistoryDocument, LoginDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * Issue "Only authorized parties", item 5: the hardened edge. Every hostile request below is
 * refused before it reaches the ledger: a victim's balance, every account row and the number of
 * ledger transactions and entries are the same after each of them as before. Each refused
 * request carries a mutation that WOULD move the victim's money if it ran, so a hole in the edge
 * shows up as moved money, not only as a missing error.
 */

interface WireError {
  readonly message: string;
  readonly extensions?: Record<string, unknown>;
  readonly path?: unknown[];
}
interface WireBody {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly WireError[];
  /** The REST doors' error shape. */
  readonly error?: { readonly code: string; readonly message: string; readonly requestId?: string };
}
interface WireResponse {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, or undefined when it was not JSON. */
  readonly body: WireBody | undefined;
}

let app: TestApp;
let victim: TestUser;
let attacker: TestUser;
/** A well-behaved customer with a long history, for the "real clients still work" checks. */
let client: TestUser;
let victimAccount: string;
let attackerAccount: string;
let clientAccount: string;
let baseline: string;

const CLIENT_HISTORY_LINES = 105;

async function send(path: string, init: RequestInit, base = app.url): Promise<WireResponse> {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let body: WireBody | undefined;
  try {
    body = JSON.parse(text) as WireBody;
  } catch {
    body = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', headers: response.headers, text, body };
}

function postJson(payload: unknown, token?: string, base = app.url): Promise<WireResponse> {
  return send(
    '/graphql',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(payload),
    },
    base,
  );
}

/** The transfer an attacker wants: the victim's money to the attacker, sent with the victim's token. */
function stealField(key = randomUUID()): string {
  return `transfer(input: { fromAccountId: "${victimAccount}", toAccountId: "${attackerAccount}", amount: "100.00", idempotencyKey: "${key}" }) { __typename ... on MoneyMovement { transaction { id } } }`;
}
function stealMutation(key = randomUUID()): string {
  return `mutation Steal { ${stealField(key)} }`;
}

/** Everything a refused request must leave untouched, read behind the API's back. */
async function ledgerState(): Promise<string> {
  const pool = app.database.pool;
  const accounts = await pool.query(
    'select id, posted_minor::text, pending_minor::text, version, status from accounts where id = any($1::uuid[]) order by id',
    [[victimAccount, attackerAccount, clientAccount]],
  );
  const transactions = await pool.query('select count(*)::int as n from ledger_transactions');
  const entries = await pool.query('select count(*)::int as n from entries');
  const keys = await pool.query('select count(*)::int as n from idempotency_records');
  return JSON.stringify({ accounts: accounts.rows, transactions: transactions.rows[0], entries: entries.rows[0], keys: keys.rows[0] });
}

async function expectNothingMoved(): Promise<void> {
  expect(await ledgerState()).toBe(baseline);
}

/** A refusal: at least one error, and no data at all (not even partial). */
function expectRefused(response: WireResponse): readonly WireError[] {
  expect(response.body, response.text).toBeDefined();
  expect(response.body?.data ?? null, response.text).toBeNull();
  const errors = response.body?.errors ?? [];
  expect(errors.length, response.text).toBeGreaterThan(0);
  return errors;
}

/** No stack frames, file paths or library internals in a body a client sees. */
function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\bat /);
  expect(text).not.toMatch(/node_modules|\/work\/|\/src\/|file:\/\/|\.[cm]?[jt]s:\d/);
  expect(text).not.toMatch(/stack|PayloadTooLarge|SyntaxError|Unexpected token|JSON\.parse|body-parser|raw-body|DriverException/i);
}

/** The armor messages must not hand an attacker the limit (or its own count) to tune against. */
function expectLimitHidden(errors: readonly WireError[], ...numbers: number[]): void {
  const text = JSON.stringify(errors);
  for (const n of numbers) expect(text).not.toMatch(new RegExp(`\\b${n}\\b`));
  expect(text).not.toMatch(/limit|exceed|depth|alias|token|cost/i);
}

async function loginAudits(username: string): Promise<number> {
  const { rows } = await app.database.pool.query<{ n: number }>(
    "select count(*)::int as n from audit_events where action = 'login' and target = $1",
    [username],
  );
  return rows[0]?.n ?? -1;
}

beforeAll(async () => {
  app = await startTestApp();
  [victim, attacker, client] = await Promise.all([app.user(), app.user(), app.user()]);
  // ACH credits are posted by the ACH processor's service, not by the customer.
  const ach = await app.user('SERVICE', { channels: ['ACH'] });
  [victimAccount, attackerAccount, clientAccount] = await Promise.all([
    app.account(victim, { opening: '500.00' }),
    app.account(attacker, { opening: '1.00' }),
    app.account(client, { opening: '1.00' }),
  ]);
  // The client's history: one page of 100 lines is full and another page follows.
  for (let start = 1; start < CLIENT_HISTORY_LINES; start += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, CLIENT_HISTORY_LINES - start) }, async () => {
        const deposited = dataOf(
          await app.gql(DepositDocument, { input: { accountId: clientAccount, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() } }, ach.token),
        ).deposit;
        if (deposited.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(deposited));
      }),
    );
  }
  baseline = await ledgerState();
  expect(JSON.parse(baseline)).toMatchObject({ transactions: { n: CLIENT_HISTORY_LINES + 2 } });
});

afterAll(async () => {
  await app?.close();
});

describe('query limits', () => {
  it(`refuses 60 aliases without saying where the limit is, and still serves a dashboard of ${QUERY_LIMITS.maxAliases}`, async () => {
    const aliased = (n: number) => Array.from({ length: n }, (_, i) => `b${i}: balance(accountId: "${victimAccount}") { posted available }`).join(' ');

    const refused = await postJson({ query: `{ ${aliased(60)} }` }, attacker.token);
    expect(refused.status).toBe(400);
    const errors = expectRefused(refused);
    expect(errors.map((error) => error.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expectLimitHidden(errors, 60, QUERY_LIMITS.maxAliases);

    // The same shape at the limit is an ordinary dashboard: served, so the 60 were refused for their number.
    const dashboard = await postJson({ query: `{ ${aliased(QUERY_LIMITS.maxAliases)} }` }, victim.token);
    expect(dashboard.body?.errors, dashboard.text).toBeUndefined();
    expect(Object.keys(dashboard.body?.data ?? {})).toHaveLength(QUERY_LIMITS.maxAliases);
    expect(dashboard.body?.data?.b0).toEqual({ posted: '500.00', available: '500.00' });
    await expectNothingMoved();
  });

  it('refuses 30 aliased password guesses before any is tried: the victim still signs in and no attempt was audited', async () => {
    const auditsBefore = await loginAudits(victim.username);
    const guesses = Array.from(
      { length: 30 },
      (_, i) => `g${i}: generateToken(input: { username: "${victim.username}", password: "guess-${i}" }) { __typename ... on AuthTokens { accessToken } }`,
    ).join(' ');
    const refused = await postJson({ query: `mutation Guess { ${guesses} }` });
    expect(refused.status).toBe(400);
    expectLimitHidden(expectRefused(refused), 30, QUERY_LIMITS.maxAliases);
    expect(refused.text).not.toContain('accessToken');
    // Not one guess ran: none reached the audit log, so none reached the failure counter either.
    expect(await loginAudits(victim.username)).toBe(auditsBefore);

    const login = dataOf(await app.gql(LoginDocument, { username: victim.username, password: victim.password })).generateToken;
    expect(login.__typename).toBe('AuthTokens');
    expect(await loginAudits(victim.username)).toBe(auditsBefore + 1);
    await expectNothingMoved();
  });

  it('control: guesses that pass the alias limit do run and do use up the failure allowance', async () => {
    // Proves the previous test could fail: had the 30 guesses run, the right password would now be refused.
    const control = await app.user();
    const guesses = Array.from(
      { length: QUERY_LIMITS.maxAliases },
      (_, i) => `g${i}: generateToken(input: { username: "${control.username}", password: "guess-${i}" }) { __typename }`,
    ).join(' ');
    const ran = await postJson({ query: `mutation Guess { ${guesses} }` });
    expect(ran.body?.errors, ran.text).toBeUndefined();
    const outcomes = Object.values(ran.body?.data ?? {}).map((result) => (result as { __typename: string }).__typename);
    expect(outcomes).toHaveLength(QUERY_LIMITS.maxAliases);
    expect(outcomes).toContain('InvalidCredentialsError');
    expect(outcomes).not.toContain('AuthTokens');

    const login = dataOf(await app.gql(LoginDocument, { username: control.username, password: control.password })).generateToken;
    expect(login.__typename).toBe('LimitExceededError');
  });

  it('refuses a depth bomb past the depth limit, and serves the same path up to the limit', async () => {
    // me.accounts.transactions.edges.node.transaction.entries.id is 8 levels; graphql-armor counts
    // every nested inline fragment as one more, so this schema can be driven past any depth.
    const depthOf = (extra: number) =>
      `{ me { accounts { transactions(first: 1) { edges { node { transaction { entries { ${'... { '.repeat(extra)} id ${'} '.repeat(extra)} } } } } } } } }`;
    const atLimit = QUERY_LIMITS.maxDepth - 8;

    const served = await postJson({ query: depthOf(atLimit) }, client.token);
    expect(served.body?.errors, served.text).toBeUndefined();
    expect(served.text).toContain('"entries":[{"id":');

    for (const extra of [atLimit + 1, 200]) {
      const refused = await postJson({ query: depthOf(extra) }, client.token);
      expect(refused.status, refused.text).toBe(400);
      expectLimitHidden(expectRefused(refused), QUERY_LIMITS.maxDepth, 8 + extra);
    }
    await expectNothingMoved();
  });

  it('refuses a query of more tokens than the limit, and serves the same query just under it', async () => {
    // A long filter list costs no fields, so only the token count tells the two apart.
    const filtered = (channels: number) => {
      const query = `{ transactions(accountId: "${clientAccount}", first: 1, filter: { channels: [${'ACH '.repeat(channels)}] }) { edges { node { amount } } } }`;
      return { query, tokens: channels + 24 };
    };
    const under = filtered(QUERY_LIMITS.maxTokens - 100);
    expect(under.tokens).toBeLessThan(QUERY_LIMITS.maxTokens);
    const served = await postJson({ query: under.query }, client.token);
    expect(served.body?.errors, served.text).toBeUndefined();
    expect(served.body?.data).toEqual({ transactions: { edges: [{ node: { amount: '1.00' } }] } });

    const over = filtered(QUERY_LIMITS.maxTokens + 500);
    const refusedFilter = await postJson({ query: over.query }, client.token);
    expectLimitHidden(expectRefused(refusedFilter), QUERY_LIMITS.maxTokens, over.tokens);
    expectNoInternals(refusedFilter.text);

    const refusedSteal = await postJson({ query: `mutation Steal { ${stealField()} ${'__typename '.repeat(QUERY_LIMITS.maxTokens + 500)}}` }, victim.token);
    expectLimitHidden(expectRefused(refusedSteal), QUERY_LIMITS.maxTokens);
    expectNoInternals(refusedSteal.text);
    await expectNothingMoved();
  });

  it('refuses a query within the depth, alias and token limits whose cost is far beyond any client\u2019s', async () => {
    const pages = Array.from(
      { length: QUERY_LIMITS.maxAliases },
      (_, i) => `h${i}: transactions(accountId: "${clientAccount}", first: 100) { edges { node { transaction { entries { id accountId amount direction } } } } }`,
    ).join(' ');
    const refused = await postJson({ query: `{ ${pages} }` }, client.token);
    expect(refused.status, refused.text).toBe(400);
    expectLimitHidden(expectRefused(refused), QUERY_LIMITS.maxCost);
    await expectNothingMoved();
  });

  const pageOfEntries = (alias: string, first: string) =>
    `${alias}: transactions(accountId: "${clientAccount}", first: ${first}) { edges { node { transaction { entries { id accountId amount direction } } } } }`;

  it('counts a page size sent as a variable (or its default) exactly like one written in the query', async () => {
    const aliases = Array.from({ length: QUERY_LIMITS.maxAliases }, (_, i) => `h${i}`);
    const byVariable = `query Pages($n: Int!) { ${aliases.map((alias) => pageOfEntries(alias, '$n')).join(' ')} }`;
    const refused = await postJson({ query: byVariable, variables: { n: 100 } }, client.token);
    expect(refused.status, refused.text).toBe(400);
    expectLimitHidden(expectRefused(refused), QUERY_LIMITS.maxCost);
    expect(refused.body?.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const byDefault = `query Pages($n: Int = 100) { ${aliases.map((alias) => pageOfEntries(alias, '$n')).join(' ')} }`;
    const refusedDefault = await postJson({ query: byDefault }, client.token);
    expect(refusedDefault.status, refusedDefault.text).toBe(400);
    expectLimitHidden(expectRefused(refusedDefault), QUERY_LIMITS.maxCost);

    // A second operation in the document declaring a small default for the same name changes nothing.
    const withDecoy = `${byDefault} query Decoy($n: Int = 1) { me { accounts { transactions(first: $n) { edges { cursor } } } } }`;
    const refusedDecoy = await postJson({ query: withDecoy, operationName: 'Pages' }, client.token);
    expect(refusedDecoy.status, refusedDecoy.text).toBe(400);
    expectLimitHidden(expectRefused(refusedDecoy), QUERY_LIMITS.maxCost);
    const decoy = await postJson({ query: withDecoy, operationName: 'Decoy' }, client.token);
    expect(decoy.status, decoy.text).toBe(200);

    // The same query with small pages is an ordinary client's, and runs.
    const small = await postJson({ query: byVariable, variables: { n: 2 } }, client.token);
    expect(small.status, small.text).toBe(200);
    expect(small.body?.errors).toBeUndefined();
    expect(Object.keys(small.body?.data ?? {})).toHaveLength(QUERY_LIMITS.maxAliases);
    await expectNothingMoved();
  });
});

describe('transport', () => {
  it('refuses a JSON array batch and runs none of it', async () => {
    const batch = await postJson([{ query: stealMutation() }, { query: stealMutation() }], victim.token);
    expect(batch.status).toBe(400);
    expect(Array.isArray(batch.body)).toBe(false);
    expectRefused(batch);
    expect(batch.text).not.toContain('MoneyMovement');
    await expectNothingMoved();
  });

  it.each(['/graphql', '/v1/generate_token'])('answers a 5 MB body on %s with 413 and a one-line JSON error', async (path) => {
    const payload = path === '/graphql'
      ? { query: stealMutation(), variables: { padding: 'x'.repeat(5 * 1024 * 1024) } }
      : { username: victim.username, password: victim.password, padding: 'x'.repeat(5 * 1024 * 1024) };
    const response = await send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${victim.token}` },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(413);
    expect(response.contentType).toMatch(/^application\/json/);
    expect(response.text.trim()).not.toContain('\n');
    expect((response.body?.errors?.[0]?.message ?? response.body?.error?.message)).toMatch(/larger than/);
    expect(response.text).not.toContain('token');
    expectNoInternals(response.text);
    await expectNothingMoved();
  });

  it.each(['/graphql', '/v1/generate_token'])('answers malformed JSON on %s with 400 and a one-line JSON error, no stack or path', async (path) => {
    const response = await send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${victim.token}` },
      body: `{"query": ${JSON.stringify(stealMutation())}, "variables": {`,
    });
    expect(response.status).toBe(400);
    expect(response.contentType).toMatch(/^application\/json/);
    expect(response.text.trim()).not.toContain('\n');
    expect((response.body?.errors?.[0]?.message ?? response.body?.error?.message)).toEqual(expect.any(String));
    expectNoInternals(response.text);
    await expectNothingMoved();
  });

  it.each([
    ['text/plain', () => ({ 'content-type': 'text/plain' }), () => JSON.stringify({ query: stealMutation() })],
    ['application/x-www-form-urlencoded', () => ({ 'content-type': 'application/x-www-form-urlencoded' }), () => new URLSearchParams({ query: stealMutation() }).toString()],
    ['multipart/form-data', () => ({}), () => {
      const form = new FormData();
      form.set('operations', JSON.stringify({ query: stealMutation() }));
      return form;
    }],
  ] as const)('refuses a %s POST of a mutation as CSRF (a browser sends these without a preflight)', async (_type, headers, body) => {
    const response = await send('/graphql', { method: 'POST', headers: { ...headers(), authorization: `Bearer ${victim.token}` }, body: body() });
    expect(response.status).toBe(400);
    const errors = expectRefused(response);
    expect(errors[0]?.message).toMatch(/Cross-Site Request Forgery/);
    await expectNothingMoved();
  });

  it('refuses a mutation sent over GET, even past the CSRF check, while a GET query still works', async () => {
    const headers = { 'apollo-require-preflight': 'true', authorization: `Bearer ${victim.token}` };
    const mutation = await send(`/graphql?query=${encodeURIComponent(stealMutation())}`, { method: 'GET', headers });
    expect(mutation.status).toBe(405);
    expect(expectRefused(mutation)[0]?.message).toMatch(/mutation/);
    await expectNothingMoved();

    // Control: the refusal is about the mutation, not about GET.
    const query = await send(`/graphql?query=${encodeURIComponent(`{ balance(accountId: "${victimAccount}") { posted } }`)}`, { method: 'GET', headers });
    expect(query.status).toBe(200);
    expect(query.body?.data).toEqual({ balance: { posted: '500.00' } });

    // And without the preflight header a GET is a CSRF candidate: refused too.
    const simple = await send(`/graphql?query=${encodeURIComponent(stealMutation())}`, { method: 'GET', headers: { authorization: `Bearer ${victim.token}` } });
    expect(simple.status).toBe(400);
    expectRefused(simple);
    await expectNothingMoved();
  });

  it('answers a query the server refuses before execution with a 4xx, never a 5xx', async () => {
    // A broken or oversized document is the client's fault; a 5xx would page an operator and
    // invite retries for every attacker request.
    const outcomes: Array<{ request: string; status: number; body: string }> = [];
    for (const [request, query] of [
      ['unparsable document "{"', '{'],
      [`document of ${QUERY_LIMITS.maxTokens + 500} tokens`, `{ ${'__typename '.repeat(QUERY_LIMITS.maxTokens + 500)}}`],
    ] as const) {
      const response = await postJson({ query }, client.token);
      expectRefused(response);
      outcomes.push({ request, status: response.status, body: response.text.trim() });
    }
    expect(outcomes.filter((outcome) => outcome.status >= 500)).toEqual([]);
    await expectNothingMoved();
  });
});

describe('internal errors', () => {
  it('a NUL byte in a sign-in is an ordinary failed sign-in, and the client learns nothing more', async () => {
    const graphql = await postJson({
      query: 'mutation Login($username: String!) { generateToken(input: { username: $username, password: "x" }) { __typename } }',
      variables: { username: `${victim.username}\u0000` },
    });
    expectNoInternals(graphql.text);
    expect(graphql.text).not.toMatch(/select|users|username|invalid message|\\u0000|postgres/i);
    expect(graphql.body?.errors).toBeUndefined();
    expect(graphql.body?.data).toEqual({ generateToken: { __typename: 'InvalidCredentialsError' } });

    const rest = await send('/v1/generate_token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `${victim.username}\u0000`, password: 'x' }),
    });
    expect(rest.status).toBe(401);
    expect(rest.text.trim()).not.toContain('\n');
    expectNoInternals(rest.text);
    expect(rest.text).not.toMatch(/select|users|invalid message|\\u0000|postgres/i);

    // The victim was not locked out or otherwise touched by it.
    const login = dataOf(await app.gql(LoginDocument, { username: victim.username, password: victim.password })).generateToken;
    expect(login.__typename).toBe('AuthTokens');
    await expectNothingMoved();
  });
});

describe('production mode', () => {
  let production: TestApp;
  let resident: TestUser;

  beforeAll(async () => {
    production = await startTestApp({ environment: { NODE_ENV: 'production' } });
    resident = await production.user();
  });
  afterAll(async () => {
    await production?.close();
  });

  it('refuses introspection over POST and GET (the test app, not in production, allows it)', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Account") { fields { name } } }']) {
      const posted = await postJson({ query }, resident.token, production.url);
      expect(posted.status).toBe(400);
      expect(expectRefused(posted)[0]).toMatchObject({ message: 'Introspection is turned off on this server.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
      expect(posted.text).not.toMatch(/"(Account|Balance|MoneyMovement|transfer)"/);
      // Which server software answers is nobody's business.
      expect(posted.text).not.toMatch(/apollo/i);

      const viaGet = await send(`/graphql?query=${encodeURIComponent(query)}`, {
        method: 'GET',
        headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${resident.token}` },
      }, production.url);
      expectRefused(viaGet);
    }
    const development = await postJson({ query: '{ __schema { types { name } } }' }, client.token);
    expect(development.text).toContain('"MoneyMovement"');
  });

  it('hides "did you mean" for a misspelled field (the test app, not in production, suggests)', async () => {
    const typo = { query: '{ accuonts { id } }' };
    const hidden = await postJson(typo, resident.token, production.url);
    const message = expectRefused(hidden)[0]?.message ?? '';
    expect(message).toMatch(/accuonts/);
    expect(hidden.text).not.toMatch(/did you mean/i);
    expect(hidden.text).not.toMatch(/"accounts"|"account"/);

    const suggested = await postJson(typo, client.token);
    expect(suggested.body?.errors?.[0]?.message).toMatch(/Did you mean "accounts"/);
  });

  it('hides every kind of suggestion: arguments, types, input fields, enum values', async () => {
    const account = await production.account(resident);
    const leaks: Array<{ request: string; message: string }> = [];
    const probes: ReadonlyArray<readonly [string, unknown]> = [
      ['misspelled argument', { query: '{ balance(acountId: "x") { posted } }' }],
      ['misspelled type condition', { query: '{ me { ... on Usr { id } } }' }],
      ['misspelled nested field', { query: '{ me { accounts { balanse { posted } } } }' }],
      ['misspelled input field', { query: `mutation { deposit(input: { acountId: "${account}", accountId: "${account}", amount: "1.00", channel: CASH, idempotencyKey: "k" }) { __typename } }` }],
      ['misspelled enum literal', { query: `mutation { deposit(input: { accountId: "${account}", amount: "1.00", channel: CAHS, idempotencyKey: "k" }) { __typename } }` }],
      ['misspelled enum in a variable', { query: `mutation D($c: Channel!) { deposit(input: { accountId: "${account}", amount: "1.00", channel: $c, idempotencyKey: "k" }) { __typename } }`, variables: { c: 'CAHS' } }],
    ];
    for (const [request, payload] of probes) {
      const response = await postJson(payload, resident.token, production.url);
      for (const error of expectRefused(response)) {
        if (/did you mean/i.test(error.message)) leaks.push({ request, message: error.message });
      }
    }
    expect(leaks).toEqual([]);
    expect(dataOf(await production.gql(BalanceDocument, { accountId: account }, resident.token)).balance?.version).toBe(0);
  });

  it('does not serve GraphiQL to a browser (the test app, not in production, does)', async () => {
    const page = await send('/graphql', { method: 'GET', headers: { accept: 'text/html' } }, production.url);
    expect(page.contentType).not.toMatch(/html/);
    expect(page.text).not.toMatch(/<html|graphiql/i);
    expect(page.status).toBeGreaterThanOrEqual(400);

    const development = await send('/graphql', { method: 'GET', headers: { accept: 'text/html' } });
    expect(development.contentType).toMatch(/^text\/html/);
    expect(development.text).toMatch(/graphiql/i);
  });
});

describe('real clients are not caught by the limits', () => {
  /** Every operation of test/operations, each with the fragments it uses (across files). */
  function clientOperations(): Array<{ name: string; document: string }> {
    const directory = new URL('../operations/', import.meta.url);
    const definitions: DefinitionNode[] = readdirSync(directory)
      .filter((file) => file.endsWith('.graphql'))
      .flatMap((file) => parse(readFileSync(new URL(file, directory), 'utf8')).definitions);
    const fragments = new Map(
      definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    );
    const operations = definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    return operations.map((operation) => {
      const used = new Map<string, FragmentDefinitionNode>();
      const pending: Array<OperationDefinitionNode | FragmentDefinitionNode> = [operation];
      for (let guard = 0; pending.length > 0 && guard < 1000; guard += 1) {
        visit(pending.pop()!, {
          FragmentSpread(spread) {
            const fragment = fragments.get(spread.name.value);
            if (fragment && !used.has(fragment.name.value)) {
              used.set(fragment.name.value, fragment);
              pending.push(fragment);
            }
          },
        });
      }
      return { name: operation.name?.value ?? '(anonymous)', document: [operation, ...used.values()].map((d) => print(d)).join('\n') };
    });
  }

  it('accepts every operation of test/operations: parsed and validated, never refused by a limit', async () => {
    const operations = clientOperations();
    expect(operations.map((operation) => operation.name)).toEqual(expect.arrayContaining(['History', 'AccountsWithHistory', 'Transfer', 'Login']));
    const refused: Array<{ name: string; status: number; errors: unknown }> = [];
    for (const { name, document } of operations) {
      // No token and no variables: validation runs in full, then nothing executes.
      const response = await postJson({ query: document, operationName: name });
      const codes = (response.body?.errors ?? []).map((error) => error.extensions?.code);
      if (response.status >= 500 || codes.some((code) => code === 'GRAPHQL_VALIDATION_FAILED' || code === 'GRAPHQL_PARSE_FAILED' || code === 'INTERNAL_SERVER_ERROR')) {
        refused.push({ name, status: response.status, errors: response.body?.errors });
      }
    }
    expect(refused).toEqual([]);
    await expectNothingMoved();
  });

  it('serves the largest real one: a full 100-line history page with every entry, and every account with its latest lines', async () => {
    const page = dataOf(await app.gql(HistoryDocument, { accountId: clientAccount, first: 100 }, client.token)).transactions;
    expect(page.edges).toHaveLength(100);
    expect(page.pageInfo.hasNextPage).toBe(true);
    for (const edge of page.edges) expect(edge.node.transaction.entries.length).toBeGreaterThanOrEqual(2);

    // Every account with its default dashboard page (3 lines), priced as 100 accounts' pages.
    const dashboard = dataOf(await app.gql(AccountsWithHistoryDocument, {}, client.token)).accounts;
    expect(dashboard[0]?.transactions.edges).toHaveLength(3);
    await expectNothingMoved();
  });

  it('refuses every account\u2019s 100-line page with entries (priced as 100 pages, not one), written in or sent as a variable', async () => {
    const fragment = 'fragment Tx on Transaction { id kind amount entries { id accountId direction amount } }';
    const attacks = [
      { query: `query Deep($first: Int) { me { accounts { transactions(first: $first) { edges { node { transaction { ...Tx } } } } } } } ${fragment}`, variables: { first: 100 } },
      { query: `{ accounts { transactions(first: 100) { edges { node { transaction { ...Tx } } } } } } ${fragment}` },
      { query: print(AccountsWithHistoryDocument), variables: { first: 100 } },
    ];
    for (const attack of attacks) {
      const refused = await postJson(attack, client.token);
      expect(refused.status, refused.text).toBe(400);
      const errors = expectRefused(refused);
      expect(errors[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expectLimitHidden(errors, QUERY_LIMITS.maxCost);
    }
    // The same shape for one account is an ordinary history page, and is served.
    const one = await postJson({ query: `query One($first: Int) { transactions(accountId: "${clientAccount}", first: $first) { edges { node { transaction { ...Tx } } } } } ${fragment}`, variables: { first: 100 } }, client.token);
    expect(one.body?.errors, one.text).toBeUndefined();
    expect(one.text.match(/"kind":"DEPOSIT"/g)).toHaveLength(100);
    await expectNothingMoved();
  });
});

describe('GraphQL over HTTP', () => {
  it('passes every MUST audit of graphql-http', async () => {
    const audits = serverAudits({ url: `${app.url}/graphql`, fetchFn: fetch });
    expect(audits.filter((audit) => audit.name.startsWith('MUST')).length).toBeGreaterThan(10);
    const failures: Array<{ name: string; status: string; reason: string; response: string }> = [];
    for (const audit of audits) {
      const result = await audit.fn();
      if (result.status !== 'ok' && audit.name.startsWith('MUST')) {
        failures.push({ name: result.name, status: result.status, reason: result.reason, response: `${result.response.status} ${await result.response.text()}` });
      }
    }
    expect(failures).toEqual([]);
    await expectNothingMoved();
  });
});

describe('after all of it', () => {
  it('the victim still has exactly what it had, and the ledger holds exactly the transactions it held', async () => {
    await expectNothingMoved();
    const balance = dataOf(await app.gql(BalanceDocument, { accountId: victimAccount }, victim.token)).balance;
    expect(balance).toMatchObject({ posted: '500.00', available: '500.00', version: 1 });
  });
});
