import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepositDocument } from '../generated/graphql.js';
import { postGraphQL } from '../helpers/graphql-client.js';
import { brokenLaws } from '../helpers/laws.js';
import { ADMIN_DATABASE_URL } from '../helpers/services.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * PostgreSQL refusing a new connection because it has no slot left (53300, "sorry, too many
 * clients already", or a role's connection limit) is a busy server, not a bug: the unit never
 * began, so the envelope runs it again, and a request that still finds no connection is answered
 * "busy, retry" (SERVICE_UNAVAILABLE), never "internal server error". A bench run beside other
 * work on the box met it as internal errors. Real PostgreSQL: the app connects as a role allowed
 * CONNECTION_LIMIT connections while its pool may open more, and twenty deposits race for them.
 */
const CONNECTION_LIMIT = 2;
const DEPOSITS = 20;
const role = `tally_limited_${randomBytes(4).toString('hex')}`;

async function asAdmin(database: string, sql: string): Promise<void> {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let t: TestApp;
let limited: TestApp;
let customer: TestUser;
let cashier: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  customer = await t.user();
  cashier = await t.cashier();
  await t.disableRiskRules();
  await asAdmin(
    t.database.name,
    `create role ${role} login connection limit ${CONNECTION_LIMIT};
     grant usage on schema public to ${role};
     grant all on all tables in schema public to ${role};
     grant all on all sequences in schema public to ${role};`,
  );
  const url = new URL(t.database.url);
  url.username = role;
  url.password = '';
  // A second app on the same database, connecting as the limited role with room in its pool for more.
  limited = await startTestApp({ environment: { DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: '8' } });
}, 60_000);

afterAll(async () => {
  await limited?.close();
  await t?.close();
  await asAdmin('postgres', `drop role if exists ${role}`).catch(() => undefined);
});

describe('a connection refused for want of a slot', () => {
  it('is retried or answered "busy, retry", never an internal error, and moves each deposit at most once', async () => {
    const accountId = await t.account(customer);
    const keys = Array.from({ length: DEPOSITS }, () => randomUUID());
    const answers = await Promise.all(
      keys.map((idempotencyKey) => postGraphQL(limited.url, DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey } }, cashier.token)),
    );
    const codes = answers.map((answer) => answer.data?.deposit?.__typename ?? answer.errors?.[0]?.extensions?.code);
    expect(codes.filter((code) => code !== 'MoneyMovement' && code !== 'SERVICE_UNAVAILABLE'), JSON.stringify(answers.find((answer) => answer.errors))).toEqual([]);
    const acknowledged = codes.filter((code) => code === 'MoneyMovement').length;
    expect(acknowledged, 'most deposits get a connection once one is free').toBeGreaterThan(0);
    const { rows } = await t.database.pool.query<{ count: number }>(`select count(*)::int as count from ledger_transactions t join entries e on e.transaction_id = t.id where e.account_id = $1`, [accountId]);
    // Each acknowledged deposit once; an unanswered one may have committed, but only once (its key).
    expect(rows[0]!.count).toBeGreaterThanOrEqual(acknowledged);
    expect(rows[0]!.count).toBeLessThanOrEqual(DEPOSITS);
    expect(await brokenLaws(t.database.pool)).toEqual([]);
  });
});
