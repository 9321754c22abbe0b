import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepositDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The database keeps its own copy of the ledger's laws, so a bug in application code (or a
 * hand-typed statement in psql) cannot silently break them. Each test tries and must be refused.
 */
let t: TestApp;
let alice: TestUser;
let accountId: string;
let transactionId: string;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
  accountId = await t.account(alice);
  const response = await t.gql(DepositDocument, { input: { accountId, amount: '10.00', channel: 'CASH', idempotencyKey: randomUUID() } }, (await t.cashier()).token);
  const deposit = response.data!.deposit;
  if (deposit.__typename !== 'MoneyMovement') throw new Error('deposit failed');
  transactionId = deposit.transaction.id;
});
afterAll(() => t.close());

async function refused(sql: string, parameters: readonly unknown[] = []): Promise<string> {
  const client = await t.database.pool.connect();
  try {
    await client.query('begin');
    await client.query(sql, [...parameters]);
    await client.query('commit');
    return 'accepted';
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    return (error as { code?: string }).code ?? 'unknown';
  } finally {
    client.release();
  }
}

/** Runs the statements in one transaction, each in turn, and commits; the first refusal's code, or 'accepted'. */
async function refusedInSteps(statements: ReadonlyArray<readonly [string, unknown[]]>): Promise<string> {
  const client = await t.database.pool.connect();
  try {
    await client.query('begin');
    for (const [sql, parameters] of statements) await client.query(sql, parameters);
    await client.query('commit');
    return 'accepted';
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    return (error as { code?: string }).code ?? 'unknown';
  } finally {
    client.release();
  }
}

/** Whether the database takes the statement (its checks run at the statement's end), then leaves nothing behind. */
async function acceptedThenRolledBack(sql: string, parameters: readonly unknown[]): Promise<string> {
  const client = await t.database.pool.connect();
  try {
    await client.query('begin');
    await client.query(sql, [...parameters]);
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? 'unknown';
  } finally {
    await client.query('rollback').catch(() => undefined);
    client.release();
  }
}

describe('the database guards the laws', () => {
  it('entries cannot be updated, deleted or truncated', async () => {
    expect(await refused('update entries set amount_minor = amount_minor + 1 where transaction_id = $1', [transactionId])).toBe('23001');
    expect(await refused('delete from entries where transaction_id = $1', [transactionId])).toBe('23001');
    expect(await refused('truncate entries cascade')).toBe('23001');
  });

  it('transactions cannot be updated or deleted', async () => {
    expect(await refused(`update ledger_transactions set amount_minor = 1 where id = $1`, [transactionId])).toBe('23001');
    expect(await refused(`delete from ledger_transactions where id = $1`, [transactionId])).toBe('23001');
  });

  it('a customer balance cannot pass its overdraft limit', async () => {
    expect(await refused(`update accounts set posted_minor = -1 where id = $1`, [accountId])).toBe('23514');
    expect(await refused(`update accounts set posted_minor = -500, overdraft_limit_minor = 400 where id = $1`, [accountId])).toBe('23514');
  });

  it('a transaction whose entries do not balance cannot commit', async () => {
    const id = randomUUID();
    expect(
      await refused(
        `with t as (insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by)
                    values ($1, 'DEPOSIT', 'CASH', 'POSTED', 100, 'USD', 2, $2, $3) returning id)
         insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer) select id, $4, 'CREDIT', 100, 'USD', 'POSTED' from t`,
        [id, randomUUID(), alice.id, accountId],
      ),
    ).toBe('23514');
  });

  it('each layer of a transaction balances on its own: a POSTED credit cannot be paid by a PENDING debit', async () => {
    const id = randomUUID();
    expect(
      await refused(
        `with t as (insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by)
                    values ($1, 'DEPOSIT', 'CASH', 'POSTED', 100, 'USD', 2, $2, $3) returning id)
         insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer)
         select t.id, $4::uuid, e.direction, 100, 'USD', e.layer from t, (values ('CREDIT', 'POSTED'), ('DEBIT', 'PENDING')) as e (direction, layer)`,
        [id, randomUUID(), alice.id, accountId],
      ),
    ).toBe('23514');
  });

  it('one statement writing many transactions is refused when any one of them does not balance', async () => {
    // The shape a multi-row write takes: several transactions' entries in one statement.
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const manyTransactions = (unbalancedAmount: number) => [
      `with t as (insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by)
                  select id, 'DEPOSIT', 'CASH', 'POSTED', 100, 'USD', 2, id::text, $2 from unnest($1::uuid[]) as id returning id)
       insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer)
       select t.id, $3::uuid, e.direction, case when t.id = ($1::uuid[])[2] and e.direction = 'DEBIT' then $4::bigint else 100 end, 'USD', 'POSTED'
         from t, (values ('CREDIT'), ('DEBIT')) as e (direction)`,
      [ids, alice.id, accountId, unbalancedAmount],
    ] as const;
    expect(await refused(...manyTransactions(99))).toBe('23514');
    expect(await acceptedThenRolledBack(...manyTransactions(100))).toBe('accepted');
  });

  it("a transaction's entries are one statement's: a second statement cannot complete it, nor unbalance a balanced one", async () => {
    const id = randomUUID();
    const header = `insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by)
                    values ($1, 'DEPOSIT', 'CASH', 'POSTED', 100, 'USD', 2, $2, $3)`;
    const entry = (direction: string) => `insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer) values ($1, $2, '${direction}', 100, 'USD', 'POSTED')`;
    expect(await refusedInSteps([[header, [id, randomUUID(), alice.id]], [entry('CREDIT'), [id, accountId]], [entry('DEBIT'), [id, accountId]]])).toBe('23514');
    expect(await refused(entry('CREDIT'), [transactionId, accountId])).toBe('23514');
  });

  it('an entry says its layer', async () => {
    expect(
      await refused(
        `insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer) values ($1, $2, 'CREDIT', 1, 'USD', 'SIDEWAYS')`,
        [randomUUID(), accountId],
      ),
    ).toBe('23514');
  });

  it('one (user, idempotency key) has one record', async () => {
    const key = randomUUID();
    const insert = `insert into idempotency_records (user_id, key, command, request_hash, outcome) values ($1, $2, 'deposit', 'h', '{}')`;
    expect(await refused(insert, [alice.id, key])).toBe('accepted');
    expect(await refused(insert, [alice.id, key])).toBe('23505');
  });
});
