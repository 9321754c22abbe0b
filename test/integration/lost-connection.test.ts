import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { depositThroughEnvelope } from '../helpers/envelope-deposit.js';
import { brokenLaws } from '../helpers/laws.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * A unit whose connection dies mid-way (as in a database failover, README "High availability")
 * is run again by the envelope on a fresh connection: the pool drops the dead one, and the
 * idempotency key, claimed in the same transaction, makes the second run safe. Real PostgreSQL:
 * the unit's backend is terminated from another connection while it holds its locks.
 */

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(() => t.close());

describe('a unit that loses its connection', () => {
  it('is run again on a fresh connection and moves the money once', async () => {
    const accountId = await t.account(alice);
    const cashier = await t.cashier();
    const backends: number[] = [];
    const result = await depositThroughEnvelope(t.app.orm, cashier.id, accountId, '12.34', async (database) => {
      const { pid } = ((await database.execute('select pg_backend_pid() as pid')) as Array<{ pid: number }>)[0]!;
      backends.push(pid);
      if (backends.length > 1) return;
      // The server ends this backend, as a dying primary does, between the unit's writes and its commit.
      await t.database.pool.query('select pg_terminate_backend($1)', [pid]);
      await database.execute('select 1');
    });

    expect(result.outcome.ok).toBe(true);
    expect(backends, 'the second attempt ran on another connection').toHaveLength(2);
    expect(backends[1]).not.toBe(backends[0]);
    const { rows } = await t.database.pool.query<{ kind: string; amount_minor: string }>(
      `select t.kind, t.amount_minor::text from ledger_transactions t join entries e on e.transaction_id = t.id where e.account_id = $1`,
      [accountId],
    );
    expect(rows).toEqual([{ kind: 'DEPOSIT', amount_minor: '1234' }]);
    expect(dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance?.posted).toBe('12.34');
    expect(await brokenLaws(t.database.pool)).toEqual([]);
  });
});
