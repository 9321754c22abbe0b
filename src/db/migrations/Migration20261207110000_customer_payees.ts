import { Migration } from '@mikro-orm/migrations';

/**
 * "Was this payee paid by the customer before?" becomes one key probe (issue 9: the risk step's
 * cost). tally_risk_facts and tally_risk_tail answered it by walking every entry of the payee
 * account, fetching each credit's transaction and looking for a debit of the customer in it: on the
 * bench, payees are any of 10,000 accounts and mostly never paid by this customer, so the walk ran
 * to the end, and it grew with every movement the payee ever received.
 *
 * `customer_payees` holds one row per (customer, account they paid): the same predicate, kept as
 * risk_lines is (migration 20261204300000), by PostgreSQL itself. A pair is there when some TRANSFER
 * credits the account (on any layer) and debits an account the customer owns (on any layer):
 *   - the statement trigger that copies risk lines now also adds the pairs of every transaction a
 *     statement wrote entries for, from all of that transaction's entries (so a debit and a credit
 *     written by different statements still pair), `on conflict do nothing`;
 *   - tally_risk_lines_rebuild, run when an owner is added to or removed from an account with
 *     history, rebuilds the customer's pairs with their lines (and records the rebuild, so a process
 *     keeping the customer's lines reads them whole again, with the new pairs).
 * tally_risk_tail reads it (and reads the whole window in two more cases: below); tally_risk_facts and tally_risk_facts_by_accounts keep the walk, the
 * reference the tests compare the tail's answers with (test/integration/risk-lines-exact.test.ts:
 * every account and payee of its generated histories, through an owner's change).
 */
export class Migration20261207110000_customer_payees extends Migration {
  override async up(): Promise<void> {
    // Writers wait while the trigger is replaced and the pairs are backfilled (the migration is one
    // transaction): a movement written meanwhile under the old trigger would have no pair.
    this.addSql(`lock table entries in share mode;`);
    this.addSql(`create table customer_payees (customer_id uuid not null, payee_account_id uuid not null, primary key (customer_id, payee_account_id));`);
    this.addSql(`
insert into customer_payees (customer_id, payee_account_id)
select distinct o.user_id, c.account_id
  from ledger_transactions t
  join entries d on d.transaction_id = t.id and d.direction = 'DEBIT'
  join user_accounts o on o.account_id = d.account_id
  join entries c on c.transaction_id = t.id and c.direction = 'CREDIT'
 where t.kind = 'TRANSFER'
on conflict do nothing;`);
    this.addSql(LINES_OF_ENTRIES);
    this.addSql(REBUILD);
    this.addSql(TAIL_PAYEE);
  }
}

/** Migration 20261205100000's copy of lines, unchanged, then the statement's transactions' pairs. */
const LINES_OF_ENTRIES = `
create or replace function tally_risk_lines_of_entries() returns trigger language plpgsql as $$
begin
  insert into risk_lines (customer_id, at, entry_id, kind, channel, currency, amount_minor, outgoing)
  select o.user_id, n.created_at, n.id, t.kind, t.channel, t.currency, t.amount_minor, line.outgoing
    from new_rows n
   cross join lateral (select x.kind, x.channel, x.currency, x.amount_minor from ledger_transactions x where x.id = n.transaction_id offset 0) t
   cross join lateral (select u.user_id from user_accounts u where u.account_id = n.account_id offset 0) o
   cross join lateral (select n.direction = 'DEBIT' and n.layer = 'POSTED' and (t.kind = 'WITHDRAWAL' or (t.kind = 'TRANSFER' and not exists (
            select 1
              from (select c.account_id from entries c where c.transaction_id = n.transaction_id and c.direction = 'CREDIT' and c.layer = 'POSTED' offset 0) credit
             where exists (select 1 from user_accounts co where co.account_id = credit.account_id and co.user_id = o.user_id)))) as outgoing) line
   where n.account_version is not null and t.kind in ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER')
     and (line.outgoing or (t.channel = 'CASH' and t.kind in ('DEPOSIT', 'WITHDRAWAL')));
  insert into customer_payees (customer_id, payee_account_id)
  select distinct o.user_id, c.account_id
    from (select distinct n.transaction_id from new_rows n) touched
   cross join lateral (select x.kind from ledger_transactions x where x.id = touched.transaction_id offset 0) t
    join lateral (select d.account_id from entries d where d.transaction_id = touched.transaction_id and d.direction = 'DEBIT' offset 0) debit on true
    join lateral (select u.user_id from user_accounts u where u.account_id = debit.account_id offset 0) o on true
    join lateral (select e.account_id from entries e where e.transaction_id = touched.transaction_id and e.direction = 'CREDIT' offset 0) c on true
   where t.kind = 'TRANSFER'
  on conflict do nothing;
  return null;
end $$;`;

