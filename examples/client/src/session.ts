import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Refresh, SignIn } from './operations';

/** POST /graphql with a typed operation; `data` is typed from the schema. */
export async function request<Data, Variables>(url: string, document: TypedDocumentNode<Data, Variables>, variables: Variables, token?: string): Promise<Data> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Data; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length || !body.data) throw new Error(body.errors?.[0]?.extensions?.code ?? `HTTP ${response.status}`);
  return body.data;
}

type Tokens = { accessToken: string; accessTokenExpiresAt: string; refreshToken: string };

/** Holds the token pair and refreshes it a minute before the access token expires. */
export class Session {
  private refreshing: Promise<void> | undefined;
  private constructor(private readonly url: string, private tokens: Tokens, private received = Date.now()) {}

  static async signIn(url: string, username: string, password: string): Promise<Session> {
    const result = (await request(url, SignIn, { username, password })).generateToken;
    if (result.__typename !== 'AuthTokens') throw new Error(result.__typename);
    return new Session(url, result);
  }

  /** A valid access token: refreshed first when it has under a minute left (or half its life). */
  async currentToken(): Promise<string> {
    const expires = Date.parse(this.tokens.accessTokenExpiresAt);
    const margin = Math.min(60_000, (expires - this.received) / 2);
    if (expires - Date.now() < margin) await this.refresh();
    return this.tokens.accessToken;
  }

  /** One refresh at a time: a refresh token works once, and a reused one revokes the whole session. */
  refresh(): Promise<void> {
    this.refreshing ??= request(this.url, Refresh, { refreshToken: this.tokens.refreshToken })
      .then(({ refreshToken: result }) => {
        // InvalidCredentialsError: the session ended (expired, revoked, or reuse seen); sign in again.
        if (result.__typename !== 'AuthTokens') throw new Error(result.__typename);
        this.tokens = result; // store the new refresh token now: the old one is retired
        this.received = Date.now();
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }
}
