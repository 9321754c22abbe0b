import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyCommand } from '../../src/ledger/commands/command.js';
import { depositCommand } from '../../src/ledger/commands/deposit.js';
import { runCommands } from '../../src/ledger/commands/run-command.js';
import { transferCommand } from '../../src/ledger/commands/transfer.js';
import { withdrawCommand } from '../../src/ledger/commands/withdraw.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { DEFAULT_REVIEW_TIMEOUT_MS, type RiskCheck } from '../../src/ledger/risk/judge-movement.js';
import type { Actor } from '../../src/ledger/types.js';
import { brokenRiskLaws } from '../helpers/risk-laws.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * A unit of several commands reads its risk facts once, before the first: each movement it writes
 * is then counted in the facts of the commands after it (unit-state.ts applyRiskMovement), as the
 * database would count it once committed. Each case runs one unit with the built-in rules on and
 * lists what each of its commands answered: POSTED, REVIEW (in review) or a failure code.
 */
let t: TestApp;
let cash: Actor;
const RISK: RiskCheck = { calendar: DEFAULT_AVAILABILITY_POLICY.calendar, reviewTimeoutMs: DEFAULT_REVIEW_TIMEOUT_MS };

beforeAll(async () => {
  t = await startTestApp();
  cash = { userId: (await t.cashier()).id, role: 'SERVICE', channels: ['CASH', 'ATM'] };
});
afterAll(async () => {
  expect(await brokenRiskLaws(t.database.pool)).toEqual([]);
  await t.close();
});

const customerOf = (user: TestUser): Actor => ({ userId: user.id, role: 'CUSTOMER' });
const answerOf = (outcome: unknown): string => {
  const answer = outcome as { ok: boolean; code?: string; reviewId?: string; transactionId?: string };
  if (!answer.ok) return answer.code ?? 'FAILED';
  return answer.reviewId ? 'REVIEW' : answer.transactionId ? 'POSTED' : 'UNKNOWN';
};

/** A customer with two accounts (the first opened with 3,000.00 in cash, unless told not to), and a stranger's account to pay. */
interface Parties {
  readonly customer: Actor;
  readonly first: string;
  readonly second: string;
  readonly payee: string;
}

async function parties(opened = true): Promise<Parties> {
  const user = await t.user();
  const [first, second] = [await t.account(user, opened ? { opening: '3000.00' } : {}), await t.account(user)];
  return { customer: customerOf(user), first, second, payee: await t.account(await t.user()) };
}

const achOut = (from: Parties, amount: string) => withdrawCommand(from.customer, { accountId: from.first, amount, channel: 'ACH', idempotencyKey: randomUUID() }, undefined, RISK);
const cashIn = (accountId: string, amount: string) => depositCommand(cash, { accountId, amount, channel: 'CASH', idempotencyKey: randomUUID() }, DEFAULT_AVAILABILITY_POLICY, RISK);
const pay = (from: Parties, toAccountId: string, amount: string) =>
  transferCommand(from.customer, { fromAccountId: from.first, toAccountId, amount, idempotencyKey: randomUUID() }, RISK);

