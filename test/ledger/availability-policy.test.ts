import { describe, expect, it } from 'vitest';
import {
  availabilityOf,
  DEFAULT_AVAILABILITY_POLICY,
  isNewAccount,
  isSubjectToCheckSchedule,
  policyFigureInMinor,
  type AvailabilityPolicy,
  type DepositForAvailability,
} from '../../src/ledger/decide/availability-policy.js';
import type { Channel } from '../../src/ledger/types.js';

const policy = DEFAULT_AVAILABILITY_POLICY;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Tuesday 2026-12-01 10:00 EST: the banking day is that Tuesday. */
const TUESDAY_MORNING = new Date('2026-12-01T15:00:00Z');
/** 09:00 EST on the 1st, 2nd and 9th business days after Tuesday 2026-12-01. */
const DAY_1 = '2026-12-02T14:00:00.000Z';
const DAY_2 = '2026-12-03T14:00:00.000Z';
const DAY_9 = '2026-12-14T14:00:00.000Z';
const OLD_ACCOUNT = new Date('2025-01-01T15:00:00Z');

function deposit(overrides: Partial<DepositForAvailability>): DepositForAvailability {
  return {
    channel: 'CHECK',
    amountMinor: 100_00n,
    currencyExponent: 2,
    accountOpenedAt: OLD_ACCOUNT,
    depositsSameBankingDayMinor: 0n,
    now: TUESDAY_MORNING,
    ...overrides,
  };
}

/** Parts as [amountMinor, availableAt ISO, reason] rows: easy to read in a table. */
function schedule(input: DepositForAvailability, withPolicy: AvailabilityPolicy = policy): Array<[bigint, string, string]> {
  return availabilityOf(input, withPolicy).map((part) => [part.amountMinor, part.availableAt.toISOString(), part.reason]);
}

