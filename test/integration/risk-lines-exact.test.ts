import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeHold } from '../../src/ledger/commands/authorize-hold.js';
import { deposit } from '../../src/ledger/commands/deposit.js';
import { transfer } from '../../src/ledger/commands/transfer.js';
import { withdraw } from '../../src/ledger/commands/withdraw.js';
import { bankingDayContaining } from '../../src/ledger/calendar/banking-day-containing.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { readRiskFacts } from '../../src/ledger/persistence/risk-facts.js';
import type { RiskFacts } from '../../src/ledger/risk/risk-facts.js';
import type { Actor } from '../../src/ledger/types.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * tally_risk_facts reads a single-owner customer's velocity and cash lines from risk_lines
 * (migration 20261204300000) instead of scanning entries per account; the previous function is
 * kept, verbatim, as tally_risk_facts_by_accounts. On one generated history (movements of every
 * counted and uncounted kind, written with the clock at each window's edge: 1 s before, at, 1 s
 * after), both must answer the same facts for every account, payee and judging instant, including
 * after an owner is added to and removed from an account that has history.
 *
 * Units read their clock before they write, so lines do not arrive in time order: a unit with an
 * earlier clock can commit after one with a later clock, and a test's clock can go back. So the
 * same history is written three times, for three pairs of customers: in time order, in a shuffled
 * order (every line lands among lines already there), and in concurrent waves of several instants
 * at once. Each must answer exactly. (Session 10 tried running totals per line, which depend on
 * that order; these variants are what caught their first version missing the late lines.)
 */
let t: TestApp;
let cash: Actor;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WINDOWS = [10 * MINUTE, HOUR, DAY, 7 * DAY];
const CALENDAR = DEFAULT_AVAILABILITY_POLICY.calendar;
// Well after every account's opening (the real clock), so history can be written in time order.
const JUDGED = new Date(Math.floor((Date.now() + 10 * DAY) / HOUR) * HOUR + 17 * MINUTE);
const DAY_OF_JUDGED = bankingDayContaining(JUDGED, CALENDAR);

interface Customer {
  readonly actor: Actor;
  readonly accounts: string[];
}
/** One pair of customers and the order their history was written in. */
interface History {
  readonly order: WriteOrder;
  readonly carol: Customer;
  readonly dave: Customer;
}
type WriteOrder = 'in time order' | 'out of time order' | 'concurrently';
const WRITE_ORDERS: readonly WriteOrder[] = ['in time order', 'out of time order', 'concurrently'];
const histories = new Map<WriteOrder, History>();
/** How many instants a concurrent wave writes at once (each instant's eight steps run together with the others'). */
const WAVE_INSTANTS = 4;

async function customer(accountCount: number): Promise<Customer> {
  const user = await t.user();
  const accounts: string[] = [];
  for (let index = 0; index < accountCount; index += 1) accounts.push(await t.account(user));
  return { actor: { userId: user.id, role: 'CUSTOMER' }, accounts };
}

type Step = (at: Date) => Promise<{ outcome: unknown }>;

/** Every counted and uncounted kind of line, once per instant: what tally_risk_facts distinguishes. */
function stepsAround({ carol, dave }: History): Step[] {
  const [a1, a2, a3] = carol.accounts as [string, string, string];
  const [b1] = dave.accounts as [string];
  const key = () => randomUUID();
  return [
    (at) => deposit(t.app.orm, cash, { accountId: a1, amount: '12.34', channel: 'CASH', idempotencyKey: key() }, { clock: () => at }),
    (at) => withdraw(t.app.orm, carol.actor, { accountId: a1, amount: '1.01', channel: 'ACH', idempotencyKey: key() }, { clock: () => at }),
    (at) => withdraw(t.app.orm, carol.actor, { accountId: a2, amount: '2.02', channel: 'WIRE', idempotencyKey: key() }, { clock: () => at }),
    (at) => withdraw(t.app.orm, cash, { accountId: a3, amount: '3.03', channel: 'CASH', idempotencyKey: key() }, { clock: () => at }),
    // Between Carol's own accounts: not leaving her. To Dave: leaving. Dave to Carol: his, not hers.
    (at) => transfer(t.app.orm, carol.actor, { fromAccountId: a1, toAccountId: a2, amount: '4.04', idempotencyKey: key() }, { clock: () => at }),
    (at) => transfer(t.app.orm, carol.actor, { fromAccountId: a2, toAccountId: b1, amount: '5.05', idempotencyKey: key() }, { clock: () => at }),
    (at) => transfer(t.app.orm, dave.actor, { fromAccountId: b1, toAccountId: a3, amount: '6.06', idempotencyKey: key() }, { clock: () => at }),
    // A hold: a PENDING line, counted by neither feature.
    (at) => authorizeHold(t.app.orm, carol.actor, { accountId: a1, amount: '7.07', channel: 'ACH', idempotencyKey: key() }, { clock: () => at }),
  ];
}

