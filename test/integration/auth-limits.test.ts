import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { generate } from 'otplib';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfirmTwoFactorDocument,
  DisableTwoFactorDocument,
  EnrollTwoFactorDocument,
  LoginDocument,
  RefreshDocument,
  ViewerDocument,
} from '../generated/graphql.js';
import { hashRefreshToken } from '../../src/auth/tokens.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The authentication gaps of the issue, each against the real server, PostgreSQL and Redis:
 * two-factor changes need the password and are limited per user like sign-in; concurrent
 * enrolments queue on the row lock; successful sign-ins are limited and refused bursts audited
 * once; expired sessions are pruned; the Bearer scheme is case-insensitive; limits say when to retry.
 */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ environment: { RATE_LIMIT_LOGIN_FAILURES: '10' } });
});
afterAll(() => t.close());

const LOGIN_WINDOW_SECONDS = 15 * 60;

/** A code of the secret for the step `offsetSteps` from now. */
const codeAt = (secret: string, offsetSteps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
/** A six-digit code that is not `code`. */
const otherThan = (code: string, seed: number) => {
  const guess = String(seed % 1_000_000).padStart(6, '0');
  return guess === code ? String((seed + 1) % 1_000_000).padStart(6, '0') : guess;
};

/** A user with two-factor sign-in on; returns the secret. The confirming code is of the previous step. */
async function withTwoFactor(user: TestUser): Promise<string> {
  const enrolled = dataOf(await t.gql(EnrollTwoFactorDocument, { password: user.password }, user.token)).enrollTwoFactor;
  if (enrolled.__typename !== 'TwoFactorEnrollment') throw new Error(JSON.stringify(enrolled));
  const confirmed = dataOf(await t.gql(ConfirmTwoFactorDocument, { password: user.password, otp: await codeAt(enrolled.secret, -1) }, user.token)).confirmTwoFactor;
  if (confirmed.__typename !== 'TwoFactorStatus') throw new Error(JSON.stringify(confirmed));
  return enrolled.secret;
}

async function twoFactorState(userId: string): Promise<{ enabled: boolean; sealed: string | null }> {
  const { rows } = await t.database.pool.query('select totp_enabled_at is not null as enabled, totp_secret_encrypted as sealed from users where id = $1', [userId]);
  return rows[0];
}

async function deniedAudits(action: string, actor: string): Promise<Array<{ reason: string; count: number }>> {
  const { rows } = await t.database.pool.query(
    `select details->>'reason' as reason, count(*)::int as count from audit_events
      where action = $1 and actor_user_id = $2 and outcome = 'DENIED' group by 1 order by 1`,
    [action, actor],
  );
  return rows;
}

describe('two-factor changes need the password (step-up)', () => {
  it('a stolen access token without the password cannot turn two-factor on, and nothing is stored', async () => {
    const owner = await t.user();
    const enrolled = dataOf(await t.gql(EnrollTwoFactorDocument, { password: 'not-the-password-0' }, owner.token)).enrollTwoFactor;
    expect(enrolled).toMatchObject({ __typename: 'InvalidCredentialsError', code: 'INVALID_CREDENTIALS' });
    expect(await twoFactorState(owner.id)).toEqual({ enabled: false, sealed: null });

    // With the owner's own enrolment pending, the thief still cannot confirm it.
    const pending = dataOf(await t.gql(EnrollTwoFactorDocument, { password: owner.password }, owner.token)).enrollTwoFactor;
    if (pending.__typename !== 'TwoFactorEnrollment') throw new Error(JSON.stringify(pending));
    const confirmed = dataOf(await t.gql(ConfirmTwoFactorDocument, { password: 'not-the-password-0', otp: await codeAt(pending.secret) }, owner.token)).confirmTwoFactor;
    expect(confirmed).toMatchObject({ __typename: 'InvalidCredentialsError', message: 'The password is wrong.' });
    expect((await twoFactorState(owner.id)).enabled).toBe(false);
    expect(await deniedAudits('two_factor.enroll', owner.id)).toEqual([{ reason: 'bad_password', count: 1 }]);
  });

  it('the password argument is required by the schema', async () => {
    const owner = await t.user();
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
      body: JSON.stringify({ query: 'mutation { enrollTwoFactor { __typename } }' }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await twoFactorState(owner.id)).toEqual({ enabled: false, sealed: null });
  });
});

describe('two-factor attempts are limited per user like sign-in', () => {
  it('10 failed attempts (wrong codes or a wrong password), then even the right password and code wait, and two-factor stays on', async () => {
    const owner = await t.user();
    const secret = await withTwoFactor(owner);
    const current = await codeAt(secret);
    const results: string[] = [];
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const proof = attempt < 3 ? { password: `wrong-password-${attempt}`, otp: current } : { password: owner.password, otp: otherThan(current, attempt * 7919) };
      results.push(dataOf(await t.gql(DisableTwoFactorDocument, proof, owner.token)).disableTwoFactor.__typename);
    }
    expect(results).toEqual(Array(10).fill('InvalidCredentialsError'));

    const right = dataOf(await t.gql(DisableTwoFactorDocument, { password: owner.password, otp: current }, owner.token)).disableTwoFactor;
    if (right.__typename !== 'LimitExceededError') throw new Error(JSON.stringify(right));
    expect(right).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: true });
    expect(right.retryAfterSeconds).toBeGreaterThan(LOGIN_WINDOW_SECONDS - 120);
    expect(right.retryAfterSeconds).toBeLessThanOrEqual(LOGIN_WINDOW_SECONDS);
    expect((await twoFactorState(owner.id)).enabled).toBe(true);
    const envelope = await postRaw(t.url, DisableTwoFactorDocument, { password: owner.password, otp: current }, owner.token);
    expect(envelope.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    // The limited request did not use up the code either: it was never checked.
    const { rows } = await t.database.pool.query('select totp_last_time_step from users where id = $1', [owner.id]);
    expect(Number(rows[0].totp_last_time_step)).toBeLessThan(Math.floor(Date.now() / 1000 / 30));
    expect(await deniedAudits('two_factor.disable', owner.id)).toEqual([
      { reason: 'bad_otp', count: 7 },
      { reason: 'bad_password', count: 3 },
      { reason: 'rate_limited', count: 1 },
    ]);
    const refusal = await t.database.pool.query(
      `select details from audit_events where action = 'two_factor.disable' and actor_user_id = $1 and details->>'reason' = 'rate_limited'`,
      [owner.id],
    );
    expect(refusal.rows[0].details).toEqual({
      reason: 'rate_limited',
      limit: 'step-up',
      retryAfterSeconds: expect.any(Number),
      laterRefusalsInWindowNotRecorded: true,
    });
  });

  it('600 parallel guesses: at most 10 are checked, two-factor stays on, one audit row for the refused burst', async () => {
    const owner = await t.user();
    const secret = await withTwoFactor(owner);
    const current = await codeAt(secret);
    const names: string[] = [];
    // In waves of 300, so the test client does not run out of sockets; the server sees them at once.
    for (let wave = 0; wave < 2; wave += 1) {
      const replies = await Promise.all(
        Array.from({ length: 300 }, (_, index) =>
          t.gql(DisableTwoFactorDocument, { password: owner.password, otp: otherThan(current, wave * 300 + index) }, owner.token),
        ),
      );
      // Past the per-user cap on requests in flight, a guess is refused before it runs at all
      // (a top-level LIMIT_EXCEEDED); the rest meet the step-up limit (a typed LimitExceededError).
      names.push(
        ...replies.map((reply) =>
          reply.errors?.[0]?.extensions?.code === 'LIMIT_EXCEEDED' && !reply.data ? 'LimitExceededError' : dataOf(reply).disableTwoFactor.__typename,
        ),
      );
    }
    expect(names.filter((name) => name === 'TwoFactorStatus')).toEqual([]);
    expect(names.filter((name) => name === 'InvalidCredentialsError').length).toBeLessThanOrEqual(10);
    expect(names.filter((name) => name === 'LimitExceededError').length).toBeGreaterThanOrEqual(590);
    expect((await twoFactorState(owner.id)).enabled).toBe(true);
    const audits = await deniedAudits('two_factor.disable', owner.id);
    expect(audits.find((row) => row.reason === 'rate_limited')?.count).toBe(1);
  }, 60_000);

  it('a change that succeeds clears the count, as a successful sign-in does', async () => {
    const owner = await t.user();
    const secret = await withTwoFactor(owner);
    for (let attempt = 0; attempt < 9; attempt += 1) {
      await t.gql(DisableTwoFactorDocument, { password: `wrong-password-${attempt}`, otp: '000000' }, owner.token);
    }
    const disabled = dataOf(await t.gql(DisableTwoFactorDocument, { password: owner.password, otp: await codeAt(secret) }, owner.token)).disableTwoFactor;
    expect(disabled).toEqual({ __typename: 'TwoFactorStatus', enabled: false });
    const again = dataOf(await t.gql(EnrollTwoFactorDocument, { password: 'wrong-password-x' }, owner.token)).enrollTwoFactor;
    expect(again.__typename).toBe('InvalidCredentialsError');
  });
});

