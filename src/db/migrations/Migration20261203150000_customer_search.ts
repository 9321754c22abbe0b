import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 13, operators look up a customer (Query.customers): a username prefix and an e-mail, both
 * case-insensitive, each an index look-up instead of a scan of every user. text_pattern_ops lets
 * `lower(username) like 'bo%'` use the index whatever the database's collation; an account number
 * already has the accounts' unique index.
 */
export class Migration20261203150000_customer_search extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index users_username_prefix on users (lower(username) text_pattern_ops);`);
    this.addSql(`create index users_email_lower on users (lower(email));`);
  }
}
