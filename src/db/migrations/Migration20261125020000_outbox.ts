import { Migration } from '@mikro-orm/migrations';

/**
 * The transactional outbox (law 6): one row per account balance change, written in the same
 * database transaction as the movement, published to subscribers by the relay after commit.
 */
export class Migration20261125020000_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table outbox_events (
  id bigint generated always as identity primary key,
  account_id uuid not null references accounts (id),
  account_version integer not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz,
  attempts integer not null default 0
);`);
    this.addSql(`create index outbox_events_unpublished on outbox_events (id) where published_at is null;`);
    this.addSql(`create index outbox_events_published_at on outbox_events (published_at) where published_at is not null;`);
  }
}
