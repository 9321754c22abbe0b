import { isTransient, TypedError } from './typed-error.js';

/**
 * The two failures every part of Tally can have, money movements and sign-in alike: malformed
 * input, and a limit reached.
 */
export class ValidationError extends TypedError {
  readonly code = 'VALIDATION';
  constructor(
    message: string,
    /** The input field at fault, e.g. `amount`, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/**
 * A limit was reached. A rate limit (sign-in, refresh, two-factor, money movements, and any cap on
 * concurrent requests or subscriptions) says when the same request could pass again in
 * `retryAfterSeconds`, and is then retryable; a fixed ceiling (accounts per customer, the largest
 * balance) has no such time and is not.
 */
export class LimitExceededError extends TypedError {
  readonly code = 'LIMIT_EXCEEDED';
  constructor(
    message: string,
    /** Whole seconds until a retry could be allowed (HTTP Retry-After), when the limit is a rate. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'LimitExceededError';
  }

  override get retryable(): boolean {
    return isTransient(this.code, this.retryAfterSeconds);
  }
}
