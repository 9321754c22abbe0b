import { DateTime, IANAZone } from 'luxon';
import { dayOfWeek, isFederalReserveHoliday, type LocalDate } from './federal-reserve-holidays.js';

export type { LocalDate } from './federal-reserve-holidays.js';

/**
 * US business days and banking days in Regulation CC's sense (12 CFR 229.2(f), (g), 229.19).
 * Pure: every function takes the instant it reasons about; nothing here reads a clock.
 *
 * - A **business day** (229.2(g)) is a calendar day other than a Saturday, a Sunday or a Federal
 *   Reserve holiday (see federal-reserve-holidays.ts). Availability deadlines count business days.
 * - A **banking day** (229.2(f)) is the part of a business day on which the bank is open for
 *   substantially all its functions. Tally is open every business day until `cutoffLocalTime`:
 *   a deposit after the cut-off, or on a day that is not a business day, is received on the next
 *   banking day (229.19(a)(5)). The day of receipt is day 0; "the next business day" is day 1.
 * - Funds due on a business day are available from `fundsAvailableLocalTime` on that day
 *   (229.19(b): by the later of 9:00 a.m. and the opening of the bank's teller facilities).
 */
export interface BankCalendar {
  /** IANA zone the bank keeps its days in, e.g. "America/New_York". */
  readonly timeZone: string;
  /** Wall time, "HH:MM", from which a deposit counts as received on the next banking day. */
  readonly cutoffLocalTime: string;
  /** Wall time, "HH:MM", at which funds due on a business day become available. */
  readonly fundsAvailableLocalTime: string;
}

export const DEFAULT_BANK_CALENDAR: BankCalendar = {
  timeZone: 'America/New_York',
  cutoffLocalTime: '17:00',
  fundsAvailableLocalTime: '09:00',
};

const LOCAL_TIME_SHAPE = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** Minutes after local midnight of an "HH:MM" wall time (00:00-23:59), or undefined if malformed. */
export function minutesOfLocalTime(text: string): number | undefined {
  const match = LOCAL_TIME_SHAPE.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** True for a zone the runtime's time-zone data knows ("America/New_York", not "EST5" typos). */
export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/** A calendar date `days` later (or earlier, when negative); calendar arithmetic, no zone. */
function plusCalendarDays(date: LocalDate, days: number): LocalDate {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/** Monday to Friday and not a Federal Reserve holiday (229.2(g)). */
export function isBusinessDay(date: LocalDate): boolean {
  return dayOfWeek(date) <= 5 && !isFederalReserveHoliday(date);
}

/** The first business day strictly after `date`. */
export function nextBusinessDay(date: LocalDate): LocalDate {
  let candidate = plusCalendarDays(date, 1);
  while (!isBusinessDay(candidate)) candidate = plusCalendarDays(candidate, 1);
  return candidate;
}

/** The first business day strictly before `date`. */
export function previousBusinessDay(date: LocalDate): LocalDate {
  let candidate = plusCalendarDays(date, -1);
  while (!isBusinessDay(candidate)) candidate = plusCalendarDays(candidate, -1);
  return candidate;
}

/**
 * The `count`-th business day after `date` (Reg CC counts "the second business day following the
 * banking day of deposit" this way); `count` 0 is `date` itself.
 */
export function addBusinessDays(date: LocalDate, count: number): LocalDate {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`business days to add must be a whole number >= 0, got ${count}`);
  let day = date;
  for (let added = 0; added < count; added += 1) day = nextBusinessDay(day);
  return day;
}

/** The instant a wall time occurs on a date in the bank's zone (a wall time lost to DST moves forward). */
function instantAt(date: LocalDate, localTime: string, calendar: BankCalendar): Date {
  const minutes = minutesOfLocalTime(localTime);
  if (minutes === undefined) throw new RangeError(`"${localTime}" is not an HH:MM wall time`);
  const local = DateTime.fromISO(date, { zone: calendar.timeZone }).set({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
  if (!local.isValid) throw new RangeError(`cannot place ${date} ${localTime} in the zone "${calendar.timeZone}"`);
  return local.toJSDate();
}

/**
 * The banking day on which a deposit made at `instant` is received (229.19(a)(5)): its date in
 * the bank's zone when that is a business day and the deposit is before the cut-off, otherwise
 * the next business day.
 */
export function bankingDayOf(instant: Date, calendar: BankCalendar): LocalDate {
  const local = DateTime.fromJSDate(instant, { zone: calendar.timeZone });
  if (!local.isValid) throw new RangeError(`cannot place ${String(instant)} in the zone "${calendar.timeZone}"`);
  const date = local.toISODate();
  const cutoffMinutes = minutesOfLocalTime(calendar.cutoffLocalTime);
  if (cutoffMinutes === undefined) throw new RangeError(`"${calendar.cutoffLocalTime}" is not an HH:MM wall time`);
  const beforeCutoff = local.hour * 60 + local.minute < cutoffMinutes;
  return isBusinessDay(date) && beforeCutoff ? date : nextBusinessDay(date);
}

/**
 * The instants whose deposits `bankingDayOf` puts on the business day `date`: from the previous
 * business day's cut-off (inclusive) to this day's cut-off (exclusive). A caller sums a customer's
 * earlier check deposits over this window to apply the per-banking-day limits.
 */
export function bankingDayWindow(date: LocalDate, calendar: BankCalendar): { readonly startsAt: Date; readonly endsAt: Date } {
  if (!isBusinessDay(date)) throw new RangeError(`${date} is not a business day, so it is no banking day`);
  return {
    startsAt: instantAt(previousBusinessDay(date), calendar.cutoffLocalTime, calendar),
    endsAt: instantAt(date, calendar.cutoffLocalTime, calendar),
  };
}

/** The instant funds due on the business day `date` become available: its funds-available wall time. */
export function fundsAvailableOn(date: LocalDate, calendar: BankCalendar): Date {
  return instantAt(date, calendar.fundsAvailableLocalTime, calendar);
}

/**
 * When funds deposited at `receivedAt` are available if Reg CC gives them `count` business days:
 * the funds-available time of the `count`-th business day after the banking day of receipt.
 */
export function availableAfterBusinessDays(receivedAt: Date, count: number, calendar: BankCalendar): Date {
  return fundsAvailableOn(addBusinessDays(bankingDayOf(receivedAt, calendar), count), calendar);
}
