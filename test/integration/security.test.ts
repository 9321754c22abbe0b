import { randomUUID } from 'node:crypto';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountDocument,
  BalanceDocument,
  ConfirmTwoFactorDocument,
  DepositDocument,
  DisableTwoFactorDocument,
  EnrollTwoFactorDocument,
  HistoryDocument,
  LoginDocument,
  LoginWithOtpDocument,
  MeDocument,
  RefreshDocument,
  RevokeDocument,
  TransactionDocument,
  TransferDocument,
  ViewerDocument,
  WithdrawDocument,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

let t: TestApp;
let victim: TestUser;
let attacker: TestUser;
let victimAccount: string;

beforeAll(async () => {
  t = await startTestApp({ environment: { RATE_LIMIT_LOGIN_FAILURES: '10' } });
  [victim, attacker] = await Promise.all([t.user(), t.user()]);
  victimAccount = await t.account(victim, { opening: '100.00' });
});
afterAll(async () => {
  // After every attack in this file, the victim's money is exactly where it was.
  const balance = dataOf(await t.gql(BalanceDocument, { accountId: victimAccount }, victim.token)).balance;
  expect(balance).toMatchObject({ posted: '100.00', version: 1 });
  await t.close();
});

async function login(user: TestUser) {
  const result = dataOf(await t.gql(LoginDocument, { username: user.username, password: user.password })).generateToken;
  if (result.__typename !== 'AuthTokens') throw new Error(JSON.stringify(result));
  return result;
}
const refresh = async (refreshToken: string) => dataOf(await t.gql(RefreshDocument, { refreshToken })).refreshToken;
async function auditCount(action: string, actor?: string): Promise<number> {
  const { rows } = await t.database.pool.query(
    'select count(*)::int as count from audit_events where action = $1 and ($2::uuid is null or actor_user_id = $2)',
    [action, actor ?? null],
  );
  return rows[0].count;
}

