import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** One security event, append-only: who did what to which target, when, and from which request. */
export const AuditEventSchema = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  properties: (p) => ({
    id: p.bigint('string').primary().autoincrement(),
    occurredAt: p.datetime().defaultRaw('now()'),
    actorUserId: p.uuid().nullable(),
    action: p.text(),
    target: p.text().nullable(),
    outcome: p.enum(['OK', 'DENIED'] as const),
    requestId: p.text().nullable(),
    clientIp: p.text().nullable(),
    details: p.json<Record<string, unknown>>().default('{}'),
  }),
});
export type AuditEvent = InferEntity<typeof AuditEventSchema>;
