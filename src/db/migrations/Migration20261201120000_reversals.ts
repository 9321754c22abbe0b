import { Migration } from '@mikro-orm/migrations';

/**
 * Reversals (issue 8 §5): a REVERSAL transaction points at the transaction it undoes, and the
 * overdraft law becomes "no overdraft except through a correction".
 *
 * - `ledger_transactions.reverses_transaction_id`: the link lives on the new row, so the
 *   append-only guard stays; a unique index makes "reversed at most once" the database's word,
 *   whatever two concurrent requests decided. `Transaction.status` REVERSED is read through it.
 * - `accounts.corrected_at_version`: the version whose change was a correction (a reversal; a
 *   returned item later). The check constraint `accounts_no_overdraft` could only see the new row,
 *   so it refused a reversal of a spent deposit, and also any deposit into an account a correction
 *   had already taken below the line. It becomes a row trigger that sees the change: a change may
 *   leave available below minus the overdraft limit only if it did not lower available, or if it is
 *   a correction (it advances the version and marks that very version as corrected). A raw UPDATE
 *   that lowers available without advancing the version is refused as before.
 */
export class Migration20261201120000_reversals extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table ledger_transactions add column reverses_transaction_id uuid references ledger_transactions (id);`);
    this.addSql(`create unique index ledger_transactions_reverses_once on ledger_transactions (reverses_transaction_id) where reverses_transaction_id is not null;`);
    this.addSql(`alter table ledger_transactions add constraint ledger_transactions_reversal_shape check ((kind = 'REVERSAL') = (reverses_transaction_id is not null));`);

    this.addSql(`alter table accounts add column corrected_at_version integer;`);
    this.addSql(`alter table accounts drop constraint accounts_no_overdraft;`);
    this.addSql(`
create function tally_check_overdraft() returns trigger language plpgsql as $$
declare
  available_after bigint := new.posted_minor - new.pending_minor;
begin
  if new.holder = 'INTERNAL' or available_after >= -new.overdraft_limit_minor then
    return new;
  end if;
  if tg_op = 'UPDATE' then
    -- Not lowered: a deposit into an account a correction took below the line.
    if available_after >= old.posted_minor - old.pending_minor then
      return new;
    end if;
    -- A correction: this change's own version is the corrected one.
    if new.version > old.version and new.corrected_at_version = new.version then
      return new;
    end if;
  end if;
  raise exception 'account % would be overdrawn past its limit (available %, limit %)', new.id, available_after, new.overdraft_limit_minor
    using errcode = 'check_violation', constraint = 'accounts_no_overdraft';
end $$;`);
    this.addSql(`create trigger accounts_no_overdraft before insert or update on accounts for each row execute function tally_check_overdraft();`);
  }
}
