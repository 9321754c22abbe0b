import { canonicalId, isId, queryRows, type Database } from '../persistence/database.js';

/**
 * The availability holds a deposit placed, by id, read before the unit: which holds a deposit
 * placed never changes (their state is read under the unit's locks, FOR UPDATE).
 */
export async function readDepositHoldIds(database: Database, givenTransactionId: string): Promise<string[]> {
  const transactionId = canonicalId(givenTransactionId);
  if (!isId(transactionId)) return [];
  const rows = await queryRows<{ id: string }>(
    database,
    `select id from holds where authorization_transaction_id = ? and reason = 'DEPOSIT_AVAILABILITY' order by id`,
    [transactionId],
  );
  return rows.map((row) => row.id);
}

/** One part of a deposit and when it becomes (or became) available. */
export interface AvailabilityView {
  readonly amountMinor: bigint;
  readonly currencyExponent: number;
  readonly availableAt: Date;
  /** True once it counts in the available balance (or is no longer held: released early or by a return). */
  readonly released: boolean;
}

/**
 * The availability holds of many deposits in one query (a history page's batch, no N+1), each
 * deposit's in release order: amount, release time, and whether it is still held.
 */
export async function availabilityHoldsOf(
  database: Database,
  transactionIds: readonly string[],
): Promise<Map<string, Array<{ amountMinor: bigint; releaseAt: Date; active: boolean }>>> {
  const byTransaction = new Map(transactionIds.map((id) => [id, [] as Array<{ amountMinor: bigint; releaseAt: Date; active: boolean }>]));
  if (transactionIds.length === 0) return byTransaction;
  const rows = await queryRows<{ authorization_transaction_id: string; amount_minor: string; release_at: Date | string; status: string }>(
    database,
    `select authorization_transaction_id, amount_minor::text, release_at, status from holds
      where authorization_transaction_id = any(?::uuid[]) and reason = 'DEPOSIT_AVAILABILITY' order by release_at, id`,
    [`{${transactionIds.join(',')}}`],
  );
  for (const row of rows) {
    byTransaction.get(row.authorization_transaction_id)?.push({ amountMinor: BigInt(row.amount_minor), releaseAt: new Date(row.release_at), active: row.status === 'ACTIVE' });
  }
  return byTransaction;
}

/**
 * Every part of a deposit: what was available at once (the deposit's time, released) and each
 * held part (its release time; released once no longer held). Empty for anything but a deposit.
 */
export function availabilityParts(
  transaction: { readonly kind: string; readonly amountMinor: bigint; readonly currencyExponent: number; readonly createdAt: Date },
  holds: ReadonlyArray<{ amountMinor: bigint; releaseAt: Date; active: boolean }>,
): AvailabilityView[] {
  if (transaction.kind !== 'DEPOSIT') return [];
  const heldMinor = holds.reduce((sum, hold) => sum + hold.amountMinor, 0n);
  const immediateMinor = transaction.amountMinor - heldMinor;
  const exponent = transaction.currencyExponent;
  return [
    ...(immediateMinor > 0n ? [{ amountMinor: immediateMinor, currencyExponent: exponent, availableAt: transaction.createdAt, released: true }] : []),
    ...holds.map((hold) => ({ amountMinor: hold.amountMinor, currencyExponent: exponent, availableAt: hold.releaseAt, released: !hold.active })),
  ];
}
