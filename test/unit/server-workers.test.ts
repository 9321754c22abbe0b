import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { workerPlan } from '../../src/server-workers.js';

const SECRETS = { JWT_SECRET: 'unit-secret-that-is-long-enough-0123456789', ENCRYPTION_KEY: 'unit-encryption-key-long-enough-0123456789' };
const DATABASE_URL = 'postgres://root@127.0.0.1:5432/tally';
const REDIS_URL = 'redis://127.0.0.1:6379';
/** Embedded mode writes its generated secrets into the data directory: a temporary one, removed after. */
const dataDirectory = mkdtempSync(join(tmpdir(), 'tally-workers-'));
afterAll(() => rmSync(dataDirectory, { recursive: true, force: true }));

describe('WEB_CONCURRENCY', () => {
  it('is one process unless asked, and the number asked with a database and Redis', () => {
    expect(workerPlan(loadConfig({ ...SECRETS, DATABASE_URL, REDIS_URL }))).toEqual({ workers: 1 });
    expect(workerPlan(loadConfig({ ...SECRETS, DATABASE_URL, REDIS_URL, WEB_CONCURRENCY: '3' }))).toEqual({ workers: 3 });
  });

  it('serves from one process, saying why, in embedded mode or without Redis', () => {
    const embedded = workerPlan(loadConfig({ WEB_CONCURRENCY: '4', TALLY_DATA_DIR: dataDirectory }));
    expect(embedded).toEqual({ workers: 1, reason: expect.stringMatching(/^WEB_CONCURRENCY=4 ignored: the embedded database serves from one process/) });
    const withoutRedis = workerPlan(loadConfig({ ...SECRETS, DATABASE_URL, WEB_CONCURRENCY: '2' }));
    expect(withoutRedis).toEqual({ workers: 1, reason: expect.stringMatching(/without REDIS_URL/) });
  });

  it('refuses a count that is not a whole number from 1 to 64, naming the variable', () => {
    for (const bad of ['0', '65', 'two', '-1']) {
      expect(() => loadConfig({ ...SECRETS, DATABASE_URL, WEB_CONCURRENCY: bad })).toThrow(/^WEB_CONCURRENCY /);
    }
  });
});
