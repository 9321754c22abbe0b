import { Migration } from '@mikro-orm/migrations';

/**
 * The SERVICE role (issue 8 §2): one principal per rail integration, limited to its channels.
 * `users.channels` holds a service's rails and is read on every request, so revoking one (an
 * update of this row) takes effect at once. The database keeps the rules itself: only services
 * have channels, and every channel is one the ledger knows (src/ledger/types.ts CHANNELS).
 */
export class Migration20261201130000_service_role extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table users drop constraint users_role_check;`);
    this.addSql(`alter table users add constraint users_role_check check (role in ('CUSTOMER', 'OPERATOR', 'SERVICE'));`);
    this.addSql(`alter table users add column channels text[] not null default '{}';`);
    this.addSql(`alter table users add constraint users_channels_only_services check (role = 'SERVICE' or cardinality(channels) = 0);`);
    this.addSql(`alter table users add constraint users_channels_known check (channels <@ array[
      'CASH', 'CHECK', 'DIRECT_DEPOSIT', 'ACH', 'WIRE', 'PAYPAL', 'ZELLE', 'CARD', 'ATM', 'THIRD_PARTY', 'INTERNAL']::text[]);`);
  }
}
