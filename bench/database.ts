import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { luhnCheckDigit } from '../src/ledger/account-number.js';
import { internalAccountCode } from '../src/ledger/decide/internal-accounts.js';
import { isoExponent } from '../src/ledger/money.js';

/** The exponent openAccount stores for a currency (the bench opens accounts behind its back). */
function benchExponent(currency: string): number {
  const exponent = isoExponent(currency);
  if (exponent === undefined) throw new Error(`${currency} is not a currency an account may hold`);
  return exponent;
}

/** A database name is spliced into DDL (no placeholders there), so only plain identifiers pass. */
const DATABASE_NAME_SHAPE = /^[a-z_][a-z0-9_]{0,62}$/;

export function databaseUrlFor(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withClient<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function runAdmin(adminUrl: string, sql: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    await client.query(sql);
  });
}

/** Drops (forcing out leftover sessions of an aborted run) and creates the bench database. */
export async function recreateDatabase(adminUrl: string, name: string): Promise<void> {
  if (!DATABASE_NAME_SHAPE.test(name)) throw new Error(`unsafe database name ${name}`);
  await runAdmin(adminUrl, `drop database if exists ${name} with (force)`);
  await runAdmin(adminUrl, `create database ${name}`);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!DATABASE_NAME_SHAPE.test(name)) throw new Error(`unsafe database name ${name}`);
  await runAdmin(adminUrl, `drop database if exists ${name} with (force)`);
}

export interface SeededUser {
  readonly id: string;
  readonly username: string;
}

/**
 * The rails a bench user's service posts on: cash deposits (the movements scenario), ATM
 * withdrawals and card authorizations and captures (the holds scenario). Customers may do none of
 * these themselves (README "Who may do what").
 */
const BENCH_SERVICE_CHANNELS = ['CASH', 'ATM', 'CARD'];

/**
 * Inserts users that share one argon2 hash (customers, or with `cashService` the rails services
 * that post the bench's cash, ATM and card movements); the server signs them in like any other user.
 */
export async function insertUsers(databaseUrl: string, usernames: readonly string[], passwordHash: string, { cashService = false } = {}): Promise<SeededUser[]> {
  const users = usernames.map((username) => ({ id: randomUUID(), username }));
  await withClient(databaseUrl, (client) =>
    client.query(
      `insert into users (id, username, email, password_hash, role, channels)
       select id, username, username || '@bench.example', $3, $4, $5::text[]
         from unnest($1::uuid[], $2::text[]) as u(id, username)`,
      [users.map((user) => user.id), users.map((user) => user.username), passwordHash, cashService ? 'SERVICE' : 'CUSTOMER', cashService ? BENCH_SERVICE_CHANNELS : []],
    ),
  );
  return users;
}

/** The cash service that posts a bench user's cash deposits: one per user, so per-user caps weigh as they did when customers deposited cash. */
export function cashServiceOf(username: string): string {
  return `${username}-cash`;
}

/**
 * A bench account number: a "9" and a nine-digit serial plus the Luhn digit, the same shape as
 * the server's random numbers, but drawn without collisions among ten thousand.
 */
function benchAccountNumber(serial: number): string {
  const digits = `9${String(serial).padStart(9, '0')}`;
  return digits + String(luhnCheckDigit(digits));
}

/**
 * Inserts open customer accounts at zero (version 0, no entries), exactly the state openAccount
 * leaves them in, and links each to its owner. Balances come later from real deposits.
 */
export async function insertAccounts(
  databaseUrl: string,
  owners: readonly { readonly userId: string; readonly accountId: string }[],
  currency: string,
): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query('begin');
    await client.query(
      `insert into accounts (id, number, holder, type, currency, currency_exponent)
       select id, number, 'CUSTOMER', 'CHECKING', $3, $4 from unnest($1::uuid[], $2::text[]) as a(id, number)`,
      [owners.map((owner) => owner.accountId), owners.map((_, serial) => benchAccountNumber(serial)), currency, benchExponent(currency)],
    );
    await client.query(
      `insert into user_accounts (user_id, account_id) select * from unnest($1::uuid[], $2::uuid[])`,
      [owners.map((owner) => owner.userId), owners.map((owner) => owner.accountId)],
    );
    await client.query('commit');
  });
}

