import { queryRows, type Database } from '../persistence/database.js';
import { REVERSAL_JOIN, TRANSACTION_COLUMNS, transactionFromRow, type TransactionRow, type TransactionView } from './transactions.js';

/** The most returned items `Account.returnedItems` lists: a bounded list, newest first. */
export const MAX_RETURNED_ITEMS_LIST = 20;

/**
 * Checks drawn on an account that were returned unpaid, newest first. They moved nothing, so they
 * are no history line; this is where the account's owners find them (index ledger_transactions_returned_items).
 */
export async function returnedItemsOf(database: Database, accountId: string, limit: number): Promise<TransactionView[]> {
  const rows = await queryRows<TransactionRow>(
    database,
    `select ${TRANSACTION_COLUMNS} from ledger_transactions t ${REVERSAL_JOIN}
      where t.returned_account_id = ? order by t.created_at desc, t.id desc limit ${Math.floor(limit)}`,
    [accountId],
  );
  return rows.map(transactionFromRow);
}
