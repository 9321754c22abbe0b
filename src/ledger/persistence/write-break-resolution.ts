import sql from 'sql-template-tag';
import type { BreakResolutionPlan } from '../reconciliation/decide-resolve-break.js';
import { queryStatement, type Database } from './database.js';

/** The break's new status, who resolved it, when, why, and the adjustment it posted. */
export async function writeBreakResolution(database: Database, plan: BreakResolutionPlan, resolvedBy: string, transactionId: string | null, now: Date): Promise<void> {
  await queryStatement(
    database,
    sql`update reconciliation_breaks set status = ${plan.status}, resolved_by = ${resolvedBy}::uuid, resolved_at = ${now.toISOString()}::timestamptz,
          resolution_reason = ${plan.reason}::text, adjustment_transaction_id = ${transactionId}::uuid
        where id = ${plan.before.id}::uuid and status = 'OPEN'`,
  );
}
