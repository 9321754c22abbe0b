import { DateTime } from 'luxon';
import { addBusinessDays, isBusinessDay, nextBusinessDay, type BankCalendar } from '../calendar/business-days.js';

/**
 * When a break found at `foundAt` is overdue: `slaBusinessDays` business days later, at the same
 * wall time in the bank's zone (RECONCILIATION_SLA, default 2). A break found on a weekend or
 * holiday counts from the next business day. Pure.
 */
export function breakDueAt(foundAt: Date, slaBusinessDays: number, calendar: BankCalendar): Date {
  const local = DateTime.fromJSDate(foundAt, { zone: calendar.timeZone });
  const day = local.toISODate()!;
  const start = isBusinessDay(day) ? day : nextBusinessDay(day);
  const due = addBusinessDays(start, slaBusinessDays);
  return DateTime.fromISO(due, { zone: calendar.timeZone }).set({ hour: local.hour, minute: local.minute, second: local.second, millisecond: local.millisecond }).toJSDate();
}

/** An instant's date in the bank's zone: how an entry's time compares with a statement's booking dates. */
export function localDateOf(instant: Date, calendar: BankCalendar): string {
  return DateTime.fromJSDate(instant, { zone: calendar.timeZone }).toISODate()!;
}
