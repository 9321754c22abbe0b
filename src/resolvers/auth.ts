import type { Context } from '../context.js';
import { generateToken, type IssuedTokens } from '../auth/login.js';
import type { InvalidCredentialsError } from '../ledger/errors.js';

export function resolveGenerateToken(
  context: Context,
  input: { username: string; password: string },
): Promise<IssuedTokens | InvalidCredentialsError> {
  return generateToken(context.orm, context.signer, input.username, input.password);
}
