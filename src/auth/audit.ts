import type { EntityManager } from '@mikro-orm/postgresql';
import sql from 'sql-template-tag';
import { appendStatement } from '../db/sql.js';

/** What every audit line says besides the action: who, from which request and address. */
export interface AuditOrigin {
  readonly requestId?: string;
  readonly clientIp?: string;
}

export type AuditAction =
  | 'login'
  | 'token.refresh'
  | 'token.reuse_detected'
  | 'token.revoke'
  | 'two_factor.enroll'
  | 'two_factor.enable'
  | 'two_factor.disable'
  | 'operator.deposit'
  | 'operator.reverse_transaction'
  | 'operator.return_deposit'
  | 'operator.read_account'
  | 'operator.read_customer'
  | 'operator.read_transaction'
  | 'operator.read_reviews'
  | 'operator.read_risk_rules'
  | 'operator.read_compliance_report'
  | 'operator.upsert_risk_rule'
  | 'operator.disable_risk_rule'
  | 'operator.approve_review'
  | 'operator.decline_review'
  | 'service.deposit'
  | 'service.withdraw'
  | 'service.transfer'
  | 'service.authorize_hold'
  | 'service.capture_hold'
  | 'service.void_hold'
  | 'operator.read_dispute'
  | 'dispute.open'
  | 'dispute.step'
  | 'operator.verify_journal'
  | 'operator.import_statement'
  | 'operator.reconcile'
  | 'operator.resolve_break'
  | 'operator.save_statement_profile';

export interface AuditEntry {
  readonly action: AuditAction;
  readonly outcome: 'OK' | 'DENIED';
  readonly actorUserId?: string | null;
  readonly target?: string | null;
  readonly details?: Record<string, unknown>;
}

/** Targets can be attacker-typed (a username); PostgreSQL text cannot hold NUL. */
const storableTarget = (target: string | null | undefined): string | null => target?.replaceAll('\u0000', '\ufffd') ?? null;

/**
 * Appends one security event with the caller's transaction (its entity manager): a plain insert, not
 * an entity flush, as recordAudits. A caller that changed entities has them flushed by its own
 * flush or by `em.transactional` at commit.
 */
export function recordAudit(em: EntityManager, origin: AuditOrigin, entry: AuditEntry): Promise<void> {
  return recordAudits(em, origin, [entry]);
}

/**
 * Appends several security events in ONE insert (a batch's items, each its own line). Not through
 * the ORM's unit of work: for 1,000 lines its change sets cost more than the batch's movements
 * (README "Batches"), and a statement of db/sql.ts first flushes the movements the unit holds back.
 */
export async function recordAudits(em: EntityManager, origin: AuditOrigin, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((entry) => ({
    actor_user_id: entry.actorUserId ?? null,
    action: entry.action,
    target: storableTarget(entry.target),
    outcome: entry.outcome,
    request_id: origin.requestId ?? null,
    client_ip: origin.clientIp ?? null,
    details: entry.details ?? {},
  }));
  // Inside a ledger unit the line is held back with its movements and rides with the COMMIT (db/sql.ts appendStatement).
  await appendStatement(
    em,
    sql`insert into audit_events (actor_user_id, action, target, outcome, request_id, client_ip, details)
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as a (actor_user_id uuid, action text, target text, outcome text, request_id text, client_ip text, details jsonb)`,
  );
}
