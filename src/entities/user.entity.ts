import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** A person or system that signs in: a bank customer, an operator (a teller), or a rail's service. */
export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: (p) => ({
    id: p.uuid().primary(),
    username: p.text().unique(),
    email: p.text(),
    address: p.text().nullable(),
    /** The holder's full name ("Bob Smith"); a payer sees it only masked (auth/holder-name.ts). */
    fullName: p.text().nullable(),
    /** argon2id PHC string; the password itself is never stored. */
    passwordHash: p.text().hidden(),
    role: p.enum(['CUSTOMER', 'OPERATOR', 'SERVICE'] as const).default('CUSTOMER'),
    /** A service's channels (empty for everyone else); read per request, so a revocation acts at once. */
    channels: p.array().default([]),
    /** AES-256-GCM sealed base32 TOTP secret; set at enrolment, kept while two-factor is on. */
    totpSecretEncrypted: p.text().nullable(),
    /** When two-factor sign-in was confirmed; null while it is off. */
    totpEnabledAt: p.datetime().nullable(),
    /** The last accepted TOTP time step: a code is accepted at most once. */
    totpLastTimeStep: p.bigint('number').nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  }),
});
export type User = InferEntity<typeof UserSchema>;
