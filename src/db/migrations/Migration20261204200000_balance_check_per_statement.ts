import { Migration } from '@mikro-orm/migrations';

/**
 * Law 1 at the database, once per statement instead of once per entry row (issue 11 §3).
 *
 * The first edition checked a transaction's balance in a deferred constraint trigger that ran, at
 * commit, for EACH ENTRY ROW: two queries per row, so a deposit paid four and a file of 1,000
 * movements thousands, each re-checking the same transaction. Now one trigger per INSERT statement
 * reads the statement's new rows (a transition table), and checks every transaction they touch in
 * one grouped query over all of that transaction's entries, old and new.
 *
 * What changes: the check runs at the end of the inserting statement, not at commit, so all of a
 * transaction's entries must be inserted by one statement. Every writer does so: a movement's
 * entries are one CTE of its one statement (ledger/persistence/write-movement.ts), the bench's
 * opening deposits are one statement, and nothing else inserts into entries. A statement adding
 * entries to a transaction that already has some is checked over all of them, so a transaction
 * can never be unbalanced by a later insert either.
 */
export class Migration20261204200000_balance_check_per_statement extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create function tally_check_statement_balances() returns trigger language plpgsql as $$
declare
  offender record;
begin
  -- Per transaction: how many entries, and how many (currency, layer) pairs do not net to zero.
  -- One grouped query whatever the number of transactions the statement wrote.
  select per_transaction.transaction_id, per_transaction.entry_count, per_transaction.unbalanced_layers into offender
    from (
      select layers.transaction_id, sum(layers.entry_count) as entry_count, count(*) filter (where layers.net <> 0) as unbalanced_layers
        from (
          select e.transaction_id, count(*) as entry_count, sum(case e.direction when 'CREDIT' then e.amount_minor else -e.amount_minor end) as net
            from entries e
           where e.transaction_id in (select distinct transaction_id from new_entries)
           group by e.transaction_id, e.currency, e.layer) as layers
       group by layers.transaction_id) as per_transaction
   where per_transaction.entry_count < 2 or per_transaction.unbalanced_layers > 0
   limit 1;
  if found then
    raise exception 'transaction % does not balance (% entries, % unbalanced layers)', offender.transaction_id, offender.entry_count, offender.unbalanced_layers
      using errcode = 'check_violation';
  end if;
  return null;
end $$;`);
    this.addSql(`create trigger entries_balance_per_statement after insert on entries
      referencing new table as new_entries for each statement execute function tally_check_statement_balances();`);
    this.addSql(`drop trigger entries_balance_per_transaction on entries;`);
    this.addSql(`drop function tally_check_transaction_balances();`);
  }
}
