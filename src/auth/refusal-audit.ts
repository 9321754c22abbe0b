import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit, type AuditEntry, type AuditOrigin } from './audit.js';
import type { Refusal, RateLimits } from './rate-limits.js';

/**
 * Audits a request a rate limit refused, once per limit, key and window: the first refusal of a
 * burst is the security event; the thousand after it would only grow a table that refuses DELETE.
 * The row says so, and how long the caller was told to wait.
 */
export async function recordRefusal(
  em: EntityManager,
  limits: RateLimits,
  origin: AuditOrigin,
  refusal: Refusal,
  entry: Omit<AuditEntry, 'outcome'>,
): Promise<void> {
  if (!(await limits.isFirstRefusalInWindow(refusal))) return;
  await recordAudit(em, origin, {
    ...entry,
    outcome: 'DENIED',
    details: {
      ...entry.details,
      reason: 'rate_limited',
      limit: refusal.limit,
      retryAfterSeconds: refusal.retryAfterSeconds,
      laterRefusalsInWindowNotRecorded: true,
    },
  });
}
