import { Migration } from '@mikro-orm/migrations';

/**
 * Reconciliation against the rails' statements (issue 10 §1).
 *
 * - `statement_profiles`: named column mappings, so a bank's own file imports without editing.
 *   Two are seeded: `default` (Tally's own column names) and `bank-export` (a typical bank CSV).
 * - `statement_imports` and `statement_lines`: a statement as the rail sent it. One import per
 *   (channel, file hash): importing the same file again is a replay. Lines reference their import
 *   through a deferred foreign key, so a streamed import inserts its lines as they are parsed and
 *   its header last, once the file's hash is known, all in one transaction.
 * - `reconciliation_runs`, `reconciliation_matches`, `reconciliation_breaks`: what a run found, with
 *   its inputs (the strategy configuration and the ledger entries it considered) so it can be replayed.
 * - `reconciliation_matched_entries` / `reconciliation_matched_lines`: the database's word that every
 *   ledger entry and every statement line is matched at most once, whatever two runs decided.
 * - `ledger_transactions.external_ref` is indexed (the reference strategy looks it up), and the
 *   internal accounts' entries by time (a run reads a settlement account's entries of a date range).
 */
export class Migration20261202110000_reconciliation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index ledger_transactions_external_ref on ledger_transactions (external_ref) where external_ref is not null;`);
    this.addSql(`create index entries_internal_by_time on entries (account_id, created_at) where account_version is null;`);
    this.createStatements();
    this.createRuns();
  }

  private createStatements(): void {
    this.addSql(`
create table statement_profiles (
  name text primary key check (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  columns jsonb not null,
  credit_words text[] not null default '{CREDIT,CR,C}',
  debit_words text[] not null default '{DEBIT,DR,D}',
  default_currency char(3) not null default 'USD',
  created_at timestamptz not null default now()
);`);
    this.addSql(`insert into statement_profiles (name, columns) values
  ('default', '{"date": "date", "amount": "amount", "direction": "direction", "reference": "reference", "description": "description", "currency": "currency"}'),
  ('bank-export', '{"date": "Booking Date", "amount": "Amount", "direction": "Dr/Cr", "reference": "Trace Number", "description": "Narrative", "currency": "Currency"}');`);
    this.addSql(`
create table statement_imports (
  id uuid primary key,
  channel text not null,
  profile text not null references statement_profiles (name),
  format text not null check (format in ('CSV', 'JSONL')),
  file_hash text not null,
  line_count integer not null check (line_count > 0),
  total_minor bigint not null,
  currency char(3) not null,
  currency_exponent smallint not null,
  period_from date not null,
  period_to date not null,
  imported_by uuid not null references users (id),
  idempotency_key text not null,
  created_at timestamptz not null default now(),
  constraint statement_imports_one_per_file unique (channel, file_hash),
  constraint statement_imports_one_per_key unique (imported_by, idempotency_key)
);`);
    this.addSql(`
create table statement_lines (
  id uuid primary key,
  statement_id uuid not null references statement_imports (id) deferrable initially deferred,
  line_number integer not null,
  booked_on date not null,
  amount_minor bigint not null check (amount_minor <> 0),
  reference text,
  description text,
  constraint statement_lines_number unique (statement_id, line_number)
);`);
    for (const table of ['statement_imports', 'statement_lines']) {
      this.addSql(`create trigger ${table}_append_only before update or delete on ${table} for each row execute function tally_forbid_change();`);
    }
  }

  private createRuns(): void {
    this.addSql(`
create table reconciliation_runs (
  id uuid primary key,
  statement_id uuid not null references statement_imports (id),
  channel text not null,
  status text not null check (status in ('RUNNING', 'COMPLETED')),
  config jsonb not null,
  considered_entry_ids bigint[] not null default '{}',
  considered_line_ids uuid[] not null default '{}',
  lines_total integer not null,
  lines_done integer not null default 0,
  matched_count integer not null default 0,
  matched_minor bigint not null default 0,
  unmatched_ledger_count integer not null default 0,
  unmatched_ledger_minor bigint not null default 0,
  unmatched_statement_count integer not null default 0,
  unmatched_statement_minor bigint not null default 0,
  mismatched_count integer not null default 0,
  mismatched_minor bigint not null default 0,
  net_difference_minor bigint not null default 0,
  requested_by uuid not null references users (id),
  idempotency_key text not null,
  created_at timestamptz not null,
  completed_at timestamptz,
  constraint reconciliation_runs_one_per_key unique (requested_by, idempotency_key)
);`);
    this.addSql(`create index reconciliation_runs_by_channel on reconciliation_runs (channel, created_at desc, id desc);`);
    this.addSql(`
create table reconciliation_breaks (
  id uuid primary key,
  run_id uuid not null references reconciliation_runs (id),
  kind text not null check (kind in ('UNMATCHED_STATEMENT', 'UNMATCHED_LEDGER', 'MISMATCHED')),
  line_id uuid references statement_lines (id),
  entry_ids bigint[] not null default '{}',
  amount_minor bigint not null,
  candidates uuid[] not null default '{}',
  status text not null default 'OPEN' check (status in ('OPEN', 'MATCHED', 'ADJUSTED', 'EXPECTED')),
  due_at timestamptz not null,
  created_at timestamptz not null,
  resolved_by uuid references users (id),
  resolved_at timestamptz,
  resolution_reason text,
  adjustment_transaction_id uuid references ledger_transactions (id),
  constraint reconciliation_breaks_resolution_shape check ((status = 'OPEN') = (resolved_at is null))
);`);
    this.addSql(`create index reconciliation_breaks_by_run on reconciliation_breaks (run_id, status, due_at, id);`);
    // An adjustment resolves one break: the database's word, whatever two operators raced.
    this.addSql(`create unique index reconciliation_breaks_adjusted_once on reconciliation_breaks (adjustment_transaction_id) where adjustment_transaction_id is not null;`);
    this.addSql(`
create table reconciliation_matches (
  id uuid primary key,
  run_id uuid references reconciliation_runs (id),
  break_id uuid references reconciliation_breaks (id),
  strategy text not null,
  created_at timestamptz not null
);`);
    this.addSql(`create index reconciliation_matches_by_run on reconciliation_matches (run_id);`);
    this.addSql(`
create table reconciliation_matched_entries (
  entry_id bigint primary key references entries (id),
  match_id uuid not null references reconciliation_matches (id)
);`);
    this.addSql(`
create table reconciliation_matched_lines (
  line_id uuid primary key references statement_lines (id),
  match_id uuid not null references reconciliation_matches (id)
);`);
  }
}
