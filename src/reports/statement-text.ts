import { DateTime } from 'luxon';
import type { StatementLineFact } from '../ledger/statements/build-statement.js';
import type { Channel, TransactionKind } from '../ledger/types.js';

/** The bank's name as statements print it. */
export const BANK_NAME = 'Tally Bank';

const KIND_LABEL: Readonly<Record<TransactionKind, string>> = {
  DEPOSIT: 'Deposit',
  WITHDRAWAL: 'Withdrawal',
  TRANSFER: 'Transfer',
  HOLD: 'Hold',
  HOLD_CAPTURE: 'Captured hold',
  HOLD_RELEASE: 'Hold released',
  REVERSAL: 'Reversal',
  RETURN: 'Returned item',
  FEE: 'Fee',
  ADJUSTMENT: 'Adjustment',
};

/** What a statement line says: the transaction's description, else its kind and rail ("Deposit, CASH"). */
export function lineLabel(line: Pick<StatementLineFact, 'description' | 'kind' | 'channel'>): string {
  return line.description ?? `${KIND_LABEL[line.kind]}, ${line.channel satisfies Channel}`;
}

/** A line's date in the bank's zone, "2026-11-03": the day the customer's month is cut by. */
export function localDate(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toISODate()!;
}

/** A line's time in the bank's zone, "2026-11-03 14:05". */
export function localDateTime(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat('yyyy-MM-dd HH:mm');
}
