import { Migration } from '@mikro-orm/migrations';

/**
 * The first ledger schema. Written by hand rather than generated because most of what matters
 * here is not expressible in entity metadata: the immutability triggers, the overdraft check and
 * the deferred balance check are the database's own copy of the ledger's laws (DESIGN.md), so a
 * bug in application code cannot silently break them.
 */
export class Migration20261125000000_ledger extends Migration {
  override async up(): Promise<void> {
    // Statements are queued in this order (tables before the tables and triggers that refer to them).
    this.createUsersAndAccounts();
    this.createJournal();
    this.createRequestRecords();
    this.createLawTriggers();
  }

  /** Who signs in, the accounts, and which users own which customer accounts. */
  private createUsersAndAccounts(): void {
    this.addSql(`
create table users (
  id uuid primary key,
  username text not null unique,
  email text not null,
  address text,
  password_hash text not null,
  role text not null default 'CUSTOMER' check (role in ('CUSTOMER', 'OPERATOR')),
  created_at timestamptz not null default now()
);`);

    // Customer accounts hold a stored balance and a version, locked row by row. Internal accounts
    // (cash vault, one settlement account per channel) store nothing: their balance is derived from
    // entries, so no deposit or withdrawal ever locks or updates a shared row (no global hot row).
    this.addSql(`
create table accounts (
  id uuid primary key,
  number text not null unique,
  holder text not null check (holder in ('CUSTOMER', 'INTERNAL')),
  internal_code text,
  type text check (type in ('CHECKING', 'SAVINGS')),
  status text not null default 'OPEN' check (status in ('OPEN', 'FROZEN', 'CLOSED')),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  nickname text,
  posted_minor bigint not null default 0,
  pending_minor bigint not null default 0 check (pending_minor >= 0),
  overdraft_limit_minor bigint not null default 0 check (overdraft_limit_minor >= 0),
  version integer not null default 0 check (version >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint accounts_internal_shape check (
    (holder = 'INTERNAL' and internal_code is not null and type is null and posted_minor = 0 and version = 0)
    or (holder = 'CUSTOMER' and internal_code is null and type is not null)),
  constraint accounts_no_overdraft check (
    holder = 'INTERNAL' or posted_minor - pending_minor >= -overdraft_limit_minor),
  constraint accounts_internal_code_currency unique (internal_code, currency)
);`);

    this.addSql(`
create table user_accounts (
  user_id uuid not null references users (id),
  account_id uuid not null references accounts (id),
  created_at timestamptz not null default now(),
  primary key (user_id, account_id)
);`);
    this.addSql(`create index user_accounts_account_id on user_accounts (account_id);`);
  }

  /** The append-only journal: transactions and their entries. */
  private createJournal(): void {
    this.addSql(`
create table ledger_transactions (
  id uuid primary key,
  kind text not null check (kind in ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER', 'HOLD_CAPTURE', 'REVERSAL', 'FEE', 'ADJUSTMENT')),
  channel text not null check (channel in ('CASH', 'CHECK', 'DIRECT_DEPOSIT', 'ACH', 'WIRE', 'PAYPAL', 'ZELLE', 'CARD', 'ATM', 'THIRD_PARTY', 'INTERNAL')),
  status text not null check (status in ('PENDING', 'POSTED', 'REVERSED')),
  amount_minor bigint not null check (amount_minor > 0),
  currency char(3) not null,
  description text,
  external_ref text,
  idempotency_key text not null,
  initiated_by uuid not null references users (id),
  created_at timestamptz not null default now(),
  posted_at timestamptz
);`);
    this.addSql(`create index ledger_transactions_created_at on ledger_transactions (created_at);`);

    // account_version and balance_after_minor are set for customer accounts only: they are the
    // account's history line (API.md AccountTransaction) and make "versions are 1..N" checkable.
    this.addSql(`
create table entries (
  id bigint generated always as identity primary key,
  transaction_id uuid not null references ledger_transactions (id),
  account_id uuid not null references accounts (id),
  direction text not null check (direction in ('DEBIT', 'CREDIT')),
  amount_minor bigint not null check (amount_minor > 0),
  currency char(3) not null,
  account_version integer check (account_version >= 1),
  balance_after_minor bigint,
  created_at timestamptz not null default now(),
  constraint entries_history_shape check ((account_version is null) = (balance_after_minor is null))
);`);
    this.addSql(`create unique index entries_account_version on entries (account_id, account_version) where account_version is not null;`);
    this.addSql(`create index entries_transaction_id on entries (transaction_id);`);
    this.addSql(`create index entries_account_id on entries (account_id, id);`);
  }

  /** What requests leave behind: stored outcomes per idempotency key, and refresh tokens. */
  private createRequestRecords(): void {
    this.addSql(`
create table idempotency_records (
  user_id uuid not null references users (id),
  key text not null,
  command text not null,
  request_hash text not null,
  outcome jsonb not null,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);`);

    this.addSql(`
create table refresh_tokens (
  id uuid primary key,
  user_id uuid not null references users (id),
  token_hash text not null unique,
  family_id uuid not null,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);`);
  }

  /** The database's own copy of law 1: append-only rows, and balanced transactions at commit. */
  private createLawTriggers(): void {
    // Law 1: entries and transactions are append-only. Corrections are reversal transactions.
    this.addSql(`
create function tally_forbid_change() returns trigger language plpgsql as $$
begin
  raise exception 'ledger rows are append-only: % on % is forbidden', tg_op, tg_table_name
    using errcode = 'restrict_violation';
end $$;`);
    for (const table of ['entries', 'ledger_transactions']) {
      this.addSql(`create trigger ${table}_append_only before update or delete on ${table}
        for each row execute function tally_forbid_change();`);
      this.addSql(`create trigger ${table}_no_truncate before truncate on ${table}
        for each statement execute function tally_forbid_change();`);
    }

    // Law 1 again, at commit: every transaction has at least two entries and debits equal credits.
    this.addSql(`
create function tally_check_transaction_balances() returns trigger language plpgsql as $$
declare
  entry_count integer;
  net bigint;
begin
  select count(*), coalesce(sum(case direction when 'CREDIT' then amount_minor else -amount_minor end), 0)
    into entry_count, net
    from entries where transaction_id = new.transaction_id;
  if entry_count < 2 or net <> 0 then
    raise exception 'transaction % does not balance (% entries, net %)', new.transaction_id, entry_count, net
      using errcode = 'check_violation';
  end if;
  return null;
end $$;`);
    this.addSql(`create constraint trigger entries_balance_per_transaction after insert on entries
      deferrable initially deferred for each row execute function tally_check_transaction_balances();`);
  }
}
