import assert from 'node:assert/strict';
import sql, { join } from 'sql-template-tag';
import { queryStatement, type Database } from './database.js';
import type { Channel } from '../types.js';

/** A new hold's row: the mutable state of the authorization whose transaction was just written. */
export interface NewHold {
  readonly id: string;
  readonly accountId: string;
  readonly reason: 'AUTHORIZATION' | 'DEPOSIT_AVAILABILITY' | 'RISK_REVIEW';
  readonly channel: Channel;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly description: string | null;
  readonly externalRef: string | null;
  /** Where a card hold was initiated (ISO 3166-1 alpha-2): its captures carry it. */
  readonly originCountry?: string | null;
  readonly expiresAt: Date | null;
  readonly releaseAt: Date | null;
  readonly authorizationTransactionId: string;
  readonly initiatedBy: string;
  readonly now: Date;
}

/** Inserts the hold in the unit that wrote its authorizing transaction: both commit or neither. */
export async function insertHold(database: Database, hold: NewHold): Promise<void> {
  await insertHolds(database, [hold]);
}

/** Inserts several holds in one statement: a check deposit's availability holds, one per part. */
export async function insertHolds(database: Database, holds: readonly NewHold[]): Promise<void> {
  if (holds.length === 0) return;
  const rows = holds.map(
    (hold) =>
      sql`(${hold.id}::uuid, ${hold.accountId}::uuid, ${hold.reason}, 'ACTIVE', ${hold.channel}, ${hold.amountMinor.toString()}::bigint, 0, ${hold.currency},
           ${hold.description}::text, ${hold.externalRef}::text, ${hold.now.toISOString()}::timestamptz, ${hold.now.toISOString()}::timestamptz,
           ${hold.expiresAt?.toISOString() ?? null}::timestamptz, ${hold.releaseAt?.toISOString() ?? null}::timestamptz,
           ${hold.authorizationTransactionId}::uuid, ${hold.initiatedBy}::uuid, ${hold.originCountry ?? null}::text)`,
  );
  const inserted = await queryStatement<{ id: string }>(
    database,
    sql`insert into holds (id, account_id, reason, status, channel, amount_minor, captured_minor, currency, description, external_ref,
                           created_at, updated_at, expires_at, release_at, authorization_transaction_id, initiated_by, origin_country)
        values ${join(rows)}
        returning id`,
  );
  assert.equal(inserted.length, holds.length, 'the hold rows were not written');
}

/** A hold's new state and the transaction that moved it there. */
export interface HoldTransition {
  readonly holdId: string;
  readonly status: 'ACTIVE' | 'CAPTURED' | 'VOIDED' | 'EXPIRED';
  readonly capturedMinor: bigint;
  readonly transactionId: string;
  readonly step: 'CAPTURE' | 'VOID' | 'EXPIRE' | 'RELEASE' | 'RETURN';
  readonly now: Date;
}

/**
 * Moves a hold on, guarded: only an ACTIVE row changes (the row is locked by the unit, so a miss
 * is a bug and fails the unit), and the transaction is linked to it (Hold.captures) in the same
 * statement. The database's trigger refuses anything else (migration 20261201120000).
 */
export async function writeHoldTransition(database: Database, transition: HoldTransition): Promise<void> {
  const [row] = await queryStatement<{ updated: number; linked: number }>(
    database,
    sql`with moved as (
          update holds set status = ${transition.status}, captured_minor = ${transition.capturedMinor.toString()}::bigint, updated_at = ${transition.now.toISOString()}::timestamptz
           where id = ${transition.holdId}::uuid and status = 'ACTIVE'
          returning id),
        linked as (
          insert into hold_transactions (hold_id, transaction_id, step, created_at)
          select id, ${transition.transactionId}::uuid, ${transition.step}, ${transition.now.toISOString()}::timestamptz from moved
          returning 1)
        select (select count(*)::int from moved) as updated, (select count(*)::int from linked) as linked`,
  );
  assert.ok(row && row.updated === 1 && row.linked === 1, `hold ${transition.holdId} was not ACTIVE under its row lock`);
}
