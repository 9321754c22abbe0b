import assert from 'node:assert/strict';
import sql from 'sql-template-tag';
import type { Actor, Channel } from '../types.js';
import { queryStatement, type Database } from './database.js';
import { newTransactionId } from './write-movement.js';

/** A check the customer wrote that the bank refused to pay: what is kept of it. */
export interface ReturnedItem {
  readonly accountId: string;
  readonly channel: Channel;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly description: string | null;
  readonly externalRef: string | null;
  readonly reason: string;
  readonly idempotencyKey: string;
  readonly actor: Actor;
  readonly now: Date;
}

/**
 * Records a returned item as a WITHDRAWAL with status RETURNED and no entries: it moved nothing, so
 * it changes no balance and takes no version (it is no history line), but its owner reads it by id
 * (`transaction(id)`, through `returned_account_id`) with its returnReason. Written in the unit
 * that refused the withdrawal, once: a replay of the key answers the stored refusal and writes
 * nothing.
 */
export async function writeReturnedItem(database: Database, item: ReturnedItem): Promise<string> {
  const id = newTransactionId();
  const rows = await queryStatement<{ id: string }>(
    database,
    sql`insert into ledger_transactions
          (id, kind, channel, status, amount_minor, currency, currency_exponent, description, external_ref, idempotency_key, initiated_by, created_at, return_reason, returned_account_id)
        values (${id}::uuid, 'WITHDRAWAL', ${item.channel}, 'RETURNED', ${item.amountMinor.toString()}::bigint, ${item.currency}, ${item.currencyExponent}::smallint,
                ${item.description}::text, ${item.externalRef}::text, ${item.idempotencyKey}::text, ${item.actor.userId}::uuid, ${item.now.toISOString()}::timestamptz,
                ${item.reason}::text, ${item.accountId}::uuid)
        returning id`,
  );
  assert.equal(rows.length, 1, 'the returned item was not written');
  return id;
}
