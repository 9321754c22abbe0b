import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ensureInternalAccounts } from '../src/ledger/persistence/internal-accounts.js';
import { fundAccounts, insertAccounts, insertUsers } from './database.js';
import { processCpuSeconds } from './server-process.js';
import { withMigratedDatabase } from './migrated-database.js';

/**
 * `npm run bench:risk-facts`: what the risk step costs PostgreSQL per movement (issue 9), in CPU
 * time of one backend, which hardly moves with a shared machine's load: one call of
 * tally_risk_facts (risk_lines, migration 20261204300000) against the per-account scan it replaced
 * (kept as tally_risk_facts_by_accounts), and what the risk_lines trigger adds to a movement's
 * write (a deposit-shaped statement, with the trigger on and off, rolled back). The database is the
 * bench's: 100 users × 100 accounts, each funded by a cash deposit today (100 cash lines per
 * customer), plus BENCH_RISK_WITHDRAWALS (default 20) ACH withdrawals per customer (velocity lines).
 * BENCH_DATABASE_URL / BENCH_DATABASE_NAME as for `npm run bench` (its own database, dropped after).
 */
const adminUrl = process.env.BENCH_DATABASE_URL || 'postgres://root@127.0.0.1:5432/postgres';
const name = `${process.env.BENCH_DATABASE_NAME || 'tally_bench'}_risk_cost`;
const USERS = 100;
const ACCOUNTS_PER_USER = 100;
const WITHDRAWALS = Number(process.env.BENCH_RISK_WITHDRAWALS ?? 20);
const CALLS = 2000;
const WRITES = 2000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

/** The bench's customers and accounts, funded; returns one account per customer and a vault id. */
async function seed(url: string, client: pg.Client, orm: MikroORM): Promise<{ accounts: string[]; vault: string; user: string }> {
  const users = await insertUsers(url, Array.from({ length: USERS }, (_, index) => `risk-cost-${index}`), 'not-a-hash');
  const owners = users.flatMap((user) => Array.from({ length: ACCOUNTS_PER_USER }, () => ({ userId: user.id, accountId: randomUUID() })));
  await insertAccounts(url, owners, 'USD');
  await ensureInternalAccounts(orm.em.fork(), { currency: 'USD', exponent: 2 });
  await fundAccounts(url, 100_000, 'USD');
  const vault = (await client.query<{ id: string }>(`select e.account_id as id from entries e where e.account_version is null limit 1`)).rows[0]!.id;
  // Velocity lines: each customer's first accounts withdraw 1.00 by ACH, as version 2, in the last hour.
  const withdrawing = users.flatMap((user) => owners.filter((owner) => owner.userId === user.id).slice(0, WITHDRAWALS));
  await client.query(
    `with t as (
       insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by, created_at, posted_at)
       select gen_random_uuid(), 'WITHDRAWAL', 'ACH', 'POSTED', 100, 'USD', 2, 'risk-cost-' || a.account_id, a.user_id, now() - interval '30 minutes', now()
         from unnest($1::uuid[], $2::uuid[]) as a(account_id, user_id)
       returning id, idempotency_key)
     insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer, account_version, balance_after_minor, pending_after_minor, created_at)
     select t.id, substr(t.idempotency_key, 11)::uuid, 'DEBIT', 100, 'USD', 'POSTED', 2, 99900, 0, now() - interval '30 minutes' from t
     union all select t.id, $3::uuid, 'CREDIT', 100, 'USD', 'POSTED', null, null, null, now() - interval '30 minutes' from t`,
    [withdrawing.map((owner) => owner.accountId), withdrawing.map((owner) => owner.userId), vault],
  );
  if (process.env.BENCH_VACUUM !== 'off') await client.query('vacuum analyze');
  const accounts = users.map((user) => owners.find((owner) => owner.userId === user.id)!.accountId);
  return { accounts, vault, user: users[0]!.id };
}

/** CPU ms of this client's backend per call of `fn`, CALLS calls over the customers' accounts. */
async function factsCost(client: pg.Client, pid: number, fn: string, accounts: readonly string[]): Promise<number> {
  const batch = Array.from({ length: 100 }, (_, index) => accounts[index % accounts.length]!);
  const before = processCpuSeconds(pid)!;
  for (let done = 0; done < CALLS; done += batch.length) {
    await client.query(`select count(${fn}(a, null, now(), now() - interval '12 hours', now() + interval '12 hours')) from unnest($1::uuid[]) a`, [batch]);
  }
  return ((processCpuSeconds(pid)! - before) * 1000) / CALLS;
}

/** CPU ms of this client's backend per deposit-shaped write (a transaction and its two entries), rolled back. */
async function writeCost(client: pg.Client, pid: number, seeded: { accounts: string[]; vault: string; user: string }, trigger: boolean): Promise<number> {
  await client.query('begin');
  if (!trigger) await client.query('alter table entries disable trigger entries_risk_lines');
  const before = processCpuSeconds(pid)!;
  for (let index = 0; index < WRITES; index += 1) {
    await client.query(
      `with t as (
         insert into ledger_transactions (id, kind, channel, status, amount_minor, currency, currency_exponent, idempotency_key, initiated_by, posted_at)
         values (gen_random_uuid(), 'DEPOSIT', 'CASH', 'POSTED', 100, 'USD', 2, 'risk-cost-write', $3, now()) returning id)
       insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer, account_version, balance_after_minor, pending_after_minor)
       select t.id, $1::uuid, 'CREDIT', 100, 'USD', 'POSTED', $4::integer, 0, 0 from t
       union all select t.id, $2::uuid, 'DEBIT', 100, 'USD', 'POSTED', null, null, null from t`,
      [seeded.accounts[index % seeded.accounts.length], seeded.vault, seeded.user, 1000 + index],
    );
  }
  const cost = ((processCpuSeconds(pid)! - before) * 1000) / WRITES;
  await client.query('rollback');
  return cost;
}

async function main(): Promise<void> {
  // BENCH_KEEP_DATABASE=on leaves it for EXPLAIN by hand (drop it after).
  await withMigratedDatabase(adminUrl, name, async ({ url, orm, client }) => {
    const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const seeded = await seed(url, client, orm);
    // Unmeasured first calls: each function's plans are made once per connection.
    await factsCost(client, pid, 'tally_risk_facts', seeded.accounts);
    await factsCost(client, pid, 'tally_risk_facts_by_accounts', seeded.accounts);
    for (let round = 1; round <= ROUNDS; round += 1) {
      const lines = await factsCost(client, pid, 'tally_risk_facts', seeded.accounts);
      const byAccounts = await factsCost(client, pid, 'tally_risk_facts_by_accounts', seeded.accounts);
      // In turn first and second: rolled-back writes leave dead index entries that slow the next.
      const first = round % 2 === 1;
      const firstCost = await writeCost(client, pid, seeded, first);
      const secondCost = await writeCost(client, pid, seeded, !first);
      const [withTrigger, without] = first ? [firstCost, secondCost] : [secondCost, firstCost];
      process.stdout.write(
        `round ${round}: facts per call ${lines.toFixed(3)} ms (risk_lines) vs ${byAccounts.toFixed(3)} ms (per account); ` +
          `deposit write ${withTrigger.toFixed(3)} ms with the risk_lines trigger vs ${without.toFixed(3)} ms without (PostgreSQL CPU, load ${loadavg()[0]!.toFixed(2)})\n`,
      );
    }
  }, process.env.BENCH_KEEP_DATABASE === 'on');
}

await main();
