import type { MikroORM } from '@mikro-orm/postgresql';
import { queryRows } from '../ledger/persistence/database.js';
import { HISTORY_PAGE_SIZE, type BalanceHistory } from './balance-stream.js';
import type { BalanceEvent } from './channels.js';

/** The ledger as the source of balance events: each history line is one version of the account. */
export function ledgerHistory(orm: MikroORM): BalanceHistory {
  return {
    async since(accountId, afterVersion, upToVersion) {
      const rows = await queryRows<{
        account_version: number;
        balance_after_minor: string;
        currency: string;
        currency_exponent: number;
        transaction_id: string;
        created_at: Date | string;
        pending_minor: string;
      }>(
        orm.em.fork(),
        `select e.account_version, e.balance_after_minor::text, e.currency, a.currency_exponent, e.transaction_id, e.created_at, e.pending_after_minor::text as pending_minor
           from entries e join accounts a on a.id = e.account_id
          where e.account_id = ? and e.account_version > ? and e.account_version <= ?
          order by e.account_version limit ${HISTORY_PAGE_SIZE}`,
        [accountId, afterVersion, upToVersion ?? 2_147_483_647],
      );
      return rows.map((row) => ({
        accountId,
        version: row.account_version,
        currency: row.currency,
        currencyExponent: row.currency_exponent,
        postedMinor: row.balance_after_minor,
        pendingMinor: row.pending_minor,
        transactionId: row.transaction_id,
        asOf: new Date(row.created_at).toISOString(),
      }));
    },
    async currentVersions(accountIds) {
      const rows = await queryRows<{ id: string; version: number }>(
        orm.em.fork(),
        `select id, version from accounts where id = any(?::uuid[])`,
        [`{${accountIds.join(',')}}`],
      );
      return new Map(rows.map((row) => [row.id, row.version]));
    },
    async currentVersion(accountId) {
      const [row] = await queryRows<{ version: number }>(orm.em.fork(), `select version from accounts where id = ?`, [accountId]);
      return row?.version ?? 0;
    },
  };
}
