import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../src/auth/users.js';
import { customerSearchSql } from '../../src/ledger/queries/customer-search.js';
import { AccountsDocument, CustomerNamesDocument, CustomersDocument, LoginDocument, MyUserAccountsDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * Issue 13, the console's customer look-up: Query.customers finds CUSTOMER users by username
 * prefix, e-mail or account number, for operators only, each customer found (and each account
 * shown) written to the audit log; User.accounts is that user's, never the viewer's.
 */
let t: TestApp;
let operator: TestUser;
let customer: TestUser;
let stranger: TestUser;
let alice: TestUser;
let aliceChecking: string;
let aliceSavings: string;
const tag = randomUUID().slice(0, 6);

/** A customer with a chosen username and e-mail, signed in. */
async function customerNamed(username: string, email: string): Promise<TestUser> {
  const password = `password-${randomUUID()}`;
  const created = await addUser(t.app.orm, { username, password, email });
  const login = dataOf(await t.gql(LoginDocument, { username, password })).generateToken;
  if (login.__typename !== 'AuthTokens') throw new Error(JSON.stringify(login));
  return { id: created.id, username, password, token: login.accessToken };
}

async function auditRows(action: string, actorUserId: string, target: string): Promise<number> {
  const result = await t.database.pool.query<{ count: number }>(
    'select count(*)::int as count from audit_events where action = $1 and actor_user_id = $2 and target = $3',
    [action, actorUserId, target],
  );
  return result.rows[0]!.count;
}

beforeAll(async () => {
  t = await startTestApp();
  [operator, customer, stranger] = await Promise.all([t.user('OPERATOR'), t.user(), t.user()]);
  alice = await customerNamed(`alice-${tag}`, `Alice.${tag}@Example.test`);
  await customerNamed(`alicia-${tag}`, `alicia.${tag}@example.test`);
  aliceChecking = await t.account(alice, { opening: '125.50' });
  aliceSavings = await t.account(alice, { type: 'SAVINGS', currency: 'JPY', opening: '900' });
  await t.account(stranger, { opening: '1.00' });
});
afterAll(async () => {
  await t.close();
});

describe('an operator looks up a customer', () => {
  it('finds by username prefix, case-insensitively, by username', async () => {
    const found = dataOf(await t.gql(CustomerNamesDocument, { search: `ALI`, first: 50 }, operator.token)).customers;
    const mine = found.filter((user) => user.username.endsWith(tag)).map((user) => user.username);
    expect(mine).toEqual([`alice-${tag}`, `alicia-${tag}`]);
    expect(found.every((user) => user.role === 'CUSTOMER')).toBe(true);
    const narrowed = dataOf(await t.gql(CustomersDocument, { search: `alice-${tag}` }, operator.token)).customers;
    expect(narrowed.map((user) => user.id)).toEqual([alice.id]);
  });

  it("shows that customer's accounts and balances, not the operator's", async () => {
    const [found] = dataOf(await t.gql(CustomersDocument, { search: `alice-${tag}` }, operator.token)).customers;
    expect(found?.accounts.map((account) => account.id).sort()).toEqual([aliceChecking, aliceSavings].sort());
    const byId = new Map(found!.accounts.map((account) => [account.id, account]));
    expect(byId.get(aliceChecking)?.balance).toMatchObject({ posted: '125.50', available: '125.50' });
    expect(byId.get(aliceSavings)).toMatchObject({ currency: 'JPY', balance: { posted: '900', available: '900' } });
  });

  it('finds by e-mail exactly, whatever its case; a part of an e-mail finds no one', async () => {
    const found = dataOf(await t.gql(CustomersDocument, { search: `alice.${tag}@EXAMPLE.test` }, operator.token)).customers;
    expect(found.map((user) => user.id)).toEqual([alice.id]);
    expect(dataOf(await t.gql(CustomersDocument, { search: `ice.${tag}@example.test` }, operator.token)).customers).toEqual([]);
  });

  it('finds by an account number, typed with spaces as on a statement', async () => {
    const number = dataOf(await t.gql(AccountsDocument, {}, alice.token)).accounts.find((account) => account.id === aliceSavings)!.number;
    const spaced = `${number.slice(0, 4)} ${number.slice(4, 8)} ${number.slice(8)}`;
    const found = dataOf(await t.gql(CustomersDocument, { search: spaced }, operator.token)).customers;
    expect(found.map((user) => user.id)).toEqual([alice.id]);
  });

  it('audits every customer found and every account shown', async () => {
    const customersBefore = await auditRows('operator.read_customer', operator.id, alice.id);
    const accountBefore = await auditRows('operator.read_account', operator.id, aliceChecking);
    dataOf(await t.gql(CustomersDocument, { search: `alice-${tag}` }, operator.token));
    expect(await auditRows('operator.read_customer', operator.id, alice.id)).toBe(customersBefore + 1);
    expect(await auditRows('operator.read_account', operator.id, aliceChecking)).toBe(accountBefore + 1);
  });

  it('never finds operators or services, and bounds the answer by first', async () => {
    const operators = dataOf(await t.gql(CustomerNamesDocument, { search: operator.username }, operator.token)).customers;
    expect(operators).toEqual([]);
    const one = dataOf(await t.gql(CustomerNamesDocument, { search: `ali`, first: 1 }, operator.token)).customers;
    expect(one).toHaveLength(1);
  });

  it('refuses a search of 1 or 101 characters, or first over 50, as VALIDATION, auditing nothing', async () => {
    for (const variables of [{ search: 'a' }, { search: ' a ' }, { search: 'a'.repeat(101) }, { search: `alice-${tag}`, first: 51 }, { search: `alice-${tag}`, first: 0 }]) {
      const response = await t.gql(CustomerNamesDocument, variables, operator.token);
      expect(response.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe('VALIDATION');
      expect(response.data?.customers ?? null).toBeNull();
    }
  });

  it('treats LIKE wildcards as the characters they are', async () => {
    expect(dataOf(await t.gql(CustomersDocument, { search: '%%' }, operator.token)).customers).toEqual([]);
    expect(dataOf(await t.gql(CustomersDocument, { search: '__' }, operator.token)).customers).toEqual([]);
  });
});

describe('a customer', () => {
  it('is refused (FORBIDDEN) and learns nothing, and the refusal audits no read', async () => {
    const before = await auditRows('operator.read_customer', customer.id, alice.id);
    const response = await t.gql(CustomersDocument, { search: `alice-${tag}` }, customer.token);
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(response.data?.customers ?? null).toBeNull();
    expect(JSON.stringify(response)).not.toContain(alice.id);
    // A bad search from a customer is refused as forbidden too: validation tells them nothing either.
    expect((await t.gql(CustomersDocument, { search: 'a' }, customer.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await auditRows('operator.read_customer', customer.id, alice.id)).toBe(before);
  });

  it('still sees their own accounts on me', async () => {
    const me = dataOf(await t.gql(MyUserAccountsDocument, {}, alice.token)).me;
    expect(me.accounts.map((account) => account.id).sort()).toEqual([aliceChecking, aliceSavings].sort());
  });

  it('is refused without signing in', async () => {
    const response = await t.gql(CustomersDocument, { search: `alice-${tag}` });
    expect(response.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    expect(response.data?.customers ?? null).toBeNull();
  });
});

describe('the search is index look-ups, not a scan of every user', () => {
  it('plans the username prefix and the e-mail on their indexes among 20,000 users', async () => {
    // Rows straight in SQL (no password hashing): only the plan is looked at, and these never sign in.
    await t.database.pool.query(
      `insert into users (id, username, email, password_hash, role)
         select gen_random_uuid(), 'bulk-' || g, 'bulk-' || g || '@example.test', 'not-a-hash', 'CUSTOMER' from generate_series(1, 20000) g`,
    );
    await t.database.pool.query('analyze users');
    let position = 0;
    const sql = customerSearchSql(20).replace(/\?/g, () => `$${(position += 1)}`);
    const { rows } = await t.database.pool.query<{ 'QUERY PLAN': string }>(`explain ${sql}`, [`bulk-1234%`, 'bulk-99@example.test', '12345678903']);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toContain('users_username_prefix');
    expect(plan).toContain('users_email_lower');
    expect(plan).not.toMatch(/Seq Scan on users/);
  });
});
