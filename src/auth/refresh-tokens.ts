import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InvalidCredentialsError } from './errors.js';
import { LimitExceededError } from '../errors/shared-errors.js';
import { queryRows, runStatement } from '../db/sql.js';
import type { Role } from '../ledger/types.js';
import { recordAudit, type AuditOrigin } from './audit.js';
import type { AuthServices } from './auth-services.js';
import { hashRefreshToken, newRefreshToken, REFRESH_TOKEN_TTL_SECONDS } from './tokens.js';

/**
 * Refresh tokens after RFC 9700 §4.14: each use rotates the token (the old one is retired and a
 * new one of the same family issued), and presenting a retired token again means it was stolen
 * or replayed, so the whole family is revoked, the legitimate holder's newest token included.
 */
export interface IssuedTokens {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
  readonly tokenType: 'Bearer';
}

/** Issues an access token and a refresh token of `familyId` (a new family at login). */
export async function issueTokens(
  em: EntityManager,
  services: AuthServices,
  user: { id: string; role: Role },
  familyId: string = randomUUID(),
): Promise<IssuedTokens & { refreshTokenId: string }> {
  const access = await services.signer.issueAccessToken(user.id, user.role);
  const refreshToken = newRefreshToken();
  const refreshTokenId = randomUUID();
  const refreshTokenExpiresAt = new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000);
  await runStatement(
    em,
    `insert into refresh_tokens (id, user_id, token_hash, family_id, expires_at) values (?, ?, ?, ?, ?)`,
    [refreshTokenId, user.id, hashRefreshToken(refreshToken), familyId, refreshTokenExpiresAt.toISOString()],
  );
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt,
    tokenType: 'Bearer',
    refreshTokenId,
  };
}

/**
 * Deletes the user's refresh tokens that expired in sessions that are over: no token of the same
 * family is still usable. A session still alive keeps its expired ancestors, so presenting one
 * of them is still seen as reuse and ends that session. Run at each sign-in, it bounds the table
 * by the sessions a user opened within a token's lifetime (and sign-ins are rate limited).
 */
export async function pruneExpiredRefreshTokens(em: EntityManager, userId: string): Promise<number> {
  return runStatement(
    em,
    `delete from refresh_tokens expired
      where expired.user_id = ? and expired.expires_at <= now()
        and not exists (select 1 from refresh_tokens live
                         where live.family_id = expired.family_id and live.expires_at > now() and live.revoked_at is null)`,
    [userId],
  );
}

interface StoredRefreshToken {
  id: string;
  user_id: string;
  family_id: string;
  role: Role;
  expired: boolean;
  revoked_at: Date | null;
}

async function lockToken(em: EntityManager, token: string): Promise<StoredRefreshToken | undefined> {
  const [row] = await queryRows<StoredRefreshToken>(
    em,
    `select r.id, r.user_id, r.family_id, u.role, r.expires_at <= now() as expired, r.revoked_at
       from refresh_tokens r join users u on u.id = r.user_id
      where r.token_hash = ? for update of r`,
    [hashRefreshToken(token)],
  );
  return row;
}

async function revokeFamily(em: EntityManager, familyId: string, reason: string): Promise<void> {
  await runStatement(em, `update refresh_tokens set revoked_at = now(), revoked_reason = ? where family_id = ? and revoked_at is null`, [reason, familyId]);
}

/**
 * Rotates a refresh token. The row lock makes concurrent uses of one token queue: the first
 * rotates it, every later one finds it retired and revokes the family, so at most one succeeds.
 */
export async function refreshTokens(
  services: AuthServices,
  token: string,
  origin: AuditOrigin & { clientIp: string },
): Promise<IssuedTokens | InvalidCredentialsError | LimitExceededError> {
  const refusal = await services.limits.allowRefresh(origin.clientIp);
  if (refusal) {
    return new LimitExceededError(`Too many token refreshes from this address; try again in ${refusal.retryAfterSeconds} seconds.`, refusal.retryAfterSeconds);
  }
  const refused = new InvalidCredentialsError('The refresh token is invalid, expired or revoked. Sign in again.');
  return services.orm.em.fork().transactional(async (em) => {
    const stored = await lockToken(em, token);
    if (!stored) return refused;
    if (stored.revoked_at !== null) {
      await revokeFamily(em, stored.family_id, 'REUSE_DETECTED');
      await recordAudit(em, origin, { action: 'token.reuse_detected', outcome: 'DENIED', actorUserId: stored.user_id, target: stored.family_id });
      return refused;
    }
    if (stored.expired) return refused;
    const issued = await issueTokens(em, services, { id: stored.user_id, role: stored.role }, stored.family_id);
    await runStatement(em, `update refresh_tokens set revoked_at = now(), revoked_reason = 'ROTATED', replaced_by = ? where id = ?`, [
      issued.refreshTokenId,
      stored.id,
    ]);
    await recordAudit(em, origin, { action: 'token.refresh', outcome: 'OK', actorUserId: stored.user_id, target: stored.family_id });
    const { refreshTokenId: _id, ...tokens } = issued;
    return tokens;
  });
}

/** Ends the session the token belongs to (its whole family). True when the token was known. */
export async function revokeToken(services: AuthServices, token: string, origin: AuditOrigin): Promise<boolean> {
  return services.orm.em.fork().transactional(async (em) => {
    const stored = await lockToken(em, token);
    if (!stored) return false;
    await revokeFamily(em, stored.family_id, 'REVOKED');
    await recordAudit(em, origin, { action: 'token.revoke', outcome: 'OK', actorUserId: stored.user_id, target: stored.family_id });
    return true;
  });
}
