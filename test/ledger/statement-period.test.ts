import { describe, expect, it } from 'vitest';
import { DEFAULT_BANK_CALENDAR } from '../../src/ledger/calendar/business-days.js';
import { ValidationError } from '../../src/ledger/errors.js';
import { recentStatementMonths, statementPeriod } from '../../src/ledger/statements/statement-period.js';
import { csvRow, textCell } from '../../src/reports/csv.js';

const NOW = new Date('2026-12-15T12:00:00Z');

describe('a statement month is the calendar month in the bank\'s zone (America/New_York)', () => {
  it.each([
    // November 2026 begins in daylight time (UTC-4) and ends in standard time (UTC-5).
    ['2026-11', '2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z', '2026-12-01T05:00:00.000Z'],
    ['2026-03', '2026-03-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z', '2026-04-01T04:00:00.000Z'],
    ['2025-12', '2025-12-01T05:00:00.000Z', '2026-01-01T05:00:00.000Z', '2026-01-01T05:00:00.000Z'],
    // The month still running is covered up to now.
    ['2026-12', '2026-12-01T05:00:00.000Z', '2027-01-01T05:00:00.000Z', NOW.toISOString()],
  ])('%s: from %s to %s, closing at %s', (month, startsAt, endsAt, closesAt) => {
    expect(statementPeriod(month, DEFAULT_BANK_CALENDAR, NOW)).toEqual({ month, startsAt: new Date(startsAt), endsAt: new Date(endsAt), closesAt: new Date(closesAt) });
  });

  it.each(['2026-13', '2026-00', '2026-1', '26-11', '2026-11-01', '', '1999-12', '2027-01'])('"%s" is VALIDATION', (month) => {
    expect(statementPeriod(month, DEFAULT_BANK_CALENDAR, NOW)).toBeInstanceOf(ValidationError);
  });
});

describe('CSV cells', () => {
  it('quotes commas, quotes and line breaks; defuses formulas in free text only', () => {
    expect(csvRow(['a,b', 'say "hi"', 'two\nlines', -12.5, null])).toBe('"a,b","say ""hi""","two\nlines",-12.5,\r\n');
    expect(['=1+1', '+1', '-1', '@SUM(A1)', 'plain', null].map(textCell)).toEqual(["'=1+1", "'+1", "'-1", "'@SUM(A1)", 'plain', null]);
  });
});

describe('the statement months an app offers', () => {
  it("start from the month running in the bank's zone, not UTC's: at 02:00 UTC on 1 December it is still November in New York", () => {
    const months = recentStatementMonths(DEFAULT_BANK_CALENDAR, new Date('2026-12-01T02:00:00Z'), 12);
    expect(months).toHaveLength(12);
    expect(months.slice(0, 3)).toEqual(['2026-11', '2026-10', '2026-09']);
    expect(months.at(-1)).toBe('2025-12');
    // Five hours later (local midnight, standard time) December has begun, and its statement exists.
    const atMidnight = new Date('2026-12-01T05:00:00Z');
    expect(recentStatementMonths(DEFAULT_BANK_CALENDAR, atMidnight, 2)).toEqual(['2026-12', '2026-11']);
    expect(statementPeriod('2026-12', DEFAULT_BANK_CALENDAR, atMidnight)).not.toBeInstanceOf(ValidationError);
  });

  it('in a zone east of UTC the month turns before UTC does', () => {
    const tokyo = { ...DEFAULT_BANK_CALENDAR, timeZone: 'Asia/Tokyo' };
    expect(recentStatementMonths(tokyo, new Date('2026-11-30T16:00:00Z'), 1)).toEqual(['2026-12']);
  });

  it('never offers a month before Tally keeps history', () => {
    expect(recentStatementMonths(DEFAULT_BANK_CALENDAR, new Date('2000-03-15T12:00:00Z'), 12)).toEqual(['2000-03', '2000-02', '2000-01']);
  });
});
