import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeHold } from '../../src/ledger/commands/authorize-hold.js';
import { captureHold } from '../../src/ledger/commands/change-hold.js';
import type { CommandResult, StoredOutcome } from '../../src/ledger/commands/command.js';
import { deposit, depositCommand } from '../../src/ledger/commands/deposit.js';
import { runCommands } from '../../src/ledger/commands/run-command.js';
import { transfer } from '../../src/ledger/commands/transfer.js';
import { withdraw } from '../../src/ledger/commands/withdraw.js';
import { formatMinor } from '../../src/ledger/money.js';
import type { Actor } from '../../src/ledger/types.js';
import { MAX_STATEMENT_LINES_GRAPHQL } from '../../src/ledger/limits.js';
import { BalanceAtDocument, BalanceDocument, StatementDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { ensurePdfToText, pdfText } from '../helpers/pdf-text.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * Statements and balances at an instant (issue 10 §2) over a generated year of history, posted
 * through the real command envelope with the clock set to each movement's time. The expected
 * figures come from the generator's own model of what it posted, not from the ledger's answers.
 */
const ZONE = 'America/New_York';
const YEAR = 2025;
const MONTHS = Array.from({ length: 12 }, (_, index) => `${YEAR}-${String(index + 1).padStart(2, '0')}`);

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let operator: TestUser;
let cashier: TestUser;
let aliceAccount: string;
let bobAccount: string;
let carolAccount: string;
let dave: TestUser;
let daveAccount: string;

/** What the generator posted on Alice's account: the posted change (0 for a hold) and the pending after. */
interface Posted {
  readonly at: Date;
  readonly transactionId: string;
  readonly postedChangeMinor: bigint;
  readonly pendingAfterMinor: bigint;
}
const posted: Posted[] = [];

/** A small seeded generator, so a failure replays the same year. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const monthStart = (month: string) => DateTime.fromISO(`${month}-01`, { zone: ZONE });
const amountText = (minor: bigint) => formatMinor(minor, 2);

function okOf<Outcome extends StoredOutcome>(result: CommandResult<Outcome>): Extract<Outcome, { ok: true }> {
  if (!result.outcome.ok) throw new Error(`movement refused: ${JSON.stringify(result.outcome)}`);
  return result.outcome as Extract<Outcome, { ok: true }>;
}
/** The posted transaction of an outcome; an outcome in review (risk is off here) fails the test. */
function transactionIdOf(outcome: object): string {
  if (!('transactionId' in outcome) || typeof outcome.transactionId !== 'string') throw new Error(`not posted: ${JSON.stringify(outcome)}`);
  return outcome.transactionId;
}

/**
 * Each month: a deposit at the month's very first instant (local midnight on the 1st), a few
 * random cash deposits and withdrawals, a transfer each way with Bob, and a deposit at the month's
 * last millisecond.
 */
async function generateYear(): Promise<void> {
  const random = seeded(20261202);
  const aliceActor: Actor = { userId: alice.id, role: 'CUSTOMER' };
  const bobActor: Actor = { userId: bob.id, role: 'CUSTOMER' };
  const cash: Actor = { userId: cashier.id, role: 'SERVICE', channels: ['CASH', 'ATM'] };
  const key = () => randomUUID();
  let balance = 0n;
  const record = (at: Date, transactionId: string, change: bigint) => {
    balance += change;
    posted.push({ at, transactionId, postedChangeMinor: change, pendingAfterMinor: 0n });
  };
  await deposit(t.app.orm, cash, { accountId: bobAccount, amount: '100000.00', channel: 'CASH', idempotencyKey: key() }, { clock: () => new Date(`${YEAR - 1}-12-15T15:00:00Z`) });
  for (const month of MONTHS) {
    const start = monthStart(month);
    const days = start.daysInMonth!;
    const at = (day: number, hour: number, minute: number) => start.set({ day, hour, minute }).toJSDate();
    const first = start.toJSDate();
    const firstAmount = BigInt(10_000 + Math.floor(random() * 90_000));
    record(first, transactionIdOf(okOf(await deposit(t.app.orm, cash, { accountId: aliceAccount, amount: amountText(firstAmount), channel: 'CASH', description: `Salary ${month}`, idempotencyKey: key() }, { clock: () => first }))), firstAmount);
    for (let day = 2; day < days - 3; day += 3 + Math.floor(random() * 4)) {
      const amount = BigInt(100 + Math.floor(random() * 20_000));
      const when = at(day, 9 + Math.floor(random() * 10), Math.floor(random() * 60));
      if (random() < 0.5 || balance < amount) {
        record(when, transactionIdOf(okOf(await deposit(t.app.orm, cash, { accountId: aliceAccount, amount: amountText(amount), channel: 'CASH', idempotencyKey: key() }, { clock: () => when }))), amount);
      } else {
        record(when, transactionIdOf(okOf(await withdraw(t.app.orm, cash, { accountId: aliceAccount, amount: amountText(amount), channel: 'CASH', idempotencyKey: key() }, { clock: () => when }))), -amount);
      }
    }
    const toBob = at(days - 3, 12, 0);
    record(toBob, transactionIdOf(okOf(await transfer(t.app.orm, aliceActor, { fromAccountId: aliceAccount, toAccountId: bobAccount, amount: '12.34', description: 'Rent share', idempotencyKey: key() }, { clock: () => toBob }))), -1234n);
    const fromBob = at(days - 3, 13, 0);
    record(fromBob, transactionIdOf(okOf(await transfer(t.app.orm, bobActor, { fromAccountId: bobAccount, toAccountId: aliceAccount, amount: '56.78', description: '=HYPERLINK("x")', idempotencyKey: key() }, { clock: () => fromBob }))), 5678n);
    const last = new Date(start.plus({ months: 1 }).toJSDate().getTime() - 1);
    record(last, transactionIdOf(okOf(await deposit(t.app.orm, cash, { accountId: aliceAccount, amount: '0.01', channel: 'CASH', description: 'Interest', idempotencyKey: key() }, { clock: () => last }))), 1n);
  }
}

/**
 * A card hold (a PENDING line, no posted change) and its partial capture, in the current month on
 * clocks 10 s and 9 s ago: the app's hold expiry runs on the real clock, so a hold dated in 2025
 * would be due at once and might expire before its capture.
 */
const HOLD_AT = new Date(Date.now() - 10_000);
const CAPTURE_AT = new Date(HOLD_AT.getTime() + 1_000);
async function holdAndCapture(): Promise<void> {
  const card: Actor = { userId: (await t.user('SERVICE', { channels: ['CARD'] })).id, role: 'SERVICE', channels: ['CARD'] };
  const hold = okOf(await authorizeHold(t.app.orm, card, { accountId: aliceAccount, amount: '25.00', channel: 'CARD', description: 'Coffee shop', idempotencyKey: randomUUID() }, { clock: () => HOLD_AT }));
  posted.push({ at: HOLD_AT, transactionId: transactionIdOf(hold), postedChangeMinor: 0n, pendingAfterMinor: 2_500n });
  const capture = okOf(await captureHold(t.app.orm, card, { holdId: hold.holdId, amount: '19.99', final: true, idempotencyKey: randomUUID() }, { clock: () => CAPTURE_AT }));
  posted.push({ at: CAPTURE_AT, transactionId: transactionIdOf(capture), postedChangeMinor: -1999n, pendingAfterMinor: 0n });
}

/** Dave's August: more lines than one GraphQL statement returns, posted 100 to a unit. */
const DAVE_LINES = MAX_STATEMENT_LINES_GRAPHQL + 1;
async function generateDavesAugust(): Promise<void> {
  const cash: Actor = { userId: cashier.id, role: 'SERVICE', channels: ['CASH', 'ATM'] };
  for (let first = 0; first < DAVE_LINES; first += 100) {
    const when = monthStart('2025-08').set({ day: 2 + first / 100, hour: 12 }).toJSDate();
    const commands = Array.from({ length: Math.min(100, DAVE_LINES - first) }, () => depositCommand(cash, { accountId: daveAccount, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() }));
    const results = await runCommands(t.app.orm, commands, { clock: () => when });
    expect(results.every((result) => result.outcome.ok)).toBe(true);
  }
}

/** Carol's June: enough lines for a statement of several pages. */
const CAROL_LINES = 95;
async function generateCarolsJune(): Promise<void> {
  const cash: Actor = { userId: cashier.id, role: 'SERVICE', channels: ['CASH', 'ATM'] };
  for (let index = 1; index <= CAROL_LINES; index += 1) {
    const when = monthStart('2025-06').set({ day: 1 + Math.floor(((index - 1) * 29) / CAROL_LINES), hour: 10 }).plus({ minutes: index }).toJSDate();
    await deposit(t.app.orm, cash, { accountId: carolAccount, amount: `${index}.${String(index % 100).padStart(2, '0')}`, channel: 'CASH', description: `Invoice #${index}`, idempotencyKey: randomUUID() }, { clock: () => when });
  }
}

beforeAll(async () => {
  ensurePdfToText();
  t = await startTestApp();
  [alice, bob, carol, dave, operator, cashier] = await Promise.all([t.user(), t.user(), t.user(), t.user(), t.user('OPERATOR'), t.cashier()]);
  [aliceAccount, bobAccount, carolAccount, daveAccount] = await Promise.all([t.account(alice), t.account(bob), t.account(carol), t.account(dave)]);
  await generateYear();
  await holdAndCapture();
  await generateCarolsJune();
  await generateDavesAugust();
}, 240_000);
afterAll(() => t.close());

async function statementOf(user: TestUser, accountId: string, month: string) {
  return dataOf(await t.gql(StatementDocument, { accountId, month }, user.token)).statement;
}
async function balanceAt(user: TestUser, accountId: string, at: Date) {
  return dataOf(await t.gql(BalanceAtDocument, { accountId, at: at.toISOString() }, user.token)).balance;
}
async function download(user: TestUser | undefined, path: string) {
  return fetch(`${t.url}${path}`, { headers: user ? { authorization: `Bearer ${user.token}` } : {} });
}

describe('a generated year of history', () => {
  it('every month: closing - opening = totalIn - totalOut, closing = balance(at: the month\'s last instant), the lines are what was posted', async () => {
    let previousClosing = '0.00';
    for (const month of MONTHS) {
      const start = monthStart(month).toJSDate();
      const end = monthStart(month).plus({ months: 1 }).toJSDate();
      const statement = await statementOf(alice, aliceAccount, month);
      expect(statement).not.toBeNull();
      const expectedLines = posted.filter((line) => line.at >= start && line.at < end && line.postedChangeMinor !== 0n);
      const totalIn = expectedLines.filter((line) => line.postedChangeMinor > 0n).reduce((sum, line) => sum + line.postedChangeMinor, 0n);
      const totalOut = expectedLines.filter((line) => line.postedChangeMinor < 0n).reduce((sum, line) => sum - line.postedChangeMinor, 0n);
      const opening = posted.filter((line) => line.at < start).reduce((sum, line) => sum + line.postedChangeMinor, 0n);
      expect(statement).toMatchObject({ accountId: aliceAccount, month, opening: amountText(opening), totalIn: amountText(totalIn), totalOut: amountText(totalOut), closing: amountText(opening + totalIn - totalOut) });
      expect(statement!.opening).toBe(previousClosing);
      expect(statement!.lines.map((line) => [line.transactionId, line.amount])).toEqual(expectedLines.map((line) => [line.transactionId, amountText(line.postedChangeMinor)]));
      // The month's first line is at its first instant, and its last at its last millisecond.
      expect(new Date(statement!.lines[0]!.date).getTime()).toBe(start.getTime());
      expect(new Date(statement!.lines.at(-1)!.date).getTime()).toBe(end.getTime() - 1);
      const atEnd = await balanceAt(alice, aliceAccount, new Date(end.getTime() - 1));
      expect(atEnd?.posted).toBe(statement!.closing);
      const atStart = await balanceAt(alice, aliceAccount, new Date(start.getTime() - 1));
      expect(atStart?.posted).toBe(statement!.opening);
      previousClosing = statement!.closing;
    }
    // After the year, only the current month's capture of 19.99 moved the posted balance.
    const current = dataOf(await t.gql(BalanceDocument, { accountId: aliceAccount }, alice.token)).balance;
    expect(current?.posted).toBe(amountText(posted.reduce((sum, line) => sum + line.postedChangeMinor, 0n)));
    expect(BigInt(current!.posted.replace('.', ''))).toBe(BigInt(previousClosing.replace('.', '')) - 1999n);
  });

  it('balance(at:) answers the posted and pending balances of every line, and the version of the line', async () => {
    for (const [index, line] of posted.entries()) {
      if (index % 7 !== 0) continue;
      const expectedPosted = posted.slice(0, index + 1).reduce((sum, one) => sum + one.postedChangeMinor, 0n);
      const answer = await balanceAt(alice, aliceAccount, line.at);
      expect(answer).toMatchObject({ posted: amountText(expectedPosted), pending: amountText(line.pendingAfterMinor), available: amountText(expectedPosted - line.pendingAfterMinor), version: index + 1 });
      expect(new Date(answer!.asOf).getTime()).toBe(line.at.getTime());
    }
    // A hold shows as pending between its authorization and its capture, and not after.
    expect(await balanceAt(alice, aliceAccount, new Date(HOLD_AT.getTime() + 500))).toMatchObject({ pending: '25.00', version: posted.length - 1 });
    expect(await balanceAt(alice, aliceAccount, CAPTURE_AT)).toMatchObject({ pending: '0.00', version: posted.length });
  });

  it('before the first line: zeros at version 0, asOf = at; a month before it: zeros and no lines; the month still running: up to now, holds left out', async () => {
    const early = new Date('2024-01-01T00:00:00.000Z');
    expect(await balanceAt(alice, aliceAccount, early)).toMatchObject({ posted: '0.00', pending: '0.00', available: '0.00', version: 0, asOf: early.toISOString() });
    expect(await statementOf(alice, aliceAccount, '2024-11')).toMatchObject({ opening: '0.00', closing: '0.00', totalIn: '0.00', totalOut: '0.00', lines: [] });
    const thisMonth = DateTime.now().setZone(ZONE).toFormat('yyyy-MM');
    const current = dataOf(await t.gql(BalanceDocument, { accountId: aliceAccount }, alice.token)).balance;
    const running = await statementOf(alice, aliceAccount, thisMonth);
    expect(running).toMatchObject({ closing: current!.posted, totalIn: '0.00', totalOut: '19.99' });
    expect(running!.lines.map((line) => [line.transactionId, line.amount])).toEqual([[posted.at(-1)!.transactionId, '-19.99']]);
  });

  it('VALIDATION: at in the future, a malformed month, a month not begun; nothing is answered', async () => {
    const future = await t.gql(BalanceAtDocument, { accountId: aliceAccount, at: new Date(Date.now() + 60_000).toISOString() }, alice.token);
    expect(future.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    for (const month of ['2025-13', '2025-1', 'November', '1999-12', '2999-01']) {
      const answer = await t.gql(StatementDocument, { accountId: aliceAccount, month }, alice.token);
      expect(answer.errors?.[0]?.extensions?.code, month).toBe('VALIDATION');
      expect(answer.data?.statement ?? null).toBeNull();
    }
    expect((await download(alice, `/v1/statements/${aliceAccount}/2999-01.pdf`)).status).toBe(400);
  });
});

describe('downloads', () => {
  it('the PDF reads like a statement: bank, masked account number, every line with its amount and balance, page numbers', async () => {
    const statement = (await statementOf(carol, carolAccount, '2025-06'))!;
    expect(statement.lines).toHaveLength(CAROL_LINES);
    const response = await download(carol, `/v1/statements/${carolAccount}/2025-06.pdf`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/pdf');
    const text = pdfText(new Uint8Array(await response.arrayBuffer()));
    const number = (await t.database.pool.query<{ number: string }>('select number from accounts where id = $1', [carolAccount])).rows[0]!.number;
    expect(text).toContain('Tally Bank');
    expect(text).toContain(`*******${number.slice(-4)}`);
    expect(text).not.toContain(number);
    expect(text).toMatch(/Opening balance\s+0\.00/);
    expect(text).toMatch(new RegExp(`Closing balance\\s+${statement.closing.replace('.', '\\.')}`));
    const textLines = text.split('\n');
    for (const line of statement.lines) {
      const date = DateTime.fromISO(line.date).setZone(ZONE).toISODate()!;
      const row = textLines.find((candidate) => new RegExp(`${line.description}\\s`).test(`${candidate} `));
      expect(row, line.description!).toBeDefined();
      expect(row).toContain(date);
      expect(row).toContain(line.amount);
      expect(row).toContain(line.balanceAfter);
    }
    const pages = text.split('\f').filter((page) => page.trim().length > 0);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    pages.forEach((page, index) => expect(page).toContain(`Page ${index + 1} of ${pages.length}`));
  });

  it('the CSV has the opening, every line and the closing, formulas defused', async () => {
    const response = await download(alice, `/v1/statements/${aliceAccount}/2025-03.csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const rows = parse(await response.text(), { columns: true }) as Array<Record<string, string>>;
    const statement = (await statementOf(alice, aliceAccount, '2025-03'))!;
    expect(rows[0]).toMatchObject({ description: 'Opening balance', balance_after: statement.opening });
    expect(rows.at(-1)).toMatchObject({ description: 'Closing balance', balance_after: statement.closing });
    expect(rows.slice(1, -1).map((row) => [row.transaction_id, row.amount, row.balance_after])).toEqual(statement.lines.map((line) => [line.transactionId, line.amount, line.balanceAfter]));
    expect(rows.find((row) => row.description?.includes('HYPERLINK'))?.description).toBe(`'=HYPERLINK("x")`);
  });
});

describe('bounds', () => {
  it('a month over 1,000 lines is LIMIT_EXCEEDED in GraphQL and downloads whole', async () => {
    const answer = await t.gql(StatementDocument, { accountId: daveAccount, month: '2025-08' }, dave.token);
    expect(answer.errors?.[0]?.extensions?.code).toBe('LIMIT_EXCEEDED');
    const response = await download(dave, `/v1/statements/${daveAccount}/2025-08.csv`);
    expect(response.status).toBe(200);
    const rows = parse(await response.text(), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(DAVE_LINES + 2);
    expect(rows.at(-1)).toMatchObject({ description: 'Closing balance', balance_after: amountText(BigInt(DAVE_LINES) * 100n) });
  });

  it('balance(at:) and the statement read the history by the index (account, time), not a scan of entries', async () => {
    await t.database.pool.query('analyze entries');
    const plan = await t.database.pool.query(
      `explain select e.balance_after_minor from entries e
        where e.account_id = $1 and e.account_version is not null and e.created_at <= $2
        order by e.created_at desc, e.account_version desc limit 1`,
      [daveAccount, '2025-08-15T00:00:00Z'],
    );
    const text = plan.rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
    expect(text).toContain('entries_history_by_time');
    expect(text).not.toMatch(/Seq Scan on entries/);
  });
});

describe('privacy: a statement is seen exactly as its account is', () => {
  it('another customer and a service get null over GraphQL and 404 over REST, the same as an unknown account', async () => {
    const unknown = randomUUID();
    for (const user of [bob, cashier]) {
      expect(await statementOf(user, carolAccount, '2025-06')).toBeNull();
      expect(await balanceAt(user, carolAccount, new Date('2025-07-01T00:00:00Z'))).toBeNull();
      for (const format of ['pdf', 'csv']) {
        const foreign = await download(user, `/v1/statements/${carolAccount}/2025-06.${format}`);
        const missing = await download(user, `/v1/statements/${unknown}/2025-06.${format}`);
        expect([foreign.status, missing.status]).toEqual([404, 404]);
        expect(await foreign.json()).toEqual(await missing.json());
      }
    }
    expect(await statementOf(alice, unknown, '2025-06')).toBeNull();
    expect(await statementOf(alice, 'not-an-id', '2025-06')).toBeNull();
    expect((await download(alice, '/v1/statements/not-an-id/2025-06.csv')).status).toBe(404);
    expect((await download(undefined, `/v1/statements/${carolAccount}/2025-06.pdf`)).status).toBe(401);
  });

  it('an operator reads any customer\'s statement, and the read is audited', async () => {
    expect((await statementOf(operator, carolAccount, '2025-06'))?.lines).toHaveLength(CAROL_LINES);
    expect((await download(operator, `/v1/statements/${carolAccount}/2025-06.csv`)).status).toBe(200);
    const audited = await t.database.pool.query(`select count(*)::int as count from audit_events where actor_user_id = $1 and action = 'operator.read_account' and target = $2`, [operator.id, carolAccount]);
    expect(audited.rows[0].count).toBeGreaterThanOrEqual(2);
  });
});
