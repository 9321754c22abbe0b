import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrm, type Orm } from '../../src/db/orm.js';
import { loadConfig } from '../../src/config.js';
import { JournalSealer } from '../../src/journal/sealer.js';
import { checkJournalOnce } from '../../src/journal/journal-status.js';
import { BLOCK_SIZE } from '../../src/journal/chain-hash.js';
import { createLogger } from '../../src/logger.js';
import { startTestApp, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, type TestApp } from '../helpers/test-app.js';
import { chainCounts, tamper, verify, writeAuditRecords } from '../helpers/journal.js';
import { brokenLaws } from '../helpers/laws.js';

/**
 * The journal's chain (issue 10 §3) on real PostgreSQL, with the app's own sealer off so each
 * test decides when sealing happens: late commits, two sealers at once, blocks, and a tamperer
 * editing one byte or deleting a record behind the append-only trigger.
 */
let t: TestApp;
let sealer: JournalSealer;
const logger = createLogger('silent');

beforeAll(async () => {
  t = await startTestApp({ environment: { JOURNAL_SEALER: 'off' } });
  sealer = new JournalSealer(t.app.orm, logger);
});
afterAll(() => t.close());

describe('sealing', () => {
  it('a record with a lower id that commits after a higher one was sealed is sealed too, once', async () => {
    await sealer.drain();
    const late = await t.database.pool.connect();
    try {
      await late.query('begin');
      await writeAuditRecords(late, 1); // takes the lower id, commits last
      await writeAuditRecords(t.database.pool, 2);
      const { rows: ids } = await late.query(`select max(id)::text as id from journal_records`);
      expect(await sealer.drain()).toBe(2);
      await late.query('commit');
      expect(await sealer.drain()).toBe(1);
      const { rows } = await t.database.pool.query('select position::int from journal_chain where record_id = $1', [ids[0].id]);
      expect(rows).toHaveLength(1);
    } finally {
      late.release();
    }
    const counts = await chainCounts(t.database.pool);
    expect(counts).toMatchObject({ unsealed: 0, positions: counts.total, records: counts.total, top: counts.total });
    expect(await verify(t.app.orm)).toMatchObject({ brokenAt: null, sealedPosition: counts.total });
  });

  it('two sealers at once, in two pools, while records arrive → one chain: no gap, no record twice, blocks every 1,000', async () => {
    const config = loadConfig({ DATABASE_URL: t.database.url, JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, NODE_ENV: 'test' });
    const other: Orm = await openOrm(config);
    try {
      const sealers = [sealer, new JournalSealer(other, logger)];
      const writing = (async () => {
        for (let round = 0; round < 12; round += 1) await writeAuditRecords(t.database.pool, 250);
      })();
      const sealing = sealers.map(async (one) => {
        let total = 0;
        for (let round = 0; round < 40; round += 1) total += await one.drain();
        return total;
      });
      await writing;
      const totals = await Promise.all(sealing);
      const tail = await Promise.all(sealers.map((one) => one.drain()));
      const counts = await chainCounts(t.database.pool);
      expect(counts.unsealed).toBe(0);
      expect(counts).toMatchObject({ positions: counts.total, records: counts.total, top: counts.total });
      expect(totals.reduce((sum, one) => sum + one, 0) + tail.reduce((sum, one) => sum + one, 0)).toBeGreaterThanOrEqual(3000);
      const { rows } = await t.database.pool.query('select number::int, first_position::int as first, last_position::int as last from journal_blocks order by number');
      expect(rows.length).toBe(Math.floor(counts.top / BLOCK_SIZE));
      rows.forEach((block: { number: number; first: number; last: number }, index: number) => expect(block).toEqual({ number: index + 1, first: index * BLOCK_SIZE + 1, last: (index + 1) * BLOCK_SIZE }));
      expect(await verify(t.app.orm)).toMatchObject({ brokenAt: null, sealedPosition: counts.top });
    } finally {
      await other.close(true);
    }
  });
});

