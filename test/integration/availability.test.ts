import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BalanceDocument,
  CaptureHoldDocument,
  DepositDocument,
  LayeredHistoryDocument,
  TransactionAvailabilityDocument,
  VoidHoldDocument,
  WithdrawDocument,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { deposit } from '../../src/ledger/commands/deposit.js';
import { releaseAvailabilityCommand } from '../../src/ledger/commands/change-hold.js';
import { runSystemCommands } from '../../src/ledger/system/run-system-commands.js';
import { HoldExpiry } from '../../src/ledger/system/hold-expiry.js';
import { availableAfterBusinessDays, DEFAULT_BANK_CALENDAR } from '../../src/ledger/calendar/business-days.js';
import { createLogger } from '../../src/logger.js';

/**
 * Funds availability wired into deposits (issue 8 §4): a check posts at once and holds each part
 * not yet available in the same transaction; the system actor releases each part on its business
 * day. The policy's own table lives in test/ledger/availability-policy.test.ts.
 */
let t: TestApp;
let alice: TestUser;
let teller: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [alice, teller] = await Promise.all([t.user(), t.user('OPERATOR')]);
});
afterAll(() => t.close());

const aliceActor = () => ({ userId: alice.id, role: 'CUSTOMER' as const });
const balanceOf = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance!;
const availabilityOf = async (id: string) => dataOf(await t.gql(TransactionAvailabilityDocument, { id }, alice.token)).transaction!;
const holdsOf = async (accountId: string) =>
  (await t.database.pool.query<{ id: string; status: string; amount: string; release_at: Date }>(
    `select id, status, amount_minor::text as amount, release_at from holds where account_id = $1 and reason = 'DEPOSIT_AVAILABILITY' order by release_at`,
    [accountId],
  )).rows;
/** A scheduler of this app's ledger whose clock the test sets: one round releases what is due then. */
const releasesAt = (at: string) => new HoldExpiry(t.app.orm, createLogger('silent'), 1_000, () => new Date(at)).round();
const openedDaysAgo = (accountId: string, days: number, from: Date) =>
  t.database.pool.query(`update accounts set created_at = $2 where id = $1`, [accountId, new Date(from.getTime() - days * 86_400_000)]);

let achRails: Promise<TestUser> | undefined;
/** Who posts a deposit on each rail: the customer a check, the cash service cash and ATM, the ACH processor ACH. */
async function depositorOf(channel: 'CHECK' | 'ATM' | 'CASH' | 'ACH'): Promise<TestUser> {
  if (channel === 'CHECK') return alice;
  if (channel === 'ACH') return (achRails ??= t.user('SERVICE', { channels: ['ACH'] }));
  return t.cashier();
}

async function depositGql(accountId: string, amount: string, channel: 'CHECK' | 'ATM' | 'CASH' | 'ACH' = 'CHECK') {
  const result = dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel, idempotencyKey: randomUUID() } }, (await depositorOf(channel)).token)).deposit;
  if (result.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(result));
  return result;
}

