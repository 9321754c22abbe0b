import { canonicalId, isId, queryRows, toBigInt, type Database } from '../persistence/database.js';
import type { Channel, TransactionKind } from '../types.js';

/**
 * The transaction a customer disputes, read before the unit: a written transaction, its entries
 * and its account's opening never change, so reading them outside the locks is safe. What may
 * change (a reversal, another dispute) is read inside the unit, under the account's lock.
 */
export interface DisputedTransaction {
  readonly id: string;
  readonly kind: TransactionKind;
  readonly channel: Channel;
  readonly status: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly postedAt: Date | null;
  /** The customer account its POSTED layer debited, if any: the account the dispute is about. */
  readonly debitedAccountId: string | undefined;
  /** When that account was opened (a new account gets longer deadlines). */
  readonly accountOpenedAt: Date | undefined;
  /** Where the debit was initiated (ISO 3166-1 alpha-2), when its request said: foreign ones get longer to resolve. */
  readonly originCountry: string | null;
}

export async function readDisputedTransaction(database: Database, givenTransactionId: string): Promise<DisputedTransaction | undefined> {
  const transactionId = canonicalId(givenTransactionId);
  if (!isId(transactionId)) return undefined;
  const [row] = await queryRows<{
    kind: TransactionKind;
    channel: Channel;
    status: string;
    amount_minor: string;
    currency: string;
    currency_exponent: number;
    posted_at: Date | string | null;
    account_id: string | null;
    account_created_at: Date | string | null;
    origin_country: string | null;
  }>(
    database,
    `select t.kind, t.channel, t.status, t.amount_minor::text as amount_minor, t.currency, t.currency_exponent, t.posted_at, t.origin_country,
            debited.account_id, debited.created_at as account_created_at
       from ledger_transactions t
       left join lateral (
         select e.account_id, a.created_at from entries e join accounts a on a.id = e.account_id
          where e.transaction_id = t.id and e.layer = 'POSTED' and e.direction = 'DEBIT' and a.holder = 'CUSTOMER'
          order by e.id limit 1) debited on true
      where t.id = ?`,
    [transactionId],
  );
  if (!row) return undefined;
  return {
    id: transactionId,
    kind: row.kind,
    channel: row.channel,
    status: row.status,
    amountMinor: toBigInt(row.amount_minor),
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    postedAt: row.posted_at === null ? null : new Date(row.posted_at),
    debitedAccountId: row.account_id ?? undefined,
    accountOpenedAt: row.account_created_at === null ? undefined : new Date(row.account_created_at),
    originCountry: row.origin_country,
  };
}
