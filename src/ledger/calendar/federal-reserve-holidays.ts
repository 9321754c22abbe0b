import Holidays from 'date-holidays';

/**
 * A calendar date with no time and no zone, as ISO 8601 writes it ("2026-07-03"). Business-day
 * arithmetic works on these; only `banking-day.ts` turns instants into dates and back, in the
 * bank's time zone.
 */
export type LocalDate = string;

/**
 * The holidays the Federal Reserve Banks close for, which are the holidays Regulation CC
 * (12 CFR 229.2(g)) names in its definition of "business day": New Year's Day, Martin Luther
 * King Jr. Day, Presidents Day (Washington's Birthday), Memorial Day, Juneteenth, Independence
 * Day, Labor Day, Columbus Day, Veterans Day, Thanksgiving and Christmas.
 *
 * They come from the maintained `date-holidays` data for the US, which lists them as type
 * `public` (and Veterans Day's Monday substitute as type `bank`); observances such as Good Friday,
 * the day after Thanksgiving or Christmas Eve have other types and are ordinary business days.
 * The library moves a Saturday holiday to the Friday before (2026-07-03, 2027-12-31): the Federal
 * Reserve does not, so those Friday substitutes are dropped. A Sunday holiday IS observed on the
 * following Monday (229.2(g): "the next Monday is not a business day"), so Monday substitutes stay.
 */
const OBSERVED_TYPES: ReadonlySet<string> = new Set(['public', 'bank']);
const FRIDAY = 5;

const unitedStates = new Holidays('US');

/** Years are computed once and kept: the data is fixed for the life of the process. */
const holidaysByYear = new Map<number, ReadonlySet<LocalDate>>();

function federalReserveHolidaysOf(year: number): ReadonlySet<LocalDate> {
  const known = holidaysByYear.get(year);
  if (known !== undefined) return known;
  const dates = new Set<LocalDate>();
  for (const holiday of unitedStates.getHolidays(year)) {
    if (!OBSERVED_TYPES.has(holiday.type)) continue;
    // `date` is the local calendar date "YYYY-MM-DD 00:00:00", independent of any time zone.
    const date = holiday.date.slice(0, 10);
    const movedFromSaturday = holiday.substitute === true && dayOfWeek(date) === FRIDAY;
    if (!movedFromSaturday) dates.add(date);
  }
  holidaysByYear.set(year, dates);
  return dates;
}

/** ISO weekday of a calendar date: 1 Monday … 7 Sunday. */
export function dayOfWeek(date: LocalDate): number {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday === 0 ? 7 : weekday;
}

/** True when the Federal Reserve Banks are closed for a holiday on this date (weekends aside). */
export function isFederalReserveHoliday(date: LocalDate): boolean {
  return federalReserveHolidaysOf(Number(date.slice(0, 4))).has(date);
}

/** The holidays of one year, in date order (for tests, disclosures and operators). */
export function federalReserveHolidays(year: number): readonly LocalDate[] {
  return [...federalReserveHolidaysOf(year)].sort();
}
