import { UserSchema } from '../entities/user.entity.js';
import { InvalidCredentialsError, LimitExceededError } from '../ledger/errors.js';
import { recordAudit, type AuditOrigin } from './audit.js';
import type { AuthServices } from './auth-services.js';
import { verifyPassword } from './passwords.js';
import { issueTokens, type IssuedTokens } from './refresh-tokens.js';
import { consumeCode } from './two-factor.js';

export type { IssuedTokens };

/** Longer than any provisioned username (63): looked up no further. */
const MAX_USERNAME_LENGTH = 256;

export interface Credentials {
  readonly username: string;
  readonly password: string;
  readonly otp?: string | null;
}

/**
 * Sign-in: username, password and (once enabled) a TOTP code in, a token pair out. Every failure
 * looks the same to the caller, counts against the username and the address, and is audited;
 * past the limit the password is not even checked, so guessing through aliases or many requests
 * gains nothing.
 */
export async function generateToken(
  services: AuthServices,
  credentials: Credentials,
  origin: AuditOrigin & { clientIp: string },
): Promise<IssuedTokens | InvalidCredentialsError | LimitExceededError> {
  const { username, password, otp } = credentials;
  const em = services.orm.em.fork();
  if (!(await services.limits.takeLoginAttempt(username, origin.clientIp))) {
    await recordAudit(em, origin, { action: 'login', outcome: 'DENIED', target: username, details: { reason: 'rate_limited' } });
    return new LimitExceededError('Too many failed sign-ins; try again in 15 minutes.');
  }
  // PostgreSQL text cannot hold NUL; such a name is no user of ours, and still a counted failure.
  const lookup = username.includes('\u0000') || username.length > MAX_USERNAME_LENGTH ? undefined : username;
  const user = lookup === undefined ? null : await em.findOne(UserSchema, { username: lookup }, { fields: ['id', 'role', 'username', 'passwordHash', 'totpEnabledAt', 'totpSecretEncrypted', 'totpLastTimeStep'] });
  const passwordMatches = await verifyPassword(user?.passwordHash, password);
  const secondFactorOk = passwordMatches && user && (!user.totpEnabledAt || (await consumeCode(em, services, user, otp)));
  if (!user || !secondFactorOk) {
    const reason = !passwordMatches ? 'bad_password' : 'bad_otp';
    await recordAudit(em, origin, { action: 'login', outcome: 'DENIED', actorUserId: user?.id ?? null, target: username, details: { reason } });
    return passwordMatches && user?.totpEnabledAt
      ? new InvalidCredentialsError('A current one-time code (otp) is required, and each code works once.')
      : new InvalidCredentialsError();
  }
  await services.limits.recordLoginSuccess(username, origin.clientIp);
  const { refreshTokenId: _id, ...tokens } = await issueTokens(em, services, { id: user.id, role: user.role });
  await recordAudit(em, origin, { action: 'login', outcome: 'OK', actorUserId: user.id, target: username });
  return tokens;
}
