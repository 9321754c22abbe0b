import type { Config } from './config.js';
import { migrate, openOrm, type Orm, type OrmOptions } from './db/orm.js';
import type { Logger } from './logger.js';
import { startServer, type RunningServer } from './server.js';

export interface App {
  readonly orm: Orm;
  readonly server: RunningServer;
  readonly url: string;
  close(): Promise<void>;
}

/** Opens the database, applies pending migrations, then serves. Used by `npm start` and the tests. */
export async function startApp(config: Config, logger: Logger, ormOptions: OrmOptions = {}): Promise<App> {
  const orm = await openOrm(config, ormOptions);
  try {
    await migrate(orm);
    const server = await startServer(config, orm, logger);
    return {
      orm,
      server,
      url: server.url,
      async close() {
        await server.close();
        await orm.close(true);
      },
    };
  } catch (error) {
    await orm.close(true);
    throw error;
  }
}
