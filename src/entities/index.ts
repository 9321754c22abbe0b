import { AuditEventSchema } from './audit-event.entity.js';
import { UserSchema } from './user.entity.js';

/**
 * The only tables Tally reads and writes through MikroORM's unit of work: users (sign-in, profile)
 * and audit events (written beside what they record). The ledger's tables have no mapping on
 * purpose: their storage is the SQL in ledger/persistence/ and the migrations, and a second,
 * unused description of the same tables would only drift.
 */
export const entities = [UserSchema, AuditEventSchema];
