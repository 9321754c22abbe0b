import sql from 'sql-template-tag';
import { queryStatement, toBigInt, type Database } from './database.js';
import type { DisputeSnapshot } from '../disputes/dispute-snapshot.js';
import type { DisputeStatus } from '../disputes/dispute-states.js';

interface LockedDisputeRow {
  id: string;
  transaction_id: string;
  account_id: string;
  status: DisputeStatus;
  amount_minor: string;
  currency: string;
  currency_exponent: number;
  credit_transaction_id: string | null;
  reversal_noticed_at: Date | string | null;
  reversal_not_before: Date | string | null;
  event_count: number;
}

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/**
 * Locks the disputes a unit's commands name (FOR UPDATE, in id order), before the unit locks
 * holds and accounts: a dispute's account is only known from its row. Every unit that steps a
 * dispute locks the dispute first and its account second, so two steps on one dispute (an
 * operator's credit and the scheduler's) queue, and the second sees the first one's status.
 */
export async function lockDisputes(database: Database, disputeIds: readonly string[]): Promise<DisputeSnapshot[]> {
  if (disputeIds.length === 0) return [];
  const rows = await queryStatement<LockedDisputeRow>(
    database,
    sql`select d.id, d.transaction_id, d.account_id, d.status, d.amount_minor::text as amount_minor, d.currency, d.currency_exponent,
               d.credit_transaction_id, d.reversal_noticed_at, d.reversal_not_before,
               (select count(*)::int from dispute_events de where de.dispute_id = d.id) as event_count
          from disputes d where d.id = any(${`{${disputeIds.join(',')}}`}::uuid[])
         order by d.id
           for update of d`,
  );
  return rows.map((row) => ({
    id: row.id,
    transactionId: row.transaction_id,
    accountId: row.account_id,
    status: row.status,
    amountMinor: toBigInt(row.amount_minor),
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    credited: row.credit_transaction_id !== null,
    reversalNoticedAt: dateOrNull(row.reversal_noticed_at),
    reversalNotBefore: dateOrNull(row.reversal_not_before),
    eventCount: row.event_count,
  }));
}

/** Which of `transactionIds` have a dispute that is not WITHDRAWN, read under the disputed accounts' locks. */
export async function readDisputedTransactions(database: Database, transactionIds: readonly string[]): Promise<Map<string, boolean>> {
  if (transactionIds.length === 0) return new Map();
  const rows = await queryStatement<{ transaction_id: string }>(
    database,
    sql`select distinct transaction_id from disputes where transaction_id = any(${`{${transactionIds.join(',')}}`}::uuid[]) and status <> 'WITHDRAWN'`,
  );
  const disputed = new Set(rows.map((row) => row.transaction_id));
  return new Map(transactionIds.map((id) => [id, disputed.has(id)]));
}