describe('a check deposit on a schedule of business days', () => {
  // Friday 18 January 2030, 10:00 in New York; Monday the 21st is Martin Luther King Jr. Day.
  const FRIDAY = new Date('2030-01-18T15:00:00Z');

  it('10,000.00 on a 10-day-old account before a holiday weekend: posted at once, 275.00 on Tuesday, the rest on the ninth business day, each release one version', async () => {
    const accountId = await t.account(alice);
    await openedDaysAgo(accountId, 10, FRIDAY);
    const made = await deposit(t.app.orm, aliceActor(), { accountId, amount: '10000.00', channel: 'CHECK', externalRef: 'chk-77', idempotencyKey: randomUUID() }, { clock: () => FRIDAY });
    expect(made.outcome).toMatchObject({ ok: true, balances: [{ postedMinor: '1000000', pendingMinor: '1000000', version: 1 }] });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '10000.00', pending: '10000.00', available: '0.00', version: 1 });
    const transactionId = made.outcome.ok && 'transactionId' in made.outcome ? made.outcome.transactionId : '';
    expect(await availabilityOf(transactionId)).toMatchObject({
      kind: 'DEPOSIT',
      status: 'POSTED',
      availability: [
        // Tuesday 22 January 09:00 New York (EST): the first 275.00, the next business day after the holiday.
        { amount: '275.00', availableAt: '2030-01-22T14:00:00.000Z', released: false },
        // A new account (under 30 days): the rest on the ninth business day, Friday 1 February.
        { amount: '9725.00', availableAt: '2030-02-01T14:00:00.000Z', released: false },
      ],
    });

    // The weekend and the holiday release nothing, nor Tuesday a minute before nine.
    expect(await releasesAt('2030-01-21T20:00:00Z')).toBe(0);
    expect(await releasesAt('2030-01-22T13:59:00Z')).toBe(0);
    expect(await balanceOf(accountId)).toMatchObject({ available: '0.00', version: 1 });
    expect(await releasesAt('2030-01-22T14:00:00Z')).toBe(1);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '10000.00', pending: '9725.00', available: '275.00', version: 2 });

    // The held part cannot be spent.
    const spend = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '275.01', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(spend).toMatchObject({ __typename: 'InsufficientFundsError', code: 'INSUFFICIENT_FUNDS' });

    expect(await releasesAt('2030-01-31T22:00:00Z')).toBe(0);
    expect(await releasesAt('2030-02-01T14:00:00Z')).toBe(1);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '10000.00', pending: '0.00', available: '10000.00', version: 3 });
    expect((await availabilityOf(transactionId)).availability.map((part) => part.released)).toEqual([true, true]);
    const lines = dataOf(await t.gql(LayeredHistoryDocument, { accountId, first: 5 }, alice.token)).transactions.edges.map((edge) => edge.node);
    expect(lines.map((line) => [line.version, line.transaction.kind, line.layer, line.availableAfter])).toEqual([
      [3, 'HOLD_RELEASE', 'PENDING', '10000.00'],
      [2, 'HOLD_RELEASE', 'PENDING', '275.00'],
      [1, 'DEPOSIT', 'POSTED', '0.00'],
    ]);
    const steps = await t.database.pool.query(
      `select u.username, ht.step, h.status from holds h join hold_transactions ht on ht.hold_id = h.id join ledger_transactions lt on lt.id = ht.transaction_id
         join users u on u.id = lt.initiated_by where h.account_id = $1 order by h.release_at`,
      [accountId],
    );
    expect(steps.rows).toEqual([
      { username: '@system', step: 'RELEASE', status: 'EXPIRED' },
      { username: '@system', step: 'RELEASE', status: 'EXPIRED' },
    ]);
  });

  it('a release retried with its deterministic key happens once; a crash before commit leaves the hold held; early is refused', async () => {
    const accountId = await t.account(alice);
    await openedDaysAgo(accountId, 60, FRIDAY);
    await deposit(t.app.orm, aliceActor(), { accountId, amount: '200.00', channel: 'CHECK', idempotencyKey: randomUUID() }, { clock: () => FRIDAY });
    const [hold] = await holdsOf(accountId);
    expect(hold).toMatchObject({ amount: '20000', release_at: new Date('2030-01-22T14:00:00Z') });
    const early = await runSystemCommands(t.app.orm, [releaseAvailabilityCommand(hold!.id)], { clock: () => new Date('2030-01-22T13:00:00Z') });
    expect(early[0].outcome).toMatchObject({ ok: false, code: 'VALIDATION' });
    const clock = () => new Date('2030-01-22T14:00:00Z');
    // The process dies after the release is written, before the commit: nothing of it remains.
    await expect(
      runSystemCommands(t.app.orm, [releaseAvailabilityCommand(hold!.id)], { clock, withinUnit: () => Promise.reject(new Error('crash before commit')) }),
    ).rejects.toThrow('crash before commit');
    expect((await holdsOf(accountId))[0]!.status).toBe('ACTIVE');
    expect(await balanceOf(accountId)).toMatchObject({ available: '0.00', version: 1 });
    // Two processes retry at once, and once more later: one release, the others replay it.
    const results = await Promise.all([1, 2, 3].map(() => runSystemCommands(t.app.orm, [releaseAvailabilityCommand(hold!.id)], { clock })));
    const again = await runSystemCommands(t.app.orm, [releaseAvailabilityCommand(hold!.id)], { clock });
    expect(results.filter(([result]) => !result.replayed && result.outcome.ok)).toHaveLength(1);
    expect([...results.map(([result]) => result), again[0]].every((result) => result.outcome.ok)).toBe(true);
    expect(again[0].replayed).toBe(true);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '200.00', pending: '0.00', available: '200.00', version: 2 });
  });

  it('the customer can neither capture nor void an availability hold; an operator may release it early', async () => {
    const accountId = await t.account(alice);
    await depositGql(accountId, '80.00');
    const [hold] = await holdsOf(accountId);
    const capture = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: hold!.id, idempotencyKey: randomUUID() } }, alice.token)).captureHold;
    const voided = dataOf(await t.gql(VoidHoldDocument, { input: { holdId: hold!.id, idempotencyKey: randomUUID() } }, alice.token)).voidHold;
    // The hold is on the CHECK rail, which is no customer's to hold on (decide/permissions.ts): FORBIDDEN
    // comes before the hold's own state is looked at.
    expect(capture).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(voided).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    const tellerCapture = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: hold!.id, idempotencyKey: randomUUID() } }, teller.token)).captureHold;
    // Operators never capture: FORBIDDEN, as for any hold.
    expect(tellerCapture).toMatchObject({ __typename: 'ForbiddenError' });
    // Even the check-clearing service, which may capture on CHECK, cannot capture an availability hold.
    const clearing = await t.user('SERVICE', { channels: ['CHECK'] });
    const clearingCapture = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: hold!.id, idempotencyKey: randomUUID() } }, clearing.token)).captureHold;
    expect(clearingCapture).toMatchObject({ __typename: 'HoldNotActiveError', code: 'HOLD_NOT_ACTIVE' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '80.00', available: '0.00', version: 1 });
    const early = dataOf(await t.gql(VoidHoldDocument, { input: { holdId: hold!.id, idempotencyKey: randomUUID() } }, teller.token)).voidHold;
    expect(early).toMatchObject({ __typename: 'HoldChange', hold: { status: 'VOIDED', reason: 'DEPOSIT_AVAILABILITY' } });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '80.00', pending: '0.00', available: '80.00', version: 2 });
  });
});

