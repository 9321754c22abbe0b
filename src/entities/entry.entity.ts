import { defineEntity, type InferEntity } from '@mikro-orm/core';

/**
 * One double-entry posting. For customer accounts it also records the account version it
 * produced and its posted and pending balances right after it, which is the account's history line.
 */
export const EntrySchema = defineEntity({
  name: 'Entry',
  tableName: 'entries',
  properties: (p) => ({
    id: p.bigint('bigint').primary().autoincrement(),
    /** What the API shows as the entry's id: random, so it reveals nothing of the sequence above. */
    publicId: p.uuid().defaultRaw('gen_random_uuid()'),
    transactionId: p.uuid(),
    accountId: p.uuid(),
    direction: p.enum(['DEBIT', 'CREDIT'] as const),
    amountMinor: p.bigint('bigint'),
    currency: p.string().length(3),
    accountVersion: p.integer().nullable(),
    /** POSTED (final) or PENDING (a hold); per currency and layer a transaction balances. */
    layer: p.enum(['POSTED', 'PENDING'] as const),
    balanceAfterMinor: p.bigint('bigint').nullable(),
    /** For customer accounts: what is held (the pending balance) right after this line. */
    pendingAfterMinor: p.bigint('bigint').nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Entry = InferEntity<typeof EntrySchema>;
