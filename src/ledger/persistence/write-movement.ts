import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Actor, MovementPlan } from '../types.js';
import { internalAccountId } from './internal-accounts.js';
import { queryRows, runStatement, type Database } from './database.js';
import type { BalanceEvent } from '../../pubsub/channels.js';

export interface MovementDetails {
  readonly description: string | null;
  readonly externalRef: string | null;
  readonly idempotencyKey: string;
}

export interface WrittenMovement {
  readonly transactionId: string;
  readonly postedAt: Date;
}

/**
 * Writes a decided movement: the transaction, its balanced entries and each customer account's
 * new balance and version. The version guard in the UPDATE can only miss if the row was not
 * locked, which would be a bug: it fails the whole transaction rather than write a wrong balance.
 */
export async function writeMovement(
  database: Database,
  actor: Actor,
  plan: MovementPlan,
  details: MovementDetails,
  /** The pending (held) amount of each customer account, unchanged by this movement. */
  pendingByAccount: ReadonlyMap<string, bigint>,
): Promise<WrittenMovement> {
  const transactionId = randomUUID();
  const [inserted] = await queryRows<{ posted_at: Date | string }>(
    database,
    `insert into ledger_transactions
       (id, kind, channel, status, amount_minor, currency, description, external_ref, idempotency_key, initiated_by, posted_at)
     values (?, ?, ?, 'POSTED', ?, ?, ?, ?, ?, ?, now())
     returning posted_at`,
    [
      transactionId,
      plan.kind,
      plan.channel,
      plan.amountMinor.toString(),
      plan.currency,
      details.description,
      details.externalRef,
      details.idempotencyKey,
      actor.userId,
    ],
  );
  assert.ok(inserted);

  const entryRows: unknown[][] = plan.customerLegs.map((leg) => [
    transactionId, leg.accountId, leg.direction, plan.amountMinor.toString(), plan.currency, leg.versionAfter, leg.postedAfterMinor.toString(),
  ]);
  if (plan.internalLeg) {
    const accountId = await internalAccountId(database, plan.internalLeg.internalCode, plan.currency);
    entryRows.push([transactionId, accountId, plan.internalLeg.direction, plan.amountMinor.toString(), plan.currency, null, null]);
  }
  // Law 1, asserted here and again by a deferred trigger at commit.
  const credits = entryRows.filter((row) => row[2] === 'CREDIT').length;
  assert.ok(entryRows.length >= 2 && credits * 2 === entryRows.length, 'a movement must have balanced entries');
  await runStatement(
    database,
    `insert into entries (transaction_id, account_id, direction, amount_minor, currency, account_version, balance_after_minor)
     values ${entryRows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    entryRows.flat(),
  );

  for (const leg of plan.customerLegs) {
    const updated = await runStatement(
      database,
      `update accounts set posted_minor = ?, version = ?, updated_at = now() where id = ? and version = ?`,
      [leg.postedAfterMinor.toString(), leg.versionAfter, leg.accountId, leg.versionBefore],
    );
    assert.equal(updated, 1, `account ${leg.accountId} changed under its row lock`);
  }
  // Law 6: the balance events are written in this same transaction; the outbox relay publishes
  // them only after commit, so nothing is announced for a movement that rolled back.
  const postedAt = new Date(inserted.posted_at).toISOString();
  await runStatement(
    database,
    `insert into outbox_events (account_id, account_version, payload) values ${plan.customerLegs.map(() => '(?, ?, ?::jsonb)').join(', ')}`,
    plan.customerLegs.flatMap((leg) => [
      leg.accountId,
      leg.versionAfter,
      JSON.stringify({
        accountId: leg.accountId,
        version: leg.versionAfter,
        currency: plan.currency,
        postedMinor: leg.postedAfterMinor.toString(),
        pendingMinor: (pendingByAccount.get(leg.accountId) ?? 0n).toString(),
        transactionId,
        asOf: postedAt,
      } satisfies BalanceEvent),
    ]),
  );
  return { transactionId, postedAt: new Date(inserted.posted_at) };
}
