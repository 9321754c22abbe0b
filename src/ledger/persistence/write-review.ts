import assert from 'node:assert/strict';
import sql from 'sql-template-tag';
import type { MovementPlan, PlannedEntry } from '../types.js';
import { queryStatement, toBigInt, type Database } from './database.js';

/** A planned entry as stored in reviews.entries: amounts as decimal text (JSON has no 64-bit ints). */
interface StoredEntry {
  readonly target: PlannedEntry['target'];
  readonly direction: PlannedEntry['direction'];
  readonly amountMinor: string;
  readonly layer: PlannedEntry['layer'];
}

export function entriesToJson(entries: readonly PlannedEntry[]): StoredEntry[] {
  return entries.map((entry) => ({ target: entry.target, direction: entry.direction, amountMinor: entry.amountMinor.toString(), layer: entry.layer }));
}

export function entriesFromJson(entries: readonly StoredEntry[]): PlannedEntry[] {
  return entries.map((entry) => ({ target: entry.target, direction: entry.direction, amountMinor: toBigInt(entry.amountMinor), layer: entry.layer }));
}

export interface NewReview {
  readonly id: string;
  readonly movement: MovementPlan;
  readonly accountId: string;
  readonly counterpartyAccountId: string | null;
  readonly description: string | null;
  readonly externalRef: string | null;
  /** Where the held debit was initiated (ISO 3166-1 alpha-2): approval posts it with it. */
  readonly originCountry?: string | null;
  readonly holdId: string | null;
  readonly decisionId: string;
  readonly requestedBy: string;
  readonly idempotencyKey: string;
  readonly visibleAccountIds: readonly string[];
  readonly now: Date;
  readonly dueAt: Date;
}

/** Inserts a review in the unit of the movement it holds back (its hold and decision written first). */
export async function insertReview(database: Database, review: NewReview): Promise<void> {
  const { movement } = review;
  const rows = await queryStatement<{ id: string }>(
    database,
    sql`insert into reviews (id, kind, channel, amount_minor, currency, currency_exponent, account_id, counterparty_account_id, entries, description, external_ref,
                             hold_id, decision_id, requested_by, idempotency_key, visible_account_ids, created_at, due_at, origin_country)
        values (${review.id}::uuid, ${movement.kind}, ${movement.channel}, ${movement.amountMinor.toString()}::bigint, ${movement.currency}, ${movement.currencyExponent}::smallint,
                ${review.accountId}::uuid, ${review.counterpartyAccountId}::uuid, ${JSON.stringify(entriesToJson(movement.entries))}::jsonb, ${review.description}::text,
                ${review.externalRef}::text, ${review.holdId}::uuid, ${review.decisionId}::uuid, ${review.requestedBy}::uuid, ${review.idempotencyKey},
                ${JSON.stringify(review.visibleAccountIds)}::jsonb, ${review.now.toISOString()}::timestamptz, ${review.dueAt.toISOString()}::timestamptz,
                ${review.originCountry ?? null}::text)
        returning id`,
  );
  assert.equal(rows.length, 1, 'the review row was not written');
}
