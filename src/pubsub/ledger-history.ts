import type { MikroORM } from '@mikro-orm/postgresql';
import { balanceVersionsSince, currentVersion, currentVersions } from '../ledger/queries/balance-versions.js';
import { HISTORY_PAGE_SIZE, type BalanceHistory } from './balance-stream.js';

/** The ledger as the source of balance events: each history line is one version of the account. */
export function ledgerHistory(orm: MikroORM): BalanceHistory {
  return {
    since: (accountId, afterVersion, upToVersion) => balanceVersionsSince(orm.em.fork(), accountId, afterVersion, upToVersion, HISTORY_PAGE_SIZE),
    currentVersions: (accountIds) => currentVersions(orm.em.fork(), accountIds),
    currentVersion: (accountId) => currentVersion(orm.em.fork(), accountId),
  };
}
