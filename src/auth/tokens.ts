import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { ROLES, type Role } from '../ledger/types.js';

/**
 * Access tokens are short-lived JWTs (RFC 8725): HS256 pinned on verify, issuer, audience and
 * type checked, so a token of another kind or from another service is refused. Refresh tokens
 * are opaque random strings, stored only as hashes.
 */
/** The default access-token lifetime (ACCESS_TOKEN_TTL_SECONDS). */
export const ACCESS_TOKEN_TTL_SECONDS = 5 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
const ISSUER = 'tally';
const AUDIENCE = 'tally-api';
const ACCESS_TOKEN_TYPE = 'at+jwt';
const ALGORITHM = 'HS256';
/**
 * Verified access tokens remembered per process. A client sends the same token on every request
 * for its whole lifetime, and an HMAC verify through WebCrypto cost ~130 µs of the server's CPU
 * per request (profiled under `npm run bench`). Bounded, so a flood of distinct tokens only
 * evicts; only tokens that passed every check are kept, each until its own expiry.
 */
const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

export interface AccessClaims {
  readonly userId: string;
  readonly role: Role;
  readonly expiresAt: Date;
}

export class TokenSigner {
  private readonly key: Uint8Array;
  private readonly verified = new LRUCache<string, AccessClaims>({ max: VERIFIED_TOKEN_CACHE_SIZE });

  constructor(
    secret: string,
    /** ACCESS_TOKEN_TTL_SECONDS; tests shorten it to watch a socket close at expiry. */
    readonly accessTokenTtlSeconds: number = ACCESS_TOKEN_TTL_SECONDS,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issueAccessToken(userId: string, role: Role, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((issuedAt + this.accessTokenTtlSeconds) * 1000);
    const token = await new SignJWT({ role })
      .setProtectedHeader({ alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.accessTokenTtlSeconds)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, expiresAt };
  }

  /** The claims of a valid access token, or undefined for anything else (the caller says why). */
  async verifyAccessToken(token: string, now = Date.now()): Promise<AccessClaims | undefined> {
    // The key is the whole token, signature included: a token that differs in any byte is
    // verified afresh. Expiry is checked on every use, not only when the token was first seen.
    const remembered = this.verified.get(token);
    // A copy: the remembered claims (and their Date) are never handed out to be changed.
    if (remembered) return remembered.expiresAt.getTime() > now ? { ...remembered, expiresAt: new Date(remembered.expiresAt) } : undefined;
    const claims = await this.verifyWithJose(token);
    if (claims) this.verified.set(token, claims, { ttl: Math.max(1, claims.expiresAt.getTime() - now) });
    return claims;
  }

  private async verifyWithJose(token: string): Promise<AccessClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return undefined;
      return { userId: payload.sub, role: role as Role, expiresAt: new Date((payload.exp ?? 0) * 1000) };
    } catch {
      return undefined;
    }
  }
}

export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
