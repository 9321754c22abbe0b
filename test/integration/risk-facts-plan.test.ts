import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankingDayContaining } from '../../src/ledger/calendar/banking-day-containing.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The risk step's cost rests on the plan of tally_risk_facts (migration 20261203130000): the
 * banking day's cash of a customer's own history lines must be found by each line's transaction
 * id, never by walking ledger_transactions_cash, the reports' index of every cash movement of the
 * bank, once per line (on a young database the planner took that walk: 160 ms instead of 0.5 ms per
 * movement, risk-on throughput down from 110 to 13 tx/s). auto_explain, loaded in this test's own
 * session and told to answer the client, shows the plans of the function's inner statements.
 */
let t: TestApp;
let customer: TestUser;
let customerAccounts: string[];
const BYSTANDER_CASH_LINES = 120;
const CUSTOMER_ACCOUNTS = 30;

beforeAll(async () => {
  t = await startTestApp();
  await t.disableRiskRules();
  // Many cash deposits today of other customers: what the wrong plan walks once per history line.
  // (Two of them: a customer holds at most 100 accounts.)
  const bystanders = [await t.user(), await t.user()];
  for (let index = 0; index < BYSTANDER_CASH_LINES; index += 1) await t.account(bystanders[index % 2]!, { opening: '10.00' });
  customer = await t.user();
  customerAccounts = [];
  for (let index = 0; index < CUSTOMER_ACCOUNTS; index += 1) customerAccounts.push(await t.account(customer, { opening: '10.00' }));
}, 120_000);
afterAll(() => t?.close());

/** The plans auto_explain reports for one call of tally_risk_facts, made now for the customer's first account. */
async function plansOfOneCall(): Promise<{ plans: string; cashToday: unknown }> {
  const client = new pg.Client({ connectionString: t.database.url });
  const notices: string[] = [];
  client.on('notice', (notice) => notices.push(notice.message ?? ''));
  await client.connect();
  try {
    await client.query(`load 'auto_explain'`);
    await client.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on; set auto_explain.log_buffers = on;
                        set auto_explain.log_analyze = on; set auto_explain.log_timing = off; set client_min_messages = log`);
    const now = new Date();
    const day = bankingDayContaining(now, DEFAULT_AVAILABILITY_POLICY.calendar);
    const { rows } = await client.query<{ facts: { cash_today: unknown } }>(`select tally_risk_facts($1, null, $2, $3, $4) as facts`, [
      customerAccounts[0],
      now.toISOString(),
      day.startsAt.toISOString(),
      day.endsAt.toISOString(),
    ]);
    return { plans: notices.join('\n'), cashToday: rows[0]!.facts.cash_today };
  } finally {
    await client.end();
  }
}

describe('tally_risk_facts plan', () => {
  it('counts the day\'s cash of the customer\'s lines by primary key probes, never through the bank-wide cash index', async () => {
    const { plans, cashToday } = await plansOfOneCall();
    // The answer is right: thirty opening deposits of 10.00 in cash, today.
    expect(cashToday).toEqual([{ kind: 'DEPOSIT', currency: 'USD', sum_minor: String(CUSTOMER_ACCOUNTS * 1000) }]);
    expect(plans, 'auto_explain answered with the inner statement plans').toMatch(/with history as materialized/);
    expect(plans).not.toMatch(/ledger_transactions_cash/);
    expect(plans).toMatch(/Index Scan using ledger_transactions_pkey/);
  });
});
