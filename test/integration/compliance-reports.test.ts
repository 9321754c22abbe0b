import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deposit } from '../../src/ledger/commands/deposit.js';
import { withdraw } from '../../src/ledger/commands/withdraw.js';
import type { Channel } from '../../src/ledger/types.js';
import { ComplianceReportDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The compliance reports (issue 10 §2) at their thresholds ±0.01, on cash posted through the
 * real envelope with the clock set. Tuesday 4 March 2025, New York (EST, UTC-5): the banking
 * day's cut-off at 17:00 is 22:00Z.
 */
let t: TestApp;
let operator: TestUser;
let cashier: TestUser;
const customers = new Map<string, { user: TestUser; accountId: string }>();

const FROM = '2025-03-01T00:00:00.000Z';
const TO = '2025-03-15T00:00:00.000Z';
const HOUR = 3_600_000;

interface Movement {
  readonly at: string;
  readonly amount: string;
  readonly kind?: 'DEPOSIT' | 'WITHDRAWAL';
  readonly channel?: Channel;
}

/** Each customer's cash, and what each report must say of them. */
const CASES: Record<string, { currency?: string; movements: Movement[]; currencyTransactions?: { kind: string; total: string; count: number }; structuring?: { kind: string; total: string; count: number } }> = {
  ctrOver: { movements: [{ at: '2025-03-04T14:00:00Z', amount: '6000.00' }, { at: '2025-03-04T15:00:00Z', amount: '4000.01' }], currencyTransactions: { kind: 'DEPOSIT', total: '10000.01', count: 2 }, structuring: { kind: 'DEPOSIT', total: '10000.01', count: 2 } },
  ctrAt: { movements: [{ at: '2025-03-04T14:00:00Z', amount: '5000.00' }, { at: '2025-03-04T15:00:00Z', amount: '5000.00' }] },
  ctrWithdrawals: {
    movements: [{ at: '2025-03-04T14:00:00Z', amount: '7000.00', kind: 'WITHDRAWAL' }, { at: '2025-03-04T15:00:00Z', amount: '3000.01', kind: 'WITHDRAWAL' }],
    currencyTransactions: { kind: 'WITHDRAWAL', total: '10000.01', count: 2 },
    structuring: { kind: 'WITHDRAWAL', total: '10000.01', count: 2 },
  },
  // 16:59:59.999 and 17:00 in New York: two banking days, so no CTR; still within 3 days.
  acrossCutoff: { movements: [{ at: '2025-03-04T21:59:59.999Z', amount: '6000.00' }, { at: '2025-03-04T22:00:00Z', amount: '4000.01' }], structuring: { kind: 'DEPOSIT', total: '10000.01', count: 2 } },
  atmIsNotCash: { movements: [{ at: '2025-03-04T14:00:00Z', amount: '20000.00', channel: 'ATM' }] },
  euroIsNotReported: { currency: 'EUR', movements: [{ at: '2025-03-04T14:00:00Z', amount: '10000.01' }, { at: '2025-03-05T14:00:00Z', amount: '5000.00' }] },
  belowStructuring: {
    movements: [{ at: '2025-03-04T14:00:00Z', amount: '2999.99' }, { at: '2025-03-05T14:00:00Z', amount: '3500.00' }, { at: '2025-03-06T14:00:00Z', amount: '3500.00' }, { at: '2025-03-06T15:00:00Z', amount: '3000.00' }],
  },
  structuringFrom3000: {
    movements: [{ at: '2025-03-04T14:00:00Z', amount: '3000.00' }, { at: '2025-03-05T14:00:00Z', amount: '3500.00' }, { at: '2025-03-06T14:00:00Z', amount: '3500.01' }],
    structuring: { kind: 'DEPOSIT', total: '10000.01', count: 3 },
  },
  structuringTo10000: { movements: [{ at: '2025-03-04T14:00:00Z', amount: '10000.00' }, { at: '2025-03-05T14:00:00Z', amount: '3000.00' }], structuring: { kind: 'DEPOSIT', total: '13000.00', count: 2 } },
  overTheLine: { movements: [{ at: '2025-03-04T14:00:00Z', amount: '10000.01' }, { at: '2025-03-05T14:00:00Z', amount: '3000.00' }], currencyTransactions: { kind: 'DEPOSIT', total: '10000.01', count: 1 } },
  windowOut: { movements: [{ at: '2025-03-04T14:00:00Z', amount: '5000.00' }, { at: new Date(Date.parse('2025-03-04T14:00:00Z') + 72 * HOUR).toISOString(), amount: '5000.01' }] },
  windowIn: {
    movements: [{ at: '2025-03-04T14:00:00Z', amount: '5000.00' }, { at: new Date(Date.parse('2025-03-04T14:00:00Z') + 72 * HOUR - 1).toISOString(), amount: '5000.01' }],
    structuring: { kind: 'DEPOSIT', total: '10000.01', count: 2 },
  },
  outsideTheRange: { movements: [{ at: '2025-03-20T14:00:00Z', amount: '10000.01' }] },
};

beforeAll(async () => {
  t = await startTestApp();
  [operator, cashier] = await Promise.all([t.user('OPERATOR'), t.cashier()]);
  const cash = { userId: cashier.id, role: 'SERVICE' as const, channels: ['CASH' as const, 'ATM' as const] };
  for (const [name, spec] of Object.entries(CASES)) {
    const user = await t.user();
    const accountId = await t.account(user, { currency: spec.currency ?? 'USD' });
    customers.set(name, { user, accountId });
    if (spec.movements.some((movement) => movement.kind === 'WITHDRAWAL')) {
      // Funded by wire (not cash) a week before, so the funding is in no report.
      const funded = await deposit(t.app.orm, { userId: operator.id, role: 'OPERATOR' }, { accountId, amount: '50000.00', channel: 'WIRE', idempotencyKey: randomUUID() }, { clock: () => new Date('2025-02-20T15:00:00Z') });
      expect(funded.outcome.ok).toBe(true);
    }
    for (const movement of spec.movements) {
      const input = { accountId, amount: movement.amount, channel: movement.channel ?? 'CASH', idempotencyKey: randomUUID() };
      const options = { clock: () => new Date(movement.at) };
      const result = movement.kind === 'WITHDRAWAL' ? await withdraw(t.app.orm, cash, input, options) : await deposit(t.app.orm, cash, input, options);
      expect(result.outcome.ok, `${name} ${movement.amount}`).toBe(true);
    }
  }
}, 120_000);
afterAll(() => t.close());

async function report(kind: 'CURRENCY_TRANSACTIONS' | 'STRUCTURING', user = operator, from = FROM, to = TO) {
  return t.gql(ComplianceReportDocument, { kind, from, to }, user.token);
}

/** The report's rows grouped by customer name (the case), each with its direction, total and transactions. */
async function findings(kind: 'CURRENCY_TRANSACTIONS' | 'STRUCTURING', totalColumn: string) {
  const answer = await report(kind);
  expect(answer.errors).toBeUndefined();
  const rows = parse(answer.data!.complianceReport, { columns: true }) as Array<Record<string, string>>;
  const names = new Map([...customers].map(([name, { user }]) => [user.username, name]));
  const found: Record<string, { kind: string; total: string; count: number }> = {};
  for (const row of rows) {
    const name = names.get(row.customer_username!) ?? `unknown ${row.customer_username}`;
    const entry = (found[name] ??= { kind: row.direction!, total: row[totalColumn]!, count: 0 });
    entry.count += 1;
  }
  return { found, rows };
}

const expected = (field: 'currencyTransactions' | 'structuring') =>
  Object.fromEntries(Object.entries(CASES).flatMap(([name, spec]) => (spec[field] ? [[name, spec[field]]] : [])));

describe('compliance reports at their thresholds', () => {
  it('currency transactions: over 10,000.00 of cash in one direction in one banking day, not at 10,000.00, not across the cut-off, not ATM, not EUR', async () => {
    const { found, rows } = await findings('CURRENCY_TRANSACTIONS', 'day_total');
    expect(found).toEqual(expected('currencyTransactions'));
    const over = rows.filter((row) => row.customer_username === customers.get('ctrOver')!.user.username);
    expect(over.map((row) => [row.banking_day, row.amount, row.currency])).toEqual([['2025-03-04', '6000.00', 'USD'], ['2025-03-04', '4000.01', 'USD']]);
  });

  it('structuring: two or more movements of 3,000.00 to 10,000.00 within 72 hours totalling over 10,000.00', async () => {
    const { found, rows } = await findings('STRUCTURING', 'window_total');
    expect(found).toEqual(expected('structuring'));
    const windowIn = rows.filter((row) => row.customer_username === customers.get('windowIn')!.user.username);
    expect(windowIn.map((row) => [row.movements, row.window_start, row.window_end])).toEqual([
      ['2', '2025-03-04T14:00:00.000Z', CASES.windowIn!.movements[1]!.at],
      ['2', '2025-03-04T14:00:00.000Z', CASES.windowIn!.movements[1]!.at],
    ]);
  });

  it('a range that holds the later deposit reports it', async () => {
    const answer = await report('CURRENCY_TRANSACTIONS', operator, '2025-03-15T00:00:00Z', '2025-04-01T00:00:00Z');
    const rows = parse(answer.data!.complianceReport, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((row) => [row.customer_username, row.day_total])).toEqual([[customers.get('outsideTheRange')!.user.username, '10000.01']]);
  });
});

describe('who may read them', () => {
  it('operators only: a customer and a service are FORBIDDEN over GraphQL and 403 over REST; the operator\'s reads are audited', async () => {
    const service = await t.user('SERVICE', { channels: ['CASH'] });
    for (const user of [customers.get('ctrOver')!.user, service]) {
      const answer = await report('CURRENCY_TRANSACTIONS', user);
      expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(answer.data?.complianceReport ?? null).toBeNull();
      const rest = await fetch(`${t.url}/v1/reports/currency_transactions.csv?from=${FROM}&to=${TO}`, { headers: { authorization: `Bearer ${user.token}` } });
      expect(rest.status).toBe(403);
    }
    const before = await t.database.pool.query(`select count(*)::int as count from audit_events where action = 'operator.read_compliance_report' and actor_user_id = $1`, [operator.id]);
    const rest = await fetch(`${t.url}/v1/reports/structuring.csv?from=${FROM}&to=${TO}`, { headers: { authorization: `Bearer ${operator.token}` } });
    expect(rest.status).toBe(200);
    expect(rest.headers.get('content-type')).toContain('text/csv');
    expect(await rest.text()).toBe((await report('STRUCTURING')).data!.complianceReport);
    const after = await t.database.pool.query(
      `select target, details from audit_events where action = 'operator.read_compliance_report' and actor_user_id = $1 order by occurred_at desc, id desc`,
      [operator.id],
    );
    // One line per read: the REST download and the GraphQL query just made.
    expect(after.rows.length - before.rows[0].count).toBe(2);
    expect(after.rows[0]).toEqual({ target: 'STRUCTURING', details: { from: FROM, to: TO, findings: Object.keys(expected('structuring')).length } });
  });

  it('VALIDATION: from not before to, a range over 366 days; REST without from/to is 400', async () => {
    for (const [from, to] of [[TO, FROM], [FROM, FROM], ['2024-01-01T00:00:00Z', '2025-03-01T00:00:00Z']] as const) {
      const answer = await report('STRUCTURING', operator, from, to);
      expect(answer.errors?.[0]?.extensions?.code, `${from} ${to}`).toBe('VALIDATION');
    }
    const rest = await fetch(`${t.url}/v1/reports/structuring.csv?from=${FROM}`, { headers: { authorization: `Bearer ${operator.token}` } });
    expect(rest.status).toBe(400);
  });
});
