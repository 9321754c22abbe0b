import { DateTime } from 'luxon';
import type { BankCalendar } from '../calendar/business-days.js';
import { ValidationError } from '../errors.js';

/**
 * A statement's month: a calendar month in the bank's time zone (BANK_TIME_ZONE, America/New_York
 * by default), from local midnight on the 1st to local midnight on the 1st of the next month. Not
 * the banking day's cut-off: a customer reads "November" as the calendar month, and a deposit at
 * 23:30 New York time on 30 November is on the November statement. Pure: `now` is an argument.
 */
export interface StatementPeriod {
  /** "2026-11". */
  readonly month: string;
  /** Inclusive: local midnight of the month's first day. */
  readonly startsAt: Date;
  /** Exclusive: local midnight of the next month's first day. */
  readonly endsAt: Date;
  /** What the statement covers up to (exclusive): the month's end, or `now` for the month still running. */
  readonly closesAt: Date;
}

const MONTH_SHAPE = /^(\d{4})-(0[1-9]|1[0-2])$/;
/** Tally keeps no history before this year; a statement of an earlier month is a typo. */
export const EARLIEST_STATEMENT_YEAR = 2000;

/** The period of "YYYY-MM" in the bank's zone, or VALIDATION for a malformed month or one that has not begun at `now`. */
export function statementPeriod(month: string, calendar: BankCalendar, now: Date): StatementPeriod | ValidationError {
  const match = MONTH_SHAPE.exec(month);
  if (!match || Number(match[1]) < EARLIEST_STATEMENT_YEAR) {
    return new ValidationError(`month must be "YYYY-MM" (e.g. "2026-11"), from ${EARLIEST_STATEMENT_YEAR} on.`, 'month');
  }
  const start = DateTime.fromObject({ year: Number(match[1]), month: Number(match[2]), day: 1 }, { zone: calendar.timeZone });
  if (!start.isValid) throw new RangeError(`cannot place ${month} in the zone "${calendar.timeZone}"`);
  const startsAt = start.toJSDate();
  const endsAt = start.plus({ months: 1 }).toJSDate();
  if (startsAt.getTime() > now.getTime()) return new ValidationError(`${month} has not begun yet in the bank's time zone (${calendar.timeZone}).`, 'month');
  return { month, startsAt, endsAt, closesAt: endsAt.getTime() < now.getTime() ? endsAt : now };
}

/**
 * The `count` statement months up to `now`, newest first: the month now running in the bank's zone,
 * then the ones before it ("2026-12", "2026-11", …). An app lists these instead of working months
 * out in UTC or the customer's own zone, which name the wrong month for hours around midnight on
 * the 1st (at 02:00 UTC on 1 December it is still November in New York).
 */
export function recentStatementMonths(calendar: BankCalendar, now: Date, count: number): string[] {
  const running = DateTime.fromJSDate(now, { zone: calendar.timeZone }).startOf('month');
  return Array.from({ length: count }, (_, back) => running.minus({ months: back }))
    .filter((month) => month.year >= EARLIEST_STATEMENT_YEAR)
    .map((month) => month.toFormat('yyyy-MM'));
}
