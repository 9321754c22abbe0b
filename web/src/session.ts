import { Client, fetchExchange } from 'urql';
import { RenewSessionDocument, SignInDocument, SignOutDocument, type SignInMutation } from './generated/graphql';

/**
 * The customer's session. What is kept where (README "The web app"):
 * - the access token (5 minutes) only in this object's memory: script on the page can use it while
 *   the tab is open, nothing can read it afterwards;
 * - the refresh token and its expiry in sessionStorage, so a reload of this tab stays signed in;
 *   it is gone when the tab closes, is never shared with other tabs, and nothing goes to
 *   localStorage or cookies.
 * The session ends when the refresh token does (a timer at its expiry), when renewal is refused,
 * or on sign-out, which revokes the refresh token at the server.
 */

const STORED = 'tally.session';
/** Renew when this share of the access token's life has passed. */
const RENEW_AT = 0.8;

interface Tokens {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: string;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: string;
}

interface StoredSession {
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: string;
}

export type SignInOutcome = Exclude<SignInMutation['generateToken'], { __typename: 'AuthTokens' }> | { __typename: 'SignedIn' };

export class Session {
  /** Auth calls go through their own client: they carry no token and must not wait for one. */
  private readonly auth: Client;
  private tokens: Tokens | undefined;
  /** When the access token in use is due for renewal (RENEW_AT of its life). */
  private renewAt = 0;
  private renewing: Promise<boolean> | undefined;
  private timers: ReturnType<typeof setTimeout>[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly renewListeners = new Set<() => void>();

  constructor(private readonly graphqlUrl: string) {
    this.auth = new Client({ url: graphqlUrl, exchanges: [fetchExchange], requestPolicy: 'network-only', preferGetMethod: false });
  }

  get signedIn(): boolean {
    return this.tokens !== undefined;
  }

  get accessToken(): string | undefined {
    return this.tokens?.accessToken;
  }

  /** Called on sign-in and sign-out (not on renewal: the app stays as it is). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after each renewal: a new access token is in use (the live socket reconnects with it). */
  onRenew(listener: () => void): () => void {
    this.renewListeners.add(listener);
    return () => this.renewListeners.delete(listener);
  }

  async signIn(username: string, password: string, otp?: string): Promise<SignInOutcome> {
    const result = await this.auth.mutation(SignInDocument, { input: { username, password, ...(otp ? { otp } : {}) } }).toPromise();
    const answer = result.data?.generateToken;
    if (!answer) throw new Error(result.error?.message ?? 'no answer');
    if (answer.__typename !== 'AuthTokens') return answer;
    this.start(answer);
    return { __typename: 'SignedIn' };
  }

  /** After a reload: renews from the stored refresh token, if this tab has one that has not expired. */
  async restore(): Promise<boolean> {
    const stored = readStored();
    if (!stored || Date.parse(stored.refreshTokenExpiresAt) <= Date.now()) {
      sessionStorage.removeItem(STORED);
      return false;
    }
    return this.renew(stored.refreshToken);
  }

  /**
   * An access token valid for a while yet, renewing first when it is due; false when the session
   * is over. The same due time as the renewal timer: a token just renewed is never renewed again
   * (a renewal restarts the socket, whose connect calls this).
   */
  async fresh(): Promise<boolean> {
    if (!this.tokens) return false;
    return Date.now() < this.renewAt || this.renew(this.tokens.refreshToken);
  }

  async signOut(): Promise<void> {
    const refreshToken = this.tokens?.refreshToken ?? readStored()?.refreshToken;
    this.end();
    // Revoked at the server so a copy of the token is worthless; the app is signed out either way.
    if (refreshToken) await this.auth.mutation(SignOutDocument, { refreshToken }).toPromise().catch(() => undefined);
  }

  /** One renewal at a time: a refresh token works once, and presenting a used one revokes the session. */
  private renew(refreshToken: string): Promise<boolean> {
    this.renewing ??= this.auth
      .mutation(RenewSessionDocument, { refreshToken })
      .toPromise()
      .then((result) => {
        const answer = result.data?.refreshToken;
        if (answer?.__typename === 'AuthTokens') {
          this.start(answer);
          return true;
        }
        // No answer at all (offline): keep the session; the next call tries again.
        if (!answer) return this.signedIn;
        this.end();
        return false;
      })
      .finally(() => {
        this.renewing = undefined;
      });
    return this.renewing;
  }

  private start(tokens: Tokens): void {
    const wasSignedIn = this.signedIn;
    this.tokens = tokens;
    sessionStorage.setItem(STORED, JSON.stringify({ refreshToken: tokens.refreshToken, refreshTokenExpiresAt: tokens.refreshTokenExpiresAt } satisfies StoredSession));
    this.clearTimers();
    const now = Date.now();
    const accessLife = Date.parse(tokens.accessTokenExpiresAt) - now;
    const renewIn = Math.max(1_000, accessLife * RENEW_AT);
    this.renewAt = now + renewIn;
    this.timers.push(setTimeout(() => void this.renew(tokens.refreshToken), renewIn));
    // setTimeout holds at most ~24.8 days; a longer session is ended by a refused renewal instead.
    const sessionLife = Date.parse(tokens.refreshTokenExpiresAt) - now;
    if (sessionLife < 2 ** 31 - 1) this.timers.push(setTimeout(() => this.end(), Math.max(0, sessionLife)));
    if (!wasSignedIn) this.notify();
    else for (const listener of this.renewListeners) listener();
  }

  private end(): void {
    const wasSignedIn = this.signedIn;
    this.tokens = undefined;
    this.clearTimers();
    sessionStorage.removeItem(STORED);
    if (wasSignedIn) this.notify();
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

function readStored(): StoredSession | undefined {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(STORED) ?? 'null');
    if (parsed && typeof parsed === 'object' && 'refreshToken' in parsed && 'refreshTokenExpiresAt' in parsed) return parsed as StoredSession;
  } catch {
    // A damaged entry is no session.
  }
  return undefined;
}
