import type { AuditAction, AuditOrigin } from './audit.js';
import { recordAudit } from './audit.js';
import type { UnitOptions } from '../ledger/commands/run-command.js';
import type { Actor } from '../ledger/types.js';

/** The movements a service makes, each audited (issue 8 §2: "every call is audited"). */
export type ServiceAuditAction = Extract<
  AuditAction,
  'service.deposit' | 'service.withdraw' | 'service.transfer' | 'service.authorize_hold' | 'service.capture_hold' | 'service.void_hold'
>;

/**
 * The unit options that write one audit line of a privileged caller's movement inside the
 * movement's own unit, after its command: the line commits with the money or not at all, and a
 * refusal (FORBIDDEN included, which stores nothing under the key) is recorded as DENIED with its
 * code. A replay is recorded too, marked as one.
 */
export function auditedUnit(origin: AuditOrigin, viewer: Actor, action: AuditAction, target: string, details: Record<string, unknown>): UnitOptions {
  return {
    withinUnit: (database, [result]) =>
      recordAudit(database, origin, {
        action,
        outcome: result?.outcome.ok ? 'OK' : 'DENIED',
        actorUserId: viewer.userId,
        target,
        details: {
          ...details,
          ...(viewer.role === 'SERVICE' ? { channels: viewer.channels ?? [] } : {}),
          ...(result && !result.outcome.ok ? { code: result.outcome.code } : {}),
          replayed: result?.replayed ?? false,
        },
      }),
  };
}
