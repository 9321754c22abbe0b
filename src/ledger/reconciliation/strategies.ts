/**
 * How a reconciliation run matches a statement's lines to a settlement account's entries: the
 * strategies, tried in the order given, each one only on what the earlier ones left unmatched
 * (issue 10 §1). Recorded with every run, so the run can be replayed with the same configuration.
 */
export type MatchStrategy =
  /** One line to one entry whose externalRef equals the line's reference; a different amount is a MISMATCHED break. */
  | { readonly kind: 'REFERENCE' }
  /** One line to one entry of the same amount (± tolerance) booked within ± driftBusinessDays. */
  | { readonly kind: 'AMOUNT_DATE'; readonly driftBusinessDays: number; readonly amountToleranceMinor: string }
  /** One line to many entries, or many lines to one entry, sharing a reference and summing to the same amount. */
  | { readonly kind: 'BATCH_REFERENCE' }
  /**
   * One line to all the unmatched entries of its direction booked within ± driftBusinessDays when
   * they sum to the line (a payroll file: one ACH line, 500 deposits), or one entry to such lines.
   */
  | { readonly kind: 'BATCH_DATE_SUM'; readonly driftBusinessDays: number };

export type MatchStrategyKind = MatchStrategy['kind'];

export interface MatchConfig {
  readonly strategies: readonly MatchStrategy[];
}

/** The defaults: reference, then amount and date within ±2 business days and 0.00, then the batch strategies. */
export const DEFAULT_MATCH_CONFIG: MatchConfig = {
  strategies: [
    { kind: 'REFERENCE' },
    { kind: 'AMOUNT_DATE', driftBusinessDays: 2, amountToleranceMinor: '0' },
    { kind: 'BATCH_REFERENCE' },
    { kind: 'BATCH_DATE_SUM', driftBusinessDays: 0 },
  ],
};

/** The largest drift a strategy may use: a wider window would match unrelated movements. */
export const MAX_DRIFT_BUSINESS_DAYS = 10;

/** The widest date drift of a configuration: how far beyond the statement's period a run reads entries. */
export function widestDrift(config: MatchConfig): number {
  return Math.max(0, ...config.strategies.map((strategy) => ('driftBusinessDays' in strategy ? strategy.driftBusinessDays : 0)));
}
