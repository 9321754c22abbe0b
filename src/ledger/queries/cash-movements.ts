import sql from 'sql-template-tag';
import { COMPLIANCE_CURRENCY, MAX_REPORT_CASH_MOVEMENTS, type CashKind, type CashMovement } from '../compliance/cash-movement.js';
import type { ReportRange } from '../compliance/report-range.js';
import { LimitExceededError } from '../errors.js';
import { queryStatement, toBigInt, type Database } from '../persistence/database.js';

/**
 * The cash movements of a range (compliance/cash-movement.ts says what counts), one row per owner
 * of the customer account each touched, read by the partial index ledger_transactions_cash
 * (migration 20261202120000): a report reads the range's cash, not every transaction of the range.
 */
export async function cashMovementsIn(database: Database, range: ReportRange): Promise<CashMovement[] | LimitExceededError> {
  const rows = await queryStatement<{
    transaction_id: string;
    created_at: Date | string;
    customer_id: string;
    customer_username: string;
    account_id: string;
    account_number: string;
    kind: CashKind;
    currency: string;
    currency_exponent: number;
    amount_minor: string;
  }>(
    database,
    sql`select t.id as transaction_id, t.created_at, u.id as customer_id, u.username as customer_username, a.id as account_id, a.number as account_number,
               t.kind, t.currency, t.currency_exponent, t.amount_minor::text
          from ledger_transactions t
          join entries e on e.transaction_id = t.id and e.account_version is not null
          join accounts a on a.id = e.account_id and a.holder = 'CUSTOMER'
          join user_accounts o on o.account_id = a.id
          join users u on u.id = o.user_id
         where t.channel = 'CASH' and t.kind in ('DEPOSIT', 'WITHDRAWAL') and t.currency = ${COMPLIANCE_CURRENCY}
           and t.created_at >= ${range.from.toISOString()}::timestamptz and t.created_at < ${range.to.toISOString()}::timestamptz
         order by t.created_at, t.id, u.id
         limit ${MAX_REPORT_CASH_MOVEMENTS + 1}`,
  );
  if (rows.length > MAX_REPORT_CASH_MOVEMENTS) return new LimitExceededError(`The range holds more than ${MAX_REPORT_CASH_MOVEMENTS} cash movements; ask for a shorter one.`);
  return rows.map((row) => ({
    transactionId: row.transaction_id,
    at: new Date(row.created_at),
    customerId: row.customer_id,
    customerUsername: row.customer_username,
    accountId: row.account_id,
    accountNumber: row.account_number,
    kind: row.kind,
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    amountMinor: toBigInt(row.amount_minor),
  }));
}
