import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankingDayContaining } from '../../src/ledger/calendar/banking-day-containing.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { transfer } from '../../src/ledger/commands/transfer.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The risk step's cost rests on the plan of tally_risk_facts. Since migration 20261204300000 a
 * customer's velocity and cash lines are one range of risk_lines_pkey (customer, time): never one
 * descent per account of the customer into entries_history_by_time (what the function did before:
 * 100 descents per movement for a bench user), and never a walk of ledger_transactions_cash, the
 * reports' index of every cash movement of the bank (on a young database the planner once took
 * that walk, once per line: 160 ms instead of 0.5 ms per movement). auto_explain, loaded in this
 * test's own session and told to answer the client, shows the plans of the function's inner
 * statements.
 */
let t: TestApp;
let customer: TestUser;
let customerAccounts: string[];
let payee: string;
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
  // Statistics taken while every transaction is a deposit, as on the bench after its setup: then
  // kind = 'TRANSFER' looks rare, and a plan driven by it reads every transaction of the bank.
  await t.database.pool.query('analyze ledger_transactions');
  payee = await t.account(bystanders[0]!);
  const paid = await transfer(t.app.orm, { userId: customer.id, role: 'CUSTOMER' }, { fromAccountId: customerAccounts[1]!, toAccountId: payee, amount: '1.00', idempotencyKey: randomUUID() });
  expect(paid.outcome).toMatchObject({ ok: true });
}, 120_000);
afterAll(() => t?.close());

/**
 * Runs `work` on a connection of its own with auto_explain loaded and told to answer the client
 * (plans of nested statements too, plus `settings`), and returns the plans it sent as notices.
 */