describe('concurrent enrolments', () => {
  it('6 parallel enrolments of one user all succeed in turn (no internal errors), and the stored secret is the last one', async () => {
    const owner = await t.user();
    const replies = await Promise.all(Array.from({ length: 6 }, () => t.gql(EnrollTwoFactorDocument, { password: owner.password }, owner.token)));
    expect(replies.flatMap((reply) => reply.errors ?? [])).toEqual([]);
    const secrets = replies.map((reply) => {
      const enrolled = dataOf(reply).enrollTwoFactor;
      if (enrolled.__typename !== 'TwoFactorEnrollment') throw new Error(JSON.stringify(enrolled));
      return enrolled.secret;
    });
    expect(new Set(secrets).size).toBe(6);
    // Exactly one of the six secrets is the one stored: a code of the others does not confirm.
    const outcomes: string[] = [];
    for (const secret of secrets) {
      const confirmed = dataOf(await t.gql(ConfirmTwoFactorDocument, { password: owner.password, otp: await codeAt(secret) }, owner.token)).confirmTwoFactor;
      outcomes.push(confirmed.__typename === 'TwoFactorStatus' ? 'confirmed' : confirmed.__typename);
      if (confirmed.__typename === 'TwoFactorStatus') break;
    }
    expect(outcomes.at(-1)).toBe('confirmed');
    expect(outcomes.slice(0, -1).every((outcome) => outcome === 'InvalidCredentialsError')).toBe(true);
    expect(dataOf(await t.gql(ViewerDocument, {}, owner.token)).me.twoFactorEnabled).toBe(true);
  });
});

