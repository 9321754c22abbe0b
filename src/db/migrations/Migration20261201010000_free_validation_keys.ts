import { Migration } from '@mikro-orm/migrations';

/**
 * A VALIDATION failure stores nothing under its idempotency key (Stripe's rule); the previous
 * release stored those found while deciding (too many fraction digits for the account's currency),
 * so the corrected retry got IDEMPOTENCY_CONFLICT. Their records hold no transaction and no money:
 * deleting them frees those keys, as if the rule had always held. Business failures stay.
 */
export class Migration20261201010000_free_validation_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`delete from idempotency_records where outcome ->> 'ok' = 'false' and outcome ->> 'code' = 'VALIDATION';`);
  }
}
