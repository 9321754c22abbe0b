import { IdempotencyConflictError, ValidationError } from '../errors.js';
import { MAX_DESCRIPTION_LENGTH, MAX_EXTERNAL_REF_LENGTH } from '../limits.js';
import { checkAmountShape } from '../money.js';
import { Replay, type KeyState, type StoredOutcome } from '../commands/command.js';
import { isCountryCode } from '../countries.js';

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
  /**
   * Where the debit was initiated, ISO 3166-1 alpha-2 (withdrawals and card holds take it; a
   * capture carries its hold's): a debit from another country than BANK_COUNTRY is foreign, and a
   * dispute of it gets the longer investigation.
   */
  readonly originCountry?: string | null;
}

// Control characters in free text break statements, logs and terminals downstream.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function checkText(value: string | null | undefined, field: string, maxLength: number): ValidationError | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length > maxLength) return new ValidationError(`${field} may have at most ${maxLength} characters.`, field);
  if (CONTROL_CHARACTERS.test(value)) return new ValidationError(`${field} may not contain control characters.`, field);
  return undefined;
}

/** Check 2 of every movement, after its own channel or account-pair check: the amount's shape, then the text fields, then the origin country. */
export function checkMovementFields(amount: string, text: MovementText): ValidationError | undefined {
  return (
    checkAmountShape(amount) ??
    checkText(text.description, 'description', MAX_DESCRIPTION_LENGTH) ??
    checkText(text.externalRef, 'externalRef', MAX_EXTERNAL_REF_LENGTH) ??
    checkOriginCountry(text.originCountry)
  );
}

/** An assigned ISO 3166-1 alpha-2 code in upper case ("DE"), or none. */
function checkOriginCountry(code: string | null | undefined): ValidationError | undefined {
  if (code === null || code === undefined || isCountryCode(code)) return undefined;
  return new ValidationError('originCountry must be an ISO 3166-1 alpha-2 country code in upper case, e.g. "DE".', 'originCountry');
}
