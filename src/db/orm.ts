import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDriver } from 'mikro-orm-pglite';
import { sessionOptions } from './session-options.js';
import { notePipelinedPool, pipelineTransactions, type QueryingClient } from './pipelined-transactions.js';
import type { Config } from '../config.js';
import { entities } from '../entities/index.js';
import { migrationsList } from './migrations/index.js';
import { lockDataDirectory, type DataDirectoryLock } from './data-directory-lock.js';

export type Orm = MikroORM;

export interface OrmOptions {
  /** Called for every SQL statement; tests use it to prove reads are a bounded number of queries. */
  onQuery?: (sql: string) => void;
}

/**
 * Opens the database: the configured PostgreSQL, or with no DATABASE_URL an embedded PGlite that
 * persists under the data directory. PGlite is one connection, so everything queues there; the
 * concurrency guarantees are proven on real PostgreSQL.
 */
export async function openOrm(config: Config, options: OrmOptions = {}): Promise<Orm> {
  const shared = sharedOptions(options);
  if (config.databaseUrl) {
    const orm = await MikroORM.init({
      ...shared,
      clientUrl: config.databaseUrl,
      // A request that cannot get a connection soon is answered "busy, retry" rather than hanging
      // for knex's default minute (src/transport/overload.ts turns the timeout into SERVICE_UNAVAILABLE).
      // Each connection sends a transaction's BEGIN with its first statement, and a unit's COMMIT with its last write (pipelined-transactions.ts).
      pool: {
        min: 0,
        max: config.databasePoolSize,
        acquireTimeoutMillis: config.databasePoolWaitMs,
        afterCreate: (connection: QueryingClient, done: (error: Error | null, connection: QueryingClient) => void) => done(null, pipelineTransactions(connection)),
      },
      // Every connection's default statement_timeout (a startup parameter: no round trip), which
      // bounds every read; money movements lift it inside their own transaction (run-command.ts).
      // And the session settings every connection starts with (session-options.ts: JIT off).
      driverOptions: {
        connection: { options: sessionOptions(), ...(config.readStatementTimeoutMs > 0 ? { statement_timeout: config.readStatementTimeoutMs } : {}) },
      },
    });
    notePipelinedPool(orm.em);
    return orm;
  }
  // Before PGlite touches a file: a second process on the same directory would corrupt it.
  const lock = lockDataDirectory(config.dataDirectory);
  try {
    return await openEmbedded(config.dataDirectory, shared, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** What both databases are opened with. */
function sharedOptions(options: OrmOptions) {
  return {
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, silent: true },
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    debug: options.onQuery ? ['query' as const] : false,
    logger: options.onQuery ? (message: string) => options.onQuery?.(message) : undefined,
    // Plain text: a colour code glued to a keyword hides it from a word-boundary match.
    colors: false,
  };
}

/** PGlite under the data directory, whose lock is released when the ORM closes. */
async function openEmbedded(dataDirectory: string, shared: ReturnType<typeof sharedOptions>, lock: DataDirectoryLock): Promise<Orm> {
  const directory = join(dataDirectory, 'pglite');
  mkdirSync(directory, { recursive: true });
  const pglite = await PGlite.create(directory);
  const orm = (await MikroORM.init({
    ...shared,
    driver: PGliteDriver,
    dbName: 'postgres',
    driverOptions: { connection: { pglite: () => pglite } },
  } as Parameters<typeof MikroORM.init>[0]).catch(async (error: unknown) => {
    await pglite.close();
    throw error;
  })) as unknown as Orm;
  const close = orm.close.bind(orm);
  orm.close = async (force?: boolean) => {
    try {
      await close(force);
      await pglite.close();
    } finally {
      lock.release();
    }
  };
  return orm;
}

/** Applies every pending migration; `npm start` calls it before serving. */
export async function migrate(orm: Orm): Promise<void> {
  const timed = (orm.config.get('driverOptions') as { connection?: { statement_timeout?: number } } | undefined)?.connection?.statement_timeout;
  // Embedded PGlite has no statement timeout, and its one connection must not be held by an outer transaction.
  if (!timed) return void (await orm.getMigrator().up());
  // A migration may rewrite a large table: it is not held to the read statement timeout.
  await orm.em.fork().transactional(async (database) => {
    await database.execute('set local statement_timeout = 0');
    await orm.getMigrator().up({ transaction: database.getTransactionContext() });
  });
}
