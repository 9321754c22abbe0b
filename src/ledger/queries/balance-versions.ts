import type { BalanceEvent } from '../balance-event.js';
import { queryRows, type Database } from '../persistence/database.js';

/**
 * The ledger's history as balance versions, for subscribers that missed some: each history line
 * is one version of the account, with the posted and pending balances right after it.
 */

/** Up to `limit` versions with afterVersion < version <= upToVersion, in version order. */
export async function balanceVersionsSince(
  database: Database,
  accountId: string,
  afterVersion: number,
  upToVersion: number | undefined,
  limit: number,
): Promise<BalanceEvent[]> {
  const rows = await queryRows<{
    account_version: number;
    balance_after_minor: string;
    pending_after_minor: string;
    currency: string;
    currency_exponent: number;
    transaction_id: string;
    created_at: Date | string;
  }>(
    database,
    `select e.account_version, e.balance_after_minor::text, e.pending_after_minor::text, e.currency, a.currency_exponent, e.transaction_id, e.created_at
       from entries e join accounts a on a.id = e.account_id
      where e.account_id = ? and e.account_version > ? and e.account_version <= ?
      order by e.account_version limit ?`,
    [accountId, afterVersion, upToVersion ?? 2_147_483_647, limit],
  );
  return rows.map((row) => ({
    accountId,
    version: row.account_version,
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    postedMinor: row.balance_after_minor,
    pendingMinor: row.pending_after_minor,
    transactionId: row.transaction_id,
    asOf: new Date(row.created_at).toISOString(),
  }));
}

/** The newest version of each account (absent ids are left out). */
export async function currentVersions(database: Database, accountIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await queryRows<{ id: string; version: number }>(database, `select id, version from accounts where id = any(?::uuid[])`, [
    `{${accountIds.join(',')}}`,
  ]);
  return new Map(rows.map((row) => [row.id, row.version]));
}

/** The newest version of one account; 0 for an unknown one. */
export async function currentVersion(database: Database, accountId: string): Promise<number> {
  const [row] = await queryRows<{ version: number }>(database, `select version from accounts where id = ?`, [accountId]);
  return row?.version ?? 0;
}
