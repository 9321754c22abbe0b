import type { BankCalendar } from '../calendar/business-days.js';
import type { MatchConfig } from './strategies.js';

/** What configuration decides about reconciliation (RECONCILIATION_SLA, RECONCILIATION_STRATEGIES, the bank's calendar). */
export interface ReconciliationPolicy {
  readonly match: MatchConfig;
  /** Business days a break may stay open before it is overdue (and listed first). */
  readonly slaBusinessDays: number;
  readonly calendar: BankCalendar;
}

/** Lines a run reads per page; it records its progress after each one. */
export const RUN_PAGE_LINES = 5_000;
