import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openOrm, type Orm } from '../../src/db/orm.js';
import { ADMIN_DATABASE_URL, databaseUrl } from '../helpers/services.js';

/**
 * The currency-exponent migration on a database that already holds money: rows written while
 * amounts were parsed with ICU's digits keep their meaning (a HUF balance of 10050 minor units was
 * 10,050 forints and stays so), and the append-only guard it lifts for the backfill is back on.
 * And the next migration frees the keys that stored validation failures had used up.
 */

const BEFORE = 'Migration20261125020000_outbox';
const name = `tally_migration_${randomBytes(6).toString('hex')}`;
let admin: pg.Client;
let orm: Orm;
let pool: pg.Pool;

const userId = randomUUID();
const hufAccount = randomUUID();
const usdAccount = randomUUID();
const hufVault = randomUUID();
const transactionId = randomUUID();

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  orm = await openOrm(loadConfig({ DATABASE_URL: databaseUrl(name), JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: 'y'.repeat(32) }));
  await orm.getMigrator().up({ to: BEFORE });
  pool = new pg.Pool({ connectionString: databaseUrl(name), max: 2 });
  pool.on('error', () => undefined);
  // What the previous release left: a HUF account credited 10,050 forints (ICU: 0 digits) through the cash vault.
  await pool.query(`insert into users (id, username, email, password_hash) values ($1, 'legacy', 'legacy@example.test', 'x')`, [userId]);
  await pool.query(
    `insert into accounts (id, number, holder, type, currency, posted_minor, version) values
       ($1, '10000000001', 'CUSTOMER', 'CHECKING', 'HUF', 10050, 1), ($2, '10000000002', 'CUSTOMER', 'CHECKING', 'USD', 0, 0)`,
    [hufAccount, usdAccount],
  );
  await pool.query(`insert into accounts (id, number, holder, internal_code, currency) values ($1, 'INT-CASH_VAULT-HUF', 'INTERNAL', 'CASH_VAULT', 'HUF')`, [hufVault]);
  await pool.query(`insert into user_accounts (user_id, account_id) values ($1, $2), ($1, $3)`, [userId, hufAccount, usdAccount]);
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(
      `insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, idempotency_key, initiated_by, posted_at)
       values ($1, 'DEPOSIT', 'CASH', 'POSTED', 10050, 'HUF', 'legacy-key', $2, now())`,
      [transactionId, userId],
    );
    await client.query(
      `insert into entries (transaction_id, account_id, direction, amount_minor, currency, account_version, balance_after_minor)
       values ($1, $2, 'CREDIT', 10050, 'HUF', 1, 10050), ($1, $3, 'DEBIT', 10050, 'HUF', null, null)`,
      [transactionId, hufAccount, hufVault],
    );
    await client.query('commit');
  } finally {
    client.release();
  }
  const balance = { accountId: hufAccount, currency: 'HUF', postedMinor: '10050', pendingMinor: '0', version: 1, asOf: new Date().toISOString() };
  await pool.query(`insert into idempotency_records (user_id, key, command, request_hash, outcome) values ($1, 'legacy-key', 'deposit', 'h', $2)`, [
    userId,
    JSON.stringify({ ok: true, transactionId, balances: [balance] }),
  ]);
  await pool.query(`insert into outbox_events (account_id, account_version, payload) values ($1, 1, $2)`, [hufAccount, JSON.stringify({ ...balance, transactionId })]);
  // Two failures the previous release stored: one a validation failure (which now stores nothing), one a business failure.
  await pool.query(
    `insert into idempotency_records (user_id, key, command, request_hash, outcome) values
       ($1, 'legacy-invalid', 'deposit', 'h', '{"ok":false,"code":"VALIDATION","message":"amount may have at most 2 fraction digits in USD.","field":"amount"}'),
       ($1, 'legacy-declined', 'withdraw', 'h', '{"ok":false,"code":"INSUFFICIENT_FUNDS","message":"Not enough."}')`,
    [userId],
  );
  await orm.getMigrator().up();
});

afterAll(async () => {
  await pool?.end();
  await orm?.close(true);
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe('the currency-exponent migration', () => {
  it('gives existing accounts the ICU digits they were opened under, not ISO 4217 (which would rescale them)', async () => {
    const { rows } = await pool.query('select id, currency_exponent from accounts order by number');
    expect(Object.fromEntries(rows.map((row) => [row.id, row.currency_exponent]))).toEqual({ [hufAccount]: 0, [usdAccount]: 2, [hufVault]: 0 });
  });

  it('gives existing transactions the exponent of their accounts, and the append-only guard is back on', async () => {
    const { rows } = await pool.query('select currency_exponent from ledger_transactions where id = $1', [transactionId]);
    expect(rows).toEqual([{ currency_exponent: 0 }]);
    await expect(pool.query('update ledger_transactions set description = $1 where id = $2', ['edited', transactionId])).rejects.toMatchObject({ code: '23001' });
  });

  it('gives stored outcomes and unpublished balance events the exponent, so replays and late deliveries format as before', async () => {
    const outcome = await pool.query(`select outcome from idempotency_records where key = 'legacy-key'`);
    expect(outcome.rows[0].outcome.balances).toEqual([expect.objectContaining({ accountId: hufAccount, postedMinor: '10050', currencyExponent: 0 })]);
    const event = await pool.query('select payload from outbox_events where account_id = $1', [hufAccount]);
    expect(event.rows[0].payload).toMatchObject({ postedMinor: '10050', currencyExponent: 0 });
  });

  it('keeps internal accounts per currency and exponent: a new HUF account (ISO: 2) gets its own vault', async () => {
    await pool.query(
      `insert into accounts (id, number, holder, internal_code, currency, currency_exponent) values ($1, 'INT-CASH_VAULT-HUF-E2', 'INTERNAL', 'CASH_VAULT', 'HUF', 2)`,
      [randomUUID()],
    );
    await expect(
      pool.query(`insert into accounts (id, number, holder, internal_code, currency, currency_exponent) values ($1, 'INT-CASH_VAULT-HUF-again', 'INTERNAL', 'CASH_VAULT', 'HUF', 0)`, [randomUUID()]),
    ).rejects.toMatchObject({ code: '23505' });
  });
});

describe('the migration that frees keys used up by validation failures', () => {
  it('deletes stored VALIDATION outcomes and keeps business failures and successes', async () => {
    const { rows } = await pool.query(`select key from idempotency_records where user_id = $1 order by key`, [userId]);
    expect(rows.map((row) => row.key)).toEqual(['legacy-declined', 'legacy-key']);
  });
});