/** The instants history is written at: each window's edge before JUDGED, the banking day's edges, and one after JUDGED within its day. */
function historyInstants(): Date[] {
  const offsets = [-SECOND, 0, SECOND];
  const instants = [
    ...WINDOWS.flatMap((window) => offsets.map((offset) => JUDGED.getTime() - window + offset)),
    ...[DAY_OF_JUDGED.startsAt.getTime(), DAY_OF_JUDGED.endsAt.getTime()].flatMap((edge) => [edge - MINUTE, edge, edge + MINUTE]),
    JUDGED.getTime() - 2 * MINUTE,
    JUDGED.getTime() + 5 * MINUTE,
  ];
  return [...new Set(instants)].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/** Judging instants: JUDGED and 1 ms either side, and every history instant (lines after the judging instant exist then). */
function judgingInstants(): Date[] {
  return [JUDGED.getTime() - 1, JUDGED.getTime(), JUDGED.getTime() + 1, ...historyInstants().map((at) => at.getTime())].map((ms) => new Date(ms));
}

interface Facts {
  outgoing: Array<Record<string, string>> | null;
  cash_today: Array<Record<string, string>> | null;
  [field: string]: unknown;
}

/** The same facts whatever order json_agg listed the groups in. */
function normalised(facts: Facts | null): unknown {
  if (!facts) return facts;
  const sorted = (rows: Array<Record<string, string>> | null) => (rows ? [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) : rows);
  return { ...facts, outgoing: sorted(facts.outgoing), cash_today: sorted(facts.cash_today) };
}

async function bothAnswers(accountId: string, payeeId: string | null, now: Date): Promise<{ lines: unknown; accounts: unknown }> {
  const day = bankingDayContaining(now, CALENDAR);
  const { rows } = await t.database.pool.query<{ lines: Facts | null; accounts: Facts | null }>(
    `select tally_risk_facts($1, $2, $3, $4, $5) as lines, tally_risk_facts_by_accounts($1, $2, $3, $4, $5) as accounts`,
    [accountId, payeeId, now.toISOString(), day.startsAt.toISOString(), day.endsAt.toISOString()],
  );
  return { lines: normalised(rows[0]!.lines), accounts: normalised(rows[0]!.accounts) };
}

/** Every account, payee and judging instant: the answers that differ (none expected), and how many were compared. */
async function differences({ carol, dave }: History): Promise<{ differing: string[]; compared: number }> {
  const accounts = [...carol.accounts, ...dave.accounts];
  const differing: string[] = [];
  let compared = 0;
  for (const accountId of accounts) {
    for (const payeeId of [null, ...accounts.filter((id) => id !== accountId)]) {
      for (const now of judgingInstants()) {
        const { lines, accounts: byAccounts } = await bothAnswers(accountId, payeeId, now);
        compared += 1;
        if (JSON.stringify(lines) !== JSON.stringify(byAccounts)) differing.push(`${accountId} payee ${payeeId} at ${now.toISOString()}: ${JSON.stringify(lines)} vs ${JSON.stringify(byAccounts)}`);
      }
    }
  }
  return { differing, compared };
}

/** Velocity, cash and payee facts in one comparable shape, from tally_risk_facts' JSON or from the process's RiskFacts. */
function comparable(facts: { outgoing: string[]; cash: string[]; payeeKnown: boolean; lastActivity: string | null }): string {
  return JSON.stringify({ ...facts, outgoing: [...facts.outgoing].sort(), cash: [...facts.cash].sort() });
}

function comparableJson(facts: Facts | null): string | null {
  if (!facts) return null;
  return comparable({
    outgoing: (facts.outgoing ?? []).map((row) => `${row.channel} ${String(row.currency).trim()} ${WINDOW_NAMES.map((w) => `${row[`count_${w}`]}/${row[`sum_${w}`]}`).join(' ')}`),
    cash: (facts.cash_today ?? []).map((row) => `${row.kind} ${String(row.currency).trim()} ${row.sum_minor}`),
    payeeKnown: facts.payee_known as boolean,
    lastActivity: facts.last_activity_at === null ? null : new Date(facts.last_activity_at as string).toISOString(),
  });
}

function comparableFacts(facts: RiskFacts | undefined): string | null {
  if (!facts) return null;
  return comparable({
    outgoing: facts.outgoing.map((tally) => `${tally.channel} ${tally.currency} ${WINDOW_NAMES.map((w) => `${tally.windows[w].count}/${tally.windows[w].sumMinor}`).join(' ')}`),
    cash: facts.cashToday.map((tally) => `${tally.kind} ${tally.currency} ${tally.sumMinor}`),
    payeeKnown: facts.payeeKnown,
    lastActivity: facts.lastActivityAt === null ? null : facts.lastActivityAt.toISOString(),
  });
}
const WINDOW_NAMES = ['10m', '1h', '24h', '7d'] as const;

/**
 * The process's path (risk-line-cache.ts: kept lines plus tally_risk_tail's tail, counted in
 * TypeScript) against tally_risk_facts, for every account, payee and judging instant, in the order
 * judgingInstants lists them: the first ask of a customer reads the whole window, later ones only
 * tails, and the instants go forward and back (a clock set back before what is kept reads the
 * window again). Returns the answers that differ.
 */
async function cachedDifferences({ carol, dave }: History): Promise<{ differing: string[]; compared: number }> {
  const accounts = [...carol.accounts, ...dave.accounts];
  const differing: string[] = [];
  let compared = 0;
  for (const now of judgingInstants()) {
    for (const accountId of accounts) {
      for (const payeeId of [null, ...accounts.filter((id) => id !== accountId)]) {
        const day = bankingDayContaining(now, CALENDAR);
        const { rows } = await t.database.pool.query<{ facts: Facts | null }>(`select tally_risk_facts($1, $2, $3, $4, $5) as facts`, [
          accountId, payeeId, now.toISOString(), day.startsAt.toISOString(), day.endsAt.toISOString(),
        ]);
        const ask = { accountId, ...(payeeId ? { payeeAccountId: payeeId } : {}), calendar: CALENDAR };
        const read = await readRiskFacts(t.app.orm.em.fork(), [ask], now);
        const [cached] = [...read.facts.values()];
        compared += 1;
        const expected = comparableJson(rows[0]!.facts);
        const actual = comparableFacts(cached);
        if (expected !== actual) differing.push(`${accountId} payee ${payeeId} at ${now.toISOString()}: kept+tail ${actual} vs ${expected}`);
      }
    }
  }
  return { differing, compared };
}

/** A fixed shuffle (a linear congruential generator), so a failure reproduces. */
function shuffled<T>(items: readonly T[]): T[] {
  const result = [...items];
  let seed = 20261206;
  for (let index = result.length - 1; index > 0; index -= 1) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const other = seed % (index + 1);
    [result[index], result[other]] = [result[other]!, result[index]!];
  }
  return result;
}

