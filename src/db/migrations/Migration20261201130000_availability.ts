import { Migration } from '@mikro-orm/migrations';

/**
 * Funds availability and returned items (issue 8 §4).
 *
 * - A check deposit is ONE transaction that posts the credit and places one DEPOSIT_AVAILABILITY
 *   hold per part not available at once, so several holds share one authorizing transaction: the
 *   uniqueness of `authorization_transaction_id` stays for every other reason (an authorization
 *   is one hold), and the availability holds of a deposit are found by an index.
 * - The scheduler releases those holds at `release_at` (step RELEASE); a return releases the still
 *   active ones (step RETURN).
 * - A RETURN transaction undoes a deposit through the same link a REVERSAL uses
 *   (`reverses_transaction_id`, unique): a deposit is returned at most once, and never both
 *   returned and reversed, by the database's word. `return_reason` is the operator's reason.
 * - A check the customer wrote that finds insufficient funds is recorded as a WITHDRAWAL with
 *   status RETURNED, no entries (it moves nothing and changes no balance), `return_reason` and the
 *   account it was drawn on (`returned_account_id`), so its owner can read it.
 */
export class Migration20261201130000_availability extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table holds drop constraint holds_authorization_transaction_id_key;`);
    this.addSql(`create unique index holds_one_per_authorization on holds (authorization_transaction_id) where reason <> 'DEPOSIT_AVAILABILITY';`);
    this.addSql(`create index holds_by_authorization on holds (authorization_transaction_id);`);
    // The release scheduler's scan: only active availability holds, soonest first.
    this.addSql(`create index holds_releasing on holds (release_at) where status = 'ACTIVE' and release_at is not null;`);
    this.addSql(`alter table holds add constraint holds_release_shape check (reason <> 'DEPOSIT_AVAILABILITY' or (release_at is not null and expires_at is null));`);

    // One RETURN releases every still-active hold of its deposit: a transaction may move several holds.
    this.addSql(`alter table hold_transactions drop constraint hold_transactions_transaction_id_key;`);
    this.addSql(`create index hold_transactions_by_transaction on hold_transactions (transaction_id);`);
    this.addSql(`alter table hold_transactions drop constraint hold_transactions_step_check;`);
    this.addSql(`alter table hold_transactions add constraint hold_transactions_step_check check (step in ('CAPTURE', 'VOID', 'EXPIRE', 'RELEASE', 'RETURN'));`);

    this.addSql(`alter table ledger_transactions drop constraint ledger_transactions_kind_check;`);
    this.addSql(`alter table ledger_transactions add constraint ledger_transactions_kind_check check (kind in
      ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER', 'HOLD', 'HOLD_CAPTURE', 'HOLD_RELEASE', 'REVERSAL', 'RETURN', 'FEE', 'ADJUSTMENT'));`);
    this.addSql(`alter table ledger_transactions drop constraint ledger_transactions_status_check;`);
    this.addSql(`alter table ledger_transactions add constraint ledger_transactions_status_check check (status in ('PENDING', 'POSTED', 'REVERSED', 'RETURNED'));`);
    this.addSql(`alter table ledger_transactions drop constraint ledger_transactions_reversal_shape;`);
    this.addSql(`alter table ledger_transactions add constraint ledger_transactions_reversal_shape check ((kind in ('REVERSAL', 'RETURN')) = (reverses_transaction_id is not null));`);

    // The banking day's check deposits of an account (the 6,725.00 rule): its history lines by time.
    this.addSql(`create index entries_history_by_time on entries (account_id, created_at) where account_version is not null;`);

    this.addSql(`alter table ledger_transactions add column return_reason text;`);
    this.addSql(`alter table ledger_transactions add column returned_account_id uuid references accounts (id);`);
    this.addSql(`alter table ledger_transactions add constraint ledger_transactions_return_shape check (
      (kind = 'RETURN' or status = 'RETURNED') = (return_reason is not null)
      and (status = 'RETURNED') = (returned_account_id is not null)
      and (status <> 'RETURNED' or (kind = 'WITHDRAWAL' and posted_at is null)));`);
    this.addSql(`create index ledger_transactions_returned_items on ledger_transactions (returned_account_id, created_at) where returned_account_id is not null;`);
  }
}
