import type { ReversalOriginal } from '../decide/decide-reversal.js';
import { canonicalId, isId, queryRows, toBigInt, type Database } from '../persistence/database.js';
import type { Channel, Direction, Layer, TransactionKind } from '../types.js';

/**
 * The transaction a reversal would undo, with its entries, read before the unit: a written
 * transaction and its entries never change (law 1), so reading them outside the locks is safe.
 * What may change (whether it is reversed) is read inside the unit, under the locks.
 */
export async function readReversalOriginal(database: Database, givenTransactionId: string): Promise<ReversalOriginal | undefined> {
  const transactionId = canonicalId(givenTransactionId);
  if (!isId(transactionId)) return undefined;
  const rows = await queryRows<{
    kind: TransactionKind;
    channel: Channel;
    transaction_amount_minor: string;
    currency: string;
    currency_exponent: number;
    account_id: string;
    holder: 'CUSTOMER' | 'INTERNAL';
    internal_code: string | null;
    direction: Direction;
    amount_minor: string;
    layer: Layer;
  }>(
    database,
    `select t.kind, t.channel, t.amount_minor::text as transaction_amount_minor, t.currency, t.currency_exponent,
            e.account_id, a.holder, a.internal_code, e.direction, e.amount_minor::text, e.layer
       from ledger_transactions t
       join entries e on e.transaction_id = t.id
       join accounts a on a.id = e.account_id
      where t.id = ?
      order by e.id`,
    [transactionId],
  );
  const [first] = rows;
  if (!first) return undefined;
  return {
    id: transactionId,
    kind: first.kind,
    channel: first.channel,
    amountMinor: toBigInt(first.transaction_amount_minor),
    currency: first.currency,
    currencyExponent: first.currency_exponent,
    entries: rows.map((row) => ({
      target: row.holder === 'CUSTOMER' || row.internal_code === null ? { customerAccountId: row.account_id } : { internalCode: row.internal_code },
      direction: row.direction,
      amountMinor: toBigInt(row.amount_minor),
      layer: row.layer,
    })),
  };
}
