import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** Ownership: which users may see and move the money of which customer accounts (seed: many-to-many). */
export const UserAccountSchema = defineEntity({
  name: 'UserAccount',
  tableName: 'user_accounts',
  properties: (p) => ({
    userId: p.uuid().primary(),
    accountId: p.uuid().primary(),
    createdAt: p.datetime().defaultRaw('now()'),
  }),
  primaryKeys: ['userId', 'accountId'],
});
export type UserAccount = InferEntity<typeof UserAccountSchema>;