async function writeHistory(history: History): Promise<void> {
  const { carol, dave, order } = history;
  const fundedAt = new Date(JUDGED.getTime() - 8 * DAY);
  for (const accountId of [...carol.accounts, ...dave.accounts]) {
    const funded = await deposit(t.app.orm, cash, { accountId, amount: '5000.00', channel: 'CASH', idempotencyKey: randomUUID() }, { clock: () => fundedAt });
    expect(funded.outcome).toMatchObject({ ok: true });
  }
  const instants = order === 'in time order' ? historyInstants() : shuffled(historyInstants());
  if (order === 'concurrently') {
    for (let first = 0; first < instants.length; first += WAVE_INSTANTS) {
      const wave = instants.slice(first, first + WAVE_INSTANTS).flatMap((at) => stepsAround(history).map((step) => step(at)));
      for (const written of await Promise.all(wave)) expect(written.outcome).toMatchObject({ ok: true });
    }
    return;
  }
  for (const at of instants) {
    for (const step of stepsAround(history)) expect((await step(at)).outcome, `a step at ${at.toISOString()}`).toMatchObject({ ok: true });
  }
}

beforeAll(async () => {
  t = await startTestApp();
  cash = { userId: (await t.cashier()).id, role: 'SERVICE', channels: ['CASH', 'ATM'] };
  for (const order of WRITE_ORDERS) {
    const history: History = { order, carol: await customer(3), dave: await customer(1) };
    await writeHistory(history);
    histories.set(order, history);
  }
}, 240_000);
afterAll(() => t?.close());

