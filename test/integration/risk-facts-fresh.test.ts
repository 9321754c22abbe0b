import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withdraw } from '../../src/ledger/commands/withdraw.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { DEFAULT_REVIEW_TIMEOUT_MS, type RiskCheck } from '../../src/ledger/risk/judge-movement.js';
import type { Actor } from '../../src/ledger/types.js';
import { brokenRiskLaws } from '../helpers/risk-laws.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The risk facts are read by the unit's claim-and-lock statement, after its locks (migration
 * 20261202100000): a plain statement's snapshot predates its own lock wait, so only the VOLATILE
 * function's fresh snapshots can see the movement of the unit it waited for. Two units on one
 * account, the second queued behind the first's lock: the second's velocity must count the first.
 */
let t: TestApp;
let customer: TestUser;
const RISK: RiskCheck = { calendar: DEFAULT_AVAILABILITY_POLICY.calendar, reviewTimeoutMs: DEFAULT_REVIEW_TIMEOUT_MS };

beforeAll(async () => {
  t = await startTestApp();
  customer = await t.user();
});
afterAll(async () => {
  expect(await brokenRiskLaws(t.database.pool)).toEqual([]);
  await t.close();
});

const actor = (): Actor => ({ userId: customer.id, role: 'CUSTOMER' });
const outgoingOf = async (key: string) =>
  (await t.database.pool.query(`select features -> 'outgoing' as outgoing from risk_decision_records where idempotency_key = $1`, [key])).rows[0]?.outgoing as
    | { count_10m: string; sum_10m: string }
    | undefined;
const unitsWaitingOnALock = async () =>
  (await t.database.pool.query(`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0]
    .waiting as number;

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('risk facts are read after the locks, in the claim statement', () => {
  it('a unit queued behind another on the same account counts the movement that one committed', async () => {
    const accountId = await t.account(customer, { opening: '500.00' });
    let entered!: () => void;
    let release!: () => void;
    const firstHoldsItsLocks = new Promise<void>((resolve) => (entered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const [firstKey, secondKey] = [randomUUID(), randomUUID()];
    const first = withdraw(t.app.orm, actor(), { accountId, amount: '10.00', channel: 'ACH', idempotencyKey: firstKey }, {
      risk: RISK,
      // Runs after the first's write, before its commit: it holds the account's lock until released.
      withinUnit: async () => {
        entered();
        await released;
      },
    });
    await firstHoldsItsLocks;
    const second = withdraw(t.app.orm, actor(), { accountId, amount: '20.00', channel: 'ACH', idempotencyKey: secondKey }, { risk: RISK });
    await until(async () => (await unitsWaitingOnALock()) === 1, 'the second unit waits on the first one\'s lock');
    release();
    const results = await Promise.all([first, second]);
    expect(results.map((result) => result.outcome.ok)).toEqual([true, true]);

    expect(await outgoingOf(firstKey)).toMatchObject({ count_10m: '0', sum_10m: '0' });
    // Read before its lock wait, the second would see 0 movements: the first committed while it waited.
    expect(await outgoingOf(secondKey)).toMatchObject({ count_10m: '1', sum_10m: '1000' });
  });
});
