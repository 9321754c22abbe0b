import { Migration } from '@mikro-orm/migrations';

/**
 * The risk step's facts no longer scan every account of the customer (issue 9: the step must stay
 * under 10% of a movement's server time; a bench user holds 100 accounts, so every movement made
 * 100 index descents into entries_history_by_time and then one primary-key probe into
 * ledger_transactions per history line of the week: about 530 buffers and 1 ms per call).
 *
 * `risk_lines` is a narrow copy of the history lines the velocity and cash features count, one row
 * per (customer, line), keyed and ordered by (customer_id, at): one index range per movement,
 * whatever the number of accounts, each row carrying what the features need (no join back). The
 * key includes every column the features read, so the range is an index-only scan wherever
 * vacuum has marked the pages all-visible (all but the last minutes' lines): one heap page per
 * line otherwise, as lines of one customer are written far apart in the heap.
 * A line is copied when its transaction's kind, channel, direction and layer make it count:
 *   - `outgoing` (velocity): a POSTED debit history line of a WITHDRAWAL, or of a TRANSFER that
 *     credits (POSTED) no account of the same customer: exactly tally_risk_facts' `leaving`;
 *   - cash: any history line of a CASH DEPOSIT or WITHDRAWAL (the banking day's `cash_today`).
 * Amounts, kinds, channels and currencies are the transaction's, times are the entry's, as before.
 *
 * Written by PostgreSQL itself, not by each command: a statement-level trigger on entries copies
 * the lines every statement inserts (one call per movement, its transition table holding the
 * movement's 2-4 entries), so every writer of history (movements, review approvals, batches, the
 * system's steps, a future writer, SQL in a test) is counted as tally_risk_facts counted entries,
 * and the lines commit or roll back with their entries. A movement writes all its entries in one
 * statement, so the trigger sees the transaction's credits when it decides `outgoing`.
 * Ownership: a line is copied once per owner of its account (a joint account's line under each).
 * user_accounts is written when an account opens, before it has entries; should an owner be added
 * to, or removed from, an account that has history (only SQL does that), that user's lines are
 * rebuilt from entries (tally_risk_lines_rebuild), so `outgoing` stays what entries say.
 *
 * tally_risk_facts reads risk_lines when the asked account has exactly one owner (every account
 * the API opens). An account with several owners (or none) counts over the union of its owners'
 * accounts, whose lines may sit under either owner with `outgoing` decided per owner: those calls
 * keep the previous per-account scan, unchanged, as tally_risk_facts_by_accounts (also what
 * test/integration/risk-lines-exact.test.ts compares the new answers with).
 *
 * The backfill copies every existing line. Rows are never pruned yet: nothing reads a row older
 * than 7 days and a banking day, and the index range does not grow with the table.
 */
export class Migration20261204300000_risk_lines extends Migration {
  override async up(): Promise<void> {
    this.createTable();
    this.createWriters();
    this.addSql(`create trigger entries_risk_lines after insert on entries referencing new table as new_rows
      for each statement execute function tally_risk_lines_of_entries();`);
    for (const [event, table] of [['insert', 'new_rows'], ['delete', 'old_rows']] as const) {
      this.addSql(`create trigger user_accounts_risk_lines_${event} after ${event} on user_accounts referencing ${event === 'insert' ? 'new' : 'old'} table as ${table}
        for each statement execute function tally_risk_lines_of_owners();`);
    }
    this.addSql(`create trigger user_accounts_risk_lines_update after update on user_accounts
      for each row execute function tally_risk_lines_of_owner_change();`);
    this.addSql(`select tally_risk_lines_rebuild(u.user_id) from (select distinct user_id from user_accounts) u;`);
    this.addSql(OLD_FACTS);
    this.addSql(FACTS);
  }

  private createTable(): void {
    this.addSql(`
create table risk_lines (
  customer_id uuid not null,
  at timestamptz not null,
  entry_id bigint not null,
  kind text not null,
  channel text not null,
  currency char(3) not null,
  amount_minor bigint not null,
  outgoing boolean not null,
  primary key (customer_id, at, entry_id) include (kind, channel, currency, amount_minor, outgoing)
);`);
  }

