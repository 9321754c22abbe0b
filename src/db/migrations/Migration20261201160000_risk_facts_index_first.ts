import { Migration } from '@mikro-orm/migrations';

/**
 * tally_risk_facts again, counting exactly what 20261201150000 counts, with plans that do not
 * depend on the tables' statistics. Measured on the load bench (whose bulk-loaded tables had not
 * been analyzed yet), the cash-today sum was planned as a scan of every cash transaction with an
 * entries probe each (35 ms at 12,000 transactions), and the owner lookup as a scan of
 * user_accounts. Now the customer's entries of the week and of the banking day are read first, by
 * the index entries_history_by_time (MATERIALIZED: the planner cannot turn the join around), and
 * only their transactions are fetched by key; the owners are found by the user_accounts primary
 * key. Same rows, same sums, same JSON: no decision changes.
 */
export class Migration20261201160000_risk_facts_index_first extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create or replace function tally_risk_facts(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz)
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
