import type { MikroORM } from '@mikro-orm/postgresql';
import { ForbiddenError, ValidationError } from '../errors.js';
import type { Database } from '../persistence/database.js';
import { saveProfile } from '../persistence/statement-imports.js';
import { checkProfile } from '../reconciliation/check-profile.js';
import type { StatementProfile } from '../reconciliation/statement-profile.js';
import type { Actor } from '../types.js';

/** Writes the save's audit line inside its transaction (a port: the ledger does not know the audit log). */
export type AuditProfileSave = (database: Database, profile: StatementProfile) => Promise<void>;

/**
 * An operator stores a statement profile under its name (replacing one of that name). Checks in
 * order: 1 operator (FORBIDDEN); 2 the profile itself (check-profile.ts). The row and its audit
 * line commit together.
 */
export async function saveStatementProfile(orm: MikroORM, actor: Actor, profile: StatementProfile, audit: AuditProfileSave): Promise<StatementProfile | ValidationError | ForbiddenError> {
  if (actor.role !== 'OPERATOR') return new ForbiddenError('Only operators save statement profiles.');
  const invalid = checkProfile(profile);
  if (invalid) return invalid;
  await orm.em.fork().transactional(async (database) => {
    await saveProfile(database, profile);
    await audit(database, profile);
  });
  return profile;
}
