import { Migration } from '@mikro-orm/migrations';

/**
 * The risk step reads only the risk lines it has not seen yet (issue 9: the step must stay under
 * 10% of a movement's server time). tally_risk_facts reads the customer's whole week of lines on
 * every movement: on the bench, 146 buffers and 0.7 ms a call, most of them heap pages of lines
 * vacuum has not marked all-visible yet, and the more the customer moves the more it reads.
 *
 * Lines never change once committed, so a process keeps each customer's settled lines in memory
 * (risk-line-cache.ts) and asks PostgreSQL only for the lines written since. "Since" is a
 * transaction id, not a time: a line's time is its unit's clock, read before it commits, so lines
 * commit out of time order, but every line carries the id of the transaction that wrote it
 * (`xid`), and once that transaction is older than the oldest one still running (the snapshot's
 * xmin), no line with a lower id can ever appear or vanish. So:
 *   - tally_risk_tail answers, with the account's other facts, the customer's lines with
 *     `xid >= p_watermark` (the tail, through risk_lines_by_xid) and the id below which every line
 *     is settled in the snapshot it read them with (`settled_below`: the snapshot's xmin, or this
 *     transaction's own id if lower, so a unit's own uncommitted lines are never taken as settled);
 *   - the process adds the tail's lines below `settled_below` to what it keeps, and moves its
 *     watermark there. The facts are what it kept below the watermark it asked with, plus the tail.
 *
 * The tail is not enough, and the answer is the whole window of lines (`full`), when the process
 * keeps nothing for the customer (p_watermark null, or the account's owner is not the customer it
 * kept), when the window starts before the lines it keeps (p_covered_since_us: a clock set back),
 * when it kept them from another server (p_server, the address, port and start in epoch seconds:
 * after a failover, transaction ids of lost transactions can be given again), when the snapshot's
 * xmin is below the watermark (ids went back: after a crash PostgreSQL can give again the ids of
 * transactions whose commit never reached the disk, such as an asynchronous commit's), or when the
 * customer's lines were rebuilt since its watermark:
 * tally_risk_lines_rebuild deletes lines, which a tail cannot show, so it now records its
 * transaction id in risk_lines_rebuilds, read in the same statement (the same snapshot) as the
 * lines. An account with several owners, or none, answers tally_risk_facts_by_accounts' facts,
 * as tally_risk_facts does.
 *
 * A whole window reaches a day further back than this ask needs (`since_us`, what the process
 * then covers), so a clock set back by less than a day still reads a tail.
 *
 * A whole window's answer also names the customer's accounts (up to 1,000), so that the process
 * knows whose lines it keeps for any of them: the first movement of a customer reads the window,
 * not the first of each of their accounts.
 *
 * Times in the answer are microseconds since the epoch (the process compares them with the same
 * precision PostgreSQL does), and `now_us` is the instant the windows end at.
 *
 * "Was this payee paid by the customer before?" is one key probe. tally_risk_facts answers it by
 * walking every entry of the payee account, fetching each credit's transaction and looking for a
 * debit of the customer in it: on the bench, payees are any of 10,000 accounts and mostly never paid
 * by this customer, so the walk runs to the end, and it grows with every movement the payee ever
 * received.
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
 * tally_risk_tail reads it; tally_risk_facts and tally_risk_facts_by_accounts keep the walk, the
 * reference the tests compare the tail's answers with (test/integration/risk-lines-exact.test.ts:
 * every account and payee of its generated histories, through an owner's change).
 */
export class Migration20261207100000_risk_lines_tail extends Migration {
  override async up(): Promise<void> {
    // Writers wait while the trigger is replaced and the pairs are backfilled (the migration is one
    // transaction): a movement written meanwhile under the old trigger would have no pair.
    this.addSql(`lock table entries in share mode;`);
    // A constant default adds the column without rewriting the table (existing lines get 0: below every watermark, as they are settled); new lines get their writer's id.
    this.addSql(`alter table risk_lines add column xid xid8 not null default '0';`);
    this.addSql(`alter table risk_lines alter column xid set default pg_current_xact_id();`);
    this.addSql(`create index risk_lines_by_xid on risk_lines (customer_id, xid);`);
    this.addSql(`create table risk_lines_rebuilds (customer_id uuid primary key, rebuilt xid8 not null);`);
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
    this.addSql(TAIL);
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

/** Migration 20261204300000's rebuild, which now records itself and rebuilds the customer's payees too. */
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

/** The tail of a customer's lines, with the account's own facts. */
const TAIL = `
create function tally_risk_tail(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz,
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
