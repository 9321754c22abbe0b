import type { EntityManager } from '@mikro-orm/postgresql';
import { UserSchema } from '../entities/user.entity.js';
import { InvalidCredentialsError } from './errors.js';
import { LimitExceededError } from '../errors/shared-errors.js';
import { recordAudit, type AuditOrigin } from './audit.js';
import type { AuthServices } from './auth-services.js';
import { verifyPassword } from './passwords.js';
import { recordRefusal } from './refusal-audit.js';
import { issueTokens, pruneExpiredRefreshTokens, type IssuedTokens } from './refresh-tokens.js';
import { consumeCode } from './two-factor.js';

export type { IssuedTokens };

/** Longer than any provisioned username (63): looked up no further. */
const MAX_USERNAME_LENGTH = 256;

export interface Credentials {
  readonly username: string;
  readonly password: string;
  readonly otp?: string | null;
}

type SignInOrigin = AuditOrigin & { clientIp: string };

/**
 * Sign-in: username, password and (once enabled) a TOTP code in, a token pair out. Every failure
 * looks the same to the caller, counts against the username and the address, and is audited;
 * past the limit the password is not even checked, so guessing through aliases or many requests
 * gains nothing. Successes are limited per user too, since each writes a session and an audit row.
 */
export async function generateToken(
  services: AuthServices,
  credentials: Credentials,
  origin: SignInOrigin,
): Promise<IssuedTokens | InvalidCredentialsError | LimitExceededError> {
  const { username } = credentials;
  const em = services.orm.em.fork();
  const refusal = await services.limits.takeLoginAttempt(username, origin.clientIp);
  if (refusal) {
    await recordRefusal(em, services.limits, origin, refusal, { action: 'login', target: username });
    return new LimitExceededError(`Too many failed sign-ins; try again in ${refusal.retryAfterSeconds} seconds.`, refusal.retryAfterSeconds);
  }
  const user = await checkCredentials(em, services, credentials, origin);
  if (user instanceof InvalidCredentialsError) return user;
  const successRefusal = await services.limits.takeLoginSuccess(user.id);
  if (successRefusal) {
    // The credentials were right: no failed guess to count, and no new session either.
    await services.limits.returnLoginAttempt(username, origin.clientIp);
    await recordRefusal(em, services.limits, origin, successRefusal, { action: 'login', actorUserId: user.id, target: username });
    return new LimitExceededError(
      `Too many sign-ins for this user; reuse a session (refreshToken) or try again in ${successRefusal.retryAfterSeconds} seconds.`,
      successRefusal.retryAfterSeconds,
    );
  }
  await services.limits.recordLoginSuccess(username, origin.clientIp);
  await pruneExpiredRefreshTokens(em, user.id);
  const { refreshTokenId: _id, ...tokens } = await issueTokens(em, services, { id: user.id, role: user.role });
  await recordAudit(em, origin, { action: 'login', outcome: 'OK', actorUserId: user.id, target: username });
  return tokens;
}

/** The user whose password (and current code, once two-factor is on) these are; any failure is audited. */
async function checkCredentials(em: EntityManager, services: AuthServices, credentials: Credentials, origin: SignInOrigin) {
  const { username, password, otp } = credentials;
  // PostgreSQL text cannot hold NUL; such a name is no user of ours, and still a counted failure.
  const lookup = username.includes('\u0000') || username.length > MAX_USERNAME_LENGTH ? undefined : username;
  const user =
    lookup === undefined
      ? null
      : await em.findOne(UserSchema, { username: lookup }, { fields: ['id', 'role', 'username', 'passwordHash', 'totpEnabledAt', 'totpSecretEncrypted', 'totpLastTimeStep'] });
  const passwordMatches = await verifyPassword(user?.passwordHash, password);
  const secondFactorOk = passwordMatches && user && (!user.totpEnabledAt || (await consumeCode(em, services, user, otp)));
  if (user && secondFactorOk) return user;
  const reason = !passwordMatches ? 'bad_password' : 'bad_otp';
  await recordAudit(em, origin, { action: 'login', outcome: 'DENIED', actorUserId: user?.id ?? null, target: username, details: { reason } });
  return passwordMatches && user?.totpEnabledAt
    ? new InvalidCredentialsError('A current one-time code (otp) is required, and each code works once.')
    : new InvalidCredentialsError();
}
