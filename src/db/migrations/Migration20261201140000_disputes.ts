import { Migration } from '@mikro-orm/migrations';

/**
 * Disputes (issue 9 §2), kept as holds are: a `disputes` row with the mutable state (status, the
 * deadlines, the money steps' transactions) beside an append-only `dispute_events` table, one row
 * per step with its actor and time. The database guards what the code decides:
 * - a dispute's status moves only along the state machine (src/ledger/disputes/dispute-states.ts);
 * - at most one dispute per transaction that is not WITHDRAWN (a resolved dispute is not reopened:
 *   that could credit the same debit twice);
 * - the provisional credit and its reversal are each set once and never changed;
 * - events are never updated or deleted, and number 1..N per dispute.
 */
export class Migration20261201140000_disputes extends Migration {
  override async up(): Promise<void> {
    this.createDisputes();
    this.createEvents();
    this.guardTransitions();
  }

  private createDisputes(): void {
    this.addSql(`
create table disputes (
  id uuid primary key,
  transaction_id uuid not null references ledger_transactions (id),
  account_id uuid not null references accounts (id),
  status text not null check (status in ('OPEN', 'INVESTIGATING', 'PROVISIONALLY_CREDITED', 'RESOLVED_CUSTOMER', 'RESOLVED_BANK', 'WITHDRAWN')),
  reason text not null check (reason in ('UNAUTHORIZED', 'WRONG_AMOUNT', 'NOT_RECEIVED', 'DUPLICATE', 'OTHER')),
  description text,
  amount_minor bigint not null check (amount_minor > 0),
  currency char(3) not null,
  currency_exponent smallint not null,
  opened_by uuid not null references users (id),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  provisional_credit_by timestamptz not null,
  resolution_by timestamptz not null,
  reversal_noticed_at timestamptz,
  reversal_not_before timestamptz,
  credit_transaction_id uuid references ledger_transactions (id),
  credit_reversal_transaction_id uuid references ledger_transactions (id),
  constraint disputes_notice_shape check ((reversal_noticed_at is null) = (reversal_not_before is null)),
  constraint disputes_reversal_needs_credit check (credit_reversal_transaction_id is null or credit_transaction_id is not null)
);`);
    this.addSql(`create unique index disputes_one_per_transaction on disputes (transaction_id) where status <> 'WITHDRAWN';`);
    this.addSql(`create index disputes_account on disputes (account_id, created_at, id);`);
    // Query.disputes: nearest deadline first (the order and the expression of queries/disputes.ts).
    this.addSql(`create index disputes_by_next_deadline on disputes ((coalesce(case when status in ('OPEN', 'INVESTIGATING') then least(provisional_credit_by, resolution_by)
      when status = 'PROVISIONALLY_CREDITED' then resolution_by end, 'infinity'::timestamptz)), id);`);
    // The scheduler's scan: disputes still waiting for their provisional credit, soonest first.
    this.addSql(`create index disputes_credit_due on disputes (provisional_credit_by) where status in ('OPEN', 'INVESTIGATING');`);
  }

  private createEvents(): void {
    this.addSql(`
create table dispute_events (
  dispute_id uuid not null references disputes (id),
  sequence integer not null check (sequence >= 1),
  step text not null check (step in ('OPENED', 'INVESTIGATION_STARTED', 'PROVISIONALLY_CREDITED', 'REVERSAL_NOTICED', 'RESOLVED_CUSTOMER', 'RESOLVED_BANK', 'WITHDRAWN')),
  status text not null,
  actor_id uuid not null references users (id),
  note text,
  transaction_id uuid references ledger_transactions (id),
  created_at timestamptz not null,
  primary key (dispute_id, sequence)
);`);
    this.addSql(`create trigger dispute_events_append_only before update or delete on dispute_events for each row execute function tally_forbid_change();`);
    this.addSql(`create trigger dispute_events_no_truncate before truncate on dispute_events for each statement execute function tally_forbid_change();`);
  }

  private guardTransitions(): void {
    this.addSql(`
create function tally_guard_dispute_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'disputes are never deleted';
  end if;
  if new.id <> old.id or new.transaction_id <> old.transaction_id or new.account_id <> old.account_id or new.amount_minor <> old.amount_minor
     or new.currency <> old.currency or new.created_at <> old.created_at or new.opened_by <> old.opened_by then
    raise exception 'a dispute''s subject never changes';
  end if;
  if old.credit_transaction_id is not null and new.credit_transaction_id is distinct from old.credit_transaction_id
     or old.credit_reversal_transaction_id is not null and new.credit_reversal_transaction_id is distinct from old.credit_reversal_transaction_id
     or old.reversal_noticed_at is not null and new.reversal_noticed_at is distinct from old.reversal_noticed_at then
    raise exception 'a dispute''s money steps and notice are set once';
  end if;
  if (old.status, new.status) not in (
       ('OPEN', 'INVESTIGATING'), ('OPEN', 'PROVISIONALLY_CREDITED'), ('OPEN', 'WITHDRAWN'),
       ('INVESTIGATING', 'PROVISIONALLY_CREDITED'), ('INVESTIGATING', 'RESOLVED_CUSTOMER'), ('INVESTIGATING', 'RESOLVED_BANK'), ('INVESTIGATING', 'WITHDRAWN'),
       ('PROVISIONALLY_CREDITED', 'PROVISIONALLY_CREDITED'), ('PROVISIONALLY_CREDITED', 'RESOLVED_CUSTOMER'), ('PROVISIONALLY_CREDITED', 'RESOLVED_BANK')) then
    raise exception 'a dispute cannot move from % to %', old.status, new.status;
  end if;
  return new;
end $$;`);
    this.addSql(`create trigger disputes_guard before update or delete on disputes for each row execute function tally_guard_dispute_change();`);
    this.addSql(`create trigger disputes_no_truncate before truncate on disputes for each statement execute function tally_forbid_change();`);
  }
}