describe('check deposits: the 275.00 next-day amount and the 6,725.00 large-deposit threshold at their edges', () => {
  it.each([
    ['274.99', 274_99n, [[274_99n, DAY_1, 'NEXT_BUSINESS_DAY']]],
    ['275.00', 275_00n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY']]],
    ['275.01', 275_01n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [1n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    ['6,724.99', 6_724_99n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [6_449_99n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    ['6,725.00', 6_725_00n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [6_450_00n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    ['6,725.01', 6_725_01n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [6_450_00n, DAY_2, 'SECOND_BUSINESS_DAY'], [1n, DAY_9, 'LARGE_DEPOSIT']]],
    ['0.01', 1n, [[1n, DAY_1, 'NEXT_BUSINESS_DAY']]],
  ])('%s on a Tuesday morning', (_label, amountMinor, expected) => {
    expect(schedule(deposit({ amountMinor }))).toEqual(expected);
  });
});

describe('the README example', () => {
  it('7,000.00 on Tuesday 2026-12-01 10:00 New York, a year-old account: 275.00 Wednesday 09:00, 6,450.00 Thursday, 275.00 Monday 12-14', () => {
    expect(schedule(deposit({ amountMinor: 7_000_00n }))).toEqual([
      [275_00n, DAY_1, 'NEXT_BUSINESS_DAY'],
      [6_450_00n, DAY_2, 'SECOND_BUSINESS_DAY'],
      [275_00n, DAY_9, 'LARGE_DEPOSIT'],
    ]);
  });
});

describe('check deposits: the limits count the banking day\'s earlier checks', () => {
  it.each([
    ['200.00 earlier, 100.00 now: 75.00 of the 275.00 left', 200_00n, 100_00n, [[75_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [25_00n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    ['274.99 earlier, 0.02 now', 274_99n, 2n, [[1n, DAY_1, 'NEXT_BUSINESS_DAY'], [1n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    ['275.00 earlier: nothing next day', 275_00n, 100_00n, [[100_00n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    ['6,700.00 earlier, 100.00 now: 25.00 below the threshold', 6_700_00n, 100_00n, [[25_00n, DAY_2, 'SECOND_BUSINESS_DAY'], [75_00n, DAY_9, 'LARGE_DEPOSIT']]],
    ['6,724.99 earlier, 0.02 now', 6_724_99n, 2n, [[1n, DAY_2, 'SECOND_BUSINESS_DAY'], [1n, DAY_9, 'LARGE_DEPOSIT']]],
    ['6,725.00 earlier, 0.01 now', 6_725_00n, 1n, [[1n, DAY_9, 'LARGE_DEPOSIT']]],
    ['10,000.00 earlier, 50.00 now', 10_000_00n, 50_00n, [[50_00n, DAY_9, 'LARGE_DEPOSIT']]],
  ])('%s', (_label, depositsSameBankingDayMinor, amountMinor, expected) => {
    expect(schedule(deposit({ amountMinor, depositsSameBankingDayMinor }))).toEqual(expected);
  });
});

describe('check deposits: new accounts (younger than 30 calendar days)', () => {
  const newAccount = new Date(TUESDAY_MORNING.getTime() - (29 * DAY_MS + 23 * HOUR_MS));
  const thirtyDaysOld = new Date(TUESDAY_MORNING.getTime() - 30 * DAY_MS);

  it.each([
    ['29 d 23 h, 274.99', newAccount, 274_99n, 0n, [[274_99n, DAY_1, 'NEXT_BUSINESS_DAY']]],
    ['29 d 23 h, 275.00', newAccount, 275_00n, 0n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY']]],
    ['29 d 23 h, 275.01', newAccount, 275_01n, 0n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [1n, DAY_9, 'NEW_ACCOUNT']]],
    ['29 d 23 h, 6,725.01', newAccount, 6_725_01n, 0n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [6_450_01n, DAY_9, 'NEW_ACCOUNT']]],
    ['29 d 23 h, 200.00 earlier, 100.00 now', newAccount, 100_00n, 200_00n, [[75_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [25_00n, DAY_9, 'NEW_ACCOUNT']]],
    ['30 d exactly: no longer new, 275.01', thirtyDaysOld, 275_01n, 0n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [1n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    ['30 d exactly: no longer new, 6,725.01', thirtyDaysOld, 6_725_01n, 0n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [6_450_00n, DAY_2, 'SECOND_BUSINESS_DAY'], [1n, DAY_9, 'LARGE_DEPOSIT']]],
  ])('%s', (_label, accountOpenedAt, amountMinor, depositsSameBankingDayMinor, expected) => {
    expect(schedule(deposit({ accountOpenedAt, amountMinor, depositsSameBankingDayMinor }))).toEqual(expected);
  });

  it('counts calendar days in the bank\'s zone: over the end of DST, 30 days are 721 hours', () => {
    const openedAt = new Date('2026-10-10T14:00:00Z'); // 10:00 EDT; new until 2026-11-09 10:00 EST = 15:00Z
    expect(isNewAccount(openedAt, new Date(openedAt.getTime() + 30 * DAY_MS + 30 * 60_000), policy)).toBe(true);
    expect(isNewAccount(openedAt, new Date('2026-11-09T14:59:59.999Z'), policy)).toBe(true);
    expect(isNewAccount(openedAt, new Date('2026-11-09T15:00:00Z'), policy)).toBe(false);
  });

  it.each([
    ['a customer for two years: the new account is not new', new Date('2024-12-01T15:00:00Z'), [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [1n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    // The account opened 2026-11-01 11:00 EST; 30 calendar days before is 2026-10-02 11:00 EDT (15:00Z).
    ['a customer for exactly 30 calendar days when it opened: not new', new Date('2026-10-02T15:00:00Z'), [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [1n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    ['a customer for 30 days less a minute when it opened: still new', new Date('2026-10-02T15:01:00Z'), [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [1n, DAY_9, 'NEW_ACCOUNT']]],
  ])('29 d 23 h, 275.01, owners %s (229.13(a)(2))', (_label, ownersCustomerSince, expected) => {
    expect(schedule(deposit({ accountOpenedAt: newAccount, ownersCustomerSince, amountMinor: 275_01n }))).toEqual(expected);
  });

  it('AVAILABILITY_NEW_ACCOUNT_DAYS=0 treats no account as new', () => {
    expect(isNewAccount(TUESDAY_MORNING, TUESDAY_MORNING, { ...policy, newAccountDays: 0 })).toBe(false);
  });
});

describe('check deposits: weekends, holidays and the cut-off move the banking day', () => {
  it.each([
    ['Saturday: received Monday 12-07', '2026-12-05T15:00:00Z', '2026-12-08T14:00:00.000Z', '2026-12-09T14:00:00.000Z'],
    ['Sunday: received Monday 12-07', '2026-12-06T15:00:00Z', '2026-12-08T14:00:00.000Z', '2026-12-09T14:00:00.000Z'],
    ['Thanksgiving: received Friday 11-27', '2026-11-26T15:00:00Z', '2026-11-30T14:00:00.000Z', '2026-12-01T14:00:00.000Z'],
    ['Thursday before Saturday 07-04: Friday 07-03 is a business day', '2026-07-02T16:00:00Z', '2026-07-03T13:00:00.000Z', '2026-07-06T13:00:00.000Z'],
    ['Tuesday 16:59 EST: before the cut-off', '2026-12-01T21:59:00Z', DAY_1, DAY_2],
    ['Tuesday 17:00 EST: after the cut-off, received Wednesday', '2026-12-01T22:00:00Z', DAY_2, '2026-12-04T14:00:00.000Z'],
    ['New Year\'s Eve: over New Year\'s Day and the weekend', '2026-12-31T15:00:00Z', '2027-01-04T14:00:00.000Z', '2027-01-05T14:00:00.000Z'],
    ['Friday before DST ends: 09:00 EST on Monday', '2026-10-30T14:00:00Z', '2026-11-02T14:00:00.000Z', '2026-11-03T14:00:00.000Z'],
  ])('%s', (_label, now, firstDay, secondDay) => {
    expect(schedule(deposit({ amountMinor: 500_00n, now: new Date(now) }))).toEqual([
      [275_00n, firstDay, 'NEXT_BUSINESS_DAY'],
      [225_00n, secondDay, 'SECOND_BUSINESS_DAY'],
    ]);
  });

  it('a large deposit on Saturday 2026-12-19 waits for the ninth business day after Monday 12-21, past Christmas and New Year', () => {
    // Business days after 12-21: 22, 23, 24, 28, 29, 30, 31, 01-04, 01-05.
    expect(schedule(deposit({ amountMinor: 7_000_00n, now: new Date('2026-12-19T15:00:00Z') }))).toEqual([
      [275_00n, '2026-12-22T14:00:00.000Z', 'NEXT_BUSINESS_DAY'],
      [6_450_00n, '2026-12-23T14:00:00.000Z', 'SECOND_BUSINESS_DAY'],
      [275_00n, '2027-01-05T14:00:00.000Z', 'LARGE_DEPOSIT'],
    ]);
  });

  it('isSubjectToCheckSchedule tells the deposit command which channels can be held', () => {
    const held = (['CASH', 'CHECK', 'DIRECT_DEPOSIT', 'ACH', 'WIRE', 'PAYPAL', 'ZELLE', 'CARD', 'ATM', 'THIRD_PARTY', 'INTERNAL'] as const).filter(isSubjectToCheckSchedule);
    expect(held).toEqual(['CHECK', 'ATM']);
  });

  it('ATM deposits follow the check schedule (an envelope may hold checks)', () => {
    expect(schedule(deposit({ channel: 'ATM', amountMinor: 500_00n }))).toEqual([
      [275_00n, DAY_1, 'NEXT_BUSINESS_DAY'],
      [225_00n, DAY_2, 'SECOND_BUSINESS_DAY'],
    ]);
  });
});

describe('cash and electronic deposits', () => {
  const channels: Channel[] = ['CASH', 'ACH', 'DIRECT_DEPOSIT', 'WIRE', 'ZELLE', 'PAYPAL', 'CARD', 'THIRD_PARTY'];
  const nextDay: AvailabilityPolicy = { ...policy, cashAndElectronic: 'next-business-day' };

  it.each(channels)('%s: immediate by default, whatever the amount, the account\'s age and the day\'s checks', (channel) => {
    const input = deposit({ channel, amountMinor: 50_000_00n, accountOpenedAt: TUESDAY_MORNING, depositsSameBankingDayMinor: 10_000_00n });
    expect(schedule(input)).toEqual([[50_000_00n, TUESDAY_MORNING.toISOString(), 'IMMEDIATE']]);
  });

  it.each(channels)('%s: next business day when configured, counted from the banking day of receipt', (channel) => {
    expect(schedule(deposit({ channel, amountMinor: 50_000_00n }), nextDay)).toEqual([[50_000_00n, DAY_1, 'NEXT_BUSINESS_DAY']]);
    // Friday after the cut-off: received Monday 12-07, available Tuesday 12-08.
    expect(schedule(deposit({ channel, now: new Date('2026-12-04T22:30:00Z') }), nextDay)).toEqual([[100_00n, '2026-12-08T14:00:00.000Z', 'NEXT_BUSINESS_DAY']]);
  });

  it('INTERNAL money is already in the bank: immediate even when cash and electronic wait', () => {
    expect(schedule(deposit({ channel: 'INTERNAL' }), nextDay)).toEqual([[100_00n, TUESDAY_MORNING.toISOString(), 'IMMEDIATE']]);
  });
});

describe('accounts in other currencies apply the same figures in their own major units', () => {
  it.each([
    ['JPY (exponent 0): 10,000', 0, 10_000n, [[275n, DAY_1, 'NEXT_BUSINESS_DAY'], [6_450n, DAY_2, 'SECOND_BUSINESS_DAY'], [3_275n, DAY_9, 'LARGE_DEPOSIT']]],
    ['KWD (exponent 3): 300.000', 3, 300_000n, [[275_000n, DAY_1, 'NEXT_BUSINESS_DAY'], [25_000n, DAY_2, 'SECOND_BUSINESS_DAY']]],
    ['EUR (exponent 2): 275.01', 2, 275_01n, [[275_00n, DAY_1, 'NEXT_BUSINESS_DAY'], [1n, DAY_2, 'SECOND_BUSINESS_DAY']]],
  ])('%s', (_label, currencyExponent, amountMinor, expected) => {
    expect(schedule(deposit({ currencyExponent, amountMinor }))).toEqual(expected);
  });

  it('a configured fraction of a dollar is dropped for a currency without it: less early, never more', () => {
    expect(policyFigureInMinor(275_50n, 0)).toBe(275n);
    expect(policyFigureInMinor(275_50n, 3)).toBe(275_500n);
  });
});

describe('every schedule', () => {
  it('sums exactly to the deposit in non-zero parts that become available in order', () => {
    // A deterministic spread of amounts, earlier deposits and ages around every threshold.
    let seed = 7;
    const random = (limit: bigint): bigint => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return BigInt(seed) % limit;
    };
    for (let index = 0; index < 500; index += 1) {
      const amountMinor = 1n + random(8_000_00n);
      const depositsSameBankingDayMinor = random(8_000_00n);
      const accountOpenedAt = new Date(TUESDAY_MORNING.getTime() - Number(random(60n)) * DAY_MS);
      const parts = availabilityOf(deposit({ amountMinor, depositsSameBankingDayMinor, accountOpenedAt }), policy);
      expect(parts.reduce((sum, part) => sum + part.amountMinor, 0n)).toBe(amountMinor);
      for (const [position, part] of parts.entries()) {
        expect(part.amountMinor > 0n).toBe(true);
        if (position > 0) expect(part.availableAt.getTime()).toBeGreaterThan(parts[position - 1]!.availableAt.getTime());
      }
    }
  });

  it('merges tiers that land on the same instant (exception day configured as the second)', () => {
    const early: AvailabilityPolicy = { ...policy, exceptionBusinessDays: 2 };
    expect(schedule(deposit({ amountMinor: 7_000_00n }), early)).toEqual([
      [275_00n, DAY_1, 'NEXT_BUSINESS_DAY'],
      [6_725_00n, DAY_2, 'SECOND_BUSINESS_DAY'],
    ]);
  });

  it('refuses a zero amount or negative earlier deposits: the caller validates first', () => {
    expect(() => availabilityOf(deposit({ amountMinor: 0n }), policy)).toThrow(RangeError);
    expect(() => availabilityOf(deposit({ depositsSameBankingDayMinor: -1n }), policy)).toThrow(RangeError);
  });
});
