import { Migration } from '@mikro-orm/migrations';

/**
 * Each sign-in prunes the user's expired refresh tokens (auth/refresh-tokens.ts): this index lets
 * that delete read only the user's own expired rows instead of the whole table.
 */
export class Migration20261201010000_refresh_token_pruning extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index refresh_tokens_user_id_expires_at on refresh_tokens (user_id, expires_at);`);
  }
}
