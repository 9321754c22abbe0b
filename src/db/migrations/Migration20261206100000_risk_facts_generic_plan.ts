import { Migration } from '@mikro-orm/migrations';

/**
 * tally_risk_facts plans its statements once per connection, not once per call (issue 9: the risk
 * step's cost).
 *
 * plpgsql caches a plan per statement, but for a statement that reads the function's parameters it
 * makes a custom plan for the first five calls and then keeps making one on every call whenever
 * the generic plan's estimate is not below the custom plans' average: for the facts' grouped read
 * of risk_lines (a CTE, five sub-selects, an exists over entries) it never was, so each call
 * planned that statement anew. `npm run bench:risk-facts` (100 customers, 200 lines each, one
 * backend's CPU, 2,000 calls over varied accounts): 0.76-0.81 ms per call before, 0.24-0.33
 * after. The generic plan reads the same index range (risk_lines_pkey from the customer and the
 * window's start); risk-facts-plan.test.ts checks that seven calls on one connection all run it.
 */
export class Migration20261206100000_risk_facts_generic_plan extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter function tally_risk_facts(uuid, uuid, timestamptz, timestamptz, timestamptz) set plan_cache_mode = force_generic_plan;`);
  }
}
