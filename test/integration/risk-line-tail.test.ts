import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deposit } from '../../src/ledger/commands/deposit.js';
import { transfer } from '../../src/ledger/commands/transfer.js';
import { withdraw } from '../../src/ledger/commands/withdraw.js';
import { bankingDayContaining } from '../../src/ledger/calendar/banking-day-containing.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { readRiskFacts } from '../../src/ledger/persistence/risk-facts.js';
import { riskLineCacheOf } from '../../src/ledger/persistence/risk-line-cache.js';
import type { RiskFacts } from '../../src/ledger/risk/risk-facts.js';
import type { Actor } from '../../src/ledger/types.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The process keeps each customer's settled risk lines and reads only the tail written since its
 * watermark (risk-line-cache.ts, tally_risk_tail in migration 20261207100000). These tests write
 * between reads, so the reads are tails, and compare every answer with tally_risk_facts (the whole
 * window, counted in PostgreSQL): while lines arrive out of time order, while a transaction that
 * wrote a line is still open when a later one commits, after a rebuild of the customer's lines,
 * and when the answer comes from another server than the lines kept.
 */
let t: TestApp;
let cash: Actor;
let carol: { actor: Actor; accounts: string[] };
let dave: { actor: Actor; accounts: string[] };
const CALENDAR = DEFAULT_AVAILABILITY_POLICY.calendar;
const MINUTE = 60_000;

async function customer(accountCount: number): Promise<{ actor: Actor; accounts: string[] }> {
  const user = await t.user();
  const accounts: string[] = [];
  for (let index = 0; index < accountCount; index += 1) accounts.push(await t.account(user));
  return { actor: { userId: user.id, role: 'CUSTOMER' }, accounts };
}

/** The facts both ways at `now`: through the process's kept lines and tail, and tally_risk_facts' whole window. */
async function bothWays(accountId: string, payeeId: string | null, now: Date): Promise<{ kept: unknown; window: unknown }> {
  const day = bankingDayContaining(now, CALENDAR);
  const { rows } = await t.database.pool.query<{ facts: { outgoing: Array<Record<string, string>> | null; cash_today: Array<Record<string, string>> | null; payee_known: boolean } }>(
    `select tally_risk_facts($1, $2, $3, $4, $5) as facts`,
    [accountId, payeeId, now.toISOString(), day.startsAt.toISOString(), day.endsAt.toISOString()],
  );
  const window = rows[0]!.facts;
  const read = await readRiskFacts(t.app.orm.em.fork(), [{ accountId, ...(payeeId ? { payeeAccountId: payeeId } : {}), calendar: CALENDAR }], now);
  const kept = [...read.facts.values()][0] as RiskFacts;
  const windows = ['10m', '1h', '24h', '7d'] as const;
  return {
    kept: {
      outgoing: kept.outgoing.map((row) => `${row.channel} ${row.currency} ${windows.map((w) => `${row.windows[w].count}/${row.windows[w].sumMinor}`).join(' ')}`).sort(),
      cash: kept.cashToday.map((row) => `${row.kind} ${row.currency} ${row.sumMinor}`).sort(),
      payeeKnown: kept.payeeKnown,
    },
    window: {
      outgoing: (window.outgoing ?? []).map((row) => `${row.channel} ${String(row.currency).trim()} ${windows.map((w) => `${row[`count_${w}`]}/${row[`sum_${w}`]}`).join(' ')}`).sort(),
      cash: (window.cash_today ?? []).map((row) => `${row.kind} ${String(row.currency).trim()} ${row.sum_minor}`).sort(),
      payeeKnown: window.payee_known,
    },
  };
}

/** The id of the transaction that last rebuilt the customer's lines (risk_lines_rebuilds). */
async function rebuiltOf(customerId: string): Promise<string> {
  const { rows } = await t.database.pool.query<{ rebuilt: string }>(`select rebuilt::text from risk_lines_rebuilds where customer_id = $1`, [customerId]);
  return rows[0]!.rebuilt;
}

/**
 * Waits until every transaction below `xid` has ended: the snapshot's xmin is the cluster's, so a
 * transaction of another test file, in another database, can hold it back for a while.
 */
async function settledPast(xid: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { rows } = await t.database.pool.query<{ past: boolean }>(`select pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 as past`, [xid]);
    if (rows[0]!.past) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`transactions older than ${xid} still running after 10 s`);
}

async function expectSame(accountId: string, payeeId: string | null, now: Date): Promise<unknown> {
  const { kept, window } = await bothWays(accountId, payeeId, now);
  expect(kept).toEqual(window);
  return kept;
}

beforeAll(async () => {
  t = await startTestApp();
  cash = { userId: (await t.cashier()).id, role: 'SERVICE', channels: ['CASH', 'ATM'] };
  carol = await customer(2);
  dave = await customer(1);
  for (const accountId of [...carol.accounts, ...dave.accounts]) {
    expect((await deposit(t.app.orm, cash, { accountId, amount: '9000.00', channel: 'CASH', idempotencyKey: randomUUID() })).outcome).toMatchObject({ ok: true });
  }
}, 60_000);
afterAll(() => t?.close());

