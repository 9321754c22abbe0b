import type { AccountSnapshot, AccountStatus } from '../types.js';
import { toBigInt } from './database.js';

export interface LockedAccountRow {
  id: string;
  currency: string;
  currency_exponent: number;
  status: AccountStatus;
  posted_minor: string;
  pending_minor: string;
  overdraft_limit_minor: string;
  version: number;
  owned: boolean;
}

/**
 * The row-lock step of a money movement, as SQL with two parameters: the actor's user id, then the
 * account ids as a PostgreSQL array literal; `onlyIf` is a further SQL condition (the caller's, on
 * a lateral row). Rows are locked in id order (ORDER BY runs below the lock step), so two
 * movements over the same accounts always queue instead of deadlocking. `FOR NO KEY UPDATE` still
 * lets entries reference the rows concurrently. Internal accounts are never locked: their balance
 * is derived. A locked row is re-read at its newest version even if the statement waited first;
 * `owned` is read from the statement's snapshot, which is enough because ownership of an existing
 * account never changes (an account's owner is written with it, once).
 */
export function lockCustomerAccountsSql(onlyIf = 'true'): string {
  return `
    select a.id, a.currency, a.currency_exponent, a.status, a.posted_minor::text, a.pending_minor::text,
           a.overdraft_limit_minor::text, a.version,
           exists (select 1 from user_accounts ua where ua.account_id = a.id and ua.user_id = ?) as owned
      from accounts a
     where ${onlyIf} and a.id = any(?::uuid[]) and a.holder = 'CUSTOMER'
     order by a.id
       for no key update of a`;
}

export function lockParameters(accountIds: readonly string[], actorUserId: string): unknown[] {
  return [actorUserId, `{${accountIds.join(',')}}`];
}

/** Snapshots of locked rows, keyed by id. */
export function snapshotsOf(rows: readonly LockedAccountRow[]): Map<string, AccountSnapshot> {
  return new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        currency: row.currency,
        currencyExponent: row.currency_exponent,
        status: row.status,
        postedMinor: toBigInt(row.posted_minor),
        pendingMinor: toBigInt(row.pending_minor),
        overdraftLimitMinor: toBigInt(row.overdraft_limit_minor),
        version: row.version,
        ownedByActor: row.owned,
      },
    ]),
  );
}
