import { login, type AccessToken } from './operations.js';
import type { GraphQLClient } from './graphql-client.js';
import { forEachConcurrently } from './load.js';
import type { BenchUser } from './mix.js';
import { LOGIN_CLIENTS } from './settings.js';

/** Renew a token this long before it expires, so no request is sent with one about to lapse. */
const RENEW_BEFORE_EXPIRY_MS = 30_000;

/**
 * Access tokens per user (they live five minutes). A token is renewed by signing in again, at
 * most once at a time per user however many clients need it.
 */
export class Sessions {
  private readonly tokens = new Map<string, AccessToken>();
  private readonly renewals = new Map<string, Promise<AccessToken>>();

  constructor(
    private readonly client: GraphQLClient,
    private readonly password: string,
  ) {}

  /** A token valid for at least `validForMs` more, signing in again when needed. */
  async tokenFor(username: string, validForMs = 0): Promise<string> {
    const current = this.tokens.get(username);
    if (current && current.expiresAtMs - Date.now() > validForMs + RENEW_BEFORE_EXPIRY_MS) return current.token;
    let renewal = this.renewals.get(username);
    if (!renewal) {
      renewal = login(this.client, username, this.password).finally(() => this.renewals.delete(username));
      this.renewals.set(username, renewal);
    }
    const renewed = await renewal;
    this.tokens.set(username, renewed);
    return renewed.token;
  }
}

/**
 * Signs every user and their cash service in again before a phase's clock starts if a token could
 * lapse during it, so logins (argon2) stay out of the measurement; a phase longer than a token's
 * life renews inside it.
 */
export async function renewSessionsFor(sessions: Sessions, users: readonly BenchUser[], phaseSeconds: number): Promise<void> {
  await forEachConcurrently(users, LOGIN_CLIENTS, async (user) => {
    await sessions.tokenFor(user.username, phaseSeconds * 1000);
    await sessions.tokenFor(user.cashService, phaseSeconds * 1000);
  });
}
