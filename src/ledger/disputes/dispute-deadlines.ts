import { DateTime } from 'luxon';
import { addBusinessDays, type LocalDate } from '../calendar/business-days.js';
import type { DisputePolicy } from './dispute-policy.js';

/**
 * A dispute's deadlines (Regulation E 1005.11), pure: every function takes the instants it
 * reasons about. The day the bank receives the notice (the dispute's opening, in the bank's zone)
 * is day 0, whatever kind of day it is. A deadline is the instant its day begins in the bank's
 * zone (local midnight):
 * - `provisionalCreditBy`: the N-th business day after day 0 begins (10, or 20 for a new account);
 *   the scheduler credits then if the dispute is still unresolved.
 * - `resolutionBy`: the day after the N-th calendar day begins (45, or 90 for a new account, a
 *   point-of-sale debit or a foreign one), so the whole N-th day is still in time.
 * - `reversalNotBefore`: the N-th business day (5) after the day the customer was told begins.
 */

export interface DisputeFacts {
  /** When the dispute was opened: the bank received the customer's notice. */
  readonly openedAt: Date;
  /** When the disputed account was opened. */
  readonly accountOpenedAt: Date;
  /** A card debit at a point of sale, or a foreign-initiated one: the longer investigation. */
  readonly extendedInvestigation: boolean;
}

export interface DisputeDeadlines {
  readonly provisionalCreditBy: Date;
  readonly resolutionBy: Date;
}

function localDateOf(instant: Date, timeZone: string): LocalDate {
  const local = DateTime.fromJSDate(instant, { zone: timeZone });
  if (!local.isValid) throw new RangeError(`cannot place ${String(instant)} in the zone "${timeZone}"`);
  return local.toISODate();
}

function startOfDay(date: LocalDate, timeZone: string): Date {
  return DateTime.fromISO(date, { zone: timeZone }).startOf('day').toJSDate();
}

function plusCalendarDays(date: LocalDate, days: number): LocalDate {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/** An account opened fewer than `newAccountDays` calendar days before the notice (by the bank's dates). */
export function isNewAccount(facts: Pick<DisputeFacts, 'openedAt' | 'accountOpenedAt'>, policy: DisputePolicy): boolean {
  const opened = localDateOf(facts.accountOpenedAt, policy.timeZone);
  const noticed = localDateOf(facts.openedAt, policy.timeZone);
  return plusCalendarDays(opened, policy.newAccountDays) > noticed;
}

export function disputeDeadlines(facts: DisputeFacts, policy: DisputePolicy): DisputeDeadlines {
  const noticeDay = localDateOf(facts.openedAt, policy.timeZone);
  const newAccount = isNewAccount(facts, policy);
  const creditDays = newAccount ? policy.newAccountProvisionalCreditBusinessDays : policy.provisionalCreditBusinessDays;
  const resolutionDays = newAccount || facts.extendedInvestigation ? policy.extendedResolutionDays : policy.resolutionDays;
  return {
    provisionalCreditBy: startOfDay(addBusinessDays(noticeDay, creditDays), policy.timeZone),
    resolutionBy: startOfDay(plusCalendarDays(noticeDay, resolutionDays + 1), policy.timeZone),
  };
}

/** When a provisional credit may be reversed, for a customer told at `noticedAt`. */
export function reversalNotBefore(noticedAt: Date, policy: DisputePolicy): Date {
  return startOfDay(addBusinessDays(localDateOf(noticedAt, policy.timeZone), policy.reversalNoticeBusinessDays), policy.timeZone);
}

/** Whether `postedAt` is still disputable at `now`: within `windowDays` calendar days (by the bank's dates). */
export function withinDisputeWindow(postedAt: Date, now: Date, policy: DisputePolicy): boolean {
  return localDateOf(now, policy.timeZone) <= plusCalendarDays(localDateOf(postedAt, policy.timeZone), policy.windowDays);
}
