import { AccountSchema } from './account.entity.js';
import { AuditEventSchema } from './audit-event.entity.js';
import { EntrySchema } from './entry.entity.js';
import { IdempotencyRecordSchema } from './idempotency-record.entity.js';
import { LedgerTransactionSchema } from './ledger-transaction.entity.js';
import { RefreshTokenSchema } from './refresh-token.entity.js';
import { UserAccountSchema } from './user-account.entity.js';
import { UserSchema } from './user.entity.js';

export const entities = [
  UserSchema,
  AccountSchema,
  UserAccountSchema,
  LedgerTransactionSchema,
  EntrySchema,
  IdempotencyRecordSchema,
  RefreshTokenSchema,
  AuditEventSchema,
];
