import { Migration } from '@mikro-orm/migrations';

/**
 * Where a debit was initiated (issue 9 §2: a foreign-initiated transfer gets 90 days of
 * investigation): `origin_country`, ISO 3166-1 alpha-2, on a withdrawal's transaction and on a
 * card hold, whose captures carry it to their own transaction, and on a review, whose approval
 * posts the withdrawal with it. Optional: a debit that says nothing is domestic. The application
 * checks the code against the assigned list (src/ledger/countries.ts); the database keeps its
 * shape. Transactions are append-only already; the hold and review guards are redefined so that
 * an origin cannot change either.
 */
export class Migration20261202100000_origin_country extends Migration {
  override async up(): Promise<void> {
    for (const table of ['ledger_transactions', 'holds', 'reviews']) {
      this.addSql(`alter table ${table} add column origin_country text check (origin_country ~ '^[A-Z]{2}$');`);
    }
    this.addSql(`
create or replace function tally_guard_hold_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'holds are never deleted' using errcode = 'restrict_violation';
  end if;
  if old.status <> 'ACTIVE' then
    raise exception 'hold % is %, and a hold changes only while ACTIVE', old.id, old.status using errcode = 'restrict_violation';
  end if;
  if (new.id, new.account_id, new.reason, new.channel, new.amount_minor, new.currency, new.description, new.external_ref,
      new.created_at, new.expires_at, new.release_at, new.authorization_transaction_id, new.initiated_by, new.origin_country)
     is distinct from
     (old.id, old.account_id, old.reason, old.channel, old.amount_minor, old.currency, old.description, old.external_ref,
      old.created_at, old.expires_at, old.release_at, old.authorization_transaction_id, old.initiated_by, old.origin_country) then
    raise exception 'only the status and the captured amount of hold % may change', old.id using errcode = 'restrict_violation';
  end if;
  if new.captured_minor < old.captured_minor then
    raise exception 'the captured amount of hold % cannot shrink', old.id using errcode = 'check_violation';
  end if;
  return new;
end $$;`);
    this.addSql(`
create or replace function tally_guard_review_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'reviews are never deleted' using errcode = 'restrict_violation';
  end if;
  if old.status <> 'PENDING' then
    raise exception 'review % is %, and a review is decided once', old.id, old.status using errcode = 'restrict_violation';
  end if;
  if (new.id, new.kind, new.channel, new.amount_minor, new.currency, new.currency_exponent, new.account_id, new.counterparty_account_id,
      new.entries, new.description, new.external_ref, new.hold_id, new.decision_id, new.requested_by, new.idempotency_key,
      new.visible_account_ids, new.created_at, new.due_at, new.origin_country)
     is distinct from
     (old.id, old.kind, old.channel, old.amount_minor, old.currency, old.currency_exponent, old.account_id, old.counterparty_account_id,
      old.entries, old.description, old.external_ref, old.hold_id, old.decision_id, old.requested_by, old.idempotency_key,
      old.visible_account_ids, old.created_at, old.due_at, old.origin_country) then
    raise exception 'only the decision of review % may change', old.id using errcode = 'restrict_violation';
  end if;
  return new;
end $$;`);
  }
}
