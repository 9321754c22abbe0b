import {
  byTime,
  COMPLIANCE_CURRENCY,
  groupMovements,
  STRUCTURING_LARGEST_MINOR,
  STRUCTURING_MINIMUM_MOVEMENTS,
  STRUCTURING_SMALLEST_MINOR,
  STRUCTURING_TOTAL_THRESHOLD_MINOR,
  STRUCTURING_WINDOW_MS,
  totalOf,
  type CashKind,
  type CashMovement,
} from './cash-movement.js';

/** Several of one customer's cash movements in one direction within 3 days, each under the CTR line, together over it. */
export interface StructuringWindow {
  readonly customerId: string;
  readonly customerUsername: string;
  readonly kind: CashKind;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly totalMinor: bigint;
  readonly movements: readonly CashMovement[];
}

/**
 * The structuring report: cash split to stay under the currency transaction report. Per customer
 * and direction, the movements from 3,000.00 to 10,000.00 in time order are scanned with a window
 * of 72 hours from each movement; a window of two or more whose total is over 10,000.00 is
 * reported, and the scan goes on after its last movement (a movement is in at most one window, so
 * one pattern is one finding). Pure; ordered by window start.
 */
export function structuringReport(movements: readonly CashMovement[]): StructuringWindow[] {
  const candidates = movements.filter(
    (movement) => movement.currency === COMPLIANCE_CURRENCY && movement.amountMinor >= STRUCTURING_SMALLEST_MINOR && movement.amountMinor <= STRUCTURING_LARGEST_MINOR,
  );
  const report: StructuringWindow[] = [];
  for (const group of groupMovements(candidates, (movement) => `${movement.customerId}|${movement.kind}`).values()) {
    report.push(...windowsOf(group));
  }
  return report.sort((left, right) => left.startsAt.getTime() - right.startsAt.getTime() || byTime(left.movements[0]!, right.movements[0]!) || left.customerId.localeCompare(right.customerId));
}

/** The reported windows of one customer's movements in one direction (in time order). */
function windowsOf(group: readonly CashMovement[]): StructuringWindow[] {
  const windows: StructuringWindow[] = [];
  let start = 0;
  while (start < group.length) {
    const opensAt = group[start]!.at.getTime();
    let end = start;
    while (end + 1 < group.length && group[end + 1]!.at.getTime() - opensAt < STRUCTURING_WINDOW_MS) end += 1;
    const inside = group.slice(start, end + 1);
    const totalMinor = totalOf(inside);
    if (inside.length >= STRUCTURING_MINIMUM_MOVEMENTS && totalMinor > STRUCTURING_TOTAL_THRESHOLD_MINOR) {
      const first = inside[0]!;
      windows.push({
        customerId: first.customerId,
        customerUsername: first.customerUsername,
        kind: first.kind,
        currency: first.currency,
        currencyExponent: first.currencyExponent,
        startsAt: first.at,
        endsAt: inside[inside.length - 1]!.at,
        totalMinor,
        movements: inside,
      });
      start = end + 1;
    } else {
      start += 1;
    }
  }
  return windows;
}
