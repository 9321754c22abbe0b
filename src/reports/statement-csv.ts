import type { AccountStatement } from '../ledger/statements/build-statement.js';
import { formatMinor } from '../ledger/money.js';
import { csvText, textCell, type CsvCell } from './csv.js';
import { localDateTime } from './statement-text.js';

/**
 * A statement as CSV, one row per line (GET /v1/statements/:accountId/:month.csv): what a
 * customer imports into a spreadsheet or bookkeeping tool. The opening and closing balances are
 * the first and last rows, so the file alone adds up; times are in the bank's zone, and amounts
 * signed (+ in, - out) in the account's currency.
 */
export const STATEMENT_CSV_HEADER = ['date', 'description', 'kind', 'channel', 'amount', 'balance_after', 'currency', 'transaction_id'] as const;

export function statementCsv(statement: AccountStatement, timeZone: string): string {
  const money = (minor: bigint) => formatMinor(minor, statement.currencyExponent);
  const rows: CsvCell[][] = [
    [localDateTime(statement.period.startsAt, timeZone), 'Opening balance', null, null, null, money(statement.openingMinor), statement.currency, null],
    ...statement.lines.map((line) => [
      localDateTime(line.at, timeZone),
      textCell(line.description),
      line.kind,
      line.channel,
      money(line.amountMinor),
      money(line.balanceAfterMinor),
      statement.currency,
      line.transactionId,
    ]),
    [localDateTime(statement.period.closesAt, timeZone), 'Closing balance', null, null, null, money(statement.closingMinor), statement.currency, null],
  ];
  return csvText(STATEMENT_CSV_HEADER, rows);
}
