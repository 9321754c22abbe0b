import { Migration } from '@mikro-orm/migrations';

/**
 * tally_risk_facts becomes VOLATILE so that the unit's claim-and-lock statement can call it after
 * its row locks, in the same round trip (src/ledger/persistence/idempotency-records.ts). A plain
 * statement reads with the snapshot it took when it started, before it waited for a lock (READ
 * COMMITTED); a STABLE function reads with its caller's snapshot, so it would not see the movement
 * of the unit that held the lock. A VOLATILE plpgsql function takes a fresh snapshot for each
 * statement it runs, so its reads, made once the locks are granted, see everything committed up to
 * then (test/integration/risk-facts-fresh.test.ts races two units to show it). What it counts is
 * unchanged (migration 20261201140000).
 */
export class Migration20261202100000_fresh_risk_facts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter function tally_risk_facts(uuid, uuid, timestamptz, timestamptz, timestamptz) volatile;`);
  }
}
