import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** A refresh token, stored only as a SHA-256 hash; tokens rotated from one login share a family. */
export const RefreshTokenSchema = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: (p) => ({
    id: p.uuid().primary(),
    userId: p.uuid(),
    tokenHash: p.text().unique(),
    familyId: p.uuid(),
    expiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
    /** The token this one was rotated into; set once, when it is used. */
    replacedBy: p.uuid().nullable(),
    /** ROTATED, REVOKED or REUSE_DETECTED. */
    revokedReason: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  }),
});
export type RefreshToken = InferEntity<typeof RefreshTokenSchema>;
