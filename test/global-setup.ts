import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { ADMIN_DATABASE_URL, REDIS_URL, canConnect, databaseUrl } from './helpers/services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/** One line that says what is missing and how to start it, instead of a wall of connection errors. */
function stop(line: string): never {
  process.stderr.write(`\n${line}\n\n`);
  process.exit(1);
}

/**
 * Checks the real servers are up, then builds one migrated template database; every test file
 * clones it (CREATE DATABASE … TEMPLATE), which is much faster than migrating per file.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!(await canConnect(ADMIN_DATABASE_URL, 5432))) {
    stop(
      `npm test needs PostgreSQL at ${new URL(ADMIN_DATABASE_URL).host} and cannot reach it. ` +
        'Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start  (or set DATABASE_URL)',
    );
  }
  if (!(await canConnect(REDIS_URL, 6379))) {
    stop(
      `npm test needs Redis at ${new URL(REDIS_URL).host} and cannot reach it. ` +
        'Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no  (or set REDIS_URL)',
    );
  }
  const template = `tally_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${template} with (force)`);
  await admin.query(`create database ${template}`);
  const orm = await openOrm(loadConfig({ DATABASE_URL: databaseUrl(template), JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: 'y'.repeat(32) }));
  await migrate(orm);
  await orm.close(true);
  project.provide('templateDatabase', template);
  return async () => {
    await admin.query(`drop database if exists ${template} with (force)`);
    await admin.end();
  };
}
