import { Migration } from '@mikro-orm/migrations';

/**
 * tally_risk_facts (migration 20261202100000) reads the banking day's cash of the customer's own
 * history lines by their transaction ids. Its join to ledger_transactions could also be served by
 * ledger_transactions_cash (migration 20261202120000, the cash reports' partial index on every
 * cash deposit and withdrawal by time), and when the statistics are young (a fresh database, a
 * table that just grew) the planner takes the history CTE for one row and walks that index once
 * per history line: every cash line of the whole bank, 100 times per movement for a customer with
 * 100 accounts (auto_explain on the bench: 305,000 rows, 160 ms for a 0.5 ms answer; movements
 * with the risk step on fell from 110 to 13 tx/s). The lookup of each line's transaction is
 * fenced in a subquery with `offset 0`, which PostgreSQL neither flattens nor pushes the cash
 * filter into, so it can only be the primary key probe; the filter applies to what it returns.
 * The counts are the same (test/integration/risk-rule-edges.test.ts and risk-facts-fresh.test.ts).
 */
export class Migration20261203130000_risk_facts_cash_by_id extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create or replace function tally_risk_facts(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz)
returns json language plpgsql volatile as $$
declare
  owned uuid[];
  result json;
begin
  select coalesce(array_agg(o.account_id), '{}') into owned from user_accounts o
   where o.user_id = any(array(select u.user_id from user_accounts u where u.account_id = p_account));
  with history as materialized (
    select e.transaction_id, e.created_at, e.direction, e.layer from entries e
     where e.account_id = any(owned) and e.account_version is not null
       and e.created_at >= least(p_now - interval '7 days', p_day_start) and e.created_at <= greatest(p_now, p_day_end)),
  week_debits as (
    select h.transaction_id, h.created_at from history h
     where h.direction = 'DEBIT' and h.layer = 'POSTED' and h.created_at > p_now - interval '7 days' and h.created_at <= p_now),
  day_entries as (
    select h.transaction_id from history h where h.created_at >= p_day_start and h.created_at < p_day_end),
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
          from day_entries d
          cross join lateral (
            select x.kind, x.channel, x.currency, x.amount_minor from ledger_transactions x
             where x.id = d.transaction_id offset 0) t
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
