import { canonicalId, isId, queryRows, toBigInt, type Database } from '../persistence/database.js';
import type { Channel, Direction, Layer, TransactionKind } from '../types.js';

export interface TransactionView {
  readonly id: string;
  readonly kind: TransactionKind;
  readonly channel: Channel;
  readonly status: 'PENDING' | 'POSTED' | 'REVERSED' | 'RETURNED';
  readonly amountMinor: bigint;
  readonly currency: string;
  /** The minor-unit exponent of its accounts, stored with the transaction when it was written. */
  readonly currencyExponent: number;
  readonly description: string | null;
  readonly externalRef: string | null;
  /** Where a withdrawal or a card capture was initiated (ISO 3166-1 alpha-2), when the rail said; null is domestic. */
  readonly originCountry: string | null;
  /** Private to the initiator (auth/access.ts decides who sees it): it often names a purpose. */
  readonly idempotencyKey: string;
  /** The user whose request made it, who owns the idempotency key. */
  readonly initiatedBy: string;
  readonly createdAt: Date;
  readonly postedAt: Date | null;
  /** A REVERSAL's original. */
  readonly reversesTransactionId: string | null;
  /** The REVERSAL that undid this transaction, if any: its status is then REVERSED (read through the link, never edited). */
  readonly reversedByTransactionId: string | null;
  /** A RETURN's deposit. */
  readonly returnsTransactionId: string | null;
  /** The RETURN that took this deposit back, if any: its status is then RETURNED (through the link). */
  readonly returnedByTransactionId: string | null;
  /** The reason of a RETURN, shown on it and on the deposit it returned; on a returned check withdrawal, why it was refused. */
  readonly returnReason: string | null;
}

export interface EntryView {
  /** The entry's public id, a random UUID: the internal sequence would reveal the bank's posting volume. */
  readonly id: string;
  readonly transactionId: string;
  readonly accountId: string;
  readonly accountIsInternal: boolean;
  readonly direction: Direction;
  /** Its own amount: a wire's fee and its principal are entries of different amounts. */
  readonly amountMinor: bigint;
  readonly layer: Layer;
  readonly currency: string;
  /** Its transaction's exponent: all entries of a transaction count in the same minor units. */
  readonly currencyExponent: number;
}

export interface TransactionRow {
  transaction_id: string;
  kind: TransactionKind;
  channel: Channel;
  status: TransactionView['status'];
  transaction_amount_minor: string;
  transaction_currency: string;
  transaction_currency_exponent: number;
  description: string | null;
  external_ref: string | null;
  origin_country: string | null;
  idempotency_key: string;
  initiated_by: string;
  transaction_created_at: Date | string;
  posted_at: Date | string | null;
  reverses_transaction_id: string | null;
  reversed_by_transaction_id: string | null;
  returns_transaction_id: string | null;
  returned_by_transaction_id: string | null;
  return_reason: string | null;
}

// The status is derived, never edited (law 1): a transaction some REVERSAL points at is REVERSED,
// one a RETURN points at RETURNED (both use the one unique link, so never both). The unique index
// on the link answers the lookup with one index probe.
export const TRANSACTION_COLUMNS = `t.id as transaction_id, t.kind, t.channel,
  case when reversal.kind = 'RETURN' then 'RETURNED' when reversal.id is not null then 'REVERSED' else t.status end as status,
  case when t.kind = 'REVERSAL' then t.reverses_transaction_id end as reverses_transaction_id,
  case when reversal.kind = 'REVERSAL' then reversal.id end as reversed_by_transaction_id,
  case when t.kind = 'RETURN' then t.reverses_transaction_id end as returns_transaction_id,
  case when reversal.kind = 'RETURN' then reversal.id end as returned_by_transaction_id,
  coalesce(t.return_reason, reversal.return_reason) as return_reason,
  t.amount_minor::text as transaction_amount_minor, t.currency as transaction_currency,
  t.currency_exponent as transaction_currency_exponent, t.description,
  t.external_ref, t.origin_country, t.idempotency_key, t.initiated_by, t.created_at as transaction_created_at, t.posted_at`;

/** Joined after `ledger_transactions t` wherever TRANSACTION_COLUMNS is selected: at most one row (unique link). */
export const REVERSAL_JOIN = 'left join ledger_transactions reversal on reversal.reverses_transaction_id = t.id';

