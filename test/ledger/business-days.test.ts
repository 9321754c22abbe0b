import { describe, expect, it } from 'vitest';
import {
  addBusinessDays,
  availableAfterBusinessDays,
  bankingDayOf,
  bankingDayWindow,
  DEFAULT_BANK_CALENDAR,
  fundsAvailableOn,
  isBusinessDay,
  nextBusinessDay,
  previousBusinessDay,
  type BankCalendar,
} from '../../src/ledger/calendar/business-days.js';
import { federalReserveHolidays } from '../../src/ledger/calendar/federal-reserve-holidays.js';

const newYork = DEFAULT_BANK_CALENDAR;

describe('Federal Reserve holidays', () => {
  // The Federal Reserve's published schedules; a Saturday holiday stays on Saturday (the banks
  // open the Friday before), a Sunday holiday is observed on the Monday after.
  it('2026: eleven holidays, Independence Day on Saturday 07-04 and not moved to Friday', () => {
    expect(federalReserveHolidays(2026)).toEqual([
      '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-04',
      '2026-09-07', '2026-10-12', '2026-11-11', '2026-11-26', '2026-12-25',
    ]);
  });

  it('2027: Juneteenth and Christmas on Saturday stay there; Independence Day on Sunday is observed Monday 07-05', () => {
    expect(federalReserveHolidays(2027)).toEqual([
      '2027-01-01', '2027-01-18', '2027-02-15', '2027-05-31', '2027-06-19', '2027-07-04', '2027-07-05',
      '2027-09-06', '2027-10-11', '2027-11-11', '2027-11-25', '2027-12-25',
    ]);
  });
});

describe('isBusinessDay', () => {
  it.each([
    ['2026-12-01', true, 'an ordinary Tuesday'],
    ['2026-12-05', false, 'Saturday'],
    ['2026-12-06', false, 'Sunday'],
    ['2026-01-01', false, "New Year's Day (Thursday)"],
    ['2026-01-19', false, 'Martin Luther King Jr. Day'],
    ['2026-02-16', false, 'Presidents Day'],
    ['2026-05-25', false, 'Memorial Day'],
    ['2026-06-19', false, 'Juneteenth (Friday)'],
    ['2026-07-03', true, 'Friday before a Saturday Independence Day: the Federal Reserve is open'],
    ['2026-07-04', false, 'Independence Day on Saturday'],
    ['2026-09-07', false, 'Labor Day'],
    ['2026-10-12', false, 'Columbus Day'],
    ['2026-11-11', false, 'Veterans Day (Wednesday)'],
    ['2026-11-26', false, 'Thanksgiving'],
    ['2026-11-27', true, 'the day after Thanksgiving is an observance, not a holiday'],
    ['2026-04-03', true, 'Good Friday is no Federal Reserve holiday'],
    ['2026-12-24', true, 'Christmas Eve is no Federal Reserve holiday'],
    ['2026-12-25', false, 'Christmas (Friday)'],
    ['2026-12-31', true, "New Year's Eve"],
    ['2027-06-18', true, 'Friday before a Saturday Juneteenth'],
    ['2027-07-05', false, 'Monday after a Sunday Independence Day'],
    ['2027-12-24', true, 'Friday before a Saturday Christmas'],
    ['2027-12-31', true, "Friday before a Saturday New Year's Day 2028"],
    ['2022-12-26', false, 'Monday after a Sunday Christmas'],
    ['2028-11-10', true, 'Friday before a Saturday Veterans Day'],
    ['2029-11-12', false, 'Monday after a Sunday Veterans Day (date-holidays types it "bank")'],
  ])('%s → %s (%s)', (date, expected) => {
    expect(isBusinessDay(date)).toBe(expected);
  });
});

describe('business-day arithmetic', () => {
  it.each([
    ['2026-12-01', 0, '2026-12-01'],
    ['2026-12-01', 1, '2026-12-02'],
    ['2026-12-04', 1, '2026-12-07'], // Friday → Monday
    ['2026-12-05', 1, '2026-12-07'], // from a Saturday
    ['2026-12-01', 9, '2026-12-14'],
    ['2026-07-02', 1, '2026-07-03'], // the Friday before Saturday 07-04 counts
    ['2026-07-02', 2, '2026-07-06'],
    ['2026-11-25', 1, '2026-11-27'], // over Thanksgiving
    ['2026-12-30', 2, '2027-01-04'], // over the year boundary and New Year's Day
    ['2026-12-31', 1, '2027-01-04'],
    ['2027-07-01', 2, '2027-07-06'], // over the observed Monday 07-05
    ['2027-12-30', 1, '2027-12-31'], // the Friday before Saturday 2028-01-01 counts
  ])('%s + %i business days = %s', (date, count, expected) => {
    expect(addBusinessDays(date, count)).toBe(expected);
  });

  it('nextBusinessDay and previousBusinessDay skip weekends and holidays in both directions', () => {
    expect(nextBusinessDay('2026-12-24')).toBe('2026-12-28');
    expect(previousBusinessDay('2027-01-04')).toBe('2026-12-31');
    expect(previousBusinessDay('2026-07-06')).toBe('2026-07-03');
  });

  it('refuses a negative or fractional count', () => {
    expect(() => addBusinessDays('2026-12-01', -1)).toThrow(RangeError);
    expect(() => addBusinessDays('2026-12-01', 1.5)).toThrow(RangeError);
  });
});

