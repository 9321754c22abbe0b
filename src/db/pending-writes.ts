import { PostgreSqlDriver, type SqlEntityManager } from '@mikro-orm/postgresql';

/**
 * Writes a transaction holds back to send them together (the ledger's movement buffer,
 * ledger/persistence/movement-buffer.ts), and the barrier that keeps them in order: every
 * statement sent through db/sql.ts first sends what its entity manager holds back, so no
 * statement ever runs before, or fails to see, a write made before it. The ORM's own unit of work
 * (em.flush) does not pass here: whoever holds writes back flushes them before calling it.
 *
 * On PostgreSQL (the `pg` driver) what is held back rides in front of the statement that meets
 * the barrier, in the same round trip: one simple-protocol message of several statements, which
 * PostgreSQL runs in order, each after the previous one finished (and each under its own
 * statement_timeout), stopping at the first error, which then aborts the transaction as it would
 * have anyway. MikroORM sends every statement with its parameters inlined, so several statements
 * in one message are just text. The embedded PGlite runs one statement a message: there the
 * held-back writes are flushed as statements of their own, as before.
 */
export interface PendingWrites {
  /** Sends what is held back; afterwards nothing is. Must not hold back what it sends. */
  flush(): Promise<void>;
  /**
   * Takes what is held back as statements to run ahead of the next one, in its message; afterwards
   * nothing is held back. Undefined when nothing is.
   */
  take(): Promise<HeldStatements | undefined>;
  /** Holds back a write of no answer after what is held, when the holder can (the ledger's unit); it is sent as they are. */
  append?(statement: { readonly sql: string; readonly parameters: readonly unknown[] }): void;
}

/** Held-back statements, joined: `count` of them, and the check of their results once they ran. */
export interface HeldStatements {
  /** The statements, separated by `;`, with `?` placeholders for `parameters`. */
  readonly sql: string;
  readonly parameters: readonly unknown[];
  readonly count: number;
  /** Given each statement's rows, in order; throws when they show a write that went wrong. */
  readonly ran: (results: readonly unknown[]) => void;
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

/** The barrier on its own: called before a statement that cannot carry the held-back writes. */
export async function flushPendingWrites(database: SqlEntityManager): Promise<void> {
  await pendingByDatabase.get(database)?.flush();
}

/**
 * The barrier before a statement that can carry them: on PostgreSQL, the held-back statements to
 * send in front of it; on PGlite they are flushed here and nothing is returned.
 */
export async function takePendingWrites(database: SqlEntityManager): Promise<HeldStatements | undefined> {
  const pending = pendingByDatabase.get(database);
  if (!pending) return undefined;
  if (sendsStatementsTogether(database)) return pending.take();
  await pending.flush();
  return undefined;
}

/**
 * Holds back a write whose answer nobody reads (an audit line) when the transaction holds writes
 * back and can take it: it rides with the next statement, or with the COMMIT. True when held;
 * false when the caller must send it now.
 */
export function appendPendingWrite(database: SqlEntityManager, statement: { readonly sql: string; readonly parameters: readonly unknown[] }): boolean {
  const pending = pendingByDatabase.get(database);
  if (!pending?.append) return false;
  pending.append(statement);
  return true;
}

/** Whether `database` runs several statements sent as one message (PostgreSQL, with MikroORM's inlined values; PGlite runs one a message). */
export function sendsStatementsTogether(database: SqlEntityManager): boolean {
  return database.getDriver() instanceof PostgreSqlDriver;
}
