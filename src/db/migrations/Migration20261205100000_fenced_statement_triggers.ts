import { Migration } from '@mikro-orm/migrations';

/**
 * The two statement-level triggers on entries probe by key instead of scanning (issues 9 and 11).
 *
 * Both join a statement's new rows (a transition table) to a whole table. The planner knows
 * nothing of a transition table's rows, and plpgsql keeps the plan it first made for the life of
 * the connection, so with statistics taken while the table was small (a fresh database, the
 * bench right after its bulk setup) both chose a hash join over a sequential scan of the whole
 * table, a cost that grows with the ledger. Seen with group commit at 32 clients
 * (pg_stat_user_tables and auto_explain on the bench database): the balance check scanned all of
 * `entries` (20,170 rows, 2.7 ms) in about every grouped write, and the risk lines' copy scanned
 * all of `user_accounts` (10,000 rows, 6.1 ms) in about every other one.
 *
 * Each row of the transition table now reaches the big table through a lateral subquery fenced
 * with `offset 0`, which the planner cannot flatten into a join: an index probe per new row
 * (entries_transaction_id, user_accounts_account_id), whatever the statistics say. What the
 * triggers compute is unchanged: the same columns, the same predicates.
 */
export class Migration20261205100000_fenced_statement_triggers extends Migration {
  override async up(): Promise<void> {
    this.addSql(BALANCE_CHECK);
    this.addSql(RISK_LINES_OF_ENTRIES);
  }
}

/** Migration 20261204200000's check, the transaction's entries fetched per distinct new transaction. */
const BALANCE_CHECK = `
create or replace function tally_check_statement_balances() returns trigger language plpgsql as $$
declare
  offender record;
begin
  -- Per transaction: how many entries, and how many (currency, layer) pairs do not net to zero.
  -- One grouped query whatever the number of transactions the statement wrote.
  select per_transaction.transaction_id, per_transaction.entry_count, per_transaction.unbalanced_layers into offender
    from (
      select layers.transaction_id, sum(layers.entry_count) as entry_count, count(*) filter (where layers.net <> 0) as unbalanced_layers
        from (
          select touched.transaction_id, count(*) as entry_count, sum(case e.direction when 'CREDIT' then e.amount_minor else -e.amount_minor end) as net
            from (select distinct n.transaction_id from new_entries n) as touched
           cross join lateral (select x.direction, x.amount_minor, x.currency, x.layer from entries x where x.transaction_id = touched.transaction_id offset 0) as e
           group by touched.transaction_id, e.currency, e.layer) as layers
       group by layers.transaction_id) as per_transaction
   where per_transaction.entry_count < 2 or per_transaction.unbalanced_layers > 0
   limit 1;
  if found then
    raise exception 'transaction % does not balance (% entries, % unbalanced layers)', offender.transaction_id, offender.entry_count, offender.unbalanced_layers
      using errcode = 'check_violation';
  end if;
  return null;
end $$;`;

/**
 * Migration 20261204300000's copy, each new line's owners and its transaction's credits to the
 * same customer fetched by key. tally_risk_lines_rebuild (one customer's whole history, driven
 * from that customer's accounts) is planned from user_accounts' key and keeps its form.
 */
const RISK_LINES_OF_ENTRIES = `
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
  return null;
end $$;`;
