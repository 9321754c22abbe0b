import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDriver } from 'mikro-orm-pglite';
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
    return MikroORM.init({
      ...shared,
      clientUrl: config.databaseUrl,
      pool: { min: 0, max: config.databasePoolSize },
    });
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
  await orm.getMigrator().up();
}
