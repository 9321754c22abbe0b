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
    this.riskFactsFunction();
  }

  /**
   * The risk step's facts of one movement (src/ledger/persistence/risk-facts.ts), as a plpgsql
   * function so that PostgreSQL plans its queries once per connection: planned per call, the
   * statement spent 1.5 ms planning and 0.4 ms running, and the risk step runs on every movement.
   * "The customer" is every owner of the account; a movement leaves them when it is a withdrawal,
   * or a transfer none of whose POSTED credits lands in an account of theirs (an approved review's
   * transfer also releases its hold, a PENDING credit to the payer: that is not a move between
   * their own accounts); its POSTED history line (a DEBIT) is what is counted. The customer's
   * entries of the week and of the banking day are read first, by the index
   * entries_history_by_time (MATERIALIZED, so the planner cannot turn the join around: on tables
   * not yet analyzed it scanned every cash transaction, 35 ms at 12,000), and only their
   * transactions are fetched by key. `rules_version` is the number of rule versions
   * saved (the table is append-only), so a process may keep its compiled rules until it changes.
   */
  private riskFactsFunction(): void {
    this.addSql(`
create function tally_risk_facts(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz)
returns json language plpgsql stable as $$
declare
  owned uuid[];
  result json;
begin
  select coalesce(array_agg(o.account_id), '{}') into owned from user_accounts o
   where o.user_id = any(array(select u.user_id from user_accounts u where u.account_id = p_account));
  with week_debits as materialized (
    select e.transaction_id, e.created_at from entries e
     where e.account_id = any(owned) and e.account_version is not null and e.direction = 'DEBIT' and e.layer = 'POSTED'
       and e.created_at > p_now - interval '7 days' and e.created_at <= p_now),
  day_entries as materialized (
    select e.transaction_id from entries e
     where e.account_id = any(owned) and e.account_version is not null
       and e.created_at >= p_day_start and e.created_at < p_day_end),
  lines as (
    select t.kind, t.channel, t.currency, t.amount_minor, t.id as transaction_id, d.created_at
      from week_debits d join ledger_transactions t on t.id = d.transaction_id
     where t.kind in ('WITHDRAWAL', 'TRANSFER')),
  leaving as (
    select l.* from lines l
     where l.kind = 'WITHDRAWAL'
        or not exists (select 1 from entries c where c.transaction_id = l.transaction_id and c.direction = 'CREDIT' and c.layer = 'POSTED' and c.account_id = any(owned)))
  select json_build_object(
    'created_at', a.created_at,
    'last_activity_at', (select max(e.created_at) from entries e where e.account_id = a.id and e.account_version is not null),
    'outgoing', (select json_agg(x) from (
        select channel, currency,
               count(*) filter (where created_at > p_now - interval '10 minutes')::text as count_10m,
               coalesce(sum(amount_minor) filter (where created_at > p_now - interval '10 minutes'), 0)::text as sum_10m,
               count(*) filter (where created_at > p_now - interval '1 hour')::text as count_1h,
               coalesce(sum(amount_minor) filter (where created_at > p_now - interval '1 hour'), 0)::text as sum_1h,
               count(*) filter (where created_at > p_now - interval '24 hours')::text as count_24h,
               coalesce(sum(amount_minor) filter (where created_at > p_now - interval '24 hours'), 0)::text as sum_24h,
               count(*)::text as count_7d, sum(amount_minor)::text as sum_7d
          from leaving group by channel, currency) x),
    'cash_today', (select json_agg(y) from (
        select t.kind, t.currency, sum(t.amount_minor)::text as sum_minor
          from day_entries d join ledger_transactions t on t.id = d.transaction_id
         where t.channel = 'CASH' and t.kind in ('DEPOSIT', 'WITHDRAWAL')
         group by t.kind, t.currency) y),
    'payee_known', (p_payee is not null and exists (
        select 1 from entries c join ledger_transactions t on t.id = c.transaction_id
         where c.account_id = p_payee and c.direction = 'CREDIT' and t.kind = 'TRANSFER'
           and exists (select 1 from entries d where d.transaction_id = t.id and d.direction = 'DEBIT' and d.account_id = any(owned)))),
    'rules_version', (select count(*) from risk_rules))
    into result
    from accounts a where a.id = p_account;
  return result;
end $$;`);
  }
}