describe('the status: backlog, lag and the last intact replay', () => {
  it('counts what waits and for how long, and lastVerified stays at the last intact replay once the chain breaks', async () => {
    await sealer.drain();
    const intact = await checkJournalOnce(t.app.orm);
    expect(intact).toMatchObject({ brokenAt: null, unsealed: 0, lagSeconds: 0, lastVerified: expect.any(Date) });
    await writeAuditRecords(t.database.pool, 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waiting = await checkJournalOnce(t.app.orm);
    expect(waiting).toMatchObject({ unsealed: 3, sealedPosition: intact.sealedPosition, headHash: intact.headHash });
    expect(waiting.lagSeconds).toBeGreaterThanOrEqual(0.25);
    expect(await sealer.drain()).toBe(3);
    const sealed = await checkJournalOnce(t.app.orm);
    expect(sealed).toMatchObject({ unsealed: 0, lagSeconds: 0, sealedPosition: intact.sealedPosition + 3 });
    expect(sealed.headHash).not.toBe(intact.headHash);
    const { rows } = await t.database.pool.query('select count(*)::int as count from journal_verifications');
    expect(rows[0].count).toBeGreaterThanOrEqual(3);
  });
});

describe('verification names what a tamperer did', () => {
  const positionOf = async (recordId: string) => (await t.database.pool.query('select position::int from journal_chain where record_id = $1', [recordId])).rows[0].position as number;

  it('one payload byte edited in SQL → that position; put back → the chain holds again', async () => {
    await writeAuditRecords(t.database.pool, 5);
    await sealer.drain();
    const { rows } = await t.database.pool.query(`select id::text, payload from journal_records order by id desc offset 2 limit 1`);
    const { id, payload } = rows[0] as { id: string; payload: string };
    const at = payload.indexOf('test.journal');
    expect(at).toBeGreaterThan(0);
    const edited = `${payload.slice(0, at)}T${payload.slice(at + 1)}`;
    await tamper(t.database.pool, 'journal_records', 'update journal_records set payload = $2 where id = $1', [id, edited]);
    const broken = await verify(t.app.orm);
    expect(broken.brokenAt).toBe(await positionOf(id));
    expect(broken.problem).toMatch(/does not match its hash/);
    const lastIntact = (await t.database.pool.query('select max(verified_at) as at from journal_verifications where broken_at is null')).rows[0].at as Date;
    const status = await checkJournalOnce(t.app.orm);
    expect(status).toMatchObject({ brokenAt: broken.brokenAt, lastVerified: lastIntact });
    await tamper(t.database.pool, 'journal_records', 'update journal_records set payload = $2 where id = $1', [id, payload]);
    expect(await verify(t.app.orm)).toMatchObject({ brokenAt: null });
  });

  it('a record deleted → the gap at its position; a chain row deleted → the missing position', async () => {
    await writeAuditRecords(t.database.pool, 5);
    await sealer.drain();
    const { rows } = await t.database.pool.query(`select record_id::text as id, position::int from journal_chain order by position desc offset 3 limit 1`);
    const { id, position } = rows[0] as { id: string; position: number };
    await tamper(t.database.pool, 'journal_records', 'delete from journal_records where id = $1', [id]);
    expect(await verify(t.app.orm)).toMatchObject({ brokenAt: position, problem: expect.stringMatching(/is missing/) });
    await tamper(t.database.pool, 'journal_chain', 'delete from journal_chain where position = $1', [position - 1]);
    expect(await verify(t.app.orm)).toMatchObject({ brokenAt: position - 1, problem: expect.stringMatching(/position \d+ is missing/) });
    expect(await brokenLaws(t.database.pool)).toEqual([]);
  });

  it('the append-only trigger refuses an edit and a delete while it is on', async () => {
    await expect(t.database.pool.query(`update journal_records set payload = '{}' where id = (select min(id) from journal_records)`)).rejects.toThrow(/append-only/);
    await expect(t.database.pool.query(`delete from journal_chain where position = 1`)).rejects.toThrow(/append-only/);
  });
});
