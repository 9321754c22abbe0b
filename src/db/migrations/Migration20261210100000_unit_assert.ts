import { Migration } from '@mikro-orm/migrations';

/**
 * An assertion a statement can make about its own results, so that PostgreSQL refuses what the
 * server would have refused after reading them. A unit's last write carries the unit's COMMIT in
 * its own message (db/pipelined-transactions.ts, issue 11 §3): the server reads its answer only
 * once the COMMIT ran, too late to roll back, so the write's checks (every account row updated
 * under its lock, every outcome recorded under its claim) are made by the statement itself. A
 * failed check raises `assert_failure` (P0004, not a transient state: the unit is not retried),
 * and PostgreSQL then skips the rest of the message, the COMMIT included.
 */
export class Migration20261210100000_unit_assert extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function tally_assert(p_holds boolean, p_message text) returns boolean language plpgsql volatile as $$
begin
  if p_holds is not true then
    raise exception using message = p_message, errcode = 'P0004';
  end if;
  return true;
end $$;`);
  }
}
