import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';

/**
 * Rate limits, counted in Redis so they hold across server instances (in process memory when
 * Redis is not configured, and as the fallback while Redis is unreachable). A limit of 0 is off.
 */
export interface RateLimitSettings {
  /** Failed logins per username per LOGIN_WINDOW_SECONDS (RATE_LIMIT_LOGIN_FAILURES). */
  readonly loginFailuresPerUsername: number;
  /** Money-moving mutations per user per minute (RATE_LIMIT_MOVEMENTS_PER_MINUTE). */
  readonly movementsPerMinute: number;
  /** Payee look-ups per user per hour (RATE_LIMIT_PAYEE_LOOKUPS_PER_HOUR). */
  readonly payeeLookupsPerHour: number;
}

/** OWASP: count failures over a window long enough to make online guessing pointless. */
export const LOGIN_WINDOW_SECONDS = 15 * 60;
/** One address may fail this often per window: a shared office NAT, not a password sprayer. */
export const LOGIN_FAILURES_PER_IP = 100;
/** A refresh every few seconds is already far more than any app needs (tokens live 5 minutes). */
export const REFRESHES_PER_MINUTE_PER_IP = 60;

export class RateLimits {
  private readonly loginFailuresByUsername?: RateLimiterAbstract;
  private readonly loginFailuresByIp: RateLimiterAbstract;
  private readonly movementsByUser?: RateLimiterAbstract;
  private readonly refreshesByIp: RateLimiterAbstract;
  private readonly payeeLookupsByUser?: RateLimiterAbstract;

  constructor(settings: RateLimitSettings, redis: Redis | undefined, keyPrefix: string) {
    const limiter = (name: string, points: number, duration: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix: `${keyPrefix}:${name}`, points, duration });
      return redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}:${name}`, points, duration, insuranceLimiter: memory })
        : memory;
    };
    if (settings.loginFailuresPerUsername > 0) {
      this.loginFailuresByUsername = limiter('login-user', settings.loginFailuresPerUsername, LOGIN_WINDOW_SECONDS);
    }
    this.loginFailuresByIp = limiter('login-ip', LOGIN_FAILURES_PER_IP, LOGIN_WINDOW_SECONDS);
    if (settings.movementsPerMinute > 0) this.movementsByUser = limiter('movements', settings.movementsPerMinute, 60);
    this.refreshesByIp = limiter('refresh-ip', REFRESHES_PER_MINUTE_PER_IP, 60);
    if (settings.payeeLookupsPerHour > 0) this.payeeLookupsByUser = limiter('payee-lookups', settings.payeeLookupsPerHour, 60 * 60);
  }

  /**
   * Takes one attempt from the username's and the address's allowance *before* the password is
   * checked, so a burst of parallel guesses cannot all slip in ahead of their own failures.
   * False when either allowance is used up: the password is then not even checked.
   */
  async takeLoginAttempt(username: string, clientIp: string): Promise<boolean> {
    const [byUsername, byIp] = await Promise.all([
      this.loginFailuresByUsername ? consume(this.loginFailuresByUsername, username.toLowerCase()) : Promise.resolve(true),
      consume(this.loginFailuresByIp, clientIp),
    ]);
    return byUsername && byIp;
  }

  /** A successful login clears that username's failures and gives the address its attempt back. */
  async recordLoginSuccess(username: string, clientIp: string): Promise<void> {
    await Promise.all([this.loginFailuresByUsername?.delete(username.toLowerCase()), this.loginFailuresByIp.reward(clientIp, 1)]);
  }

  /** Takes one money-moving request from the user's allowance; false when it is used up. */
  allowMovement(userId: string): Promise<boolean> {
    return this.movementsByUser ? consume(this.movementsByUser, userId) : Promise.resolve(true);
  }

  /**
   * Takes one payee look-up from the user's hourly allowance, found or not (a miss teaches an
   * enumerator as much as a hit). Undefined when allowed; else the seconds until the next one is.
   */
  async takePayeeLookup(userId: string): Promise<{ retryAfterSeconds: number } | undefined> {
    if (!this.payeeLookupsByUser) return undefined;
    try {
      await this.payeeLookupsByUser.consume(userId, 1);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      throw rejection;
    }
  }

  allowRefresh(clientIp: string): Promise<boolean> {
    return consume(this.refreshesByIp, clientIp);
  }
}

async function consume(limiter: RateLimiterAbstract, key: string): Promise<boolean> {
  try {
    await limiter.consume(key, 1);
    return true;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return false;
    throw rejection;
  }
}
