import type { Context } from '../context.js';
import type { Actor } from '../ledger/types.js';
import { recordAudit, type AuditAction } from './audit.js';

/** What an operator read: one account (its details, balance or history) or one transaction. */
export type OperatorReadAction = Extract<AuditAction, 'operator.read_account' | 'operator.read_transaction'>;

/**
 * The targets already audited per request (or per WebSocket operation): a page of history, a
 * balance and the account itself in one request are one audit line for that account, not three
 * (and aliases cannot flood the table). Keyed weakly, so it goes with the request.
 */
const auditedByRequest = new WeakMap<Context, Map<string, Promise<void>>>();

/**
 * Appends one audit line per request and target for an operator's read of a customer's data.
 * Parallel resolvers of one request share the one write and all wait for it: no data of the
 * read is returned before its audit line is stored.
 */
export function auditOperatorRead(context: Context, viewer: Actor, action: OperatorReadAction, target: string): Promise<void> {
  let audited = auditedByRequest.get(context);
  if (!audited) {
    audited = new Map();
    auditedByRequest.set(context, audited);
  }
  const key = `${action}:${target}`;
  let written = audited.get(key);
  if (!written) {
    written = recordAudit(context.orm.em.fork(), context, { action, outcome: 'OK', actorUserId: viewer.userId, target });
    audited.set(key, written);
  }
  return written;
}
