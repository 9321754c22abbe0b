import { bankingDayOf, type BankCalendar, type LocalDate } from '../calendar/business-days.js';
import { byTime, COMPLIANCE_CURRENCY, CURRENCY_TRANSACTION_THRESHOLD_MINOR, groupMovements, totalOf, type CashKind, type CashMovement } from './cash-movement.js';

/** One customer's cash in one direction on one banking day, over the threshold, with its transactions. */
export interface CurrencyTransactionGroup {
  readonly customerId: string;
  readonly customerUsername: string;
  readonly bankingDay: LocalDate;
  readonly kind: CashKind;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly totalMinor: bigint;
  readonly movements: readonly CashMovement[];
}

/**
 * The currency transaction report: customers whose cash deposits, or whose cash withdrawals
 * (each direction on its own, as the risk rule sums them), total over 10,000.00 in one banking
 * day. The banking day is the risk step's: the bank's calendar with its cut-off (a deposit after
 * 17:00 New York, or on a weekend or holiday, is the next banking day's). Pure; ordered by banking
 * day, customer and direction.
 */
export function currencyTransactionReport(movements: readonly CashMovement[], calendar: BankCalendar): CurrencyTransactionGroup[] {
  const reported = movements.filter((movement) => movement.currency === COMPLIANCE_CURRENCY);
  const groups = groupMovements(reported, (movement) => [movement.customerId, bankingDayOf(movement.at, calendar), movement.kind].join('|'));
  const report: CurrencyTransactionGroup[] = [];
  for (const group of groups.values()) {
    const totalMinor = totalOf(group);
    if (totalMinor <= CURRENCY_TRANSACTION_THRESHOLD_MINOR) continue;
    const first = group[0]!;
    report.push({
      customerId: first.customerId,
      customerUsername: first.customerUsername,
      bankingDay: bankingDayOf(first.at, calendar),
      kind: first.kind,
      currency: first.currency,
      currencyExponent: first.currencyExponent,
      totalMinor,
      movements: group,
    });
  }
  return report.sort(
    (left, right) =>
      left.bankingDay.localeCompare(right.bankingDay) || left.customerUsername.localeCompare(right.customerUsername) || left.kind.localeCompare(right.kind) || byTime(left.movements[0]!, right.movements[0]!),
  );
}
