import { TypedError } from '../errors/typed-error.js';

/**
 * Sign-in's own failure: an unknown username, a wrong password, a bad or spent refresh token, a
 * wrong two-factor code or step-up password. One message for all on purpose: which part was
 * wrong is not told.
 */
export class InvalidCredentialsError extends TypedError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor(message = 'Unknown username or wrong password.') {
    super(message);
    this.name = 'InvalidCredentialsError';
  }
}