/**
 * Gives every customer account still at version 0 an opening CASH deposit, written exactly as the
 * server writes one (src/ledger/persistence/write-movement.ts): a POSTED transaction, a POSTED CREDIT
 * to the customer with version 1 and its balances after, a DEBIT to the cash vault, and the stored
 * balance. All in one database transaction, so the deferred balance trigger checks every one at
 * commit. Through the API this would be 10,000 requests, over a minute on two cores.
 * Returns the number of transactions written.
 */
export async function fundAccounts(databaseUrl: string, amountMinor: number, currency: string): Promise<number> {
  return withClient(databaseUrl, async (client) => {
    await client.query('begin');
    const vault = await client.query<{ id: string }>(
      `select id from accounts where holder = 'INTERNAL' and internal_code = $1 and currency = $2 and currency_exponent = $3`,
      [internalAccountCode('CASH'), currency, benchExponent(currency)],
    );
    const vaultId = vault.rows[0]?.id;
    if (!vaultId) throw new Error(`no internal ${internalAccountCode('CASH')} account in ${currency}`);
    const funded = await client.query<{ account_id: string; user_id: string }>(
      `update accounts a set posted_minor = $1, version = 1, updated_at = now()
         from user_accounts ua
        where ua.account_id = a.id and a.holder = 'CUSTOMER' and a.currency = $2 and a.version = 0
       returning a.id as account_id, ua.user_id`,
      [amountMinor, currency],
    );
    const transactionIds = funded.rows.map(() => randomUUID());
    await client.query(
      `insert into ledger_transactions
         (id, kind, channel, status, amount_minor, currency, currency_exponent, description, idempotency_key, initiated_by, posted_at)
       select id, 'DEPOSIT', 'CASH', 'POSTED', $3::bigint, $4::text, $5, 'bench opening balance', 'bench-opening-' || id, user_id, now()
         from unnest($1::uuid[], $2::uuid[]) as t(id, user_id)`,
      [transactionIds, funded.rows.map((row) => row.user_id), amountMinor, currency, benchExponent(currency)],
    );
    await client.query(
      `insert into entries (transaction_id, account_id, direction, amount_minor, currency, layer, account_version, balance_after_minor, pending_after_minor)
       select id, account_id, 'CREDIT', $3::bigint, $4::text, 'POSTED', 1, $3::bigint, 0::bigint from unnest($1::uuid[], $2::uuid[]) as t(id, account_id)
       union all
       select id, $5::uuid, 'DEBIT', $3::bigint, $4::text, 'POSTED', null, null, null from unnest($1::uuid[]) as t(id)`,
      [transactionIds, funded.rows.map((row) => row.account_id), amountMinor, currency, vaultId],
    );
    await client.query('commit');
    return transactionIds.length;
  });
}

/**
 * Statistics for the tables setup just filled in bulk (10,000 accounts, owners and opening
 * deposits), as PostgreSQL's documentation asks after a bulk load: until autovacuum's first pass
 * (up to a minute), plans are made for empty tables, and plpgsql keeps them per connection. Seen
 * on a fresh database: one risk facts call took 0.24 ms before `analyze entries` and 0.13 ms after.
 * Outside every measured phase; both sides of an A/B start from it.
 */
export async function analyzeAfterBulkLoad(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query('analyze accounts, user_accounts, entries, ledger_transactions, risk_lines, idempotency_records, users');
  });
}

/**
 * The ledger's laws that load could break, checked in SQL after the run, plus exactly-once:
 * the database holds one transaction per acknowledged success, no more and no fewer.
 */
const LAW_CHECKS: Readonly<Record<string, string>> = {
  'debits equal credits in every transaction, per layer': `
    select transaction_id from entries group by transaction_id, layer
    having sum(case direction when 'CREDIT' then amount_minor else -amount_minor end) <> 0
    union all
    select transaction_id from entries group by transaction_id having count(*) < 2`,
  'each customer balance equals the sum of its POSTED entries, versions 1..N': `
    select a.id from accounts a left join entries e on e.account_id = a.id
     where a.holder = 'CUSTOMER' group by a.id
    having a.posted_minor <> coalesce(sum(case when e.layer <> 'POSTED' then 0 when e.direction = 'CREDIT' then e.amount_minor else -e.amount_minor end), 0)
        or count(e.account_version) <> a.version or coalesce(min(e.account_version), 1) <> 1
        or coalesce(max(e.account_version), 0) <> a.version`,
  // The holds scenario's: what an account has pending is minus its PENDING entries, and exactly
  // what its active holds still hold.
  'each customer pending balance equals minus its PENDING entries and its active holds': `
    select a.id from accounts a
     where a.holder = 'CUSTOMER' and (
       a.pending_minor <> coalesce((select sum(case e.direction when 'DEBIT' then e.amount_minor else -e.amount_minor end)
                                      from entries e where e.account_id = a.id and e.layer = 'PENDING'), 0)
       or a.pending_minor <> coalesce((select sum(h.amount_minor - h.captured_minor) from holds h where h.account_id = a.id and h.status = 'ACTIVE'), 0))`,
  'the total over all accounts is zero per currency and layer': `
    select currency, layer from entries group by currency, layer
    having sum(case direction when 'CREDIT' then amount_minor else -amount_minor end) <> 0`,
  'no customer account is overdrawn': `
    select id from accounts where holder = 'CUSTOMER' and posted_minor - pending_minor < -overdraft_limit_minor`,
};