describe('refresh tokens rotate', () => {
  it('a refresh returns a new pair and retires the old token', async () => {
    const first = await login(victim);
    const second = await refresh(first.refreshToken);
    if (second.__typename !== 'AuthTokens') throw new Error(JSON.stringify(second));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(dataOf(await t.gql(MeDocument, {}, second.accessToken)).me.id).toBe(victim.id);
    const third = await refresh(second.refreshToken);
    expect(third.__typename).toBe('AuthTokens');
  });

  it('replaying a retired token revokes the whole family, the legitimate newest token included', async () => {
    const first = await login(victim);
    const rotated = await refresh(first.refreshToken);
    if (rotated.__typename !== 'AuthTokens') throw new Error('rotation failed');
    const reuse = await refresh(first.refreshToken);
    expect(reuse).toMatchObject({ __typename: 'InvalidCredentialsError', code: 'INVALID_CREDENTIALS' });
    expect(await refresh(rotated.refreshToken)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await auditCount('token.reuse_detected', victim.id)).toBeGreaterThan(0);
    // Another session of the same user is untouched.
    const other = await login(victim);
    expect((await refresh(other.refreshToken)).__typename).toBe('AuthTokens');
  });

  it('five concurrent refreshes of one token yield at most one pair', async () => {
    const session = await login(victim);
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(session.refreshToken)));
    expect(results.filter((result) => result.__typename === 'AuthTokens').length).toBeLessThanOrEqual(1);
  });

  it('revokeToken ends the session; unknown tokens are false', async () => {
    const session = await login(victim);
    expect(dataOf(await t.gql(RevokeDocument, { refreshToken: session.refreshToken })).revokeToken).toBe(true);
    expect(await refresh(session.refreshToken)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(dataOf(await t.gql(RevokeDocument, { refreshToken: 'not-a-token' })).revokeToken).toBe(false);
  });

  it('an access token is no refresh token', async () => {
    const session = await login(victim);
    expect(await refresh(session.accessToken)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('refresh tokens are stored only as hashes', async () => {
    const session = await login(victim);
    const { rows } = await t.database.pool.query('select count(*)::int as count from refresh_tokens where token_hash = $1', [session.refreshToken]);
    expect(rows[0].count).toBe(0);
  });
});

describe('two-factor sign-in (TOTP)', () => {
  it('enrol, confirm, then sign-in needs a code that works once; disabling needs a code too', async () => {
    const user = await t.user();
    const enrolled = dataOf(await t.gql(EnrollTwoFactorDocument, { password: user.password }, user.token)).enrollTwoFactor;
    if (enrolled.__typename !== 'TwoFactorEnrollment') throw new Error(JSON.stringify(enrolled));
    expect(enrolled.otpauthUri).toMatch(/^otpauth:\/\/totp\/Tally:.+secret=/);
    const { rows } = await t.database.pool.query('select totp_secret_encrypted from users where id = $1', [user.id]);
    expect(rows[0].totp_secret_encrypted).toMatch(/^v1\./);
    expect(rows[0].totp_secret_encrypted).not.toContain(enrolled.secret);

    // Steps: now (confirm), +30 s (login, within one step of skew), +30 s again (replay refused).
    const now = Math.floor(Date.now() / 1000);
    const currentCode = await generate({ secret: enrolled.secret, epoch: now });
    const nextCode = await generate({ secret: enrolled.secret, epoch: now + 30 });

    const wrongCode = currentCode === '000000' ? '000001' : '000000';
    expect(dataOf(await t.gql(ConfirmTwoFactorDocument, { password: user.password, otp: wrongCode }, user.token)).confirmTwoFactor).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const confirmed = dataOf(await t.gql(ConfirmTwoFactorDocument, { password: user.password, otp: currentCode }, user.token)).confirmTwoFactor;
    expect(confirmed).toEqual({ __typename: 'TwoFactorStatus', enabled: true });
    expect(dataOf(await t.gql(ViewerDocument, {}, user.token)).me.twoFactorEnabled).toBe(true);

    const withoutCode = dataOf(await t.gql(LoginWithOtpDocument, { username: user.username, password: user.password })).generateToken;
    expect(withoutCode).toMatchObject({ code: 'INVALID_CREDENTIALS', message: expect.stringMatching(/one-time code/) });
    const reusedConfirmCode = dataOf(await t.gql(LoginWithOtpDocument, { username: user.username, password: user.password, otp: currentCode })).generateToken;
    expect(reusedConfirmCode).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const withCode = dataOf(await t.gql(LoginWithOtpDocument, { username: user.username, password: user.password, otp: nextCode })).generateToken;
    expect(withCode.__typename).toBe('AuthTokens');
    const replayed = dataOf(await t.gql(LoginWithOtpDocument, { username: user.username, password: user.password, otp: nextCode })).generateToken;
    expect(replayed).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const wrongPasswordRightCode = dataOf(await t.gql(LoginWithOtpDocument, { username: user.username, password: 'wrong-password-0', otp: nextCode })).generateToken;
    expect(wrongPasswordRightCode).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'Unknown username or wrong password.' });

    expect(dataOf(await t.gql(DisableTwoFactorDocument, { password: user.password, otp: nextCode }, user.token)).disableTwoFactor).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    // Read the clock again: the test may have crossed a 30 s step since `now`. Three steps ahead
    // of this instant is still at least two ahead of the server's when it checks: outside the one-step window.
    const laterCode = await generate({ secret: enrolled.secret, epoch: Math.floor(Date.now() / 1000) + 90 });
    expect(dataOf(await t.gql(DisableTwoFactorDocument, { password: user.password, otp: laterCode }, user.token)).disableTwoFactor).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await auditCount('two_factor.enable', user.id)).toBeGreaterThanOrEqual(1);
  });

  it('disabling with a fresh code turns it off', async () => {
    const user = await t.user();
    const enrolled = dataOf(await t.gql(EnrollTwoFactorDocument, { password: user.password }, user.token)).enrollTwoFactor;
    if (enrolled.__typename !== 'TwoFactorEnrollment') throw new Error('enrol failed');
    const now = Math.floor(Date.now() / 1000);
    await t.gql(ConfirmTwoFactorDocument, { password: user.password, otp: await generate({ secret: enrolled.secret, epoch: now - 30 }) }, user.token);
    const disabled = dataOf(await t.gql(DisableTwoFactorDocument, { password: user.password, otp: await generate({ secret: enrolled.secret, epoch: now }) }, user.token)).disableTwoFactor;
    expect(disabled).toEqual({ __typename: 'TwoFactorStatus', enabled: false });
    expect((await login(user)).__typename).toBe('AuthTokens');
    expect(await auditCount('two_factor.disable', user.id)).toBe(1);
  });
});

