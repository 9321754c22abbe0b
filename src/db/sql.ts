import type { Sql } from 'sql-template-tag';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { flushPendingWrites } from './pending-writes.js';

/**
 * Tally talks to PostgreSQL through MikroORM's entity manager, with hand-written SQL where the
 * exact statement matters (row locks, append-only inserts, one-snapshot reads). `em.execute` runs
 * inside the current `em.transactional` when there is one. These helpers know nothing of the
 * ledger: auth, the outbox relay and the ledger's own persistence all use them.
 */
export type Database = SqlEntityManager;

/** PostgreSQL `bigint` reaches JavaScript as text (pg) or a lossy number (PGlite); always select `::text`. */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') return BigInt(value);
  throw new TypeError(`expected a bigint column selected as text, got ${typeof value}`);
}

/**
 * Every statement first flushes the writes its transaction holds back (pending-writes.ts): a
 * read sees them, and a later write lands after them.
 */
export async function queryRows<Row>(database: Database, sql: string, parameters: unknown[] = []): Promise<Row[]> {
  await flushPendingWrites(database);
  return (await database.execute(sql, parameters, 'all')) as Row[];
}

/** Runs a statement built from named fragments (sql-template-tag), each carrying its own parameters. */
export async function queryStatement<Row>(database: Database, statement: Sql): Promise<Row[]> {
  return queryRows<Row>(database, statement.sql, statement.values);
}

export async function runStatement(database: Database, sql: string, parameters: unknown[] = []): Promise<number> {
  await flushPendingWrites(database);
  const result = (await database.execute(sql, parameters, 'run')) as { affectedRows?: number };
  return result.affectedRows ?? 0;
}
