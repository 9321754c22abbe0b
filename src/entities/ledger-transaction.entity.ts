import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** One business event that moved money; append-only (a database trigger refuses UPDATE and DELETE). */
export const LedgerTransactionSchema = defineEntity({
  name: 'LedgerTransaction',
  tableName: 'ledger_transactions',
  properties: (p) => ({
    id: p.uuid().primary(),
    kind: p.text(),
    channel: p.text(),
    status: p.text(),
    amountMinor: p.bigint('bigint'),
    currency: p.string().length(3),
    /** The minor-unit exponent of the transaction's accounts, which its amounts are counted in. */
    currencyExponent: p.smallint(),
    description: p.text().nullable(),
    externalRef: p.text().nullable(),
    idempotencyKey: p.text(),
    initiatedBy: p.uuid(),
    createdAt: p.datetime().defaultRaw('now()'),
    postedAt: p.datetime().nullable(),
  }),
});
export type LedgerTransaction = InferEntity<typeof LedgerTransactionSchema>;
