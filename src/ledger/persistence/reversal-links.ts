import { queryRows, type Database } from './database.js';

/**
 * Which of `transactionIds` some REVERSAL already points at, read inside the unit after its locks
 * (see Prefetch.reversalsOf). Every id is in the answer: true when reversed, false when not.
 */
export async function readReversedTransactions(database: Database, transactionIds: readonly string[]): Promise<Map<string, boolean>> {
  const reversed = new Map(transactionIds.map((id) => [id, false]));
  if (!transactionIds.length) return reversed;
  const rows = await queryRows<{ reverses_transaction_id: string }>(
    database,
    `select reverses_transaction_id from ledger_transactions where reverses_transaction_id = any(?::uuid[])`,
    [`{${transactionIds.join(',')}}`],
  );
  for (const row of rows) reversed.set(row.reverses_transaction_id, true);
  return reversed;
}
