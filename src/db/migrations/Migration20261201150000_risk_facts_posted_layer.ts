import { Migration } from '@mikro-orm/migrations';

/**
 * The risk facts count only POSTED money leaving the customer. An approved review's transfer is one
 * transaction that posts the transfer and releases the review's hold, a PENDING-layer credit to the
 * payer's own account; the first version of tally_risk_facts read any credit to an owned account
 * as "between their own accounts", so approved transfers to other people fell out of the
 * `outgoing.*` velocity counts and sums. Same function, both layer tests added.
 */
export class Migration20261201150000_risk_facts_posted_layer extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create or replace function tally_risk_facts(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz)
returns json language plpgsql stable as $$
declare
  owned uuid[];
  result json;
begin
  select coalesce(array_agg(o.account_id), '{}') into owned from user_accounts o
   where o.user_id in (select u.user_id from user_accounts u where u.account_id = p_account);
  with lines as (
    select t.kind, t.channel, t.currency, t.amount_minor, t.id as transaction_id, e.created_at
      from entries e join ledger_transactions t on t.id = e.transaction_id
     where e.account_id = any(owned) and e.account_version is not null and e.direction = 'DEBIT' and e.layer = 'POSTED'
       and e.created_at > p_now - interval '7 days' and e.created_at <= p_now
       and t.kind in ('WITHDRAWAL', 'TRANSFER')),
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
          from entries e join ledger_transactions t on t.id = e.transaction_id
         where e.account_id = any(owned) and e.account_version is not null
           and e.created_at >= p_day_start and e.created_at < p_day_end
           and t.channel = 'CASH' and t.kind in ('DEPOSIT', 'WITHDRAWAL')
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
