import type { SqlEntityManager } from '@mikro-orm/postgresql';

/**
 * Writes a transaction holds back to send them together (the ledger's movement buffer,
 * ledger/persistence/movement-buffer.ts), and the barrier that keeps them in order: every
 * statement sent through db/sql.ts first flushes what its entity manager holds back, so no
 * statement ever runs before, or fails to see, a write made before it. The ORM's own unit of work
 * (em.flush) does not pass here: whoever holds writes back flushes them before calling it.
 */
export interface PendingWrites {
  /** Sends what is held back; afterwards nothing is. Must not hold back what it sends. */
  flush(): Promise<void>;
}

const pendingByDatabase = new WeakMap<SqlEntityManager, PendingWrites>();

/** From now on `database`'s statements wait for `pending` to flush first (one holder per entity manager). */
export function holdWritesOn(database: SqlEntityManager, pending: PendingWrites): void {
  if (pendingByDatabase.has(database)) throw new Error('this transaction already holds writes back');
  pendingByDatabase.set(database, pending);
}

/** The writes `database` holds back, if any: what a statement must flush before it runs. */
export function pendingWritesOn(database: SqlEntityManager): PendingWrites | undefined {
  return pendingByDatabase.get(database);
}

/** The barrier: called before every statement of db/sql.ts. */
export async function flushPendingWrites(database: SqlEntityManager): Promise<void> {
  await pendingByDatabase.get(database)?.flush();
}
