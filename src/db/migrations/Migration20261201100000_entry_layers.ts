import { Migration } from '@mikro-orm/migrations';

/**
 * Entries carry their own amounts and a layer (DESIGN.md "Ledger core, second edition" 1-3): POSTED
 * money is final, PENDING entries are holds. Every entry written so far is POSTED, and no hold has
 * ever existed, so every history line so far had nothing pending after it.
 */
export class Migration20261201100000_entry_layers extends Migration {
  override async up(): Promise<void> {
    // A constant default fills existing rows without rewriting or updating them: no row trigger
    // fires, so the append-only guard is untouched.
    this.addSql(`alter table entries add column layer text not null default 'POSTED' check (layer in ('POSTED', 'PENDING'));`);
    this.addSql(`alter table entries alter column layer drop default;`);

    // The pending balance after each history line. Entries are append-only (law 1); this one-time
    // backfill of a new column (0: no hold ever existed) is the only UPDATE allowed, with the guard
    // off for the length of this migration's transaction, as the currency exponent's was.
    this.addSql(`alter table entries add column pending_after_minor bigint;`);
    this.addSql(`alter table entries disable trigger entries_append_only;`);
    this.addSql(`update entries set pending_after_minor = 0 where account_version is not null;`);
    this.addSql(`alter table entries enable trigger entries_append_only;`);
    this.addSql(`alter table entries add constraint entries_pending_history_shape check ((account_version is null) = (pending_after_minor is null));`);

    // Law 1 at commit, per currency and per layer: a fee or a split has entries of different
    // amounts, but each layer of a transaction still balances on its own.
    this.addSql(`
create or replace function tally_check_transaction_balances() returns trigger language plpgsql as $$
declare
  entry_count integer;
  unbalanced_layers integer;
begin
  select count(*) into entry_count from entries where transaction_id = new.transaction_id;
  select count(*) into unbalanced_layers from (
    select 1 from entries where transaction_id = new.transaction_id
     group by currency, layer
    having sum(case direction when 'CREDIT' then amount_minor else -amount_minor end) <> 0) as layers;
  if entry_count < 2 or unbalanced_layers > 0 then
    raise exception 'transaction % does not balance (% entries, % unbalanced layers)', new.transaction_id, entry_count, unbalanced_layers
      using errcode = 'check_violation';
  end if;
  return null;
end $$;`);
  }
}
