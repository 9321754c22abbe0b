import { Migration } from '@mikro-orm/migrations';

/**
 * Holds (DESIGN.md "Ledger core, second edition" 2; issue 8 §3): the mutable state of a hold
 * (status, captured so far) beside the immutable transactions that move its money, as
 * TigerBeetle keeps `transfers_pending` beside its transfers. The money itself lives only in
 * entries: a hold is a PENDING-layer transaction, a capture, void or expiry a later transaction
 * that releases it (and, for a capture, posts). The database keeps its own copy of the rules a bug
 * in application code must not break: captured never exceeds the amount, never shrinks, and a
 * hold leaves ACTIVE once, to a final state it never leaves.
 */
export class Migration20261201120000_holds extends Migration {
  override async up(): Promise<void> {
    // Statements are queued in this order (the kinds and tables before what refers to them).
    this.allowHoldKinds();
    this.createHolds();
    this.createHoldTransactions();
    this.guardHoldChanges();
  }

  private allowHoldKinds(): void {
    // Two new kinds of transaction, added beside the old ones: the authorization itself (HOLD,
    // PENDING layer only) and a release without a capture (HOLD_RELEASE: a void or an expiry).
    this.addSql(`alter table ledger_transactions drop constraint ledger_transactions_kind_check;`);
    this.addSql(`alter table ledger_transactions add constraint ledger_transactions_kind_check check (kind in
      ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER', 'HOLD', 'HOLD_CAPTURE', 'HOLD_RELEASE', 'REVERSAL', 'FEE', 'ADJUSTMENT'));`);
  }

  /** A hold's mutable state, one row per hold. */
  private createHolds(): void {
    this.addSql(`
create table holds (
  id uuid primary key,
  account_id uuid not null references accounts (id),
  reason text not null check (reason in ('AUTHORIZATION', 'DEPOSIT_AVAILABILITY', 'RISK_REVIEW')),
  status text not null default 'ACTIVE' check (status in ('ACTIVE', 'CAPTURED', 'VOIDED', 'EXPIRED')),
  channel text not null check (channel in ('CASH', 'CHECK', 'DIRECT_DEPOSIT', 'ACH', 'WIRE', 'PAYPAL', 'ZELLE', 'CARD', 'ATM', 'THIRD_PARTY', 'INTERNAL')),
  amount_minor bigint not null check (amount_minor > 0),
  captured_minor bigint not null default 0,
  currency char(3) not null,
  description text,
  external_ref text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  expires_at timestamptz,
  release_at timestamptz,
  authorization_transaction_id uuid not null unique references ledger_transactions (id),
  initiated_by uuid not null references users (id),
  constraint holds_captured_within_amount check (captured_minor between 0 and amount_minor),
  -- Only a capture moves a hold to CAPTURED, and only a capture of something.
  constraint holds_captured_shape check (status <> 'CAPTURED' or captured_minor > 0),
  constraint holds_expiry_after_creation check (expires_at is null or expires_at > created_at)
);`);
    this.addSql(`create index holds_account on holds (account_id, created_at, id);`);
    // The expiry scheduler's scan: only active holds with a deadline, soonest first.
    this.addSql(`create index holds_expiring on holds (expires_at) where status = 'ACTIVE' and expires_at is not null;`);
  }

  private createHoldTransactions(): void {
    // Every transaction that moved a hold's money, in order: its captures (Hold.captures) and its
    // release. Append-only like the ledger it points into.
    this.addSql(`
create table hold_transactions (
  hold_id uuid not null references holds (id),
  transaction_id uuid not null unique references ledger_transactions (id),
  step text not null check (step in ('CAPTURE', 'VOID', 'EXPIRE')),
  created_at timestamptz not null,
  primary key (hold_id, transaction_id)
);`);
    this.addSql(`create trigger hold_transactions_append_only before update or delete on hold_transactions
      for each row execute function tally_forbid_change();`);
    this.addSql(`create trigger hold_transactions_no_truncate before truncate on hold_transactions
      for each statement execute function tally_forbid_change();`);
  }

  private guardHoldChanges(): void {
    // A hold's state machine, enforced whatever the application does: what a hold is never
    // changes; captured only grows; the status changes only from ACTIVE; a hold is never deleted.
    this.addSql(`
create function tally_guard_hold_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'holds are never deleted' using errcode = 'restrict_violation';
  end if;
  if old.status <> 'ACTIVE' then
    raise exception 'hold % is %, and a hold changes only while ACTIVE', old.id, old.status using errcode = 'restrict_violation';
  end if;
  if (new.id, new.account_id, new.reason, new.channel, new.amount_minor, new.currency, new.description, new.external_ref,
      new.created_at, new.expires_at, new.release_at, new.authorization_transaction_id, new.initiated_by)
     is distinct from
     (old.id, old.account_id, old.reason, old.channel, old.amount_minor, old.currency, old.description, old.external_ref,
      old.created_at, old.expires_at, old.release_at, old.authorization_transaction_id, old.initiated_by) then
    raise exception 'only the status and the captured amount of hold % may change', old.id using errcode = 'restrict_violation';
  end if;
  if new.captured_minor < old.captured_minor then
    raise exception 'the captured amount of hold % cannot shrink', old.id using errcode = 'check_violation';
  end if;
  return new;
end $$;`);
    this.addSql(`create trigger holds_guard before update or delete on holds for each row execute function tally_guard_hold_change();`);
    this.addSql(`create trigger holds_no_truncate before truncate on holds for each statement execute function tally_forbid_change();`);
  }
}
