import assert from 'node:assert/strict';
import { isCorrection, type AccountChange, type MovementPlan } from '../types.js';
import { internalAccountId } from './internal-accounts.js';
import type { Database } from './database.js';
import { MAX_ENTRIES_PER_TRANSACTION } from '../limits.js';
import type { BalanceEvent } from '../balance-event.js';
import type { MovementWrite } from './write-movement.js';

/**
 * One decided movement as the rows it writes, in the shape of the multi-row statement
 * (write-movements.ts reads them with jsonb_to_recordset): bigints as decimal strings, times as
 * ISO text. Built when the command writes, so every history line is the movement's own.
 */
export interface MovementRows {
  readonly transaction: Readonly<Record<string, string | number | null>>;
  readonly entries: readonly Readonly<Record<string, string | number | null>>[];
  /** Each customer account's change, in the movement's order; folded per account at the flush. */
  readonly changes: readonly AccountChange[];
  /** A correction may take an account below its line only as its own version (accounts_no_overdraft): it is never folded. */
  readonly correction: boolean;
  readonly events: readonly { readonly account_id: string; readonly account_version: number; readonly payload: BalanceEvent }[];
  readonly outcome: { readonly user_id: string; readonly key: string; readonly outcome: unknown };
  /** The movement's ALLOW decision as JSON text, its transaction's risk_decision; null when it was not judged. */
  readonly riskDecision: string | null;
  /** The unit's clock, the accounts' updated_at. */
  readonly at: string;
  /** The request the movement came in (null: none): its journal record names it, whatever request the flush runs in. */
  readonly requestId: string | null;
}

function transactionRow(transactionId: string, write: MovementWrite): MovementRows['transaction'] {
  const { plan, details, actor, now } = write;
  const status = plan.status ?? 'POSTED';
  return {
    id: transactionId,
    kind: plan.kind,
    channel: plan.channel,
    status,
    amount_minor: plan.amountMinor.toString(),
    currency: plan.currency,
    currency_exponent: plan.currencyExponent,
    description: details.description,
    external_ref: details.externalRef,
    idempotency_key: details.idempotencyKey,
    initiated_by: actor.userId,
    created_at: now.toISOString(),
    posted_at: status === 'POSTED' ? now.toISOString() : null,
    reverses_transaction_id: details.reversesTransactionId ?? null,
    return_reason: details.returnReason ?? null,
    origin_country: details.originCountry ?? null,
  };
}

/** Each entry with its own amount and layer; a customer account's first entry is its history line (plan-movement.ts). */
async function entryRows(database: Database, transactionId: string, plan: MovementPlan, at: string): Promise<MovementRows['entries']> {
  const changes = new Map(plan.changes.map((change) => [change.accountId, change]));
  const lined = new Set<string>();
  const rows: Record<string, string | number | null>[] = [];
  for (const entry of plan.entries) {
    const customerId = 'customerAccountId' in entry.target ? entry.target.customerAccountId : undefined;
    const change = customerId && !lined.has(customerId) ? changes.get(customerId) : undefined;
    if (customerId) lined.add(customerId);
    // Cached per process after the first read (internal-accounts.ts): no round trip per entry.
    const accountId =
      'customerAccountId' in entry.target
        ? entry.target.customerAccountId
        : await internalAccountId(database, entry.target.internalCode, { currency: plan.currency, exponent: plan.currencyExponent });
    rows.push({
      transaction_id: transactionId,
      account_id: accountId,
      direction: entry.direction,
      amount_minor: entry.amountMinor.toString(),
      currency: plan.currency,
      layer: entry.layer,
      account_version: change?.versionAfter ?? null,
      balance_after_minor: change?.postedAfterMinor.toString() ?? null,
      pending_after_minor: change?.pendingAfterMinor.toString() ?? null,
      created_at: at,
    });
  }
  // The query cost model prices `entries` by this bound; a larger movement must raise it.
  assert.ok(rows.length <= MAX_ENTRIES_PER_TRANSACTION, 'a movement has at most MAX_ENTRIES_PER_TRANSACTION entries');
  return rows;
}

/** Law 6: the balance events go to the outbox in the same transaction; the relay publishes them after commit. */
function outboxEvents(transactionId: string, write: MovementWrite): MovementRows['events'] {
  const { plan, now } = write;
  return plan.changes.map((change) => ({
    account_id: change.accountId,
    account_version: change.versionAfter,
    payload: {
      accountId: change.accountId,
      version: change.versionAfter,
      currency: plan.currency,
      currencyExponent: plan.currencyExponent,
      postedMinor: change.postedAfterMinor.toString(),
      pendingMinor: change.pendingAfterMinor.toString(),
      transactionId,
      asOf: now.toISOString(),
    },
  }));
}

/** Everything a movement writes, as rows; the internal accounts' ids are resolved here. */
export async function movementRows(database: Database, transactionId: string, write: MovementWrite): Promise<MovementRows> {
  const at = write.now.toISOString();
  return {
    transaction: transactionRow(transactionId, write),
    entries: await entryRows(database, transactionId, write.plan, at),
    changes: write.plan.changes,
    correction: isCorrection(write.plan),
    events: outboxEvents(transactionId, write),
    outcome: { user_id: write.actor.userId, key: write.details.idempotencyKey, outcome: write.outcome },
    riskDecision: write.riskDecision ?? null,
    at,
    requestId: write.actor.requestId ?? null,
  };
}
