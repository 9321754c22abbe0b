import type { Context } from '../context.js';
import { generateToken, type Credentials, type IssuedTokens } from '../auth/login.js';
import { refreshTokens, revokeToken } from '../auth/refresh-tokens.js';
import { confirmTwoFactor, disableTwoFactor, enrollTwoFactor, type TwoFactorEnrollment, type TwoFactorProof } from '../auth/two-factor.js';
import type { InvalidCredentialsError } from '../auth/errors.js';
import type { LimitExceededError, ValidationError } from '../errors/shared-errors.js';
import { noteRetryHint } from '../transport/retry-hints.js';
import { viewerOf } from './viewer.js';

/** The ways a two-factor change (a step-up) can fail. */
type StepUpError = InvalidCredentialsError | ValidationError | LimitExceededError;

const originOf = (context: Context) => ({ requestId: context.requestId, clientIp: context.clientIp });

export async function resolveGenerateToken(context: Context, credentials: Credentials): Promise<IssuedTokens | InvalidCredentialsError | LimitExceededError> {
  return noteRetryHint(context, await generateToken(context.auth, credentials, originOf(context)));
}

export async function resolveRefreshToken(context: Context, refreshToken: string): Promise<IssuedTokens | InvalidCredentialsError | LimitExceededError> {
  return noteRetryHint(context, await refreshTokens(context.auth, refreshToken, originOf(context)));
}

export function resolveRevokeToken(context: Context, refreshToken: string): Promise<boolean> {
  return revokeToken(context.auth, refreshToken, originOf(context));
}

export async function resolveEnrollTwoFactor(context: Context, proof: TwoFactorProof): Promise<TwoFactorEnrollment | StepUpError> {
  return noteRetryHint(context, await enrollTwoFactor(context.auth, viewerOf(context).userId, proof, originOf(context)));
}

export async function resolveConfirmTwoFactor(context: Context, proof: TwoFactorProof): Promise<{ enabled: boolean } | StepUpError> {
  const result = await confirmTwoFactor(context.auth, viewerOf(context).userId, proof, originOf(context));
  return result === true ? { enabled: true } : noteRetryHint(context, result);
}

export async function resolveDisableTwoFactor(context: Context, proof: TwoFactorProof): Promise<{ enabled: boolean } | StepUpError> {
  const result = await disableTwoFactor(context.auth, viewerOf(context).userId, proof, originOf(context));
  return result === true ? { enabled: false } : noteRetryHint(context, result);
}
