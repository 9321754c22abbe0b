import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { dataOf } from '../helpers/graphql-client.js';
import { DepositDocument } from '../generated/graphql.js';

let t: TestApp;
let alice: TestUser;
let teller: TestUser;
let accountId: string;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
  teller = await t.user('OPERATOR');
  accountId = await t.account(alice);
  // Test-only guards: fail the audit insert for one marked request, or fail a marked deposit at commit.
  await t.database.pool.query(`
    create function test_fail_marked_audit() returns trigger language plpgsql as $$
    begin
      if new.details ->> 'idempotencyKey' like 'fail-audit-%' then raise exception 'the audit store refused the row'; end if;
      return new;
    end $$;
    create trigger test_fail_marked_audit before insert on audit_events for each row execute function test_fail_marked_audit();
    create function test_fail_marked_commit() returns trigger language plpgsql as $$
    begin
      if new.description = 'fail at commit' then raise exception 'the commit failed'; end if;
      return null;
    end $$;
    create constraint trigger test_fail_marked_commit after insert on ledger_transactions
      deferrable initially deferred for each row execute function test_fail_marked_commit();`);
});
afterAll(() => t.close());

const auditRows = async (idempotencyKey: string) =>
  (await t.database.pool.query(`select outcome from audit_events where action = 'operator.deposit' and details ->> 'idempotencyKey' = $1`, [idempotencyKey])).rows;
const transactionsUnder = async (idempotencyKey: string) =>
  (await t.database.pool.query('select count(*)::int as count from ledger_transactions where idempotency_key = $1', [idempotencyKey])).rows[0].count as number;
const tellerDeposit = (idempotencyKey: string, description?: string) =>
  t.gql(DepositDocument, { input: { accountId, amount: '5.00', channel: 'CASH', idempotencyKey, ...(description ? { description } : {}) } }, teller.token);

describe('operator deposits are audited inside the unit that moves the money', () => {
  it('a committed operator deposit has exactly one audit row', async () => {
    const key = randomUUID();
    expect(dataOf(await tellerDeposit(key)).deposit.__typename).toBe('MoneyMovement');
    expect(await auditRows(key)).toEqual([{ outcome: 'OK' }]);
    expect(await transactionsUnder(key)).toBe(1);
  });

  it('when the audit row cannot be written, the deposit does not happen either', async () => {
    const key = `fail-audit-${randomUUID()}`;
    const response = await tellerDeposit(key);
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(await transactionsUnder(key)).toBe(0);
    expect(await auditRows(key)).toEqual([]);
  });

  it('a rolled-back operator deposit leaves no audit row', async () => {
    const key = randomUUID();
    const response = await tellerDeposit(key, 'fail at commit');
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(await transactionsUnder(key)).toBe(0);
    expect(await auditRows(key)).toEqual([]);
  });
});