describe('the risk lines a process keeps, and the tails it reads', () => {
  it('answers what the whole window answers after every movement, written out of time order, reading tails', async () => {
    const cache = riskLineCacheOf(t.app.orm.em.fork());
    const [a1, a2] = carol.accounts as [string, string];
    const [b1] = dave.accounts as [string];
    const judged = new Date(Math.floor(Date.now() / MINUTE) * MINUTE + 30 * MINUTE);
    await expectSame(a1, b1, judged);
    const before = { ...cache.reads };
    // Each movement's clock is minutes before the judging instant, not in order: some inside the 10 minutes, some outside.
    const offsets = [3, 17, 1, 45, 9, 120, 11, 2, 61, 8, 30, 5];
    for (const [index, minutes] of offsets.entries()) {
      const at = new Date(judged.getTime() - minutes * MINUTE);
      const key = randomUUID();
      const step =
        index % 3 === 0
          ? withdraw(t.app.orm, carol.actor, { accountId: a1, amount: `${index + 1}.00`, channel: 'ACH', idempotencyKey: key }, { clock: () => at })
          : index % 3 === 1
            ? transfer(t.app.orm, carol.actor, { fromAccountId: a2, toAccountId: b1, amount: `${index + 1}.50`, idempotencyKey: key }, { clock: () => at })
            : withdraw(t.app.orm, cash, { accountId: a2, amount: `${index + 1}.25`, channel: 'CASH', idempotencyKey: key }, { clock: () => at });
      expect((await step).outcome).toMatchObject({ ok: true });
      await expectSame(a1, b1, judged);
      await expectSame(a2, null, new Date(judged.getTime() - 10 * MINUTE));
    }
    expect(cache.reads.full, 'no other window read').toBe(before.full);
    expect(cache.reads.tail - before.tail, "every read after the first was a tail: the first named every account of Carol's").toBe(2 * offsets.length);
    expect(cache.size).toBeGreaterThan(0);
    const facts = (await expectSame(a1, b1, judged)) as { outgoing: string[] };
    expect(facts.outgoing.length, 'not vacuous: velocity counted in ACH, CASH and the transfer rail').toBeGreaterThanOrEqual(2);
  });

  it('does not take a line as settled while the transaction that wrote it is open, and counts it once it commits', async () => {
    const [a1] = carol.accounts as [string];
    const now = new Date();
    await expectSame(a1, null, now);
    const open = await t.database.pool.connect();
    try {
      await open.query('begin');
      // A line written by hand stands for a movement whose transaction is slow to commit (it stays: deleting a line is not a way lines change).
      await open.query(
        `insert into risk_lines (customer_id, at, entry_id, kind, channel, currency, amount_minor, outgoing) values ($1, $2, -1, 'WITHDRAWAL', 'WIRE', 'USD', 777, true)`,
        [carol.actor.userId, new Date(now.getTime() - MINUTE).toISOString()],
      );
      // A later transaction commits meanwhile, and the process reads past it.
      expect((await withdraw(t.app.orm, carol.actor, { accountId: a1, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() })).outcome).toMatchObject({ ok: true });
      const whileOpen = (await expectSame(a1, null, new Date(now.getTime() + MINUTE))) as { outgoing: string[] };
      expect(whileOpen.outgoing.some((row) => row.startsWith('WIRE'))).toBe(false);
      await open.query('commit');
    } finally {
      open.release();
    }
    const committed = (await expectSame(a1, null, new Date(now.getTime() + MINUTE))) as { outgoing: string[] };
    expect(committed.outgoing.find((row) => row.startsWith('WIRE')), 'the late line is counted').toMatch(/^WIRE USD 1\/777 /);
  });

  it("reads the whole window again after the customer's lines were rebuilt", async () => {
    const [a1] = carol.accounts as [string];
    const now = new Date(Date.now() + 2 * MINUTE);
    await expectSame(a1, null, now);
    const cache = riskLineCacheOf(t.app.orm.em.fork());
    const full = cache.reads.full;
    // A rebuild deletes every line of the customer and writes them again: a tail would see only the new copies.
    await t.database.pool.query(`select tally_risk_lines_rebuild($1)`, [carol.actor.userId]);
    await expectSame(a1, null, now);
    expect(cache.reads.full).toBe(full + 1);
    // Tails again once the rebuild is below the watermark: once every transaction older than it has
    // ended (cluster-wide, other tests' included), the next window's watermark passes it.
    await settledPast(await rebuiltOf(carol.actor.userId));
    await expectSame(a1, null, now);
    const tails = cache.reads.tail;
    await expectSame(a1, null, now);
    expect(cache.reads.tail, 'and tails again after').toBe(tails + 1);
  });

  it('answers the whole window when the lines kept were read from another server, for another customer, or above the ids given now', async () => {
    const [a1] = carol.accounts as [string];
    const now = new Date();
    const day = bankingDayContaining(now, CALENDAR);
    const ask = async (customerId: string, server: string | null, idsAhead = 0) =>
      (
        await t.database.pool.query<{ answer: { full: boolean; server: string } }>(
          `select tally_risk_tail($1, null, $2, $3, $4, $5, (pg_snapshot_xmin(pg_current_snapshot())::text::numeric + $7)::text::xid8, 0, $6) as answer`,
          [a1, now.toISOString(), day.startsAt.toISOString(), day.endsAt.toISOString(), customerId, server, idsAhead],
        )
      ).rows[0]!.answer;
    // The rebuild of the test before must be settled, or it alone makes Carol's answer a whole window.
    await settledPast(await rebuiltOf(carol.actor.userId));
    const { server } = await ask(carol.actor.userId, null);
    expect(server).toMatch(/@/);
    expect((await ask(carol.actor.userId, server)).full).toBe(false);
    expect((await ask(carol.actor.userId, `${server} (before a failover)`)).full).toBe(true);
    expect((await ask(dave.actor.userId, server)).full, 'the account now belongs to another customer').toBe(true);
    // Transaction ids below the watermark again: what a crash can do to ids whose commit never reached the disk.
    expect((await ask(carol.actor.userId, server, 1_000_000)).full, 'ids went back below the watermark').toBe(true);
  });
});
