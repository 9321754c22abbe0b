import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, MeDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp, type TestUser } from '../helpers/test-app.js';

let t: TestApp;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(() => t.close());

function claims(overrides: { secret?: string; typ?: string; audience?: string; issuer?: string; expiresInSeconds?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'CUSTOMER' })
    .setProtectedHeader({ alg: 'HS256', typ: overrides.typ ?? 'at+jwt' })
    .setSubject(alice.id)
    .setIssuer(overrides.issuer ?? 'tally')
    .setAudience(overrides.audience ?? 'tally-api')
    .setIssuedAt(now - 600)
    .setExpirationTime(now + (overrides.expiresInSeconds ?? 300))
    .sign(new TextEncoder().encode(overrides.secret ?? TEST_JWT_SECRET));
}

describe('generateToken', () => {
  it('returns a 5-minute Bearer access token and a 30-day refresh token that is stored only as a hash', async () => {
    const result = dataOf(await t.gql(LoginDocument, { username: alice.username, password: alice.password })).generateToken;
    if (result.__typename !== 'AuthTokens') throw new Error(JSON.stringify(result));
    expect(result.tokenType).toBe('Bearer');
    const accessSeconds = (Date.parse(result.accessTokenExpiresAt) - Date.now()) / 1000;
    expect(accessSeconds).toBeGreaterThan(280);
    expect(accessSeconds).toBeLessThanOrEqual(300);
    expect(Date.parse(result.refreshTokenExpiresAt) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    const { rows } = await t.database.pool.query('select token_hash from refresh_tokens where user_id = $1', [alice.id]);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.token_hash)).not.toContain(result.refreshToken);
    expect(dataOf(await t.gql(MeDocument, {}, result.accessToken)).me.username).toBe(alice.username);
  });

  it.each([
    ['a wrong password', () => ({ username: alice.username, password: 'wrong-password-123' })],
    ['an unknown username', () => ({ username: 'nobody-here', password: alice.password })],
  ])('%s is INVALID_CREDENTIALS, the same for both', async (_name, credentials) => {
    const result = dataOf(await t.gql(LoginDocument, credentials())).generateToken;
    expect(result).toEqual({ __typename: 'InvalidCredentialsError', code: 'INVALID_CREDENTIALS', message: 'Unknown username or wrong password.', retryable: false });
  });
});

describe('access tokens', () => {
  it('a token we signed works', async () => {
    expect(dataOf(await t.gql(MeDocument, {}, await claims())).me.username).toBe(alice.username);
  });

  it.each([
    ['alg=none', () => Promise.resolve(new UnsecuredJWT({ role: 'CUSTOMER' }).setSubject(alice.id).setIssuer('tally').setAudience('tally-api').setExpirationTime('5m').encode())],
    ['HS256 with a guessed secret', () => claims({ secret: 'secret-secret-secret-secret-secret!' })],
    ['an expired token', () => claims({ expiresInSeconds: -1 })],
    ['another audience', () => claims({ audience: 'someone-else' })],
    ['another issuer', () => claims({ issuer: 'evil' })],
    ['another token type', () => claims({ typ: 'JWT' })],
    ['a tampered token', async () => {
      const [header, payload, signature] = (await claims()).split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'OPERATOR' })).toString('base64url');
      return `${header}.${forged}.${signature}`;
    }],
    ['a refresh token used as an access token', async () => {
      const result = dataOf(await t.gql(LoginDocument, { username: alice.username, password: alice.password })).generateToken;
      if (result.__typename !== 'AuthTokens') throw new Error('login failed');
      return result.refreshToken;
    }],
  ])('%s is UNAUTHENTICATED', async (_name, token) => {
    const response = await t.gql(MeDocument, {}, await token());
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
