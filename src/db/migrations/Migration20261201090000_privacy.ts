import { Migration } from '@mikro-orm/migrations';

/**
 * Privacy: entries get a public id that says nothing about the bank's posting volume (the
 * identity column is a global sequence), and users get the full name that a payer sees masked.
 */
export class Migration20261201090000_privacy extends Migration {
  override async up(): Promise<void> {
    // A volatile default fills every existing row with its own value while the table is
    // rewritten; no row trigger fires, so the append-only guard is untouched. Nothing looks an
    // entry up by it, so it needs no index (a random UUID collides with negligible probability).
    this.addSql(`alter table entries add column public_id uuid not null default gen_random_uuid();`);
    this.addSql(`alter table users add column full_name text check (full_name is null or length(full_name) between 1 and 200);`);
  }
}