describe('expired refresh tokens', () => {
  it('are pruned at sign-in when their session is over; a live session keeps its expired ancestors, so their reuse is still caught', async () => {
    const owner = await t.user();
    const neighbour = await t.user();
    const ended = await login(owner);
    const living = await login(owner);
    const rotated = dataOf(await t.gql(RefreshDocument, { refreshToken: living.refreshToken })).refreshToken;
    if (rotated.__typename !== 'AuthTokens') throw new Error(JSON.stringify(rotated));
    const neighbourEnded = await login(neighbour);
    // Age them: the ended session's only token, the living session's retired first token, and the neighbour's.
    await t.database.pool.query(
      `update refresh_tokens set expires_at = now() - interval '1 day'
        where token_hash = any($1::text[])`,
      [[ended.refreshToken, living.refreshToken, neighbourEnded.refreshToken].map(hashOf)],
    );
    const before = await tokenHashes(owner.id);
    expect(before).toEqual(expect.arrayContaining([hashOf(ended.refreshToken), hashOf(living.refreshToken), hashOf(rotated.refreshToken)]));

    await login(owner);
    const after = await tokenHashes(owner.id);
    expect(after).not.toContain(hashOf(ended.refreshToken));
    expect(after).toEqual(expect.arrayContaining([hashOf(living.refreshToken), hashOf(rotated.refreshToken)]));
    expect(await tokenHashes(neighbour.id)).toContain(hashOf(neighbourEnded.refreshToken));

    // The retired ancestor is still known, so presenting it ends the session it was stolen from.
    expect(dataOf(await t.gql(RefreshDocument, { refreshToken: living.refreshToken })).refreshToken).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(dataOf(await t.gql(RefreshDocument, { refreshToken: rotated.refreshToken })).refreshToken).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });
});

