import sql from 'sql-template-tag';
import { queryStatement, toBigInt, type Database } from './database.js';
import type { HoldSnapshot } from '../commands/unit-state.js';
import type { Channel } from '../types.js';

interface LockedHoldRow {
  id: string;
  account_id: string;
  status: HoldSnapshot['status'];
  reason: HoldSnapshot['reason'];
  channel: Channel;
  amount_minor: string;
  captured_minor: string;
  expires_at: Date | string | null;
  release_at: Date | string | null;
  capture_count: number;
  origin_country: string | null;
}

/**
 * Locks the holds a unit's commands name (FOR UPDATE, in id order), before the unit claims its
 * keys and locks its accounts: a hold's account is only known from its row. Every unit that
 * touches a hold locks the hold first and its account second, so capture, void and expiry of one
 * hold queue instead of deadlocking; the one that comes second sees the first one's status.
 */
export async function lockHolds(database: Database, holdIds: readonly string[]): Promise<HoldSnapshot[]> {
  if (holdIds.length === 0) return [];
  const rows = await queryStatement<LockedHoldRow>(
    database,
    sql`select h.id, h.account_id, h.status, h.reason, h.channel, h.amount_minor::text as amount_minor, h.captured_minor::text as captured_minor, h.expires_at, h.release_at, h.origin_country,
               (select count(*)::int from hold_transactions ht where ht.hold_id = h.id and ht.step = 'CAPTURE') as capture_count
          from holds h where h.id = any(${`{${holdIds.join(',')}}`}::uuid[])
         order by h.id
           for update of h`,
  );
  return rows.map((row) => ({
    id: row.id,
    accountId: row.account_id,
    status: row.status,
    reason: row.reason,
    channel: row.channel,
    amountMinor: toBigInt(row.amount_minor),
    capturedMinor: toBigInt(row.captured_minor),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    releaseAt: row.release_at === null ? null : new Date(row.release_at),
    captureCount: row.capture_count,
    originCountry: row.origin_country,
  }));
}
