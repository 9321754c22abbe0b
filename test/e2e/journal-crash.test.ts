import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { chainCounts, tamper, writeAuditRecords } from '../helpers/journal.js';
import { REDIS_URL } from '../helpers/services.js';
import { REPOSITORY_ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { SEALER_LOCK_KEY } from '../../src/journal/sealer.js';

/**
 * The sealer under a real crash (issue 10 §3): a server process is SIGKILLed while its sealer
 * holds the sealing lock part-way through a backlog of records that keeps growing, then a new one
 * starts on the same database and finishes. The chain must then hold every record exactly once,
 * positions 1..N with no gap, and `npm run tally -- journal verify` must say so (exit 0), and name
 * the position of an edited record once one is edited (exit 1).
 */
const JWT_SECRET = 'journal-crash-secret-that-is-long-enough-0123456789';
const ENCRYPTION_KEY = 'journal-crash-encryption-key-long-enough-0123456789';
/** A backlog the sealer needs many batches (transactions) for. */
const BACKLOG = 40_000;
const START_TIMEOUT_MS = 60_000;
const run = promisify(execFile);

let database: TestDatabase;
let server: ServerProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  if (server && !server.exited) {
    server.kill('SIGKILL');
    await server.waitForExit(10_000).catch(() => undefined);
  }
  await database?.drop();
});

const environment = () => ({ DATABASE_URL: database.url, JWT_SECRET, ENCRYPTION_KEY, REDIS_URL, PORT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'test' });

/** Whether some session holds the sealer's advisory lock right now (a sealing transaction is open). */
async function sealing(): Promise<boolean> {
  const { rows } = await database.pool.query(
    `select count(*)::int as held from pg_locks where locktype = 'advisory' and granted and ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
    [SEALER_LOCK_KEY],
  );
  return rows[0].held > 0;
}

async function verifyByCli(): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'journal', 'verify'], { cwd: REPOSITORY_ROOT, env: { ...process.env, ...environment() } });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('journal sealing survives SIGKILL', () => {
  it('kill -9 mid-sealing, restart: no gap, no position twice, every record sealed once; the CLI verifies', { timeout: 180_000 }, async () => {
    await writeAuditRecords(database.pool, BACKLOG);
    server = await startServerProcess({ env: environment(), startTimeoutMs: START_TIMEOUT_MS });
    // Writers go on while it seals: the backlog grows under the sealer.
    let writing = true;
    const writer = (async () => {
      while (writing) await writeAuditRecords(database.pool, 200);
    })();
    let caughtSealing = false;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { top } = await chainCounts(database.pool);
      if (top >= 2_000 && (await sealing())) {
        caughtSealing = true;
        break;
      }
      await sleep(2);
    }
    server.kill('SIGKILL');
    await server.waitForExit(10_000);
    expect(caughtSealing).toBe(true);
    // What the dead sealer committed is a whole prefix: its open batch rolled back with its connection.
    await sleep(200);
    const afterKill = await chainCounts(database.pool);
    expect(afterKill.unsealed).toBeGreaterThan(0);
    expect(afterKill).toMatchObject({ positions: afterKill.top, records: afterKill.top });

    server = await startServerProcess({ env: environment(), startTimeoutMs: START_TIMEOUT_MS });
    writing = false;
    await writer;
    const sealedBy = Date.now() + 90_000;
    while ((await chainCounts(database.pool)).unsealed > 0 && Date.now() < sealedBy) await sleep(200);
    const final = await chainCounts(database.pool);
    expect(final.unsealed).toBe(0);
    expect(final).toMatchObject({ positions: final.total, records: final.total, top: final.total });
    expect(final.total).toBeGreaterThan(BACKLOG);
    server.kill('SIGTERM');
    await server.waitForExit(20_000);

    const holds = await verifyByCli();
    expect(holds.code).toBe(0);
    expect(holds.output).toContain(`journal holds: ${final.total} position(s)`);

    const { rows } = await database.pool.query(`select record_id::text as id, position::int from journal_chain where position = 1234`);
    await tamper(database.pool, 'journal_records', `update journal_records set payload = replace(payload, 'test.journal', 'test.journaL') where id = $1`, [rows[0].id]);
    const broken = await verifyByCli();
    expect(broken.code).toBe(1);
    expect(broken.output).toContain('journal broken at position 1234');
  });
});
