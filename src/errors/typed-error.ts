/**
 * The base of every business failure in Tally, the ledger's and sign-in's alike. They are values
 * a command or service returns (and the API shows as typed results implementing `Error`), not
 * crashes. Each says whether a new request could succeed later without changing its input
 * (`retryable`), after TigerBeetle's `transient()`: insufficient funds may clear after a deposit;
 * a malformed amount never will. Neutral ground, so that auth and the ledger share it without
 * one importing the other's errors.
 */
export const ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'INSUFFICIENT_FUNDS',
  'ACCOUNT_NOT_OPEN',
  'CURRENCY_MISMATCH',
  'IDEMPOTENCY_CONFLICT',
  'LIMIT_EXCEEDED',
  'RISK_DECLINED',
  'HOLD_NOT_ACTIVE',
  'INVALID_CREDENTIALS',
  'FORBIDDEN',
  'BATCH_ABORTED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Whether a new request could succeed later without changing its input, per code: the one table
 * of retry hints (TigerBeetle's `CreateTransferStatus.transient()`). A limit is transient only
 * when it is a rate that names when to come back (see LimitExceededError).
 */
const TRANSIENCE: Readonly<Record<ErrorCode, 'transient' | 'final' | 'transient when timed'>> = {
  VALIDATION: 'final',
  NOT_FOUND: 'final',
  INSUFFICIENT_FUNDS: 'transient',
  ACCOUNT_NOT_OPEN: 'final',
  CURRENCY_MISMATCH: 'final',
  IDEMPOTENCY_CONFLICT: 'final',
  LIMIT_EXCEEDED: 'transient when timed',
  RISK_DECLINED: 'final',
  HOLD_NOT_ACTIVE: 'final',
  INVALID_CREDENTIALS: 'final',
  FORBIDDEN: 'final',
  // The batch committed nothing because of another item: retrying it unchanged fails the same way.
  BATCH_ABORTED: 'final',
};

export function isTransient(code: ErrorCode, retryAfterSeconds?: number): boolean {
  const transience = TRANSIENCE[code];
  return transience === 'transient' || (transience === 'transient when timed' && retryAfterSeconds !== undefined);
}

/** What the GraphQL layer maps to the `Error` interface and the transport to a client-facing code. */
export abstract class TypedError extends Error {
  abstract readonly code: ErrorCode;
  /** Could the same request succeed later? From the one table above. */
  get retryable(): boolean {
    return isTransient(this.code);
  }
}
