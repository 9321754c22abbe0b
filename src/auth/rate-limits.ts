import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';

/**
 * Rate limits, counted in Redis so they hold across server instances (in process memory when
 * Redis is not configured, and as the fallback while Redis is unreachable). A limit of 0 is off.
 */
export interface RateLimitSettings {
  /**
   * Failed logins per username per LOGIN_WINDOW_SECONDS (RATE_LIMIT_LOGIN_FAILURES); also the
   * allowance of failed step-ups (password or code) per user for the two-factor mutations.
   */
  readonly loginFailuresPerUsername: number;
  /** Successful logins per user per LOGIN_WINDOW_SECONDS (RATE_LIMIT_LOGIN_SUCCESSES). */
  readonly loginSuccessesPerUser: number;
  /** Money-moving mutations per user per minute (RATE_LIMIT_MOVEMENTS_PER_MINUTE). */
  readonly movementsPerMinute: number;
  /** Payee look-ups per user per hour (RATE_LIMIT_PAYEE_LOOKUPS_PER_HOUR). */
  readonly payeeLookupsPerHour: number;
}

/** Why a request was refused by a limit, and when the same request could pass again. */
export interface Refusal {
  /** Whole seconds, at least 1: what HTTP's Retry-After and `retryAfterSeconds` say. */
  readonly retryAfterSeconds: number;
  /** Which limit refused (login-user, login-ip, login-success, step-up, movements, refresh-ip) … */
  readonly limit: string;
  /** … for whom (a username, address or user id): a burst is audited once per limit, key and window. */
  readonly key: string;
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
  private readonly loginSuccessesByUser?: RateLimiterAbstract;
  private readonly stepUpFailuresByUser?: RateLimiterAbstract;
  private readonly movementsByUser?: RateLimiterAbstract;
  private readonly refreshesByIp: RateLimiterAbstract;
  private readonly payeeLookupsByUser?: RateLimiterAbstract;
  /** One point per allowance and window: the first refusal of a burst is audited, the rest are not. */
  private readonly refusalAudits: RateLimiterAbstract;

