/**
 * The cash the compliance reports look at (issue 10 §2), with the same definition as the risk
 * step's "cash per banking day" (built-in rule cash-over-10000-per-banking-day and the plpgsql
 * tally_risk_facts): DEPOSIT and WITHDRAWAL transactions on channel CASH (a teller's counter).
 * ATM is a separate rail here and is not counted, as the risk rule does not count it; a bank that
 * files ATM cash too changes both together. "The customer" is each owner of the account: a joint
 * account's cash counts for every owner. Thresholds are USD cents and only USD is reported, as the
 * built-in rule runs only on USD (another currency would need its own figures, not 10,000 of its
 * minor units).
 */
export interface CashMovement {
  readonly transactionId: string;
  readonly at: Date;
  readonly customerId: string;
  readonly customerUsername: string;
  readonly accountId: string;
  readonly accountNumber: string;
  readonly kind: CashKind;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly amountMinor: bigint;
}

export type CashKind = 'DEPOSIT' | 'WITHDRAWAL';

/** The only currency reported; the thresholds below are its minor units. */
export const COMPLIANCE_CURRENCY = 'USD';

/** 31 CFR 1010.311: a currency transaction report for cash over 10,000.00 in one banking day (10,000.00 itself is not over). */
export const CURRENCY_TRANSACTION_THRESHOLD_MINOR = 1_000_000n;

/** Structuring: each movement from 3,000.00 to 10,000.00 (both included; one over 10,000.00 is a CTR of its own). */
export const STRUCTURING_SMALLEST_MINOR = 300_000n;
export const STRUCTURING_LARGEST_MINOR = 1_000_000n;
/** Structuring: the movements of one window total over 10,000.00. */
export const STRUCTURING_TOTAL_THRESHOLD_MINOR = 1_000_000n;
/** Structuring: a window is 3 days (72 hours, rolling) from its first movement, the last one strictly inside. */
export const STRUCTURING_WINDOW_MS = 3 * 24 * 60 * 60_000;
/** Structuring: "several" movements, so at least two. */
export const STRUCTURING_MINIMUM_MOVEMENTS = 2;

/** A report's range is at most a year: bounds one request's read. */
export const MAX_REPORT_RANGE_MS = 366 * 24 * 60 * 60_000;
/** The most cash movements one report reads (LIMIT_EXCEEDED beyond: ask for a shorter range). */
export const MAX_REPORT_CASH_MOVEMENTS = 100_000;

/** Movements grouped by a key, each group in time order (then by id, so reports are reproducible). */
export function groupMovements(movements: readonly CashMovement[], keyOf: (movement: CashMovement) => string): Map<string, CashMovement[]> {
  const groups = new Map<string, CashMovement[]>();
  for (const movement of movements) {
    const key = keyOf(movement);
    const group = groups.get(key);
    if (group) group.push(movement);
    else groups.set(key, [movement]);
  }
  for (const group of groups.values()) group.sort(byTime);
  return groups;
}

export function byTime(left: CashMovement, right: CashMovement): number {
  return left.at.getTime() - right.at.getTime() || left.transactionId.localeCompare(right.transactionId);
}

export function totalOf(movements: readonly CashMovement[]): bigint {
  return movements.reduce((sum, movement) => sum + movement.amountMinor, 0n);
}