describe('roles', () => {
  let operator: TestUser;
  beforeAll(async () => {
    operator = await t.user('OPERATOR');
  });

  it('an operator reads any account and its history, and each read is audited', async () => {
    const customer = await t.user();
    const accountId = await t.account(customer, { opening: '12.00' });
    expect(dataOf(await t.gql(AccountDocument, { id: accountId }, operator.token)).account).toMatchObject({ id: accountId, balance: { posted: '12.00' } });
    const history = dataOf(await t.gql(HistoryDocument, { accountId, first: 5 }, operator.token)).transactions;
    expect(history.edges).toHaveLength(1);
    expect(history.edges[0]!.node.transaction.entries.every((entry) => entry.accountId !== null)).toBe(true);
    expect(await auditCount('operator.read_account', operator.id)).toBeGreaterThanOrEqual(2);
  });

  it('an operator posts a deposit to any account, attributed to the operator, but cannot withdraw or transfer from it', async () => {
    const customer = await t.user();
    const accountId = await t.account(customer, { opening: '1.00' });
    const deposited = dataOf(
      await t.gql(DepositDocument, { input: { accountId, amount: '2500.00', channel: 'DIRECT_DEPOSIT', description: 'Payroll', idempotencyKey: randomUUID() } }, operator.token),
    ).deposit;
    if (deposited.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(deposited));
    expect(deposited.balances).toEqual([expect.objectContaining({ accountId, posted: '2501.00' })]);
    const { rows } = await t.database.pool.query('select initiated_by from ledger_transactions where id = $1', [deposited.transaction.id]);
    expect(rows[0].initiated_by).toBe(operator.id);
    expect(await auditCount('operator.deposit', operator.id)).toBeGreaterThanOrEqual(1);

    // An operator sees every account, so hiding this one would be pretence: the refusal is FORBIDDEN.
    const withdrawn = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, operator.token)).withdraw;
    expect(withdrawn).toMatchObject({ code: 'FORBIDDEN' });
    const operatorAccount = await t.account(operator);
    const moved = dataOf(await t.gql(TransferDocument, { input: { fromAccountId: accountId, toAccountId: operatorAccount, amount: '1.00', idempotencyKey: randomUUID() } }, operator.token)).transfer;
    expect(moved).toMatchObject({ code: 'FORBIDDEN' });
    expect(dataOf(await t.gql(BalanceDocument, { accountId }, customer.token)).balance).toMatchObject({ posted: '2501.00', version: 2 });
  });

  it('a customer can read, move or deposit nothing of another customer, through any field', async () => {
    const deposit = dataOf(await t.gql(DepositDocument, { input: { accountId: victimAccount, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, attacker.token)).deposit;
    const withdraw = dataOf(await t.gql(WithdrawDocument, { input: { accountId: victimAccount, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, attacker.token)).withdraw;
    const attackerAccount = await t.account(attacker);
    const transfer = dataOf(await t.gql(TransferDocument, { input: { fromAccountId: victimAccount, toAccountId: attackerAccount, amount: '1.00', idempotencyKey: randomUUID() } }, attacker.token)).transfer;
    for (const result of [deposit, withdraw, transfer]) expect(result).toMatchObject({ code: 'NOT_FOUND' });
    expect(dataOf(await t.gql(AccountDocument, { id: victimAccount }, attacker.token)).account).toBeNull();
    expect(dataOf(await t.gql(BalanceDocument, { accountId: victimAccount }, attacker.token)).balance).toBeNull();
    expect((await t.gql(HistoryDocument, { accountId: victimAccount, first: 1 }, attacker.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const victimHistory = dataOf(await t.gql(HistoryDocument, { accountId: victimAccount, first: 1 }, victim.token)).transactions;
    expect(dataOf(await t.gql(TransactionDocument, { id: victimHistory.edges[0]!.node.transaction.id }, attacker.token)).transaction).toBeNull();
  });
});

describe('REST doors', () => {
  it('POST /v1/generate_token returns the seed shape, 401 on bad credentials, 400 on a bad body', async () => {
    const post = (body: unknown) =>
      fetch(`${t.url}/v1/generate_token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post({ username: victim.username, password: victim.password });
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as { token: string; expirationTimestamp: string; refreshToken: string };
    expect(tokens).toEqual({ token: expect.any(String), expirationTimestamp: expect.any(String), refreshToken: expect.any(String) });
    expect(dataOf(await t.gql(MeDocument, {}, tokens.token)).me.id).toBe(victim.id);
    const bad = await post({ username: victim.username, password: 'nope-nope-nope' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: { code: 'INVALID_CREDENTIALS', message: 'Unknown username or wrong password.' } });
    expect((await post({ username: 7 })).status).toBe(400);
    // Clear the failure this test caused so the brute-force test below counts from zero.
    await login(victim);
  });

  it('GET /v1/balance: 401 without a token, 404 for an account not visible, 200 for your own', async () => {
    const get = (accountId: string, token?: string) =>
      fetch(`${t.url}/v1/balance?accountId=${encodeURIComponent(accountId)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await get(victimAccount)).status).toBe(401);
    expect((await get(victimAccount, 'garbage')).status).toBe(401);
    expect((await get(victimAccount, attacker.token)).status).toBe(404);
    expect((await get(randomUUID(), attacker.token)).status).toBe(404);
    const own = await get(victimAccount, victim.token);
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ accountId: victimAccount, currency: 'USD', posted: '100.00', available: '100.00', pending: '0.00', version: 1 });
  });
});

describe('rate limits', () => {
  it('40 wrong passwords for one user are limited after 10, and then even the right password waits', async () => {
    const auditBefore = (await t.database.pool.query('select coalesce(max(id), 0)::int as id from audit_events')).rows[0].id;
    const results: string[] = [];
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const result = dataOf(await t.gql(LoginDocument, { username: victim.username, password: `guess-${attempt}-xxxxxxxx` })).generateToken;
      results.push(result.__typename);
    }
    expect(results.slice(0, 10)).toEqual(Array(10).fill('InvalidCredentialsError'));
    expect(results.slice(10)).toEqual(Array(30).fill('LimitExceededError'));
    const right = dataOf(await t.gql(LoginDocument, { username: victim.username, password: victim.password })).generateToken;
    expect(right).toMatchObject({ __typename: 'LimitExceededError', code: 'LIMIT_EXCEEDED' });
    const rest = await fetch(`${t.url}/v1/generate_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: victim.username, password: victim.password }),
    });
    expect(rest.status).toBe(429);
    // Every checked guess is audited; the refused burst after them is one row for the window, not 32.
    const { rows } = await t.database.pool.query(
      `select details->>'reason' as reason, count(*)::int as count from audit_events
        where action = 'login' and outcome = 'DENIED' and target = $1 and id > $2 group by 1 order by 1`,
      [victim.username, auditBefore],
    );
    expect(rows).toEqual([{ reason: 'bad_password', count: 10 }, { reason: 'rate_limited', count: 1 }]);
  });

  it('30 parallel wrong passwords for one user: at most 10 are even checked', async () => {
    const target = await t.user();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, attempt) => t.gql(LoginDocument, { username: target.username, password: `parallel-guess-${attempt}` })),
    );
    const names = results.map((response) => dataOf(response).generateToken.__typename);
    expect(names.filter((name) => name === 'InvalidCredentialsError').length).toBeLessThanOrEqual(10);
    expect(names.filter((name) => name === 'LimitExceededError').length).toBeGreaterThanOrEqual(20);
  });

  it('money movements are limited per user, and a limited request moves nothing', async () => {
    const limited = await startTestApp({ environment: { RATE_LIMIT_MOVEMENTS_PER_MINUTE: '3' } });
    try {
      const user = await limited.user();
      const accountId = await limited.account(user, { opening: '10.00' });
      const results: Array<{ __typename: string; retryAfterSeconds?: number | null }> = [];
      for (let attempt = 0; attempt < 4; attempt += 1) {
        const result = dataOf(await limited.gql(WithdrawDocument, { input: { accountId, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() } }, user.token)).withdraw;
        results.push(result);
      }
      // The opening deposit was the cashier's, counted against the cashier's allowance, not the user's.
      expect(results.map((result) => result.__typename)).toEqual(['MoneyMovement', 'MoneyMovement', 'MoneyMovement', 'LimitExceededError']);
      // A limited answer says when the minute's allowance comes back.
      for (const refused of results.slice(3)) {
        expect(refused).toMatchObject({ retryable: true, retryAfterSeconds: expect.any(Number) });
        expect(refused.retryAfterSeconds).toBeGreaterThan(0);
        expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
      }
      expect(dataOf(await limited.gql(BalanceDocument, { accountId }, user.token)).balance).toMatchObject({ posted: '7.00', version: 4 });
      const other = await limited.user();
      const otherAccount = await limited.account(other, { opening: '1.00' });
      expect(dataOf(await limited.gql(BalanceDocument, { accountId: otherAccount }, other.token)).balance).toMatchObject({ posted: '1.00' });
    } finally {
      await limited.close();
    }
  });
});