/** The cash cases open no balance: an opening is cash of the same banking day. */
const cases: ReadonlyArray<{ name: string; unopened?: true; unit: (parties: Parties) => AnyCommand[]; answers: string[] }> = [
  {
    name: 'velocity: the sixth withdrawal of one unit is the sixth in 10 minutes',
    unit: (p) => Array.from({ length: 6 }, () => achOut(p, '1.00')),
    answers: ['POSTED', 'POSTED', 'POSTED', 'POSTED', 'POSTED', 'REVIEW'],
  },
  {
    name: 'velocity: moves between the customer\'s own accounts do not count',
    unit: (p) => [...Array.from({ length: 5 }, () => pay(p, p.second, '1.00')), achOut(p, '1.00')],
    answers: ['POSTED', 'POSTED', 'POSTED', 'POSTED', 'POSTED', 'POSTED'],
  },
  {
    name: 'cash today: 6,000.00 then 4,000.01 into the customer\'s two accounts passes 10,000.00',
    unopened: true,
    unit: (p) => [cashIn(p.first, '6000.00'), cashIn(p.second, '4000.01')],
    answers: ['POSTED', 'REVIEW'],
  },
  {
    name: 'cash today: 6,000.00 then exactly 4,000.00 stays at 10,000.00',
    unopened: true,
    unit: (p) => [cashIn(p.first, '6000.00'), cashIn(p.second, '4000.00')],
    answers: ['POSTED', 'POSTED'],
  },
  {
    name: 'payee: paid 10.00 earlier in the unit, the payee is known to the 1,100.00 after',
    unit: (p) => [pay(p, p.payee, '10.00'), pay(p, p.payee, '1100.00')],
    answers: ['POSTED', 'POSTED'],
  },
  {
    name: 'payee: a new payee over 1,000.00 is still reviewed (control)',
    unit: (p) => [pay(p, p.payee, '1100.00')],
    answers: ['REVIEW'],
  },
];

describe('risk facts count the earlier movements of the same unit', () => {
  it.each(cases)('$name', async ({ unopened, unit, answers }) => {
    const results = await runCommands(t.app.orm, unit(await parties(!unopened)));
    expect(results.map((result) => answerOf(result.outcome))).toEqual(answers);
  });

  it('the same when the facts are read in a statement of their own (the commands name different calendars)', async () => {
    const p = await parties();
    // An equal calendar that is another object: the claim statement does not read the facts then.
    const otherCalendar: RiskCheck = { ...RISK, calendar: { ...RISK.calendar } };
    const commands = Array.from({ length: 6 }, (_unused, index) =>
      withdrawCommand(p.customer, { accountId: p.first, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() }, undefined, index % 2 ? otherCalendar : RISK),
    );
    const results = await runCommands(t.app.orm, commands);
    expect(results.map((result) => answerOf(result.outcome))).toEqual(['POSTED', 'POSTED', 'POSTED', 'POSTED', 'POSTED', 'REVIEW']);
  });

  it('the sixth withdrawal stores the five before it in its features (the decision replays from them)', async () => {
    const p = await parties();
    const commands = Array.from({ length: 6 }, () => achOut(p, '2.00'));
    await runCommands(t.app.orm, commands);
    const { rows } = await t.database.pool.query(
      `select features -> 'outgoing' ->> 'count_10m' as count, features -> 'outgoing' ->> 'sum_10m' as sum from risk_decision_records where idempotency_key = $1`,
      [commands[5]?.idempotencyKey],
    );
    expect(rows).toEqual([{ count: '5', sum: '1000' }]);
    // The unit wrote its six decisions, each under its own key, once: the five ALLOWs on the
    // transactions they let through (a decision's id is its transaction's), the REVIEW as a row.
    const keys = commands.map((command) => command.idempotencyKey);
    const { rows: onTransactions } = await t.database.pool.query<{ key: string; action: string }>(
      `select idempotency_key as key, risk_decision ->> 'action' as action from ledger_transactions where idempotency_key = any($1::text[]) and risk_decision is not null`,
      [keys],
    );
    expect(onTransactions.map((row) => row.key).sort()).toEqual(keys.slice(0, 5).sort());
    expect(onTransactions.every((row) => row.action === 'ALLOW')).toBe(true);
    const { rows: ownRows } = await t.database.pool.query<{ key: string }>(`select idempotency_key as key from risk_decisions where idempotency_key = any($1::text[])`, [keys]);
    expect(ownRows).toEqual([{ key: keys[5] }]);
    const { rows: decided } = await t.database.pool.query<{ key: string; action: string }>(
      `select idempotency_key as key, action from risk_decision_records where idempotency_key = any($1::text[])`,
      [keys],
    );
    expect(decided.map((row) => row.key).sort()).toEqual([...keys].sort());
    expect(decided.find((row) => row.key === keys[5])?.action).toBe('REVIEW');
    expect(decided.filter((row) => row.action === 'ALLOW')).toHaveLength(5);
  });
});
