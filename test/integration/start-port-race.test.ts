import { createServer, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { PortInUseError } from '../../src/transport/listen.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/process-tree.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/test-app.js';

/**
 * The port is probed before anything opens, but another process can take it while the database
 * opens and migrates. The listen itself must then fail the start, closing what was opened: before,
 * the ws server swallowed the listen error, logged it, and the start waited forever.
 */

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('a port taken while the app starts', () => {
  let database: TestDatabase | undefined;
  const holder = createServer();

  afterAll(async () => {
    if (holder.listening) await new Promise<void>((resolve) => holder.close(() => resolve()));
    await database?.drop();
  });

  it('rejects startApp with PortInUseError and leaves no database connection open', { timeout: 60_000 }, async () => {
    database = await createTestDatabase();
    const port = await freePort();
    const config = loadConfig({ DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, PORT: String(port) });
    const connections = async () =>
      (await database!.pool.query<{ count: number }>('select count(*)::int as count from pg_stat_activity where datname = current_database()')).rows[0]!.count;
    const before = await connections();

    // The first SQL statement (migrations) comes after the probe: take the port right then.
    let taken = false;
    const onQuery = () => {
      if (taken) return;
      taken = true;
      holder.listen(port);
    };
    // Watched, not replaced: the ws server used to print a stack trace for the taken port here.
    const consoleError = vi.spyOn(console, 'error');
    const outcome = await startApp(config, createLogger('silent'), { onQuery }).then(
      async (app) => {
        await app.close();
        return 'started';
      },
      (error: unknown) => error,
    );
    const printed = consoleError.mock.calls.map((call) => call.map(String).join(' '));
    consoleError.mockRestore();
    expect(printed).toEqual([]);
    expect(taken).toBe(true);
    expect(outcome).toBeInstanceOf(PortInUseError);
    expect((outcome as Error).message).toBe(`port ${port} is already in use (set PORT to another port)`);
    expect(await eventually(async () => (await connections()) <= before, 10_000), 'the app closed its connections').toBe(true);
  });
});