  constructor(
    settings: RateLimitSettings,
    redis: Redis | undefined,
    keyPrefix: string,
    /** Told the limit's name at every refusal (metrics: tally_rate_limit_refusals_total). */
    private readonly onRefusal: (limit: string) => void = () => undefined,
  ) {
    const limiter = (name: string, points: number, duration: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix: `${keyPrefix}:${name}`, points, duration });
      return redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}:${name}`, points, duration, insuranceLimiter: memory })
        : memory;
    };
    if (settings.loginFailuresPerUsername > 0) {
      this.loginFailuresByUsername = limiter('login-user', settings.loginFailuresPerUsername, LOGIN_WINDOW_SECONDS);
      this.stepUpFailuresByUser = limiter('step-up-user', settings.loginFailuresPerUsername, LOGIN_WINDOW_SECONDS);
    }
    if (settings.loginSuccessesPerUser > 0) {
      this.loginSuccessesByUser = limiter('login-success-user', settings.loginSuccessesPerUser, LOGIN_WINDOW_SECONDS);
    }
    this.loginFailuresByIp = limiter('login-ip', LOGIN_FAILURES_PER_IP, LOGIN_WINDOW_SECONDS);
    if (settings.movementsPerMinute > 0) this.movementsByUser = limiter('movements', settings.movementsPerMinute, 60);
    this.refreshesByIp = limiter('refresh-ip', REFRESHES_PER_MINUTE_PER_IP, 60);
    if (settings.payeeLookupsPerHour > 0) this.payeeLookupsByUser = limiter('payee-lookups', settings.payeeLookupsPerHour, 60 * 60);
    this.refusalAudits = limiter('refusal-audit', 1, LOGIN_WINDOW_SECONDS);
  }

  /**
   * Takes one attempt from the username's and the address's allowance *before* the password is
   * checked, so a burst of parallel guesses cannot all slip in ahead of their own failures.
   * A refusal when either allowance is used up: the password is then not even checked.
   */
  async takeLoginAttempt(username: string, clientIp: string): Promise<Refusal | undefined> {
    const key = username.toLowerCase();
    const [byUsername, byIp] = await Promise.all([
      this.take(this.loginFailuresByUsername, key, 'login-user'),
      this.take(this.loginFailuresByIp, clientIp, 'login-ip'),
    ]);
    return longest(byUsername, byIp);
  }

  /** A successful login clears that username's failures and gives the address its attempt back. */
  async recordLoginSuccess(username: string, clientIp: string): Promise<void> {
    await Promise.all([this.loginFailuresByUsername?.delete(username.toLowerCase()), this.loginFailuresByIp.reward(clientIp, 1)]);
  }

  /**
   * Gives back the attempt `takeLoginAttempt` took, for a sign-in whose credentials were right
   * but which another limit refused: it was no failed guess.
   */
  async returnLoginAttempt(username: string, clientIp: string): Promise<void> {
    await Promise.all([this.loginFailuresByUsername?.reward(username.toLowerCase(), 1), this.loginFailuresByIp.reward(clientIp, 1)]);
  }

  /**
   * Takes one payee look-up from the user's hourly allowance, found or not (a miss teaches an
   * enumerator as much as a hit).
   */
  takePayeeLookup(userId: string): Promise<Refusal | undefined> {
    return this.take(this.payeeLookupsByUser, userId, 'payee-lookups');
  }

  /** Takes one successful sign-in (a new session) from the user's allowance. */
  takeLoginSuccess(userId: string): Promise<Refusal | undefined> {
    return this.take(this.loginSuccessesByUser, userId, 'login-success');
  }

  /**
   * Takes one attempt at a step-up (the password, and a code where one is asked) before either is
   * checked, exactly like sign-in: past the allowance even the right credentials wait.
   */
  takeStepUpAttempt(userId: string): Promise<Refusal | undefined> {
    return this.take(this.stepUpFailuresByUser, userId, 'step-up');
  }

  /** A step-up that changed something clears the user's failed step-ups. */
  async recordStepUpSuccess(userId: string): Promise<void> {
    await this.stepUpFailuresByUser?.delete(userId);
  }

  /** Takes one money-moving request from the user's allowance. */
  allowMovement(userId: string): Promise<Refusal | undefined> {
    return this.take(this.movementsByUser, userId, 'movements');
  }

  allowRefresh(clientIp: string): Promise<Refusal | undefined> {
    return this.take(this.refreshesByIp, clientIp, 'refresh-ip');
  }

  /**
   * True for the first refusal by `refusal.limit` of `refusal.key` in a window: only that one is written to the
   * append-only audit log, so a burst of refused requests cannot flood a table that keeps every row.
   */
  async isFirstRefusalInWindow(refusal: Refusal): Promise<boolean> {
    return (await consume(this.refusalAudits, `${refusal.limit}:${refusal.key}`, 'refusal-audit')) === undefined;
  }

  /** One point of a user-facing allowance; a refusal is told to onRefusal. */
  private async take(limiter: RateLimiterAbstract | undefined, key: string, limit: string): Promise<Refusal | undefined> {
    const refusal = await consume(limiter, key, limit);
    if (refusal) this.onRefusal(limit);
    return refusal;
  }
}

async function consume(limiter: RateLimiterAbstract | undefined, key: string, limit: string): Promise<Refusal | undefined> {
  if (!limiter) return undefined;
  try {
    await limiter.consume(key, 1);
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      return { retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)), limit, key };
    }
    throw rejection;
  }
}

/** When both of two allowances refuse, the caller must wait for the later one. */
function longest(first: Refusal | undefined, second: Refusal | undefined): Refusal | undefined {
  if (!first || !second) return first ?? second;
  return first.retryAfterSeconds >= second.retryAfterSeconds ? first : second;
}
