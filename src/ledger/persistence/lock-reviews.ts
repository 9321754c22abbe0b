import sql from 'sql-template-tag';
import type { ReviewSnapshot } from '../commands/unit-state.js';
import { queryStatement, type Database } from './database.js';
import { reviewFieldsFromRow, type ReviewRowBase } from './review-row.js';
import { entriesFromJson } from './write-review.js';

interface LockedReviewRow extends ReviewRowBase {
  entries: Parameters<typeof entriesFromJson>[0];
  idempotency_key: string;
  visible_account_ids: string[];
  origin_country: string | null;
}

/**
 * Locks the reviews a unit decides (FOR UPDATE, in id order), read after the unit's hold and
 * account locks (Prefetch.reviewsOf). Every decider of a review (approve, decline, the timeout)
 * locks its hold, then its accounts, then the review, so they queue in one order, and the second
 * sees the first one's decision.
 */
export async function lockReviews(database: Database, reviewIds: readonly string[]): Promise<ReviewSnapshot[]> {
  if (reviewIds.length === 0) return [];
  const rows = await queryStatement<LockedReviewRow>(
    database,
    sql`select id, status, kind, channel, amount_minor::text as amount_minor, currency, currency_exponent, account_id, counterparty_account_id, entries,
               hold_id, requested_by, idempotency_key, visible_account_ids, due_at, origin_country
          from reviews where id = any(${`{${reviewIds.join(',')}}`}::uuid[]) order by id for update`,
  );
  return rows.map((row) => ({
    ...reviewFieldsFromRow(row),
    entries: entriesFromJson(row.entries),
    idempotencyKey: row.idempotency_key,
    visibleAccountIds: row.visible_account_ids,
    originCountry: row.origin_country,
  }));
}
