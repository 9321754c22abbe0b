import sql from 'sql-template-tag';
import type { BankCalendar } from '../calendar/business-days.js';
import { bankingDayContaining } from '../calendar/banking-day-containing.js';
import type { CheckDepositFacts } from '../commands/unit-state.js';
import { queryStatement, toBigInt, type Database } from './database.js';

/**
 * The availability policy's facts for `accountIds`, read inside the unit after its locks and clock
 * (Prefetch.checkDepositsOf): each account's opening, and the sum of its check-schedule deposits
 * (CHECK, ATM) already posted on the banking day `now` falls in. The account rows are locked, so
 * no deposit of that day can commit between this read and the unit's own. A deposit is one history
 * line of the account (its versioned entry), found by the index entries_history_by_time.
 */
export async function readCheckDepositFacts(
  database: Database,
  accountIds: readonly string[],
  calendar: BankCalendar,
  now: Date,
): Promise<Map<string, CheckDepositFacts>> {
  if (accountIds.length === 0) return new Map();
  const window = bankingDayContaining(now, calendar);
  const rows = await queryStatement<{ id: string; created_at: Date | string; same_day_minor: string }>(
    database,
    sql`select a.id, a.created_at,
               coalesce((select sum(t.amount_minor) from entries e join ledger_transactions t on t.id = e.transaction_id
                          where e.account_id = a.id and e.account_version is not null
                            and e.created_at >= ${window.startsAt.toISOString()}::timestamptz and e.created_at < ${window.endsAt.toISOString()}::timestamptz
                            and t.kind = 'DEPOSIT' and t.channel in ('CHECK', 'ATM')), 0)::text as same_day_minor
          from accounts a where a.id = any(${`{${accountIds.join(',')}}`}::uuid[])`,
  );
  return new Map(rows.map((row) => [row.id, { openedAt: new Date(row.created_at), sameBankingDayMinor: toBigInt(row.same_day_minor) }]));
}
