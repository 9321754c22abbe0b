import { defineEntity, type InferEntity } from '@mikro-orm/core';

/**
 * A ledger account. Customer accounts store their posted balance and a version that grows by one
 * with every change; internal accounts (the bank's side of deposits and withdrawals) store no
 * balance at all: theirs is the sum of their entries, so no shared row is ever locked.
 */
export const AccountSchema = defineEntity({
  name: 'Account',
  tableName: 'accounts',
  properties: (p) => ({
    id: p.uuid().primary(),
    number: p.text().unique(),
    holder: p.enum(['CUSTOMER', 'INTERNAL'] as const),
    internalCode: p.text().nullable(),
    type: p.enum(['CHECKING', 'SAVINGS'] as const).nullable(),
    status: p.enum(['OPEN', 'FROZEN', 'CLOSED'] as const).default('OPEN'),
    currency: p.string().length(3),
    /** ISO 4217 minor-unit exponent stored at open (older accounts: ICU's, see the currency-exponent migration). */
    currencyExponent: p.smallint(),
    nickname: p.text().nullable(),
    postedMinor: p.bigint('bigint').default(0),
    pendingMinor: p.bigint('bigint').default(0),
    overdraftLimitMinor: p.bigint('bigint').default(0),
    version: p.integer().default(0),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Account = InferEntity<typeof AccountSchema>;
