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

export async function runStatement(database: Database, sql: string, parameters: unknown[] = []): Promise<number> {
  const result = (await database.execute(sql, parameters, 'run')) as { affectedRows?: number };
  return result.affectedRows ?? 0;
}

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are opaque to clients; anything that is not one of ours is simply not found. */
export function isId(text: string): boolean {
  return UUID_SHAPE.test(text);
}
