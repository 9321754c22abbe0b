import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepositDocument, PayeeDocument, WithdrawDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * GET /metrics (src/transport/metrics-endpoint.ts, src/metrics/): refused without the token,
 * served with it, and the counters move as money moves: once per movement, by kind and outcome,
 * refusals by their code, rate-limit refusals by limit. Values are read as differences, so
 * the sign-ins and opening deposits of the test's own set-up do not matter.
 */

const METRICS_TOKEN = `metrics-${randomUUID()}`;

/** One sample's value from Prometheus's text format; 0 when the series is absent (never counted). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]));
    if (wanted.every(([key, value]) => present.get(key) === value)) return Number(match[3]);
  }
  return 0;
}

describe('GET /metrics', () => {
  let t: TestApp;
  let untokened: TestApp;

  const scrape = async (authorization?: string) =>
    fetch(`${t.url}/metrics`, { headers: authorization ? { authorization } : {} });
  const metrics = async () => {
    const response = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    t = await startTestApp({ environment: { METRICS_TOKEN, RATE_LIMIT_PAYEE_LOOKUPS_PER_HOUR: '1' } });
    untokened = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
    await untokened?.close();
  });

  it('is not served at all without METRICS_TOKEN, and refuses a missing or wrong token', async () => {
    expect((await fetch(`${untokened.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(404);
    const missing = await scrape();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await missing.text()).not.toMatch(/tally_/);
    expect((await scrape(`Bearer ${METRICS_TOKEN}x`)).status).toBe(401);
    expect((await scrape(METRICS_TOKEN)).status).toBe(401);
  });

  it('serves Prometheus text with the token, naming every group of metrics', async () => {
    const response = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = await response.text();
    for (const name of [
      'tally_movements_total',
      'tally_command_duration_seconds',
      'tally_command_retries_total',
      'tally_command_batch_size',
      'tally_graphql_request_duration_seconds',
      'tally_outbox_backlog',
      'tally_outbox_lag_seconds',
      'tally_outbox_published_total',
      'tally_websocket_connections',
      'tally_subscriptions',
      'tally_subscription_deliveries_total',
      'tally_db_pool_connections',
      'tally_db_pool_wait_seconds',
      'tally_scheduler_lag_seconds',
      'tally_rate_limit_refusals_total',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    for (const scheduler of ['hold-expiry', 'availability-release', 'review-timeout', 'dispute-deadline']) {
      expect(text).toMatch(new RegExp(`^tally_scheduler_lag_seconds\\{scheduler="${scheduler}"\\} \\d`, 'm'));
    }
    // This scrape's own pooled query was lent and given back: the pool was used.
    expect(sample(text, 'tally_db_pool_wait_seconds_count', { result: 'acquired' })).toBeGreaterThan(0);
  });

  it('counts a deposit once, its replay as a replay, and a refusal by its code', async () => {
    const alice = await t.user();
    const accountId = await t.account(alice);
    const cashier = await t.cashier();
    const before = await metrics();
    const deposited = { kind: 'deposit', outcome: 'OK', replayed: 'false' };
    const input = { accountId, amount: '40.00', channel: 'CASH' as const, idempotencyKey: randomUUID() };

    expect(dataOf(await t.gql(DepositDocument, { input }, cashier.token)).deposit.__typename).toBe('MoneyMovement');
    const afterDeposit = await metrics();
    expect(sample(afterDeposit, 'tally_movements_total', deposited) - sample(before, 'tally_movements_total', deposited)).toBe(1);
    expect(sample(afterDeposit, 'tally_command_batch_size_count') - sample(before, 'tally_command_batch_size_count')).toBe(1);
    expect(sample(afterDeposit, 'tally_command_duration_seconds_count', { command: 'deposit', result: 'committed' }) - sample(before, 'tally_command_duration_seconds_count', { command: 'deposit', result: 'committed' })).toBe(1);
    expect(sample(afterDeposit, 'tally_graphql_request_duration_seconds_count', { operation: 'deposit', type: 'mutation' }) - sample(before, 'tally_graphql_request_duration_seconds_count', { operation: 'deposit', type: 'mutation' })).toBe(1);

    // The same request again is answered from its key: counted as a replay, not a second deposit.
    const replay = dataOf(await t.gql(DepositDocument, { input }, cashier.token)).deposit;
    expect(replay).toMatchObject({ __typename: 'MoneyMovement', replayed: true });
    const afterReplay = await metrics();
    expect(sample(afterReplay, 'tally_movements_total', deposited)).toBe(sample(afterDeposit, 'tally_movements_total', deposited));
    expect(sample(afterReplay, 'tally_movements_total', { ...deposited, replayed: 'true' }) - sample(afterDeposit, 'tally_movements_total', { ...deposited, replayed: 'true' })).toBe(1);

    const refused = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '40.01', channel: 'ACH', idempotencyKey: randomUUID() } }, alice.token)).withdraw;
    expect(refused).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    const afterRefusal = await metrics();
    const insufficient = { kind: 'withdraw', outcome: 'INSUFFICIENT_FUNDS', replayed: 'false' };
    expect(sample(afterRefusal, 'tally_movements_total', insufficient) - sample(afterReplay, 'tally_movements_total', insufficient)).toBe(1);
    expect(sample(afterRefusal, 'tally_movements_total', { kind: 'withdraw', outcome: 'OK' })).toBe(sample(afterReplay, 'tally_movements_total', { kind: 'withdraw', outcome: 'OK' }));

    // The deposit's balance event went through the relay: published, and the backlog drains to none.
    await expect.poll(async () => sample(await metrics(), 'tally_outbox_backlog'), { timeout: 5_000 }).toBe(0);
    expect(sample(afterRefusal, 'tally_outbox_published_total')).toBeGreaterThan(sample(before, 'tally_outbox_published_total'));
  });

  it('counts a unit the envelope ran again once as a retry, and its movement once', async () => {
    const bob = await t.user();
    const accountId = await t.account(bob);
    const cashier = await t.cashier();
    // The next transaction written fails once with a serialization failure (a sequence is not rolled back with it).
    await t.database.pool.query(`create sequence metrics_fail_once`);
    await t.database.pool.query(`create function metrics_fail_once() returns trigger language plpgsql as $$
      begin
        if nextval('metrics_fail_once') = 1 then raise exception 'forced by the metrics test' using errcode = '40001'; end if;
        return new;
      end $$`);
    await t.database.pool.query(`create trigger metrics_fail_once before insert on ledger_transactions for each row execute function metrics_fail_once()`);
    try {
      const before = await metrics();
      const deposit = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '5.00', channel: 'CASH', idempotencyKey: randomUUID() } }, cashier.token)).deposit;
      expect(deposit).toMatchObject({ __typename: 'MoneyMovement', replayed: false });
      const after = await metrics();
      expect(sample(after, 'tally_command_retries_total', { sqlstate: '40001' }) - sample(before, 'tally_command_retries_total', { sqlstate: '40001' })).toBe(1);
      const deposited = { kind: 'deposit', outcome: 'OK', replayed: 'false' };
      expect(sample(after, 'tally_movements_total', deposited) - sample(before, 'tally_movements_total', deposited)).toBe(1);
      expect(sample(after, 'tally_command_batch_size_count') - sample(before, 'tally_command_batch_size_count')).toBe(1);
    } finally {
      await t.database.pool.query(`drop trigger metrics_fail_once on ledger_transactions; drop function metrics_fail_once(); drop sequence metrics_fail_once`);
    }
  });

  it('counts rate-limit refusals by limit', async () => {
    const payer = await t.user();
    const before = sample(await metrics(), 'tally_rate_limit_refusals_total', { limit: 'payee-lookups' });
    await t.gql(PayeeDocument, { accountNumber: '000000000000' }, payer.token);
    expect(sample(await metrics(), 'tally_rate_limit_refusals_total', { limit: 'payee-lookups' })).toBe(before);
    const limited = await t.gql(PayeeDocument, { accountNumber: '000000000000' }, payer.token);
    expect(limited.errors?.[0]?.extensions?.code).toBe('LIMIT_EXCEEDED');
    expect(sample(await metrics(), 'tally_rate_limit_refusals_total', { limit: 'payee-lookups' }) - before).toBe(1);
  });
});