export function transactionFromRow(row: TransactionRow): TransactionView {
  return {
    id: row.transaction_id,
    kind: row.kind,
    channel: row.channel,
    status: row.status,
    amountMinor: toBigInt(row.transaction_amount_minor),
    currency: row.transaction_currency,
    currencyExponent: row.transaction_currency_exponent,
    description: row.description,
    externalRef: row.external_ref,
    originCountry: row.origin_country,
    idempotencyKey: row.idempotency_key,
    initiatedBy: row.initiated_by,
    createdAt: new Date(row.transaction_created_at),
    postedAt: row.posted_at === null ? null : new Date(row.posted_at),
    reversesTransactionId: row.reverses_transaction_id,
    reversedByTransactionId: row.reversed_by_transaction_id,
    returnsTransactionId: row.returns_transaction_id,
    returnedByTransactionId: row.returned_by_transaction_id,
    returnReason: row.return_reason,
  };
}

/** A transaction the user may see: one that touched an account they own, or a check drawn on one that was returned unpaid. */
export async function visibleTransaction(database: Database, userId: string, givenTransactionId: string): Promise<TransactionView | undefined> {
  const transactionId = canonicalId(givenTransactionId);
  if (!isId(transactionId)) return undefined;
  const [row] = await queryRows<TransactionRow>(
    database,
    `select ${TRANSACTION_COLUMNS} from ledger_transactions t ${REVERSAL_JOIN}
      where t.id = ? and (exists (
        select 1 from entries e join user_accounts ua on ua.account_id = e.account_id
         where e.transaction_id = t.id and ua.user_id = ?)
        or exists (select 1 from user_accounts ua where ua.account_id = t.returned_account_id and ua.user_id = ?))`,
    [transactionId, userId, userId],
  );
  return row ? transactionFromRow(row) : undefined;
}

/** Any transaction by id: for operators. */
export async function anyTransaction(database: Database, givenTransactionId: string): Promise<TransactionView | undefined> {
  const transactionId = canonicalId(givenTransactionId);
  if (!isId(transactionId)) return undefined;
  return (await transactionsByIds(database, [transactionId])).get(transactionId);
}

/** Transactions by id, for a movement the caller just made or replayed; no visibility filter. */
export async function transactionsByIds(database: Database, transactionIds: readonly string[]): Promise<Map<string, TransactionView>> {
  const rows = await queryRows<TransactionRow>(
    database,
    `select ${TRANSACTION_COLUMNS} from ledger_transactions t ${REVERSAL_JOIN} where t.id = any(?::uuid[])`,
    [`{${transactionIds.join(',')}}`],
  );
  return new Map(rows.map((row) => [row.transaction_id, transactionFromRow(row)]));
}

/** All entries of many transactions in one query (the history page's batch, no N+1). */
export async function entriesOfTransactions(database: Database, transactionIds: readonly string[]): Promise<Map<string, EntryView[]>> {
  const rows = await queryRows<{
    id: string;
    transaction_id: string;
    account_id: string;
    holder: 'CUSTOMER' | 'INTERNAL';
    direction: Direction;
    amount_minor: string;
    layer: Layer;
    currency: string;
    currency_exponent: number;
  }>(
    database,
    // Listed in posting order (the internal id), shown by the public id.
    `select e.public_id::text as id, e.transaction_id, e.account_id, a.holder, e.direction, e.amount_minor::text, e.layer, e.currency, t.currency_exponent
       from entries e join accounts a on a.id = e.account_id join ledger_transactions t on t.id = e.transaction_id
      where e.transaction_id = any(?::uuid[]) order by e.id`,
    [`{${transactionIds.join(',')}}`],
  );
  const byTransaction = new Map<string, EntryView[]>(transactionIds.map((id) => [id, []]));
  for (const row of rows) {
    byTransaction.get(row.transaction_id)?.push({
      id: row.id,
      transactionId: row.transaction_id,
      accountId: row.account_id,
      accountIsInternal: row.holder === 'INTERNAL',
      direction: row.direction,
      amountMinor: toBigInt(row.amount_minor),
      layer: row.layer,
      currency: row.currency,
      currencyExponent: row.currency_exponent,
    });
  }
  return byTransaction;
}