describe('bankingDayOf (America/New_York, cut-off 17:00)', () => {
  it.each([
    ['2026-12-01T21:59:00Z', '2026-12-01', 'Tuesday 16:59 EST, before the cut-off'],
    ['2026-12-01T22:00:00Z', '2026-12-02', 'Tuesday 17:00 EST, at the cut-off'],
    ['2026-07-01T20:59:59Z', '2026-07-01', 'Wednesday 16:59:59 EDT'],
    ['2026-07-01T21:00:00Z', '2026-07-02', 'Wednesday 17:00 EDT'],
    ['2026-07-02T21:00:00Z', '2026-07-03', 'Thursday after the cut-off: the Friday before a Saturday holiday'],
    ['2026-07-03T21:30:00Z', '2026-07-06', 'Friday after the cut-off'],
    ['2026-12-05T15:00:00Z', '2026-12-07', 'Saturday'],
    ['2026-11-26T15:00:00Z', '2026-11-27', 'Thanksgiving morning'],
    ['2026-12-31T04:30:00Z', '2026-12-31', 'UTC says 12-31 but New York is still 12-30 23:30: after the 12-30 cut-off'],
    ['2027-01-01T03:00:00Z', '2027-01-04', 'UTC says New Year\'s Day; New York is 12-31 22:00, after the cut-off'],
    ['2026-03-06T21:59:00Z', '2026-03-06', 'Friday before DST starts, 16:59 EST'],
    ['2026-03-09T20:59:00Z', '2026-03-09', 'Monday after DST starts, 16:59 EDT'],
    ['2026-03-09T21:00:00Z', '2026-03-10', 'Monday after DST starts, 17:00 EDT'],
    ['2026-10-30T21:30:00Z', '2026-11-02', 'Friday before DST ends, 17:30 EDT'],
    ['2026-11-02T21:30:00Z', '2026-11-02', 'Monday after DST ends, 16:30 EST'],
  ])('%s → %s (%s)', (instant, expected) => {
    expect(bankingDayOf(new Date(instant), newYork)).toBe(expected);
  });

  it('follows the configured zone and cut-off', () => {
    const losAngeles: BankCalendar = { timeZone: 'America/Los_Angeles', cutoffLocalTime: '14:00', fundsAvailableLocalTime: '07:00' };
    expect(bankingDayOf(new Date('2026-12-01T21:59:00Z'), losAngeles)).toBe('2026-12-01'); // 13:59 PST
    expect(bankingDayOf(new Date('2026-12-01T22:00:00Z'), losAngeles)).toBe('2026-12-02'); // 14:00 PST
    expect(fundsAvailableOn('2026-12-02', losAngeles)).toEqual(new Date('2026-12-02T15:00:00Z'));
  });
});

describe('fundsAvailableOn (09:00 local)', () => {
  it.each([
    ['2026-03-06', '2026-03-06T14:00:00.000Z'], // EST
    ['2026-03-09', '2026-03-09T13:00:00.000Z'], // EDT from the day before
    ['2026-10-30', '2026-10-30T13:00:00.000Z'], // EDT
    ['2026-11-02', '2026-11-02T14:00:00.000Z'], // EST from the day before
  ])('%s → %s', (date, expected) => {
    expect(fundsAvailableOn(date, newYork).toISOString()).toBe(expected);
  });

  it('availableAfterBusinessDays counts from the banking day of receipt', () => {
    // Saturday: received Monday 12-07, the second business day after it is Wednesday 12-09.
    expect(availableAfterBusinessDays(new Date('2026-12-05T15:00:00Z'), 2, newYork).toISOString()).toBe('2026-12-09T14:00:00.000Z');
  });
});

describe('bankingDayWindow', () => {
  it.each([
    ['2026-12-07', '2026-12-04T22:00:00.000Z', '2026-12-07T22:00:00.000Z'], // Monday: from Friday's cut-off
    ['2026-03-09', '2026-03-06T22:00:00.000Z', '2026-03-09T21:00:00.000Z'], // over the DST change
    ['2027-01-04', '2026-12-31T22:00:00.000Z', '2027-01-04T22:00:00.000Z'], // over New Year's Day
  ])('%s: [%s, %s)', (date, startsAt, endsAt) => {
    const window = bankingDayWindow(date, newYork);
    expect(window.startsAt.toISOString()).toBe(startsAt);
    expect(window.endsAt.toISOString()).toBe(endsAt);
    // The window is exactly the instants bankingDayOf puts on the day.
    expect(bankingDayOf(window.startsAt, newYork)).toBe(date);
    expect(bankingDayOf(new Date(window.endsAt.getTime() - 1), newYork)).toBe(date);
    expect(bankingDayOf(new Date(window.startsAt.getTime() - 1), newYork)).toBe(previousBusinessDay(date));
    expect(bankingDayOf(window.endsAt, newYork)).toBe(nextBusinessDay(date));
  });

  it('a day that is not a business day is no banking day', () => {
    expect(() => bankingDayWindow('2026-12-05', newYork)).toThrow(RangeError);
  });
});
