import sql, { raw } from 'sql-template-tag';
import { queryStatement, toBigInt, type Database } from '../persistence/database.js';

/**
 * An account's balances as they were at an instant, from its history lines: the newest line
 * written at or before the instant carries the posted and pending balances right after it. One
 * index probe (entries_history_by_time, account then time), never a scan of the account's lines.
 * Ties in time (commands of one unit share its clock) go to the higher version, the later change.
 */
export interface BalanceAtInstant {
  readonly postedMinor: bigint;
  readonly pendingMinor: bigint;
  /** The version of that line; 0 when the account had no line yet (then both balances are 0). */
  readonly version: number;
  /** When that line was written; null when there was none. */
  readonly changedAt: Date | null;
}

/** After every change at or before `at`. */
export function balanceAtInstant(database: Database, accountId: string, at: Date): Promise<BalanceAtInstant> {
  return balanceByTime(database, accountId, at, 'at');
}

/** After every change strictly before `instant`: a statement's opening balance (a line at the month's first instant is the month's). */
export function balanceBefore(database: Database, accountId: string, instant: Date): Promise<BalanceAtInstant> {
  return balanceByTime(database, accountId, instant, 'before');
}

async function balanceByTime(database: Database, accountId: string, instant: Date, bound: 'at' | 'before'): Promise<BalanceAtInstant> {
  const [row] = await queryStatement<{ balance_after_minor: string; pending_after_minor: string; account_version: number; created_at: Date | string }>(
    database,
    sql`select e.balance_after_minor::text, e.pending_after_minor::text, e.account_version, e.created_at
          from entries e
         where e.account_id = ${accountId}::uuid and e.account_version is not null and e.created_at ${raw(bound === 'at' ? '<=' : '<')} ${instant.toISOString()}::timestamptz
         order by e.created_at desc, e.account_version desc
         limit 1`,
  );
  if (!row) return { postedMinor: 0n, pendingMinor: 0n, version: 0, changedAt: null };
  return {
    postedMinor: toBigInt(row.balance_after_minor),
    pendingMinor: toBigInt(row.pending_after_minor),
    version: row.account_version,
    changedAt: new Date(row.created_at),
  };
}
