import { Migration } from '@mikro-orm/migrations';

/**
 * tally_risk_facts does less work per line it reads (issue 9: the risk step's cost grows with the
 * customer's activity of the week, and a busy customer has hundreds of lines).
 *
 * Before (migration 20261205110000), every line fed nine filtered aggregates, each testing the
 * line's time against a window's two edges: eighteen comparisons and nine aggregate steps a line.
 * The windows are nested (10 minutes within 1 hour within 24 hours within 7 days), so a line
 * belongs to the innermost window it falls in, its ring, and to every window around it. Now each
 * line is grouped by its ring (a CASE of up to five comparisons) and whether it falls in the
 * banking day, with one count and one sum; each window's totals are then the sum of its rings
 * over a few groups. What it answers is unchanged: risk-lines-exact.test.ts compares it with the
 * per-account scan at every window's edge, with history written in and out of time order.
 *
 * The function keeps migration 20261206100000's generic plan (create or replace resets a
 * function's settings, so it is stated here again).
 */
export class Migration20261206110000_risk_facts_rings extends Migration {
  override async up(): Promise<void> {
    this.addSql(FACTS);
  }
}

const FACTS = `
create or replace function tally_risk_facts(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz)
returns json language plpgsql volatile set plan_cache_mode = force_generic_plan as $$
declare
  owners uuid[];
  customer uuid;
  since_10m timestamptz := p_now - interval '10 minutes';
  since_1h timestamptz := p_now - interval '1 hour';
  since_24h timestamptz := p_now - interval '24 hours';
  since_7d timestamptz := p_now - interval '7 days';
  result json;
begin
  owners := array(select u.user_id from user_accounts u where u.account_id = p_account);
  if cardinality(owners) <> 1 then
    return tally_risk_facts_by_accounts(p_account, p_payee, p_now, p_day_start, p_day_end);
  end if;
  customer := owners[1];
  -- ring 0: the last 10 minutes; 1: the rest of the hour; 2: of the 24 hours; 3: of the 7 days;
  -- 4: before the 7 days; 5: after now (a clock set back). Only rings 0-3 are velocity; any ring
  -- may fall in the banking day.
  with rings as (
    select r.channel, r.currency, r.kind, r.outgoing,
           case when r.at > p_now then 5 when r.at > since_10m then 0 when r.at > since_1h then 1
                when r.at > since_24h then 2 when r.at > since_7d then 3 else 4 end as ring,
           r.at >= p_day_start and r.at < p_day_end as in_day,
           count(*) as lines, sum(r.amount_minor) as amount
      from risk_lines r
     where r.customer_id = customer
       and r.at >= least(since_7d, p_day_start) and r.at <= greatest(p_now, p_day_end)
     group by r.channel, r.currency, r.kind, r.outgoing, 5, 6)
  select json_build_object(
    'created_at', a.created_at,
    'last_activity_at', (select max(e.created_at) from entries e where e.account_id = a.id and e.account_version is not null),
    'outgoing', (select json_agg(x) from (
        select g.channel, g.currency,
               coalesce(sum(g.lines) filter (where g.ring = 0), 0)::text as count_10m, coalesce(sum(g.amount) filter (where g.ring = 0), 0)::text as sum_10m,
               coalesce(sum(g.lines) filter (where g.ring <= 1), 0)::text as count_1h, coalesce(sum(g.amount) filter (where g.ring <= 1), 0)::text as sum_1h,
               coalesce(sum(g.lines) filter (where g.ring <= 2), 0)::text as count_24h, coalesce(sum(g.amount) filter (where g.ring <= 2), 0)::text as sum_24h,
               sum(g.lines) filter (where g.ring <= 3)::text as count_7d, sum(g.amount) filter (where g.ring <= 3)::text as sum_7d
          from rings g where g.outgoing and g.ring <= 3 group by g.channel, g.currency) x),
    'cash_today', (select json_agg(y) from (
        select g.kind, g.currency, sum(g.amount)::text as sum_minor from rings g
         where g.channel = 'CASH' and g.kind in ('DEPOSIT', 'WITHDRAWAL') and g.in_day
         group by g.kind, g.currency) y),
    'payee_known', (p_payee is not null and exists (
        select 1 from entries c
         cross join lateral (select x.kind from ledger_transactions x where x.id = c.transaction_id offset 0) t
         where c.account_id = p_payee and c.direction = 'CREDIT' and t.kind = 'TRANSFER'
           and exists (select 1 from entries d join user_accounts o on o.account_id = d.account_id and o.user_id = customer
                        where d.transaction_id = c.transaction_id and d.direction = 'DEBIT'))),
    'rules_version', (select count(*) from risk_rules))
    into result
    from accounts a where a.id = p_account;
  return result;
end $$;`;
