import { Migration } from '@mikro-orm/migrations';

/**
 * The system principal (src/ledger/system/system-actor.ts): a reserved user row that scheduled
 * work acts as. `@system` cannot be registered by anyone (usernames have no `@`), and the hash is
 * argon2id of 48 random bytes that were thrown away when it was made: nobody can sign in as it.
 */
const UNUSABLE_PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$jmaUdos1fXhKnnMz37Vv6Q$XNCnW94gXfUIslVTa008LEThCoORjnhIomwzy352rTE';

export class Migration20261201110000_system_actor extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `insert into users (id, username, email, password_hash, role) values ('00000000-0000-4000-8000-000000000000', '@system', 'system@tally.invalid', '${UNUSABLE_PASSWORD_HASH}', 'OPERATOR')
       on conflict (id) do nothing;`,
    );
  }
}