describe.each(WRITE_ORDERS)('risk_lines answer exactly what the per-account scan answered, history written %s', (order) => {
  const history = () => histories.get(order)!;
  it('gives every feature the same value at every window edge, for every account and payee', async () => {
    const { carol, dave } = history();
    const { differing, compared } = await differences(history());
    expect(differing).toEqual([]);
    expect(compared).toBeGreaterThan(300);
    // Not vacuous: at JUDGED, Carol's velocity and cash are both counted, in three channels.
    const { lines } = (await bothAnswers(carol.accounts[0]!, dave.accounts[0]!, JUDGED)) as { lines: { outgoing: Array<{ channel: string; count_7d: string }>; cash_today: unknown[]; payee_known: boolean } };
    expect(lines.outgoing.map((row) => row.channel)).toEqual(expect.arrayContaining(['ACH', 'CASH', 'WIRE']));
    expect(lines.cash_today.length).toBe(2);
    expect(lines.payee_known).toBe(true);
  });

  it('counts, from the lines the process keeps plus the tail it reads, what tally_risk_facts counts', async () => {
    const { differing, compared } = await cachedDifferences(history());
    expect(differing).toEqual([]);
    expect(compared).toBeGreaterThan(300);
  }, 120_000);

  it('writes, through the trigger, the very rows (and running totals) a rebuild from entries derives', async () => {
    const { carol } = history();
    const rowsOf = async () =>
      (await t.database.pool.query(`select customer_id, at, entry_id, kind, channel, currency, amount_minor, outgoing from risk_lines where customer_id = $1 order by at, entry_id`, [carol.actor.userId])).rows;
    const written = await rowsOf();
    expect(written.length).toBeGreaterThan(50);
    await t.database.pool.query(`select tally_risk_lines_rebuild($1)`, [carol.actor.userId]);
    expect(await rowsOf()).toEqual(written);
  });

  it('stays exact when an owner is added to an account with history, and removed again', async () => {
    const { carol, dave } = history();
    // Dave becomes an owner of Carol's third account: its lines are now his too, and his transfers
    // into it no longer leave him; the joint account itself is counted by the per-account path.
    await t.database.pool.query(`insert into user_accounts (user_id, account_id) values ($1, $2)`, [dave.actor.userId, carol.accounts[2]]);
    const joint = await differences(history());
    expect(joint.differing).toEqual([]);
    // The process kept Carol's and Dave's lines before the change: the rebuild it caused must be seen.
    expect((await cachedDifferences(history())).differing).toEqual([]);
    const daveFacts = (await bothAnswers(dave.accounts[0]!, null, JUDGED)).lines as { cash_today: unknown[] | null };
    expect(daveFacts.cash_today, "the joint account's cash withdrawals are Dave's cash today").not.toBeNull();
    await t.database.pool.query(`delete from user_accounts where user_id = $1 and account_id = $2`, [dave.actor.userId, carol.accounts[2]]);
    expect((await differences(history())).differing).toEqual([]);
    expect((await cachedDifferences(history())).differing).toEqual([]);
  }, 120_000);
});
