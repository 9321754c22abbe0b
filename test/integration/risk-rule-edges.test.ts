import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deposit } from '../../src/ledger/commands/deposit.js';
import { withdraw } from '../../src/ledger/commands/withdraw.js';
import { bankingDayContaining } from '../../src/ledger/calendar/banking-day-containing.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { DEFAULT_REVIEW_TIMEOUT_MS, type RiskCheck } from '../../src/ledger/risk/judge-movement.js';
import type { Actor } from '../../src/ledger/types.js';
import { brokenRiskLaws } from '../helpers/risk-laws.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The built-in rules' time edges through the database (issue 9: "each built-in rule at its edge
 * (±1 minute)"): earlier movements are written with the clock the test sets (time is an argument
 * of every unit), so their rows carry those instants, and the judged movement's facts are counted
 * by tally_risk_facts in its claim statement, not computed by the test. Each row: what was written
 * before, when the judged movement runs, and what the rules answer.
 */
let t: TestApp;
let cash: Actor;
const RISK: RiskCheck = { calendar: DEFAULT_AVAILABILITY_POLICY.calendar, reviewTimeoutMs: DEFAULT_REVIEW_TIMEOUT_MS };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

beforeAll(async () => {
  t = await startTestApp();
  cash = { userId: (await t.cashier()).id, role: 'SERVICE', channels: ['CASH', 'ATM'] };
});
afterAll(async () => {
  expect(await brokenRiskLaws(t.database.pool)).toEqual([]);
  await t.close();
});

/** A customer's account holding 2,000.00, opened now; its opening deposit is its last activity. */
async function freshAccount(opening = '2000.00'): Promise<{ actor: Actor; accountId: string; openedAt: Date }> {
  const user = await t.user();
  const accountId = await t.account(user, opening === '0' ? {} : { opening });
  const { rows } = await t.database.pool.query(`select max(created_at) as at from entries where account_id = $1 and account_version is not null`, [accountId]);
  const openedAt = rows[0]?.at ? new Date(rows[0].at) : new Date();
  return { actor: { userId: user.id, role: 'CUSTOMER' }, accountId, openedAt };
}

/** What a judged movement answered, and the rule that decided when one did. */
async function answered(outcome: unknown, key: string): Promise<{ answer: string; rule: string | null }> {
  const answer = outcome as { ok: boolean; reviewId?: string; transactionId?: string; code?: string };
  const { rows } = await t.database.pool.query(`select verdicts -> 0 ->> 'ruleId' as rule from risk_decision_records where idempotency_key = $1`, [key]);
  return { answer: !answer.ok ? (answer.code ?? 'FAILED') : answer.reviewId ? 'REVIEW' : 'POSTED', rule: rows[0]?.rule ?? null };
}

const ach = (actor: Actor, accountId: string, amount: string, at: Date, key = randomUUID()) =>
  withdraw(t.app.orm, actor, { accountId, amount, channel: 'ACH', idempotencyKey: key }, { risk: RISK, clock: () => at });
const cashIn = (accountId: string, amount: string, at: Date, key = randomUUID()) =>
  deposit(t.app.orm, cash, { accountId, amount, channel: 'CASH', idempotencyKey: key }, { risk: RISK, clock: () => at });

// A time well after every opening (they use the real clock), inside a banking day: its 10:00 there.
const JUDGED_AT = new Date(Date.now() + 8 * DAY);
const BANKING_DAY = bankingDayContaining(JUDGED_AT, RISK.calendar);
const IN_DAY = new Date(BANKING_DAY.startsAt.getTime() + 17 * 60 * MINUTE);

describe('velocity: more than 5 outgoing movements in 10 minutes, the oldest at 10 minutes ± 1 minute', () => {
  it.each([
    ['the fifth earlier withdrawal 9 minutes before: inside the window', 9, { answer: 'REVIEW', rule: 'rapid-outgoing-movements' }],
    ['the fifth earlier withdrawal 11 minutes before: outside it', 11, { answer: 'POSTED', rule: null }],
  ])('%s', async (_why, minutesBefore, expected) => {
    const { actor, accountId } = await freshAccount();
    const at = (minutes: number) => new Date(IN_DAY.getTime() - minutes * MINUTE);
    expect((await ach(actor, accountId, '1.00', at(minutesBefore))).outcome).toMatchObject({ ok: true, transactionId: expect.any(String) });
    for (let index = 0; index < 4; index += 1) expect((await ach(actor, accountId, '1.00', at(5))).outcome).toMatchObject({ ok: true });
    const key = randomUUID();
    expect(await answered((await ach(actor, accountId, '1.00', IN_DAY, key)).outcome, key)).toEqual(expected);
  });
});

describe("cash: over 10,000.00 in one banking day, earlier cash at the day's start ± 1 minute", () => {
  it.each([
    ["6,000.00 a minute after the day's start: same banking day", 1, { answer: 'REVIEW', rule: 'cash-over-10000-per-banking-day' }],
    ["6,000.00 a minute before it: the previous banking day", -1, { answer: 'POSTED', rule: null }],
  ])('%s, then 4,000.01', async (_why, minutesAfterStart, expected) => {
    const { accountId } = await freshAccount('0');
    expect((await cashIn(accountId, '6000.00', new Date(BANKING_DAY.startsAt.getTime() + minutesAfterStart * MINUTE))).outcome).toMatchObject({ ok: true, transactionId: expect.any(String) });
    const key = randomUUID();
    expect(await answered((await cashIn(accountId, '4000.01', IN_DAY, key)).outcome, key)).toEqual(expected);
  });
});

describe('dormancy: no activity for 180 days, moving over 500.00, at 180 days ± 1 minute', () => {
  it.each([
    ['180 days and a minute after the last activity: dormant', 1, { answer: 'REVIEW', rule: 'dormant-account-over-500' }],
    ['a minute short of 180 days: not yet', -1, { answer: 'POSTED', rule: null }],
  ])('%s', async (_why, minutesPast, expected) => {
    const { actor, accountId, openedAt } = await freshAccount();
    const key = randomUUID();
    const at = new Date(openedAt.getTime() + 180 * DAY + minutesPast * MINUTE);
    expect(await answered((await ach(actor, accountId, '500.01', at, key)).outcome, key)).toEqual(expected);
  });
});
