import type { EntityManager } from '@mikro-orm/postgresql';
import sql, { join } from 'sql-template-tag';
import { queryStatement } from '../db/sql.js';

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

/** Appends one security event; pass the transaction's entity manager to commit it with the change. */
export function recordAudit(em: EntityManager, origin: AuditOrigin, entry: AuditEntry): Promise<void> {
  return recordAudits(em, origin, [entry]);
}

/**
 * Appends several security events in one statement (a batch's items, each its own line). A plain
 * insert, not an entity flush: the line is written on every audited movement, and a flush would
 * also compute change sets over everything the entity manager holds and read the id back, which
 * nothing uses. It writes nothing else: a caller that changed entities flushes them itself.
 */
export async function recordAudits(em: EntityManager, origin: AuditOrigin, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map(
    (entry) =>
      // Targets can be attacker-typed (a username); PostgreSQL text cannot hold NUL.
      sql`(${entry.actorUserId ?? null}::uuid, ${entry.action}, ${entry.target?.replaceAll('\u0000', '\ufffd') ?? null}::text, ${entry.outcome},
           ${origin.requestId ?? null}::text, ${origin.clientIp ?? null}::text, ${JSON.stringify(entry.details ?? {})}::jsonb)`,
  );
  await queryStatement(em, sql`insert into audit_events (actor_user_id, action, target, outcome, request_id, client_ip, details) values ${join(rows)}`);
}
