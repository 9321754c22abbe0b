import { ValidationError, NotFoundError, type LedgerError } from '../errors.js';
import { MAX_DESCRIPTION_LENGTH, MAX_EXTERNAL_REF_LENGTH } from '../limits.js';
import { checkAmountShape } from '../money.js';
import { isId } from '../persistence/database.js';
import type { AccountSnapshot, MovementPlan } from '../types.js';
import type { StoredBalance, StoredOutcome } from './idempotency.js';
import { errorOutcome, type Recorded } from './run-command.js';
import { writeMovement, type MovementDetails } from '../persistence/write-movement.js';
import type { Database } from '../persistence/database.js';
import type { Actor } from '../types.js';

/** The free-text fields every movement may carry. */
export interface MovementText {
  readonly description?: string | null;
  readonly externalRef?: string | null;
}

// Control characters in free text break statements, logs and terminals downstream.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function checkText(value: string | null | undefined, field: string, maxLength: number): ValidationError | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length > maxLength) return new ValidationError(`${field} may have at most ${maxLength} characters.`, field);
  if (CONTROL_CHARACTERS.test(value)) return new ValidationError(`${field} may not contain control characters.`, field);
  return undefined;
}

/** Field checks shared by deposits, withdrawals and transfers; no I/O. */
export function checkMovementFields(amount: string, accountIds: readonly string[], text: MovementText): LedgerError | undefined {
  return (
    checkAmountShape(amount) ??
    (accountIds.every(isId) ? undefined : new NotFoundError('No such account.')) ??
    checkText(text.description, 'description', MAX_DESCRIPTION_LENGTH) ??
    checkText(text.externalRef, 'externalRef', MAX_EXTERNAL_REF_LENGTH)
  );
}

/**
 * Writes a decided plan (or returns its refusal for the envelope to record) and builds the outcome
 * replays will return: the balances after the movement of the accounts the actor owns, never a
 * payee's. A success is stored under the key by the write itself, in the same statement.
 */
export async function persistDecision(
  database: Database,
  actor: Actor,
  decision: MovementPlan | LedgerError,
  accounts: ReadonlyMap<string, AccountSnapshot>,
  idempotencyKey: string,
  text: MovementText,
): Promise<StoredOutcome | Recorded> {
  if (!('customerLegs' in decision)) return errorOutcome(decision);
  const details: MovementDetails = { description: text.description ?? null, externalRef: text.externalRef ?? null, idempotencyKey };
  const pending = new Map([...accounts.values()].map((account) => [account.id, account.pendingMinor]));
  const balances = decision.customerLegs
    // Operators see every customer account; customers only their own, never a payee's.
    .filter((leg) => actor.role === 'OPERATOR' || accounts.get(leg.accountId)?.ownedByActor)
    .map((leg) => ({
      accountId: leg.accountId,
      currency: decision.currency,
      currencyExponent: decision.currencyExponent,
      postedMinor: leg.postedAfterMinor.toString(),
      pendingMinor: accounts.get(leg.accountId)!.pendingMinor.toString(),
      version: leg.versionAfter,
    }));
  const written = await writeMovement(database, actor, decision, details, pending, { userId: actor.userId, idempotencyKey, balances });
  const stored: StoredBalance[] = balances.map((balance) => ({ ...balance, asOf: written.asOf }));
  return { recorded: { ok: true, transactionId: written.transaction.id, balances: stored }, transaction: written.transaction };
}
