import { randomUUID } from 'node:crypto';
import type { Actor, MovementPlan } from '../types.js';
import type { Database } from './database.js';
import { movementRows } from './movement-rows.js';
import { movementBufferOn } from './movement-buffer.js';
import { writeMovements } from './write-movements.js';
import type { StoredOutcome, Success } from '../commands/command.js';
import type { TransactionView } from '../queries/transactions.js';

export interface MovementDetails {
  readonly description: string | null;
  readonly externalRef: string | null;
  readonly idempotencyKey: string;
  /** A reversal's original, or a return's deposit: the link is on the new row (unique: undone at most once). */
  readonly reversesTransactionId?: string | null;
  /** A RETURN's reason (required on a RETURN by the database). */
  readonly returnReason?: string | null;
  /** Where a withdrawal or card debit was initiated (ISO 3166-1 alpha-2); null when not said. */
  readonly originCountry?: string | null;
}

/** Everything one movement writes, decided before the statement is built. */
export interface MovementWrite {
  readonly actor: Actor;
  readonly plan: MovementPlan;
  readonly details: MovementDetails;
  /** The unit's clock: every row of the movement carries it. */
  readonly now: Date;
  /** Stored under the actor's key by the same statement. */
  readonly outcome: Success<StoredOutcome>;
  /** The movement's ALLOW decision (risk/decision-store.ts decisionBodyJson), its transaction's risk_decision: written by the same statement. */
  readonly riskDecision?: string;
}

/**
 * Writes a decided movement: the transaction, its entries, each customer account's new balances
 * and version, the outbox events and the outcome under the key. Inside a unit (run-command.ts) it
 * is held back in the unit's buffer and written with the unit's other movements as multi-row
 * statements (movement-buffer.ts: before any other statement of the unit); outside one, at once.
 * Either way the answer is known now: it is what was decided.
 */
export async function writeMovement(database: Database, transactionId: string, write: MovementWrite): Promise<TransactionView> {
  const rows = await movementRows(database, transactionId, write);
  const buffer = movementBufferOn(database);
  if (buffer) await buffer.add(rows);
  else await writeMovements(database, [rows]);
  return transactionView(transactionId, write);
}

function transactionView(transactionId: string, write: MovementWrite): TransactionView {
  const { plan, details, actor, now } = write;
  return {
    id: transactionId,
    kind: plan.kind,
    channel: plan.channel,
    status: plan.status ?? 'POSTED',
    amountMinor: plan.amountMinor,
    currency: plan.currency,
    currencyExponent: plan.currencyExponent,
    description: details.description,
    externalRef: details.externalRef,
    originCountry: details.originCountry ?? null,
    idempotencyKey: details.idempotencyKey,
    initiatedBy: actor.userId,
    createdAt: now,
    postedAt: (plan.status ?? 'POSTED') === 'POSTED' ? now : null,
    reversesTransactionId: plan.kind === 'REVERSAL' ? (details.reversesTransactionId ?? null) : null,
    reversedByTransactionId: null,
    returnsTransactionId: plan.kind === 'RETURN' ? (details.reversesTransactionId ?? null) : null,
    returnedByTransactionId: null,
    returnReason: details.returnReason ?? null,
  };
}

export const newTransactionId = (): string => randomUUID();
