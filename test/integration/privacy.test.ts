import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../src/auth/users.js';
import {
  AccountsDocument,
  AccountWithBalanceAndHistoryDocument,
  BalanceDocument,
  DepositDocument,
  HistoryDocument,
  LoginDocument,
  PayeeDocument,
  TransactionDocument,
  TransferDocument,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, type TestApp, type TestUser } from '../helpers/test-app.js';
import { openSocket, subscribe } from '../helpers/ws-client.js';

/**
 * Privacy gaps of the issue "privacy gaps, paying someone, CORS": what a payee learns of a
 * payer (idempotency keys, the bank's posting volume, nothing of the payee's balance through the
 * ceiling), that operator reads are audited, that a browser app on its own origin works, and that
 * a payee can be found by account number without enumerating the bank's customers.
 */
let t: TestApp;
/** The wire service: incoming wires are posted by the rail, not by the customer. */
let wire: TestUser;
const PAYEE_LOOKUPS_PER_HOUR = 5;

beforeAll(async () => {
  t = await startTestApp({ environment: { RATE_LIMIT_PAYEE_LOOKUPS_PER_HOUR: String(PAYEE_LOOKUPS_PER_HOUR) } });
  // Accounts here are funded by wires of up to 10^15 minor units, which the built-in wire rule
  // would hold for review: this file is about what answers reveal, not about risk.
  await t.disableRiskRules('wire-over-5000');
  wire = await t.user('SERVICE', { channels: ['WIRE'] });
});
afterAll(async () => {
  await t.close();
});

/** A customer with a full name, signed in (the shared helper provisions nameless users). */
async function namedUser(fullName: string | null): Promise<TestUser> {
  const username = `named-${randomUUID().slice(0, 8)}`;
  const password = `password-${randomUUID()}`;
  const created = await addUser(t.app.orm, { username, password, email: `${username}@example.test`, fullName });
  const login = dataOf(await t.gql(LoginDocument, { username, password })).generateToken;
  if (login.__typename !== 'AuthTokens') throw new Error(JSON.stringify(login));
  return { id: created.id, username, password, token: login.accessToken };
}

async function transfer(from: TestUser, fromAccountId: string, toAccountId: string, amount: string, idempotencyKey: string = randomUUID()) {
  return dataOf(await t.gql(TransferDocument, { input: { fromAccountId, toAccountId, amount, idempotencyKey } }, from.token)).transfer;
}

async function deposit(user: TestUser, accountId: string, amount: string, idempotencyKey: string = randomUUID()) {
  const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel: 'WIRE', idempotencyKey } }, user.token)).deposit;
  if (result.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(result));
  return result;
}

async function accountNumberOf(user: TestUser, accountId: string): Promise<string> {
  const account = dataOf(await t.gql(AccountsDocument, {}, user.token)).accounts.find((candidate) => candidate.id === accountId);
  if (!account) throw new Error('account not found');
  return account.number;
}

