import type { CurrencyTransactionGroup } from '../ledger/compliance/currency-transaction-report.js';
import type { StructuringWindow } from '../ledger/compliance/structuring-report.js';
import { formatMinor } from '../ledger/money.js';
import { csvText, textCell, type CsvCell } from './csv.js';

/**
 * The compliance reports as CSV (Query.complianceReport, GET /v1/reports/:kind.csv), one row per
 * transaction of each finding, the finding's total repeated on each of its rows so a filter in a
 * spreadsheet keeps it. Times are UTC ISO 8601; amounts in major units of the currency.
 */
export const CURRENCY_TRANSACTIONS_CSV_HEADER = [
  'banking_day', 'customer_id', 'customer_username', 'direction', 'day_total', 'currency', 'transaction_id', 'account_number', 'transaction_time', 'amount',
] as const;

export const STRUCTURING_CSV_HEADER = [
  'window_start', 'window_end', 'customer_id', 'customer_username', 'direction', 'movements', 'window_total', 'currency', 'transaction_id', 'account_number', 'transaction_time', 'amount',
] as const;

export function currencyTransactionsCsv(groups: readonly CurrencyTransactionGroup[]): string {
  const rows: CsvCell[][] = groups.flatMap((group) =>
    group.movements.map((movement) => [
      group.bankingDay,
      group.customerId,
      textCell(group.customerUsername),
      group.kind,
      formatMinor(group.totalMinor, group.currencyExponent),
      group.currency,
      movement.transactionId,
      movement.accountNumber,
      movement.at.toISOString(),
      formatMinor(movement.amountMinor, movement.currencyExponent),
    ]),
  );
  return csvText(CURRENCY_TRANSACTIONS_CSV_HEADER, rows);
}

export function structuringCsv(windows: readonly StructuringWindow[]): string {
  const rows: CsvCell[][] = windows.flatMap((window) =>
    window.movements.map((movement) => [
      window.startsAt.toISOString(),
      window.endsAt.toISOString(),
      window.customerId,
      textCell(window.customerUsername),
      window.kind,
      window.movements.length,
      formatMinor(window.totalMinor, window.currencyExponent),
      window.currency,
      movement.transactionId,
      movement.accountNumber,
      movement.at.toISOString(),
      formatMinor(movement.amountMinor, movement.currencyExponent),
    ]),
  );
  return csvText(STRUCTURING_CSV_HEADER, rows);
}
