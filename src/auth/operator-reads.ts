import type { MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../ledger/types.js';
import { recordAudit, type AuditAction, type AuditOrigin } from './audit.js';

/** What an operator read: one customer (found by a search), one account (its details, balance or history), one transaction or one dispute. */
export type OperatorReadAction = Extract<AuditAction, 'operator.read_customer' | 'operator.read_account' | 'operator.read_transaction' | 'operator.read_dispute'>;

/**
 * What auditing an operator's read needs of the request it belongs to (the GraphQL Context fits):
 * where the audit line is written (its own unit of work, not the request's read-only one) and
 * the request id and address it carries. The object itself identifies the request.
 */
export interface OperatorReadRequest extends AuditOrigin {
  readonly orm: MikroORM;
}

/**
 * The targets already audited per request (or per WebSocket operation): a page of history, a
 * balance and the account itself in one request are one audit line for that account, not three
 * (and aliases cannot flood the table). Keyed weakly, so it goes with the request.
 */
const auditedByRequest = new WeakMap<OperatorReadRequest, Map<string, Promise<void>>>();

/**
 * Appends one audit line per request and target for an operator's read of a customer's data.
 * Parallel resolvers of one request share the one write and all wait for it: no data of the
 * read is returned before its audit line is stored.
 */
export function auditOperatorRead(request: OperatorReadRequest, viewer: Actor, action: OperatorReadAction, target: string): Promise<void> {
  let audited = auditedByRequest.get(request);
  if (!audited) {
    audited = new Map();
    auditedByRequest.set(request, audited);
  }
  const key = `${action}:${target}`;
  let written = audited.get(key);
  if (!written) {
    written = recordAudit(request.orm.em.fork(), request, { action, outcome: 'OK', actorUserId: viewer.userId, target });
    audited.set(key, written);
  }
  return written;
}