  private createWriters(): void {
    // The two copies of "which lines count" (a statement's new entries; one customer's whole
    // history) must stay the same predicate: tally_risk_facts_by_accounts' history, lines and leaving.
    // Each line's transaction is fetched by its key behind an `offset 0` fence: planned with young
    // statistics (a bench database right after its bulk setup, or a fresh one), the join was a
    // hash of a sequential scan of every transaction, 15 ms per movement instead of 0.2 ms, and
    // plpgsql kept that plan for the connection (pg_stat_user_tables on the bench: one seq_scan
    // of ledger_transactions per movement, with the step on only).
    this.addSql(`
create function tally_risk_lines_of_entries() returns trigger language plpgsql as $$
begin
  insert into risk_lines (customer_id, at, entry_id, kind, channel, currency, amount_minor, outgoing)
  select o.user_id, n.created_at, n.id, t.kind, t.channel, t.currency, t.amount_minor, line.outgoing
    from new_rows n
   cross join lateral (select x.kind, x.channel, x.currency, x.amount_minor from ledger_transactions x where x.id = n.transaction_id offset 0) t
    join user_accounts o on o.account_id = n.account_id
   cross join lateral (select n.direction = 'DEBIT' and n.layer = 'POSTED' and (t.kind = 'WITHDRAWAL' or (t.kind = 'TRANSFER' and not exists (
            select 1 from entries c join user_accounts co on co.account_id = c.account_id and co.user_id = o.user_id
             where c.transaction_id = n.transaction_id and c.direction = 'CREDIT' and c.layer = 'POSTED'))) as outgoing) line
   where n.account_version is not null and t.kind in ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER')
     and (line.outgoing or (t.channel = 'CASH' and t.kind in ('DEPOSIT', 'WITHDRAWAL')));
  return null;
end $$;`);
    this.addSql(`
create function tally_risk_lines_rebuild(p_customer uuid) returns void language plpgsql as $$
begin
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
end $$;`);
    // An account opening inserts its owner before any entry: nothing to rebuild, one probe per row.
    this.addSql(`
create function tally_risk_lines_of_owners() returns trigger language plpgsql as $$
declare
  customer uuid;
begin
  if tg_op = 'INSERT' then
    for customer in select distinct n.user_id from new_rows n where exists (select 1 from entries e where e.account_id = n.account_id) loop
      perform tally_risk_lines_rebuild(customer);
    end loop;
  else
    for customer in select distinct o.user_id from old_rows o loop
      perform tally_risk_lines_rebuild(customer);
    end loop;
  end if;
  return null;
end $$;`);
    this.addSql(`
create function tally_risk_lines_of_owner_change() returns trigger language plpgsql as $$
begin
  perform tally_risk_lines_rebuild(old.user_id);
  if new.user_id <> old.user_id then perform tally_risk_lines_rebuild(new.user_id); end if;
  return null;
end $$;`);
  }
}

/** The previous tally_risk_facts (migration 20261203130000), verbatim under a new name: the path of an account with several owners or none. */
const OLD_FACTS = `
create or replace function tally_risk_facts_by_accounts(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz)
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
end $$;`;

/**
 * What tally_risk_facts answers is unchanged (see migration 20261201140000 for what it counts);
 * only where the velocity and cash lines are read from: one range of risk_lines_pkey. And whether
 * the payee was paid before is found from the payee's credit lines, each line's transaction by its
 * key, fenced with `offset 0` as the cash lines were in 20261203130000, so that statistics taken
 * when every transaction was a deposit (kind = 'TRANSFER' then looks rare) cannot make the planner
 * drive the join from a scan of ledger_transactions. A precaution: the one sequential scan per
 * movement the bench showed (pg_stat_user_tables) was the trigger's join, fenced the same way.
 */
const FACTS = `
create or replace function tally_risk_facts(p_account uuid, p_payee uuid, p_now timestamptz, p_day_start timestamptz, p_day_end timestamptz)
returns json language plpgsql volatile as $$
declare
  owners uuid[];
  customer uuid;
  result json;
begin
  owners := array(select u.user_id from user_accounts u where u.account_id = p_account);
  if cardinality(owners) <> 1 then
    return tally_risk_facts_by_accounts(p_account, p_payee, p_now, p_day_start, p_day_end);
  end if;
  customer := owners[1];
  with lines as materialized (
    select r.at, r.kind, r.channel, r.currency, r.amount_minor, r.outgoing from risk_lines r
     where r.customer_id = customer
       and r.at >= least(p_now - interval '7 days', p_day_start) and r.at <= greatest(p_now, p_day_end)),
  leaving as (
    select l.* from lines l where l.outgoing and l.at > p_now - interval '7 days' and l.at <= p_now)
  select json_build_object(
    'created_at', a.created_at,
    'last_activity_at', (select max(e.created_at) from entries e where e.account_id = a.id and e.account_version is not null),
    'outgoing', (select json_agg(x) from (
        select channel, currency,
               count(*) filter (where at > p_now - interval '10 minutes')::text as count_10m,
               coalesce(sum(amount_minor) filter (where at > p_now - interval '10 minutes'), 0)::text as sum_10m,
               count(*) filter (where at > p_now - interval '1 hour')::text as count_1h,
               coalesce(sum(amount_minor) filter (where at > p_now - interval '1 hour'), 0)::text as sum_1h,
               count(*) filter (where at > p_now - interval '24 hours')::text as count_24h,
               coalesce(sum(amount_minor) filter (where at > p_now - interval '24 hours'), 0)::text as sum_24h,
               count(*)::text as count_7d, sum(amount_minor)::text as sum_7d
          from leaving group by channel, currency) x),
    'cash_today', (select json_agg(y) from (
        select l.kind, l.currency, sum(l.amount_minor)::text as sum_minor from lines l
         where l.at >= p_day_start and l.at < p_day_end and l.channel = 'CASH' and l.kind in ('DEPOSIT', 'WITHDRAWAL')
         group by l.kind, l.currency) y),
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