describe('through GraphQL, on the real clock', () => {
  const day = (deposited: string, businessDays: number) => availableAfterBusinessDays(new Date(deposited), businessDays, DEFAULT_BANK_CALENDAR).toISOString();

  it('a new account: the first 275.00 on the next business day, the rest on the ninth; ATM deposits follow the check schedule', async () => {
    const accountId = await t.account(alice);
    const made = await depositGql(accountId, '1000.00');
    expect(made.balances).toEqual([expect.objectContaining({ posted: '1000.00', pending: '1000.00', available: '0.00', version: 1 })]);
    const createdAt = made.transaction.createdAt as string;
    expect((await availabilityOf(made.transaction.id)).availability).toEqual([
      { amount: '275.00', availableAt: day(createdAt, 1), released: false },
      { amount: '725.00', availableAt: day(createdAt, 9), released: false },
    ]);
    const atm = await depositGql(accountId, '100.00', 'ATM');
    // The day's first 275.00 is already taken by the check: the ATM deposit waits for the ninth day.
    expect((await availabilityOf(atm.transaction.id)).availability).toEqual([{ amount: '100.00', availableAt: day(atm.transaction.createdAt as string, 9), released: false }]);
  });

  it('an older account over 6,725.00 in one banking day: the excess on the ninth business day, across two deposits', async () => {
    const accountId = await t.account(alice);
    await openedDaysAgo(accountId, 60, new Date());
    const first = await depositGql(accountId, '5000.00');
    const second = await depositGql(accountId, '3000.00');
    const at = first.transaction.createdAt as string;
    expect((await availabilityOf(first.transaction.id)).availability).toEqual([
      { amount: '275.00', availableAt: day(at, 1), released: false },
      { amount: '4725.00', availableAt: day(at, 2), released: false },
    ]);
    expect((await availabilityOf(second.transaction.id)).availability).toEqual([
      { amount: '1725.00', availableAt: day(at, 2), released: false },
      { amount: '1275.00', availableAt: day(at, 9), released: false },
    ]);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '8000.00', pending: '8000.00', available: '0.00', version: 2 });
  });

  it('cash and electronic deposits are available at once by default: one part, released, no hold', async () => {
    const accountId = await t.account(alice);
    const cash = await depositGql(accountId, '40.00', 'CASH');
    const ach = await depositGql(accountId, '60.00', 'ACH');
    expect((await availabilityOf(cash.transaction.id)).availability).toEqual([{ amount: '40.00', availableAt: cash.transaction.createdAt, released: true }]);
    expect((await availabilityOf(ach.transaction.id)).availability).toEqual([{ amount: '60.00', availableAt: ach.transaction.createdAt, released: true }]);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00', pending: '0.00', available: '100.00' });
    expect(await holdsOf(accountId)).toEqual([]);
  });

  it('availability is empty for anything but a deposit', async () => {
    const accountId = await t.account(alice, { opening: '10.00' });
    const spent = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    if (spent.__typename !== 'MoneyMovement') throw new Error(spent.__typename);
    expect((await availabilityOf(spent.transaction.id)).availability).toEqual([]);
  });
});

describe('AVAILABILITY_ELECTRONIC=next-business-day', () => {
  let nextDay: TestApp;
  beforeAll(async () => {
    nextDay = await startTestApp({ environment: { AVAILABILITY_ELECTRONIC: 'next-business-day' } });
  });
  afterAll(() => nextDay.close());

  it('holds a cash deposit until the next business day', async () => {
    const user = await nextDay.user();
    const accountId = await nextDay.account(user);
    const made = dataOf(await nextDay.gql(DepositDocument, { input: { accountId, amount: '50.00', channel: 'CASH', idempotencyKey: randomUUID() } }, (await nextDay.cashier()).token)).deposit;
    if (made.__typename !== 'MoneyMovement') throw new Error(made.__typename);
    expect(made.balances).toEqual([expect.objectContaining({ posted: '50.00', pending: '50.00', available: '0.00', version: 1 })]);
    const parts = dataOf(await nextDay.gql(TransactionAvailabilityDocument, { id: made.transaction.id }, user.token)).transaction!.availability;
    expect(parts).toEqual([{ amount: '50.00', availableAt: availableAfterBusinessDays(new Date(made.transaction.createdAt as string), 1, DEFAULT_BANK_CALENDAR).toISOString(), released: false }]);
  });
});