async function explained(settings: string, work: (client: pg.Client) => Promise<void>): Promise<string[]> {
  const client = new pg.Client({ connectionString: t.database.url });
  const notices: string[] = [];
  client.on('notice', (notice) => notices.push(notice.message ?? ''));
  await client.connect();
  try {
    await client.query(`load 'auto_explain'`);
    await client.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on; ${settings} set client_min_messages = log`);
    await work(client);
  } finally {
    await client.end();
  }
  return notices;
}

/** The plans auto_explain reports for one call of tally_risk_facts, made now for the customer's first account. */
async function plansOfOneCall(payeeId: string | null = null): Promise<{ plans: string; cashToday: unknown; payeeKnown: unknown }> {
  let facts: { cash_today: unknown; payee_known: unknown } | undefined;
  const now = new Date();
  const day = bankingDayContaining(now, DEFAULT_AVAILABILITY_POLICY.calendar);
  const notices = await explained('set auto_explain.log_buffers = on; set auto_explain.log_analyze = on; set auto_explain.log_timing = off;', async (client) => {
    const { rows } = await client.query<{ facts: { cash_today: unknown; payee_known: unknown } }>(`select tally_risk_facts($1, $5, $2, $3, $4) as facts`, [
      customerAccounts[0],
      now.toISOString(),
      day.startsAt.toISOString(),
      day.endsAt.toISOString(),
      payeeId,
    ]);
    facts = rows[0]!.facts;
  });
  return { plans: notices.join('\n'), cashToday: facts?.cash_today, payeeKnown: facts?.payee_known };
}

describe('tally_risk_facts plan', () => {
  it("reads the customer's lines as one range of risk_lines, never per account nor through the bank-wide cash index", async () => {
    const { plans, cashToday } = await plansOfOneCall();
    // The answer is right: thirty opening deposits of 10.00 in cash, today.
    expect(cashToday).toEqual([{ kind: 'DEPOSIT', currency: 'USD', sum_minor: String(CUSTOMER_ACCOUNTS * 1000) }]);
    expect(plans, 'auto_explain answered with the inner statement plans').toMatch(/with rings as \(/);
    expect(plans).toMatch(/Index (Only )?Scan using risk_lines_pkey on risk_lines/);
    // The lines' range is the only read of them: no scan over the customer's accounts' entries
    // (entries are read for the asked account's last activity only), no per-account path.
    expect(plans).not.toMatch(/account_id = ANY/);
    expect(plans).not.toMatch(/ledger_transactions_cash/);
    expect(plans).not.toMatch(/with history as materialized/);
    // One index descent for the thirty accounts' lines (their deposits and the transfer's debit), not one per account.
    expect(plans).toMatch(/Index (Only )?Scan using risk_lines_pkey on risk_lines r\s+\(cost=[^)]*\) \(actual rows=31 loops=1\)/);
  });

  it('plans the read once per connection (a generic plan), never once per call, and the generic plan is the same range', async () => {
    // Migration 20261206100000: plpgsql planned this statement anew on every call (0.76-0.81 ms per
    // call instead of 0.24-0.33 on `npm run bench:risk-facts`). A custom plan names the customer as a
    // constant; the generic one as a parameter. Seven calls for seven accounts on one connection:
    // past plpgsql's five custom plans.
    const now = new Date();
    const day = bankingDayContaining(now, DEFAULT_AVAILABILITY_POLICY.calendar);
    const notices = await explained('', async (client) => {
      for (const accountId of customerAccounts.slice(0, 7)) {
        await client.query(`select tally_risk_facts($1, null, $2, $3, $4)`, [accountId, now.toISOString(), day.startsAt.toISOString(), day.endsAt.toISOString()]);
      }
    });
    const reads = notices.filter((notice) => notice.includes('with rings as ('));
    expect(reads).toHaveLength(7);
    for (const plan of reads) {
      expect(plan).toMatch(/Index (Only )?Scan using risk_lines_pkey on risk_lines r/);
      expect(plan, 'the customer is a parameter of the plan, not a constant planned for').toMatch(/Index Cond: \(\(customer_id = \$\d+\)/);
      expect(plan).not.toContain(customer.id);
    }
  });

  it('finds a paid payee from its credit lines, each transaction by its key, never by reading every transaction', async () => {
    const { plans, payeeKnown } = await plansOfOneCall(payee);
    expect(payeeKnown).toBe(true);
    // Each credit line's transaction is looked up by that line (a table this small is read whole
    // for it; the bench's by its key), never a scan of ledger_transactions filtered on the kind.
    expect(plans).toMatch(/on ledger_transactions x\S*\s+\(cost=[^\n]*\n\s+(Index Cond|Filter): \(id = c\.transaction_id\)/);
    expect(plans).not.toMatch(/Scan on ledger_transactions t\s/);
  });

  it("copies a movement's lines into risk_lines by each entry's transaction key, never by scanning every transaction", async () => {
    const notices = await explained('set auto_explain.log_analyze = on; set auto_explain.log_timing = off;', async (client) => {
      // Young statistics, as the bench's right after its bulk setup: the plan that scanned all transactions.
      await client.query(`begin`);
      await client.query(`delete from pg_statistic where starelid = 'ledger_transactions'::regclass`);
      const vault = (await client.query<{ id: string }>(`select account_id as id from entries where account_version is null limit 1`)).rows[0]!.id;
      await client.query(
        `with t as (insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by, posted_at)
                    values (gen_random_uuid(), 'DEPOSIT', 'CASH', 'POSTED', 100, 'USD', 2, 'plan-test', $3, now()) returning id)
         insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer, account_version, balance_after_minor, pending_after_minor)
         select t.id, $1::uuid, 'CREDIT', 100, 'USD', 'POSTED', 1000, 0, 0 from t union all select t.id, $2::uuid, 'DEBIT', 100, 'USD', 'POSTED', null, null, null from t`,
        [customerAccounts[2], vault, customer.id],
      );
      await client.query(`rollback`);
    });
    const plan = notices.find((notice) => notice.includes('insert into risk_lines')) ?? '';
    expect(plan, 'auto_explain showed the trigger\'s insert').toMatch(/Insert on risk_lines/);
    expect(plan).toMatch(/on ledger_transactions x\S*\s+\(cost=[^\n]*\n\s+(Index Cond|Filter): \(id = n\.transaction_id\)/);
    expect(plan).not.toMatch(/Scan on ledger_transactions t\s/);
  });
});

describe('tally_risk_tail plan', () => {
  it("reads a tail through risk_lines_by_xid from the watermark, never the customer's week again, and a payee by its key", async () => {
    // Migration 20261207100000: after one whole window, a process asks only for the lines written
    // since its watermark, and whether the payee was paid is one probe of customer_payees.
    const now = new Date();
    const day = bankingDayContaining(now, DEFAULT_AVAILABILITY_POLICY.calendar);
    const window = [customerAccounts[0], now.toISOString(), day.startsAt.toISOString(), day.endsAt.toISOString()];
    const notices = await explained('set auto_explain.log_analyze = on; set auto_explain.log_timing = off;', async (client) => {
      const first = (await client.query<{ answer: { customer_id: string; settled_below: string; since_us: string; server: string; full: boolean; lines: unknown[] } }>(
        `select tally_risk_tail($1, null, $2, $3, $4, null, null, null, null) as answer`, window)).rows[0]!.answer;
      expect(first.full).toBe(true);
      expect(first.lines, "the customer's thirty deposits and the transfer's debit").toHaveLength(CUSTOMER_ACCOUNTS + 1);
      // Seven tails on one connection: past plpgsql's five custom plans, to the generic one.
      for (let call = 0; call < 7; call += 1) {
        const tail = (await client.query<{ answer: { full: boolean; lines: unknown[]; payee_known: boolean } }>(
          `select tally_risk_tail($1, $9, $2, $3, $4, $5, $6::xid8, $7, $8) as answer`,
          [...window, first.customer_id, first.settled_below, first.since_us, first.server, payee],
        )).rows[0]!.answer;
        expect(tail).toMatchObject({ full: false, payee_known: true });
        // Settled means below every running transaction's id, in every database of the cluster (ids are the cluster's):
        // while other tests' transactions run, some of the customer's lines can still be in the tail.
        expect(tail.lines.length).toBeLessThanOrEqual(CUSTOMER_ACCOUNTS + 1);
      }
    });
    const reads = notices.filter((notice) => notice.includes('with asked as materialized ('));
    expect(reads).toHaveLength(8);
    for (const plan of reads.slice(1)) {
      expect(plan).toMatch(/Index (Only )?Scan using risk_lines_by_xid on risk_lines r\S*\s+\(cost=[^)]*\) \(actual rows=\d+ loops=1\)/);
      expect(plan).toMatch(/Index (Only )?Scan using risk_lines_pkey on risk_lines r\S*\s+\(cost=[^)]*\) \(never executed\)/);
      expect(plan).toMatch(/Index Only Scan using customer_payees_pkey on customer_payees p/);
      expect(plan).not.toMatch(/on entries c\b/);
    }
    expect(reads[reads.length - 1], 'the customer is a parameter of the generic plan').not.toContain(customer.id);
  });
});
