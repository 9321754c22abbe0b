import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** The first outcome of a money-moving request, kept per (user, idempotency key) for replays. */
export const IdempotencyRecordSchema = defineEntity({
  name: 'IdempotencyRecord',
  tableName: 'idempotency_records',
  properties: (p) => ({
    userId: p.uuid().primary(),
    key: p.text().primary(),
    command: p.text(),
    requestHash: p.text(),
    outcome: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().defaultRaw('now()'),
  }),
  primaryKeys: ['userId', 'key'],
});
export type IdempotencyRecord = InferEntity<typeof IdempotencyRecordSchema>;
