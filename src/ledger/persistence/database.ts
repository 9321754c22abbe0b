import type { Sql } from 'sql-template-tag';
import type { SqlEntityManager } from '@mikro-orm/postgresql';

/**
 * The ledger talks to PostgreSQL through MikroORM's entity manager, with hand-written SQL where
 * the exact statement matters (row locks, append-only inserts, one-snapshot reads). `em.execute`
 * runs inside the current `em.transactional` when there is one.
 */
export type Database = SqlEntityManager;

/** PostgreSQL `bigint` reaches JavaScript as text (pg) or a lossy number (PGlite); always select `::text`. */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') return BigInt(value);
  throw new TypeError(`expected a bigint column selected as text, got ${typeof value}`);
}

export async function queryRows<Row>(database: Database, sql: string, parameters: unknown[] = []): Promise<Row[]> {
  return (await database.execute(sql, parameters, 'all')) as Row[];
}

/** Runs a statement built from named fragments (sql-template-tag), each carrying its own parameters. */
export async function queryStatement<Row>(database: Database, statement: Sql): Promise<Row[]> {
  return queryRows<Row>(database, statement.sql, statement.values);
}

export async function runStatement(database: Database, sql: string, parameters: unknown[] = []): Promise<number> {
  const result = (await database.execute(sql, parameters, 'run')) as { affectedRows?: number };
  return result.affectedRows ?? 0;
}

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are opaque to clients; anything that is not one of ours is simply not found. */
export function isId(text: string): boolean {
  return UUID_SHAPE.test(text);
}

/**
 * The one spelling of an id inside Tally: lower case, as PostgreSQL prints a `uuid`. PostgreSQL
 * compares uuids case-insensitively, but the ledger keys locked rows and requests by text, so an
 * upper-case id must become the canonical one at the edge, before anything compares or hashes it.
 * Text that is not a UUID is returned as it is (and is then simply not found).
 */
export function canonicalId(text: string): string {
  return isId(text) ? text.toLowerCase() : text;
}
