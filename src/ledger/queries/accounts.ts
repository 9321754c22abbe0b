import { MAX_ACCOUNTS_PER_USER } from '../limits.js';
import { canonicalId, isId, queryRows, toBigInt, type Database } from '../persistence/database.js';
import type { AccountStatus, AccountType } from '../types.js';

/** A customer account as the API shows it, balances included, read in one statement. */
export interface AccountView {
  readonly id: string;
  readonly number: string;
  readonly type: AccountType;
  readonly status: AccountStatus;
  readonly currency: string;
  /** The minor-unit exponent stored when the account opened: every amount of it is formatted by it. */
  readonly currencyExponent: number;
  readonly nickname: string | null;
  readonly postedMinor: bigint;
  readonly pendingMinor: bigint;
  readonly version: number;
  readonly createdAt: Date;
  /** When the balance last changed: the instant the balance is true as of. */
  readonly asOf: Date;
}

interface AccountRow {
  id: string;
  number: string;
  type: AccountType;
  status: AccountStatus;
  currency: string;
  currency_exponent: number;
  nickname: string | null;
  posted_minor: string;
  pending_minor: string;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const ACCOUNT_COLUMNS = `a.id, a.number, a.type, a.status, a.currency, a.currency_exponent, a.nickname, a.posted_minor::text,
  a.pending_minor::text, a.version, a.created_at, a.updated_at`;

function toView(row: AccountRow): AccountView {
  return {
    id: row.id,
    number: row.number,
    type: row.type,
    status: row.status,
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    nickname: row.nickname,
    postedMinor: toBigInt(row.posted_minor),
    pendingMinor: toBigInt(row.pending_minor),
    version: row.version,
    createdAt: new Date(row.created_at),
    asOf: new Date(row.updated_at),
  };
}

/**
 * Every account the user owns, with balances. One SELECT is one snapshot, so the balances sum to
 * a true total at one instant even while transfers run between these accounts.
 */
export async function accountsOwnedBy(database: Database, userId: string): Promise<AccountView[]> {
  const rows = await queryRows<AccountRow>(
    database,
    `select ${ACCOUNT_COLUMNS} from accounts a join user_accounts ua on ua.account_id = a.id
      where ua.user_id = ? order by a.created_at, a.id limit ${MAX_ACCOUNTS_PER_USER}`,
    [userId],
  );
  return rows.map(toView);
}

/** The account if the user owns it; otherwise undefined, exactly as for an id that does not exist. */
export async function ownedAccount(database: Database, userId: string, givenAccountId: string): Promise<AccountView | undefined> {
  const accountId = canonicalId(givenAccountId);
  if (!isId(accountId)) return undefined;
  const [row] = await queryRows<AccountRow>(
    database,
    `select ${ACCOUNT_COLUMNS} from accounts a join user_accounts ua on ua.account_id = a.id
      where ua.user_id = ? and a.id = ?`,
    [userId, accountId],
  );
  return row ? toView(row) : undefined;
}

/** The ids of the user's accounts: decides which entries show their account id. */
export async function accountIdsOwnedBy(database: Database, userId: string): Promise<Set<string>> {
  const rows = await queryRows<{ account_id: string }>(database, `select account_id from user_accounts where user_id = ?`, [userId]);
  return new Set(rows.map((row) => row.account_id));
}

/** Any customer account, whoever owns it: for operators, whom auth/access.ts lets see every account. */
export async function customerAccount(database: Database, givenAccountId: string): Promise<AccountView | undefined> {
  const accountId = canonicalId(givenAccountId);
  if (!isId(accountId)) return undefined;
  const [row] = await queryRows<AccountRow>(database, `select ${ACCOUNT_COLUMNS} from accounts a where a.id = ? and a.holder = 'CUSTOMER'`, [accountId]);
  return row ? toView(row) : undefined;
}
