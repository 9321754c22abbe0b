import { Migration } from '@mikro-orm/migrations';

/**
 * Risk reviews (issue 9 §1; DESIGN.md "Risk and disputes"): a movement the risk step sent to a
 * person. The money of a withdrawal or transfer is kept by a RISK_REVIEW hold (its own row in
 * `holds`); the review row keeps the movement as decided (its entries), the decision that sent it,
 * the requester's idempotency key (whose outcome approval or decline rewrites) and the review's
 * mutable state, which leaves PENDING once, as a hold leaves ACTIVE once. The entries and movement
 * history stay immutable; only the state columns change, guarded here.
 */
export class Migration20261201140000_reviews extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table reviews (
  id uuid primary key,
  status text not null default 'PENDING' check (status in ('PENDING', 'APPROVED', 'DECLINED', 'EXPIRED')),
  kind text not null check (kind in ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER')),
  channel text not null check (channel in ('CASH', 'CHECK', 'DIRECT_DEPOSIT', 'ACH', 'WIRE', 'PAYPAL', 'ZELLE', 'CARD', 'ATM', 'THIRD_PARTY', 'INTERNAL')),
  amount_minor bigint not null check (amount_minor > 0),
  currency char(3) not null,
  currency_exponent smallint not null,
  account_id uuid not null references accounts (id),
  -- A transfer's destination: locked with the account when the review is decided.
  counterparty_account_id uuid references accounts (id),
  -- The movement's entries as decided (internal accounts by code), posted as they are on approval.
  entries jsonb not null check (jsonb_typeof(entries) = 'array'),
  description text,
  external_ref text,
  hold_id uuid unique references holds (id),
  decision_id uuid not null references risk_decisions (id),
  requested_by uuid not null references users (id),
  idempotency_key text not null,
  -- The accounts whose balances the requester's answer shows (never a payee's).
  visible_account_ids jsonb not null check (jsonb_typeof(visible_account_ids) = 'array'),
  created_at timestamptz not null,
  due_at timestamptz not null,
  decided_at timestamptz,
  decided_by uuid references users (id),
  note text check (length(note) <= 500),
  transaction_id uuid unique references ledger_transactions (id),
  constraint reviews_one_per_request unique (requested_by, idempotency_key),
  constraint reviews_decided_shape check ((status = 'PENDING') = (decided_at is null) and (status = 'PENDING') = (decided_by is null)),
  constraint reviews_posted_when_approved check ((status = 'APPROVED') = (transaction_id is not null)),
  constraint reviews_due_after_creation check (due_at > created_at)
);`);
    this.addSql(`create index reviews_queue on reviews (created_at desc, id desc);`);
    this.addSql(`create index reviews_by_account on reviews (account_id, created_at);`);
    // The timeout scheduler's scan: pending reviews, soonest due first.
    this.addSql(`create index reviews_due on reviews (due_at) where status = 'PENDING';`);
    this.addSql(`
create function tally_guard_review_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'reviews are never deleted' using errcode = 'restrict_violation';
  end if;
  if old.status <> 'PENDING' then
    raise exception 'review % is %, and a review is decided once', old.id, old.status using errcode = 'restrict_violation';
  end if;
  if (new.id, new.kind, new.channel, new.amount_minor, new.currency, new.currency_exponent, new.account_id, new.counterparty_account_id,
      new.entries, new.description, new.external_ref, new.hold_id, new.decision_id, new.requested_by, new.idempotency_key,
      new.visible_account_ids, new.created_at, new.due_at)
     is distinct from
     (old.id, old.kind, old.channel, old.amount_minor, old.currency, old.currency_exponent, old.account_id, old.counterparty_account_id,
      old.entries, old.description, old.external_ref, old.hold_id, old.decision_id, old.requested_by, old.idempotency_key,
      old.visible_account_ids, old.created_at, old.due_at) then
    raise exception 'only the decision of review % may change', old.id using errcode = 'restrict_violation';
  end if;
  return new;
end $$;`);
    this.addSql(`create trigger reviews_guard before update or delete on reviews for each row execute function tally_guard_review_change();`);
    this.addSql(`create trigger reviews_no_truncate before truncate on reviews for each statement execute function tally_forbid_change();`);
  }
}
