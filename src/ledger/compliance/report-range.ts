import { ValidationError } from '../errors.js';
import { MAX_REPORT_RANGE_MS } from './cash-movement.js';

/** A report's range of transaction times, `from` inclusive, `to` exclusive. */
export interface ReportRange {
  readonly from: Date;
  readonly to: Date;
}

/**
 * VALIDATION unless from < to and the range spans at most 366 days. The report counts the cash of
 * the range only: for whole banking days, pass cut-off to cut-off (README "Compliance reports").
 */
export function checkReportRange(from: Date, to: Date): ReportRange | ValidationError {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return new ValidationError('from and to must be instants.', 'from');
  if (from.getTime() >= to.getTime()) return new ValidationError('from must be before to.', 'to');
  if (to.getTime() - from.getTime() > MAX_REPORT_RANGE_MS) return new ValidationError('A report spans at most 366 days; ask for a shorter range.', 'to');
  return { from, to };
}
