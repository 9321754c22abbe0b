import { Migration } from '@mikro-orm/migrations';

/**
 * A unit's risk facts in one call (issue 9: the step must stay under 10% of a movement's server
 * time). The claim-and-lock statement called tally_risk_tail (migration 20261207100000) once per
 * distinct ask, and a group-committed unit asks for about five accounts: each call paid
 * PL/pgSQL's entry, the function's SET clause, two statements' executor start and end, the rules
 * count and the server's name again. On the bench database (one backend's CPU, a claim statement
 * with five asks, rolled back, 1,500 times): five calls cost 104 µs an ask, one tally_risk_tails
 * call 52.
 *
 * tally_risk_tails takes the asks as parallel arrays (account, payee, and the cache state each was
 * sent with: customer, watermark, covered-since, server) and answers, in their order, one
 * `{account_id, payee_id, facts}` per ask, `facts` exactly what tally_risk_tail answered: one
 * statement reads every ask's owners, the rebuild probes, the lines and the snapshot's xmin, so
 * each ask's lines and its `settled_below` and rebuild probe still come from one snapshot (what
 * the tail's rules need, migration 20261207100000), and the asks of a unit all from the same one.
 * An account with several owners, or none, answers tally_risk_facts_by_accounts' facts, as before.
 * `asked` is materialized: inlined, every use of an ask's owners (the cardinality test, the
 * customer the lateral joins name) ran the owners' subquery again, a probe of
 * user_accounts_account_id per use, per ask (a reviewer's auto_explain).
 *
 * tally_risk_tail stays, with its arguments and answer, as one ask of tally_risk_tails: one body
 * for both, so the statement of its own (risk-facts.ts readRiskFacts) and the tests read facts
 * the same way the claim statement does.
 */
export class Migration20261209100000_risk_tails extends Migration {
  override async up(): Promise<void> {
    this.addSql(TAILS);
    this.addSql(TAIL);
  }
}

const TAILS = `create function tally_risk_tails(p_accounts uuid[], p_payees uuid[], p_customers uuid[], p_watermarks xid8[], p_covered_since_us bigint[], p_servers text[],
                                 p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz)
returns json language plpgsql volatile set plan_cache_mode = force_generic_plan as $$
declare
  since timestamptz := least(p_now - interval '168 hours', p_day_start);
  this_server text := coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port(), 0) || '@' || extract(epoch from pg_postmaster_start_time())::text;
  result json;
begin
  with asked as materialized (
    select q.n, q.account_id, q.payee_id, q.customer_id, q.watermark, q.covered_us, q.server,
           array(select u.user_id from user_accounts u where u.account_id = q.account_id) as owners
      from unnest(p_accounts, p_payees, p_customers, p_watermarks, p_covered_since_us, p_servers)
           with ordinality as q (account_id, payee_id, customer_id, watermark, covered_us, server, n))
  select coalesce(json_agg(json_build_object('account_id', q.account_id, 'payee_id', q.payee_id, 'facts', case
           when cardinality(q.owners) <> 1 then json_build_object('facts', tally_risk_facts_by_accounts(q.account_id, q.payee_id, p_now, p_day_start, p_day_end))
           when a.id is null then null
           else json_build_object(
             'customer_id', c.customer,
             'server', this_server,
             'full', m.full,
             'accounts', case when m.full then (select json_agg(o.account_id) from (select o.account_id from user_accounts o where o.user_id = c.customer limit 1000) o) end,
             'settled_below', least(pg_snapshot_xmin(pg_current_snapshot()), pg_current_xact_id_if_assigned())::text,
             'now_us', (extract(epoch from p_now) * 1000000)::bigint::text,
             'since_us', (extract(epoch from since - interval '24 hours') * 1000000)::bigint::text,
             'lines', (select coalesce(json_agg(json_build_array(l.xid::text, (extract(epoch from l.at) * 1000000)::bigint::text, l.kind, l.channel,
                                                                 trim(l.currency), l.amount_minor::text, l.outgoing)), '[]'::json)
                         from (select r.xid, r.at, r.kind, r.channel, r.currency, r.amount_minor, r.outgoing from risk_lines r
                                where m.full and r.customer_id = c.customer and r.at >= since - interval '24 hours'
                               union all
                               select r.xid, r.at, r.kind, r.channel, r.currency, r.amount_minor, r.outgoing from risk_lines r
                                where not m.full and r.customer_id = c.customer and r.xid >= q.watermark) l),
             'created_at', a.created_at,
             'last_activity_at', (select max(e.created_at) from entries e where e.account_id = a.id and e.account_version is not null),
             'payee_known', (q.payee_id is not null and exists (select 1 from customer_payees p where p.customer_id = c.customer and p.payee_account_id = q.payee_id)),
             'rules_version', rules.versions)
           end) order by q.n), '[]'::json)
    into result
    from asked q
   cross join lateral (select q.owners[1] as customer) c
   cross join lateral (select coalesce(q.watermark is null or q.customer_id is distinct from c.customer
                                       or (extract(epoch from since) * 1000000)::bigint < q.covered_us or q.server is distinct from this_server
                                       or pg_snapshot_xmin(pg_current_snapshot()) < q.watermark
                                       or coalesce((select b.rebuilt >= q.watermark from risk_lines_rebuilds b where b.customer_id = c.customer), false), true) as full) m
    left join accounts a on a.id = q.account_id
   cross join (select count(*) as versions from risk_rules) rules;
  return result;
end $$;`;

const TAIL = `
create or replace function tally_risk_tail(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz,
                                           p_customer uuid, p_watermark xid8, p_covered_since_us bigint, p_server text)
returns json language sql volatile as $$
  select tally_risk_tails(array[p_account], array[p_payee], array[p_customer], array[p_watermark], array[p_covered_since_us], array[p_server],
                          p_now, p_day_start, p_day_end) -> 0 -> 'facts';
$$;`;
