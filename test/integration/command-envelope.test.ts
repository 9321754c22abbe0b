import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/ledger/commands/run-command.js';
import { queryRows } from '../../src/ledger/persistence/database.js';
import { recordOutcome } from '../../src/ledger/persistence/idempotency-records.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { dataOf } from '../helpers/graphql-client.js';
import { BalanceDocument, DepositDocument } from '../generated/graphql.js';

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(() => t.close());

describe('the command envelope', () => {
  it('re-runs the whole unit after a real deadlock, so the client never sees it and nothing is doubled', async () => {
    const first = await t.account(alice, { opening: '1.00' });
    const second = await t.account(alice, { opening: '1.00' });
    const outsider = await t.database.pool.connect();
    let attempts = 0;
    try {
      // The outsider waits longer before checking for deadlocks, so PostgreSQL picks the command as the victim.
      await outsider.query(`set deadlock_timeout = '20s'`);
      await outsider.query('begin');
      await outsider.query('select 1 from accounts where id = $1 for update', [second]);
      const idempotencyKey = randomUUID();
      let outsiderDone: Promise<unknown> = Promise.resolve();
      const result = await runCommand(t.app.orm, {
        name: 'test-deadlock',
        actor: { userId: alice.id, role: 'CUSTOMER' },
        idempotencyKey,
        request: { first, second },
        prefetch: { accountIds: [] },
        decide: () => ({}),
        apply: () => undefined,
        async write(database) {
          attempts += 1;
          await queryRows(database, 'select 1 from accounts where id = ? for update', [first]);
          if (attempts === 1) {
            // Close the cycle: the outsider now wants the row this attempt holds, then commits.
            outsiderDone = outsider
              .query('select 1 from accounts where id = $1 for update', [first])
              .then(() => outsider.query('commit'));
          }
          await queryRows(database, 'select 1 from accounts where id = ? for update', [second]);
          await recordOutcome(database, alice.id, idempotencyKey, { ok: true, accountId: first });
          return { outcome: { ok: true as const, accountId: first } };
        },
      });
      await outsiderDone;
      expect(attempts).toBe(2);
      expect(result).toEqual({ outcome: { ok: true, accountId: first }, replayed: false });
      const { rows } = await t.database.pool.query('select count(*)::int as count from idempotency_records where key = $1', [idempotencyKey]);
      expect(rows[0].count).toBe(1);
    } finally {
      outsider.release();
    }
  });

  it('a request waiting on a claimed key holds no account lock: other movements on the account go ahead', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const idempotencyKey = randomUUID();
    const cashier = await t.cashier();
    const depositOf = (key: string) =>
      t.gql(DepositDocument, { input: { accountId, amount: '2.00', channel: 'CASH', idempotencyKey: key } }, cashier.token);
    const holder = await t.database.pool.connect();
    try {
      // Someone else's request holds the claim on the key and has not committed yet.
      await holder.query('begin');
      await holder.query(
        `insert into idempotency_records (user_id, key, command, request_hash, outcome) values ($1, $2, 'deposit', 'in-flight', '{"inFlight":true}')`,
        [cashier.id, idempotencyKey],
      );
      let waiterSettled = false;
      const waiter = depositOf(idempotencyKey).finally(() => (waiterSettled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Were the account locked together with (or before) the claim, this would wait for the holder.
      const other = await Promise.race([
        depositOf(randomUUID()),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a movement waited on a request stuck on its key')), 10_000)),
      ]);
      expect(dataOf(other).deposit.__typename).toBe('MoneyMovement');
      expect(waiterSettled).toBe(false);
      // The holder gives up: the waiter takes the key and runs its deposit, once.
      await holder.query('rollback');
      expect(dataOf(await waiter).deposit).toMatchObject({ __typename: 'MoneyMovement', replayed: false });
      expect(dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance?.posted).toBe('5.00');
    } finally {
      holder.release();
    }
  });

  it('an error that is not transient rolls everything back, the key included, and is not retried', async () => {
    const idempotencyKey = randomUUID();
    let attempts = 0;
    await expect(
      runCommand(t.app.orm, {
        name: 'test-failure',
        actor: { userId: alice.id, role: 'CUSTOMER' },
        idempotencyKey,
        request: {},
        prefetch: { accountIds: [] },
        decide: () => ({}),
        apply: () => undefined,
        async write() {
          attempts += 1;
          throw new Error('boom');
        },
      }),
    ).rejects.toThrow('boom');
    expect(attempts).toBe(1);
    const { rows } = await t.database.pool.query('select count(*)::int as count from idempotency_records where key = $1', [idempotencyKey]);
    expect(rows[0].count).toBe(0);
  });
});

describe('npm run tally -- user add', () => {
  const run = (args: string[], password: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      input: `${password}\n`,
      env: { ...process.env, DATABASE_URL: t.database.url, JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('provisions a user with an argon2id hash, reading the password from standard input', async () => {
    const username = `carol-${randomUUID().slice(0, 6)}`;
    const result = run(['user', 'add', username, '--email', 'carol@example.com', '--role', 'operator'], 'a-long-password-123');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^added operator ${username} \\(`));
    const { rows } = await t.database.pool.query('select role, email, password_hash from users where username = $1', [username]);
    expect(rows[0]).toMatchObject({ role: 'OPERATOR', email: 'carol@example.com' });
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
  });

  it('provisions a service with its channels, as the issue writes it (no e-mail needed)', async () => {
    const username = `atm-${randomUUID().slice(0, 6)}`;
    const result = run(['user', 'add', username, '--role', 'service', '--channels', 'ATM,cash'], 'a-long-password-123');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^added service ${username} on ATM, CASH \\(`));
    const { rows } = await t.database.pool.query('select role, email, channels from users where username = $1', [username]);
    expect(rows[0]).toEqual({ role: 'SERVICE', email: `${username}@service.invalid`, channels: ['ATM', 'CASH'] });
  });

  it('user channels grants and revokes a service\'s rails; a customer has none to set, and a typo changes nothing', async () => {
    const username = `zelle-${randomUUID().slice(0, 6)}`;
    expect(run(['user', 'add', username, '--role', 'service', '--channels', 'ZELLE'], 'a-long-password-123').status).toBe(0);
    const channels = async (name: string) => (await t.database.pool.query('select channels from users where username = $1', [name])).rows[0]?.channels;
    const granted = run(['user', 'channels', username, '--channels', 'ZELLE,PAYPAL'], '');
    expect(granted.stdout).toBe(`${username} now moves money on ZELLE, PAYPAL\n`);
    expect(await channels(username)).toEqual(['ZELLE', 'PAYPAL']);
    const typo = run(['user', 'channels', username, '--channels', 'ZELE'], '');
    expect(typo.status).toBe(1);
    expect(typo.stderr).toMatch(/unknown channel ZELE/);
    expect(await channels(username)).toEqual(['ZELLE', 'PAYPAL']);
    expect(run(['user', 'channels', username, '--channels', ''], '').stdout).toBe(`${username} now moves money on no channel\n`);
    expect(await channels(username)).toEqual([]);
    const customer = `jill-${randomUUID().slice(0, 6)}`;
    expect(run(['user', 'add', customer, '--email', 'j@example.com'], 'a-long-password-123').status).toBe(0);
    const refused = run(['user', 'channels', customer, '--channels', 'CASH'], '');
    expect(refused.stderr).toMatch(/is not a service/);
    expect(await channels(customer)).toEqual([]);
  });

  it('the database itself refuses channels on a customer and channels it does not know', async () => {
    const username = `ivan-${randomUUID().slice(0, 6)}`;
    expect(run(['user', 'add', username, '--email', 'i@example.com'], 'a-long-password-123').status).toBe(0);
    const refusal = async (sql: string) => t.database.pool.query(sql, [username]).then(() => 'accepted', (error: { code?: string }) => error.code);
    expect(await refusal(`update users set channels = '{CASH}' where username = $1`)).toBe('23514');
    expect(await refusal(`update users set role = 'SERVICE', channels = '{TELEPORT}' where username = $1`)).toBe('23514');
  });

  it.each([
    [['user', 'add', 'dave'], 'a-long-password-123', /usage/],
    [['user', 'add', 'hank', '--role', 'service'], 'a-long-password-123', /needs --channels/],
    [['user', 'add', 'hank', '--role', 'service', '--channels', 'ATM,TELEPORT'], 'a-long-password-123', /unknown channel TELEPORT/],
    [['user', 'add', 'hank', '--email', 'h@example.com', '--channels', 'ATM'], 'a-long-password-123', /only a service has channels/],
    [['user', 'add', 'erin', '--email', 'erin@example.com'], 'short', /password must be/],
    [['user', 'add', 'frank', '--email', 'not-an-email'], 'a-long-password-123', /email/],
    [['user', 'add', 'gina', '--email', 'g@example.com', '--role', 'admin'], 'a-long-password-123', /--role/],
  ])('%j is refused in one line and adds nobody', async (args, password, message) => {
    const result = run(args, password);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    const { rows } = await t.database.pool.query('select count(*)::int as count from users where username = $1', [args[2]]);
    expect(rows[0].count).toBe(0);
  });
});
