import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { databaseUrlFor, dropDatabase, recreateDatabase } from './database.js';

/** What an in-process cost bench (bench:sealer, bench:risk-facts) works with: its database, migrated. */
export interface MigratedDatabase {
  readonly url: string;
  readonly orm: MikroORM;
  /** One plain connection of the bench's own, connected. */
  readonly client: pg.Client;
}

/**
 * Runs `work` on a fresh database `name`, migrated, with an ORM and one plain connection, and
 * drops the database afterwards unless `keep` (left for EXPLAIN by hand).
 */
export async function withMigratedDatabase(adminUrl: string, name: string, work: (database: MigratedDatabase) => Promise<void>, keep = false): Promise<void> {
  await recreateDatabase(adminUrl, name);
  const url = databaseUrlFor(adminUrl, name);
  const orm = await openOrm(loadConfig({ DATABASE_URL: url, JWT_SECRET: 'bench-'.repeat(8), ENCRYPTION_KEY: 'bench-'.repeat(8), NODE_ENV: 'test' }));
  const client = new pg.Client({ connectionString: url });
  try {
    await migrate(orm);
    await client.connect();
    await work({ url, orm, client });
  } finally {
    await client.end().catch(() => undefined);
    await orm.close(true);
    if (!keep) await dropDatabase(adminUrl, name);
  }
}
