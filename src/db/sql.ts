import type { Sql } from 'sql-template-tag';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { appendPendingWrite, takePendingWrites } from './pending-writes.js';
import { quoteLongText } from './sql-literal.js';

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
 * Every statement first sends the writes its transaction holds back (pending-writes.ts): a read
 * sees them, and a later write lands after them. On PostgreSQL they travel in the same message,
 * in front of the statement: one round trip for both.
 */
async function executeAfterHeldWrites(database: Database, sql: string, parameters: unknown[], method: 'all' | 'run'): Promise<unknown> {
  const held = await takePendingWrites(database);
  if (!held) return database.execute(sql, quoteLongText(parameters), method);
  const results = (await database.execute(`${held.sql};\n${sql}`, quoteLongText([...held.parameters, ...parameters]), method)) as unknown[];
  held.ran(results.slice(0, held.count));
  return results[held.count];
}

export async function queryRows<Row>(database: Database, sql: string, parameters: unknown[] = []): Promise<Row[]> {
  return (await executeAfterHeldWrites(database, sql, parameters, 'all')) as Row[];
}

/** Runs a statement built from named fragments (sql-template-tag), each carrying its own parameters. */
export async function queryStatement<Row>(database: Database, statement: Sql): Promise<Row[]> {
  return queryRows<Row>(database, statement.sql, statement.values);
}

export async function runStatement(database: Database, sql: string, parameters: unknown[] = []): Promise<number> {
  const result = (await executeAfterHeldWrites(database, sql, parameters, 'run')) as { affectedRows?: number };
  return result.affectedRows ?? 0;
}

/**
 * A write whose answer nobody reads (an audit line): inside a ledger unit it is held back with the
 * unit's movements and sent with its next statement or its COMMIT (pending-writes.ts); elsewhere
 * it runs now, after the held writes as every statement does.
 */
export async function appendStatement(database: Database, statement: Sql): Promise<void> {
  if (appendPendingWrite(database, { sql: statement.sql, parameters: statement.values })) return;
  await queryRows(database, statement.sql, statement.values);
}
