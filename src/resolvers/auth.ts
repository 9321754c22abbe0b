import type { Context } from '../context.js';
import { generateToken, type Credentials, type IssuedTokens } from '../auth/login.js';
import { refreshTokens, revokeToken } from '../auth/refresh-tokens.js';
import { confirmTwoFactor, disableTwoFactor, enrollTwoFactor, type TwoFactorEnrollment } from '../auth/two-factor.js';
import type { InvalidCredentialsError, LimitExceededError, ValidationError } from '../ledger/errors.js';
import { viewerOf } from './viewer.js';

const originOf = (context: Context) => ({ requestId: context.requestId, clientIp: context.clientIp });

export function resolveGenerateToken(context: Context, credentials: Credentials): Promise<IssuedTokens | InvalidCredentialsError | LimitExceededError> {
  return generateToken(context.auth, credentials, originOf(context));
}

export function resolveRefreshToken(context: Context, refreshToken: string): Promise<IssuedTokens | InvalidCredentialsError | LimitExceededError> {
  return refreshTokens(context.auth, refreshToken, originOf(context));
}

export function resolveRevokeToken(context: Context, refreshToken: string): Promise<boolean> {
  return revokeToken(context.auth, refreshToken, originOf(context));
}

export function resolveEnrollTwoFactor(context: Context): Promise<TwoFactorEnrollment | ValidationError> {
  return enrollTwoFactor(context.auth, viewerOf(context).userId, originOf(context));
}

export async function resolveConfirmTwoFactor(context: Context, otp: string): Promise<{ enabled: boolean } | InvalidCredentialsError | ValidationError> {
  const result = await confirmTwoFactor(context.auth, viewerOf(context).userId, otp, originOf(context));
  return result === true ? { enabled: true } : result;
}

export async function resolveDisableTwoFactor(context: Context, otp: string): Promise<{ enabled: boolean } | InvalidCredentialsError | ValidationError> {
  const result = await disableTwoFactor(context.auth, viewerOf(context).userId, otp, originOf(context));
  return result === true ? { enabled: false } : result;
}