export async function brokenLaws(databaseUrl: string, acknowledgedTransactions: number): Promise<string[]> {
  return withClient(databaseUrl, async (client) => {
    const broken: string[] = [];
    for (const [law, sql] of Object.entries(LAW_CHECKS)) {
      const { rows } = await client.query(`${sql} limit 3`);
      if (rows.length > 0) broken.push(`${law}: ${JSON.stringify(rows)}`);
    }
    const { rows } = await client.query<{ count: string }>('select count(*)::text as count from ledger_transactions');
    const stored = Number(rows[0]?.count ?? 0);
    if (stored !== acknowledgedTransactions) {
      broken.push(`exactly once: ${stored} transactions stored, ${acknowledgedTransactions} acknowledged`);
    }
    return broken;
  });
}

/**
 * BENCH_RISK=on measures the risk step with the built-in rules in place, but the bench users
 * would trip two of them within seconds (100 accounts each, movements every few milliseconds):
 * the velocity rule (more than 5 movements leaving a customer in 10 minutes) and the cash rule
 * (10,000.00 of cash deposits in a banking day). Version 2 of each, saved here as an operator's
 * edit would be, keeps its condition's shape and features but raises its threshold out of reach,
 * so every movement reads the same facts and runs the same rules and none goes to review.
 */
export async function raiseBenchRiskThresholds(databaseUrl: string): Promise<void> {
  const raised: Record<string, string> = {
    'rapid-outgoing-movements': 'leavesCustomer && outgoing.count_10m >= 1000000000',
    'cash-over-10000-per-banking-day':
      'channel == "CASH" && ((kind == "DEPOSIT" && cashDepositedToday + amount > 1000000000000) || (kind == "WITHDRAWAL" && cashWithdrawnToday + amount > 1000000000000))',
  };
  await withClient(databaseUrl, async (client) => {
    for (const [id, condition] of Object.entries(raised)) {
      const { rowCount } = await client.query(
        `insert into risk_rules (id, version, name, condition, action, reason, public_message, priority, enabled, currency, created_at, created_by)
         select id, version + 1, name, $2, action, reason, public_message, priority, enabled, currency, now(), created_by
           from risk_rules where id = $1 order by version desc limit 1`,
        [id, condition],
      );
      if (rowCount !== 1) throw new Error(`the built-in risk rule ${id} was not found`);
    }
  });
}

/**
 * BENCH_JOURNAL_TRIGGERS=off: the journal's record triggers (named `<table>_journal_<event>` and
 * `ledger_transactions_journal` by their migrations) disabled in the bench database only, so a run
 * measures the ledger without writing journal records. The append-only triggers stay on.
 */
/**
 * BENCH_RISK_LINES=off: the trigger that copies history lines into risk_lines (migration
 * 20261204300000) disabled in the bench database only, with the risk step off too: what main ran
 * before risk_lines, so that risk on against this is the whole step's cost, the lines' writing
 * included. Never with the step on: its facts would miss every line written meanwhile.
 */
export async function disableRiskLines(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query(`alter table entries disable trigger entries_risk_lines`);
  });
}

export async function disableJournalTriggers(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ table: string; name: string }>(
      `select c.relname as table, t.tgname as name from pg_trigger t join pg_class c on c.oid = t.tgrelid
        where not t.tgisinternal and t.tgname ~ '_journal(_insert|_update)?$'`,
    );
    if (!rows.some((row) => row.name === 'ledger_transactions_journal')) throw new Error('the movements journal trigger was not found');
    for (const row of rows) await client.query(`alter table ${client.escapeIdentifier(row.table)} disable trigger ${client.escapeIdentifier(row.name)}`);
  });
}