describe('the Bearer scheme is case-insensitive (RFC 7235)', () => {
  it.each(['bearer', 'BEARER', 'Bearer'])('"%s <token>" works over HTTP, REST and WebSocket', async (scheme) => {
    const owner = await t.user();
    const me = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `${scheme} ${owner.token}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(await me.json()).toEqual({ data: { me: { id: owner.id } } });
    // 404, not 401: the caller was recognised, and the account is simply not theirs.
    const balance = await fetch(`${t.url}/v1/balance?accountId=00000000-0000-4000-8000-000000000000`, { headers: { authorization: `${scheme} ${owner.token}` } });
    expect(balance.status).toBe(404);
    await expect(connectsOverWebSocket(`${scheme} ${owner.token}`)).resolves.toBe(true);
  });

  it('other schemes and a missing token are still refused', async () => {
    const owner = await t.user();
    for (const authorization of [`Basic ${owner.token}`, 'bearer', `bearer${owner.token}`]) {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('successful sign-ins are limited per user', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({ environment: { RATE_LIMIT_LOGIN_SUCCESSES: '3', RATE_LIMIT_LOGIN_FAILURES: '10' } });
  });
  afterAll(() => limited.close());

  it('past the allowance the right password gets LIMIT_EXCEEDED with a retry time, writes no session, and a burst is audited once', async () => {
    const owner = await limited.user(); // the first of three
    const signIn = async () => dataOf(await limited.gql(LoginDocument, { username: owner.username, password: owner.password })).generateToken;
    expect((await signIn()).__typename).toBe('AuthTokens');
    expect((await signIn()).__typename).toBe('AuthTokens');
    const refused = await signIn();
    if (refused.__typename !== 'LimitExceededError') throw new Error(JSON.stringify(refused));
    expect(refused.retryAfterSeconds).toBeGreaterThan(LOGIN_WINDOW_SECONDS - 120);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(LOGIN_WINDOW_SECONDS);

    const refusedAgain: string[] = [];
    for (let attempt = 0; attempt < 20; attempt += 1) refusedAgain.push((await signIn()).__typename);
    expect(refusedAgain).toEqual(Array(20).fill('LimitExceededError'));
    const sessions = await limited.database.pool.query('select count(*)::int as count from refresh_tokens where user_id = $1', [owner.id]);
    expect(sessions.rows[0].count).toBe(3);
    const { rows } = await limited.database.pool.query(
      `select outcome, details->>'reason' as reason, count(*)::int as count from audit_events
        where action = 'login' and actor_user_id = $1 group by 1, 2 order by 1, 2`,
      [owner.id],
    );
    expect(rows).toEqual([
      { outcome: 'DENIED', reason: 'rate_limited', count: 1 },
      { outcome: 'OK', reason: null, count: 3 },
    ]);

    // The right password was no failed guess: a wrong one is still checked, not limited.
    const wrong = dataOf(await limited.gql(LoginDocument, { username: owner.username, password: 'wrong-password-0' })).generateToken;
    expect(wrong.__typename).toBe('InvalidCredentialsError');

    const rest = await fetch(`${limited.url}/v1/generate_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: owner.username, password: owner.password }),
    });
    expect(rest.status).toBe(429);
    const retryAfter = Number(rest.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(LOGIN_WINDOW_SECONDS - 120);
    expect(retryAfter).toBeLessThanOrEqual(LOGIN_WINDOW_SECONDS);
    expect(await rest.json()).toEqual({ error: { code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/Too many sign-ins/) } });

    // The typed result is data; the response envelope says when to come back too.
    const envelope = await postRaw(limited.url, LoginDocument, { username: owner.username, password: owner.password });
    const answer = envelope.data.generateToken;
    if (answer.__typename !== 'LimitExceededError') throw new Error(JSON.stringify(answer));
    expect(envelope.extensions).toEqual({ retryAfterSeconds: answer.retryAfterSeconds });
    const other = await limited.user();
    const fine = await postRaw(limited.url, LoginDocument, { username: other.username, password: other.password });
    expect(fine.data.generateToken.__typename).toBe('AuthTokens');
    expect(fine.extensions).toBeUndefined();

    // A parallel burst writes no session and at most one audit row per allowance it ran into
    // (successes, and failures: parallel attempts are all counted before any is given back).
    const burst = await Promise.all(Array.from({ length: 40 }, () => signIn()));
    expect(burst.map((result) => result.__typename)).toEqual(Array(40).fill('LimitExceededError'));
    const afterBurst = await limited.database.pool.query(
      `select count(*) filter (where details->>'reason' = 'rate_limited')::int as refusals,
              (select count(*)::int from refresh_tokens where user_id = $2) as sessions
         from audit_events where action = 'login' and target = $1`,
      [owner.username, owner.id],
    );
    expect(afterBurst.rows[0].sessions).toBe(3);
    expect(afterBurst.rows[0].refusals).toBeLessThanOrEqual(2);
  });

  it('a failed-sign-in limit answers with a retry time too, over GraphQL and REST', async () => {
    const owner = await limited.user();
    for (let attempt = 0; attempt < 10; attempt += 1) {
      await limited.gql(LoginDocument, { username: owner.username, password: `guess-${attempt}-xxxxxxxx` });
    }
    const refused = dataOf(await limited.gql(LoginDocument, { username: owner.username, password: owner.password })).generateToken;
    expect(refused).toMatchObject({ __typename: 'LimitExceededError', retryable: true, retryAfterSeconds: expect.any(Number) });
    const rest = await fetch(`${limited.url}/v1/generate_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: owner.username, password: owner.password }),
    });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a refresh limit answers with a retry time within the minute', async () => {
    const results = [];
    for (let attempt = 0; attempt < 61; attempt += 1) {
      results.push(dataOf(await limited.gql(RefreshDocument, { refreshToken: `not-a-token-${attempt}` })).refreshToken);
    }
    const last = results.at(-1)!;
    if (last.__typename !== 'LimitExceededError') throw new Error(JSON.stringify(last));
    expect(last.retryAfterSeconds).toBeGreaterThan(0);
    expect(last.retryAfterSeconds).toBeLessThanOrEqual(60);
  });
});

/** A POST of a typed operation that keeps the whole response envelope, extensions included. */
async function postRaw<Data, Variables>(url: string, document: TypedDocumentNode<Data, Variables>, variables: Variables, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as { data: Data; extensions?: { retryAfterSeconds?: number } };
}

async function login(user: TestUser) {
  const result = dataOf(await t.gql(LoginDocument, { username: user.username, password: user.password })).generateToken;
  if (result.__typename !== 'AuthTokens') throw new Error(JSON.stringify(result));
  return result;
}

/** Refresh tokens are stored only as this hash. */
const hashOf = hashRefreshToken;

async function tokenHashes(userId: string): Promise<string[]> {
  const { rows } = await t.database.pool.query('select token_hash from refresh_tokens where user_id = $1', [userId]);
  return rows.map((row) => row.token_hash as string);
}

/** True when graphql-ws acknowledges a connection_init carrying this Authorization value. */
function connectsOverWebSocket(authorization: string): Promise<boolean> {
  return new Promise((resolve) => {
    const client = createClient({
      url: `${t.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => resolve(false),
      on: {
        connected: () => {
          resolve(true);
          void client.dispose();
        },
        closed: () => resolve(false),
      },
    });
  });
}