/** Migration 20261207100000's rebuild, which now rebuilds the customer's payees too. */
const REBUILD = `
create or replace function tally_risk_lines_rebuild(p_customer uuid) returns void language plpgsql as $$
begin
  insert into risk_lines_rebuilds (customer_id, rebuilt) values (p_customer, pg_current_xact_id())
  on conflict (customer_id) do update set rebuilt = greatest(risk_lines_rebuilds.rebuilt, excluded.rebuilt);
  delete from risk_lines where customer_id = p_customer;
  insert into risk_lines (customer_id, at, entry_id, kind, channel, currency, amount_minor, outgoing)
  select o.user_id, n.created_at, n.id, t.kind, t.channel, t.currency, t.amount_minor, line.outgoing
    from user_accounts o
    join entries n on n.account_id = o.account_id
   cross join lateral (select x.kind, x.channel, x.currency, x.amount_minor from ledger_transactions x where x.id = n.transaction_id offset 0) t
   cross join lateral (select n.direction = 'DEBIT' and n.layer = 'POSTED' and (t.kind = 'WITHDRAWAL' or (t.kind = 'TRANSFER' and not exists (
            select 1 from entries c join user_accounts co on co.account_id = c.account_id and co.user_id = o.user_id
             where c.transaction_id = n.transaction_id and c.direction = 'CREDIT' and c.layer = 'POSTED'))) as outgoing) line
   where o.user_id = p_customer and n.account_version is not null and t.kind in ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER')
     and (line.outgoing or (t.channel = 'CASH' and t.kind in ('DEPOSIT', 'WITHDRAWAL')));
  delete from customer_payees where customer_id = p_customer;
  insert into customer_payees (customer_id, payee_account_id)
  select distinct o.user_id, c.account_id
    from user_accounts o
    join entries d on d.account_id = o.account_id and d.direction = 'DEBIT'
   cross join lateral (select x.kind from ledger_transactions x where x.id = d.transaction_id offset 0) t
    join entries c on c.transaction_id = d.transaction_id and c.direction = 'CREDIT'
   where o.user_id = p_customer and t.kind = 'TRANSFER'
  on conflict do nothing;
end $$;`;

/**
 * Migration 20261207100000's tally_risk_tail, its payee read from customer_payees, and two more
 * reasons to read the whole window: the snapshot's xmin is below the watermark (transaction ids
 * went back: after a crash PostgreSQL can give again the ids of transactions whose commit never
 * reached the disk, such as an asynchronous commit's), and the server's start is named in epoch
 * seconds (its text followed each session's TimeZone and DateStyle).
 */
const TAIL_PAYEE = `
create or replace function tally_risk_tail(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz,
                                p_customer uuid, p_watermark xid8, p_covered_since_us bigint, p_server text)
returns json language plpgsql volatile set plan_cache_mode = force_generic_plan as $$
declare
  owners uuid[];
  customer uuid;
  since timestamptz := least(p_now - interval '168 hours', p_day_start);
  result json;
begin
  owners := array(select u.user_id from user_accounts u where u.account_id = p_account);
  if cardinality(owners) <> 1 then
    return json_build_object('facts', tally_risk_facts_by_accounts(p_account, p_payee, p_now, p_day_start, p_day_end));
  end if;
  customer := owners[1];
  with server as (select coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port(), 0) || '@' || extract(epoch from pg_postmaster_start_time())::text as id),
  mode as (
    select coalesce(p_watermark is null or p_customer is distinct from customer or (extract(epoch from since) * 1000000)::bigint < p_covered_since_us or p_server is distinct from s.id
           or pg_snapshot_xmin(pg_current_snapshot()) < p_watermark
           or coalesce((select b.rebuilt >= p_watermark from risk_lines_rebuilds b where b.customer_id = customer), false), true) as full
      from server s),
  lines as (
    select r.xid, r.at, r.kind, r.channel, r.currency, r.amount_minor, r.outgoing from risk_lines r
     where (select m.full from mode m) and r.customer_id = customer and r.at >= since - interval '24 hours'
    union all
    select r.xid, r.at, r.kind, r.channel, r.currency, r.amount_minor, r.outgoing from risk_lines r
     where not (select m.full from mode m) and r.customer_id = customer and r.xid >= p_watermark)
  select json_build_object(
    'customer_id', customer,
    'server', (select s.id from server s),
    'full', (select m.full from mode m),
    'accounts', (select json_agg(u.account_id) from (select o.account_id from user_accounts o where (select m.full from mode m) and o.user_id = customer limit 1000) u),
    'settled_below', least(pg_snapshot_xmin(pg_current_snapshot()), pg_current_xact_id_if_assigned())::text,
    'now_us', (extract(epoch from p_now) * 1000000)::bigint::text,
    'since_us', (extract(epoch from since - interval '24 hours') * 1000000)::bigint::text,
    'lines', (select coalesce(json_agg(json_build_array(l.xid::text, (extract(epoch from l.at) * 1000000)::bigint::text, l.kind, l.channel,
                                                         trim(l.currency), l.amount_minor::text, l.outgoing)), '[]'::json) from lines l),
    'created_at', a.created_at,
    'last_activity_at', (select max(e.created_at) from entries e where e.account_id = a.id and e.account_version is not null),
    'payee_known', (p_payee is not null and exists (select 1 from customer_payees p where p.customer_id = customer and p.payee_account_id = p_payee)),
    'rules_version', (select count(*) from risk_rules))
    into result
    from accounts a where a.id = p_account;
  return result;
end $$;`;