describe('idempotencyKey is shown only to the initiator', () => {
  let payer: TestUser;
  let payee: TestUser;
  let payerAccount: string;
  let payeeAccount: string;
  let transactionId: string;
  const key = `dave-rent-2026-11-acct-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    [payer, payee] = await Promise.all([t.user(), t.user()]);
    [payerAccount, payeeAccount] = await Promise.all([t.account(payer, { opening: '100.00' }), t.account(payee)]);
    const sent = await transfer(payer, payerAccount, payeeAccount, '25.00', key);
    if (sent.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(sent));
    expect(sent.transaction.idempotencyKey).toBe(key);
    transactionId = sent.transaction.id;
  });

  it('the payer sees it in the reply, a replay, transaction(id) and history', async () => {
    const replay = await transfer(payer, payerAccount, payeeAccount, '25.00', key);
    expect(replay).toMatchObject({ __typename: 'MoneyMovement', replayed: true, transaction: { idempotencyKey: key } });
    expect(dataOf(await t.gql(TransactionDocument, { id: transactionId }, payer.token)).transaction?.idempotencyKey).toBe(key);
    const history = dataOf(await t.gql(HistoryDocument, { accountId: payerAccount, first: 1 }, payer.token)).transactions;
    expect(history.edges[0]?.node.transaction).toMatchObject({ id: transactionId, idempotencyKey: key });
  });

  it('the payee sees null in transaction(id) and in history, with the rest of the transaction', async () => {
    const seen = dataOf(await t.gql(TransactionDocument, { id: transactionId }, payee.token)).transaction;
    expect(seen).toMatchObject({ id: transactionId, amount: '25.00', idempotencyKey: null });
    const history = dataOf(await t.gql(HistoryDocument, { accountId: payeeAccount, first: 1 }, payee.token)).transactions;
    expect(history.edges[0]?.node.transaction).toMatchObject({ id: transactionId, idempotencyKey: null });
  });

  it('a payee subscribed to their account sees null in BalanceUpdate.transaction', async () => {
    const socket = openSocket(t.url, payee.token);
    try {
      await socket.connected;
      const stream = subscribe<{ balanceUpdated: { version: number; transaction: { id: string; idempotencyKey: string | null } | null } }>(
        socket,
        `subscription ($id: ID!) { balanceUpdated(accountId: $id, afterVersion: 0) { version transaction { id idempotencyKey } } }`,
        { id: payeeAccount },
      );
      await stream.waitUntil((s) => s.data().length >= 1, 15_000, 'the replayed update');
      expect(stream.data()[0]?.balanceUpdated).toEqual({ version: 1, transaction: { id: transactionId, idempotencyKey: null } });
      stream.unsubscribe();
    } finally {
      await socket.dispose();
    }
  });

  it('an operator deposit: the operator sees its key, the customer does not; operators see every key (they investigate)', async () => {
    const operator = await t.user('OPERATOR');
    const operatorKey = `payroll-batch-${randomUUID()}`;
    const deposited = await deposit(operator, payeeAccount, '10.00', operatorKey);
    expect(deposited.transaction.idempotencyKey).toBe(operatorKey);
    const seenByCustomer = dataOf(await t.gql(TransactionDocument, { id: deposited.transaction.id }, payee.token)).transaction;
    expect(seenByCustomer).toMatchObject({ id: deposited.transaction.id, idempotencyKey: null });
    expect(dataOf(await t.gql(TransactionDocument, { id: transactionId }, operator.token)).transaction?.idempotencyKey).toBe(key);
  });
});

describe('Entry.id is opaque', () => {
  it('entry ids are random UUIDs, not a sequence, and the same on every read', async () => {
    const user = await t.user();
    const accountId = await t.account(user);
    const first = await deposit(wire, accountId, '1.00');
    const second = await deposit(wire, accountId, '2.00');
    const ids = [...first.transaction.entries, ...second.transaction.entries].map((entry) => entry.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(4);
    const { rows } = await t.database.pool.query<{ id: string }>(
      'select id::text from entries where transaction_id = any($1::uuid[])',
      [[first.transaction.id, second.transaction.id]],
    );
    for (const row of rows) expect(ids).not.toContain(row.id);
    // Stable: a later read of the same transaction shows the same entry ids.
    const reread = dataOf(await t.gql(TransactionDocument, { id: first.transaction.id }, user.token)).transaction;
    expect(reread?.entries.map((entry) => entry.id).sort()).toEqual(first.transaction.entries.map((entry) => entry.id).sort());
  });
});

describe('the balance ceiling is no oracle of a payee\'s balance', () => {
  const MAX_MOVEMENT = '10000000000000.00'; // 10^15 minor units

  // Before the per-movement maximum, the third probe (past 10^15) was refused for the rich payee
  // only. Now only a payee already holding more than 99% of the ceiling can ever be refused.
  it('two payees, one empty and one holding 98% of the ceiling, give the same answer to the same probes', async () => {
    const [payer, poorOwner, richOwner] = await Promise.all([t.user(), t.user(), t.user()]);
    const [payerAccount, poor, rich] = await Promise.all([t.account(payer), t.account(poorOwner), t.account(richOwner)]);
    // Enough that the first three probes to both payees are never refused for the payer's own funds,
    // which are checked before the payee's ceiling.
    for (let index = 0; index < 5; index += 1) await deposit(wire, payerAccount, MAX_MOVEMENT);
    // 98 deposits of the largest movement: 98% of the 10^17 ceiling.
    for (let index = 0; index < 98; index += 1) await deposit(wire, rich, MAX_MOVEMENT);
    expect(dataOf(await t.gql(BalanceDocument, { accountId: rich }, richOwner.token)).balance?.posted).toBe('980000000000000.00');

    const answerOf = (result: Awaited<ReturnType<typeof transfer>>) =>
      result.__typename === 'MoneyMovement' || result.__typename === 'MovementInReview' ? result.__typename : `${result.__typename} ${result.code} ${result.message}`;
    for (const amount of ['0.01', MAX_MOVEMENT, '10000000000000.01', '20000000000000.00']) {
      const toPoor = answerOf(await transfer(payer, payerAccount, poor, amount));
      const toRich = answerOf(await transfer(payer, payerAccount, rich, amount));
      expect(toRich, `probe of ${amount}`).toBe(toPoor);
    }
  });
});

async function auditRows(action: string, actor: string, target: string): Promise<number> {
  const { rows } = await t.database.pool.query<{ count: number }>(
    'select count(*)::int as count from audit_events where action = $1 and actor_user_id = $2 and target = $3',
    [action, actor, target],
  );
  return rows[0]!.count;
}

describe('every operator read is audited, once per request and target', () => {
  let operator: TestUser;
  let customer: TestUser;
  let accountId: string;
  let transactionId: string;

  beforeAll(async () => {
    [operator, customer] = await Promise.all([t.user('OPERATOR'), t.user()]);
    accountId = await t.account(customer, { opening: '5.00' });
    transactionId = dataOf(await t.gql(HistoryDocument, { accountId, first: 1 }, customer.token)).transactions.edges[0]!.node.transaction.id;
  });

  it('account + balance + history of one account in one request: one line', async () => {
    const before = await auditRows('operator.read_account', operator.id, accountId);
    const read = dataOf(await t.gql(AccountWithBalanceAndHistoryDocument, { id: accountId }, operator.token));
    expect(read.account?.balance.posted).toBe('5.00');
    expect(await auditRows('operator.read_account', operator.id, accountId)).toBe(before + 1);
  });

  it.each([
    ['balance', () => t.gql(BalanceDocument, { accountId }, operator.token)],
    ['transactions (history)', () => t.gql(HistoryDocument, { accountId, first: 1 }, operator.token)],
    ['REST /v1/balance', () => fetch(`${t.url}/v1/balance?accountId=${accountId}`, { headers: { authorization: `Bearer ${operator.token}` } }).then((r) => r.json())],
  ])('%s: one read_account line', async (_path, read) => {
    const before = await auditRows('operator.read_account', operator.id, accountId);
    await read();
    expect(await auditRows('operator.read_account', operator.id, accountId)).toBe(before + 1);
  });

  it('transaction(id): one read_transaction line', async () => {
    const before = await auditRows('operator.read_transaction', operator.id, transactionId);
    expect(dataOf(await t.gql(TransactionDocument, { id: transactionId }, operator.token)).transaction?.id).toBe(transactionId);
    expect(await auditRows('operator.read_transaction', operator.id, transactionId)).toBe(before + 1);
  });

  it('a customer reading their own data writes no operator audit line', async () => {
    await t.gql(AccountWithBalanceAndHistoryDocument, { id: accountId }, customer.token);
    await t.gql(TransactionDocument, { id: transactionId }, customer.token);
    expect(await auditRows('operator.read_account', customer.id, accountId)).toBe(0);
    expect(await auditRows('operator.read_transaction', customer.id, transactionId)).toBe(0);
  });
});

describe('payee(accountNumber)', () => {
  it('an open customer account: its id, currency and the holder\'s masked name; own accounts too', async () => {
    const [bob, payer] = await Promise.all([namedUser('Bob Smith'), t.user()]);
    const bobAccount = await t.account(bob, { currency: 'EUR' });
    const number = await accountNumberOf(bob, bobAccount);
    expect(dataOf(await t.gql(PayeeDocument, { accountNumber: number }, payer.token)).payee).toEqual({
      accountId: bobAccount,
      currency: 'EUR',
      holderName: 'B*** S****',
    });
    expect(dataOf(await t.gql(PayeeDocument, { accountNumber: number }, bob.token)).payee?.accountId).toBe(bobAccount);
    const typed = `${number.slice(0, 4)} ${number.slice(4, 8)}-${number.slice(8)}`;
    expect(dataOf(await t.gql(PayeeDocument, { accountNumber: typed }, payer.token)).payee?.accountId).toBe(bobAccount);
  });

  it('a holder without a name is masked from the username', async () => {
    const [nameless, payer] = await Promise.all([namedUser(null), t.user()]);
    const number = await accountNumberOf(nameless, await t.account(nameless));
    expect(dataOf(await t.gql(PayeeDocument, { accountNumber: number }, payer.token)).payee?.holderName).toBe('N***');
  });

  it('null for frozen, closed, internal, unknown and malformed numbers', async () => {
    const [holder, payer] = await Promise.all([t.user(), t.user()]);
    const [frozen, closed] = await Promise.all([t.account(holder, { opening: '1.00' }), t.account(holder)]);
    await t.database.pool.query(`update accounts set status = 'FROZEN' where id = $1`, [frozen]);
    await t.database.pool.query(`update accounts set status = 'CLOSED' where id = $1`, [closed]);
    const { rows } = await t.database.pool.query<{ number: string }>(`select number from accounts where holder = 'INTERNAL' limit 1`);
    const numbers = [await accountNumberOf(holder, frozen), await accountNumberOf(holder, closed), rows[0]!.number, '12345678901'];
    for (const accountNumber of numbers) {
      expect(dataOf(await t.gql(PayeeDocument, { accountNumber }, payer.token)).payee, accountNumber).toBeNull();
    }
    // The budget of this file's app is PAYEE_LOOKUPS_PER_HOUR; a fresh payer for the malformed one.
    const other = await t.user();
    expect(dataOf(await t.gql(PayeeDocument, { accountNumber: "1' or '1'='1" }, other.token)).payee).toBeNull();
  });

  it('every look-up counts, found or not; past the hourly budget LIMIT_EXCEEDED with retryAfterSeconds; others are unaffected', async () => {
    const [holder, prober, bystander] = await Promise.all([namedUser('Carol Danvers'), t.user(), t.user()]);
    const number = await accountNumberOf(holder, await t.account(holder));
    for (let index = 0; index < PAYEE_LOOKUPS_PER_HOUR - 1; index += 1) {
      expect(dataOf(await t.gql(PayeeDocument, { accountNumber: `0000000000${index}` }, prober.token)).payee).toBeNull();
    }
    expect(dataOf(await t.gql(PayeeDocument, { accountNumber: number }, prober.token)).payee?.holderName).toBe('C*** D****');
    const limited = await t.gql(PayeeDocument, { accountNumber: number }, prober.token);
    expect(limited.data?.payee ?? null).toBeNull();
    expect(limited.errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    const retryAfter = limited.errors?.[0]?.extensions?.retryAfterSeconds;
    expect(typeof retryAfter === 'number' && retryAfter > 0 && retryAfter <= 3600, String(retryAfter)).toBe(true);
    expect(dataOf(await t.gql(PayeeDocument, { accountNumber: number }, bystander.token)).payee?.holderName).toBe('C*** D****');
  });

  it('npm run tally -- user add --name stores the full name that payers see masked; a bad name adds nobody', async () => {
    // Asynchronous, not spawnSync: this file's server runs in this process and must keep serving.
    const run = (username: string, name: string) =>
      new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'user', 'add', username, '--email', `${username}@example.com`, '--name', name], {
          env: { ...process.env, DATABASE_URL: t.database.url, JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY },
          timeout: 60_000,
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stderr }));
        child.stdin.end('a-long-password-123\n');
      });
    const username = `dave-${randomUUID().slice(0, 6)}`;
    const added = await run(username, '  Dave   Rentman ');
    expect(added.stderr).toBe('');
    const { rows } = await t.database.pool.query<{ full_name: string }>('select full_name from users where username = $1', [username]);
    expect(rows[0]?.full_name).toBe('Dave Rentman');

    const refused = await run(`erin-${randomUUID().slice(0, 6)}`, 'x'.repeat(201));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/name must be/);
  });

  it('needs a signed-in caller', async () => {
    const response = await t.gql(PayeeDocument, { accountNumber: '12345678901' });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('CORS for a browser app on its own origin', () => {
  const spa = 'http://localhost:5173';
  const preflight = (path: string, origin: string) =>
    fetch(`${t.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it.each(['/graphql', '/v1/balance'])('a preflight from an allowed origin to %s is answered', async (path) => {
    const response = await preflight(path, spa);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(spa);
    expect(response.headers.get('vary')).toMatch(/origin/i);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,POST,OPTIONS');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type,x-request-id,apollo-require-preflight');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('the request itself from the allowed origin may be read by it', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'http://127.0.0.1:5173', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
  });

  it.each(['/graphql', '/v1/balance'])('another origin gets no CORS header on %s', async (path) => {
    const response = await preflight(path, 'https://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
    expect(response.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('CSRF prevention still refuses a simple request, even from the allowed origin', async () => {
    const response = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { origin: spa } });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/i);
  });
});
