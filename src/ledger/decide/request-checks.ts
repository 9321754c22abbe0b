import { IdempotencyConflictError, ValidationError } from '../errors.js';
import { MAX_DESCRIPTION_LENGTH, MAX_EXTERNAL_REF_LENGTH } from '../limits.js';
import { checkAmountShape } from '../money.js';
import { Replay, type KeyState, type StoredOutcome } from '../commands/command.js';

/**
 * Checks every decide function runs first, in this order, before it looks at any account: the
 * idempotency key (a malformed key, then a replay or a conflict: TigerBeetle answers `exists`
 * before judging the rest), then the request's own fields. No I/O.
 */

/** Check 1: the key. A replay answers with the first outcome whatever else the request says. */
export function checkKey<Outcome extends StoredOutcome>(key: KeyState<Outcome>): ValidationError | IdempotencyConflictError | Replay<Outcome> | undefined {
  switch (key.kind) {
    case 'malformed':
      return key.error;
    case 'replay':
      return new Replay(key.outcome);
    case 'conflict':
      return new IdempotencyConflictError();
    case 'fresh':
      return undefined;
  }
}

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

/** Check 2 of every movement, after its own channel or account-pair check: the amount's shape, then the text fields. */
export function checkMovementFields(amount: string, text: MovementText): ValidationError | undefined {
  return (
    checkAmountShape(amount) ??
    checkText(text.description, 'description', MAX_DESCRIPTION_LENGTH) ??
    checkText(text.externalRef, 'externalRef', MAX_EXTERNAL_REF_LENGTH)
  );
}
