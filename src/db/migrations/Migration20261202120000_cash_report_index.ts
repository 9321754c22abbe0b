import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 10 §2, compliance reports: the cash deposits and withdrawals of a range, by time. Partial,
 * so it holds only the teller's cash (a small share of all transactions) and a report of a year
 * reads that year's cash, not every transaction of the year. Balance-at and statements need no new
 * index: entries_history_by_time (account, time; 20261201130000) serves both.
 */
export class Migration20261202120000_cash_report_index extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index ledger_transactions_cash on ledger_transactions (created_at) where channel = 'CASH' and kind in ('DEPOSIT', 'WITHDRAWAL');`);
  }
}
