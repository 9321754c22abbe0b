import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalSealer, unsealedStatement } from '../../src/journal/sealer.js';
import { backlogStatement, journalBacklog } from '../../src/journal/journal-status.js';
import { readWatermark } from '../../src/journal/sealer-watermark.js';
import { createLogger } from '../../src/logger.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { chainCounts, verify, writeAuditRecords } from '../helpers/journal.js';

/**
 * The sealer's watermark on real PostgreSQL (src/journal/sealer-watermark.ts): a small batch
 * (JOURNAL_SEAL_BATCH) goes on by id through a backlog while a record with a lower id commits
 * late; the backlog read from the watermark always equals an anti-join of the whole journal
 * against the chain (test/helpers/journal.ts chainCounts); an idle round writes nothing; a
 * watermark that starts over does not chain a record twice; and both reads use the xid index.
 */
let t: TestApp;
const logger = createLogger('silent');

beforeAll(async () => {
  t = await startTestApp({ environment: { JOURNAL_SEALER: 'off' } });
});
afterAll(() => t.close());

/** The backlog as journalStatus and the lag gauge read it, beside the anti-join's count. */
async function backlogs(): Promise<{ watermark: number; antiJoin: number }> {
  const [{ unsealed }, counts] = await Promise.all([journalBacklog(t.app.orm.em.fork()), chainCounts(t.database.pool)]);
  return { watermark: unsealed, antiJoin: counts.unsealed };
}

async function idAt(offsetFromTop: number): Promise<string> {
  const { rows } = await t.database.pool.query(`select r.id::text as id from journal_records r order by r.id desc offset $1 limit 1`, [offsetFromTop]);
  return rows[0].id;
}

describe('a batch smaller than the backlog', () => {
  it('seals it in id order across rounds, a late commit below the last sealed id once, and the backlog matches an anti-join at every step', async () => {
    const small = new JournalSealer(t.app.orm, logger, { batchSize: 100 });
    await small.drain();
    const late = await t.database.pool.connect();
    try {
      await late.query('begin');
      await writeAuditRecords(late, 1); // the lowest id of what follows, committed last
      await writeAuditRecords(t.database.pool, 250);
      expect(await backlogs()).toEqual({ watermark: 250, antiJoin: 250 });

      expect(await small.sealBatch()).toEqual({ sealed: 100, more: true });
      const partWay = await readWatermark(t.app.orm.em.fork());
      expect(partWay.sealingTo).not.toBeNull();
      expect(partWay.sealedThroughId).toBe(await idAt(150));
      expect(await backlogs()).toEqual({ watermark: 150, antiJoin: 150 });

      await late.query('commit');
      expect(await backlogs()).toEqual({ watermark: 151, antiJoin: 151 });
      expect(await small.sealBatch()).toEqual({ sealed: 100, more: true });
      // The last 50 of the full batch's snapshot; the late record was running then, so it is not among them.
      expect(await small.sealBatch()).toEqual({ sealed: 50, more: true });
      expect(await readWatermark(t.app.orm.em.fork())).toMatchObject({ sealedThrough: partWay.sealingTo, sealingTo: null, sealedThroughId: null });
      expect(await backlogs()).toEqual({ watermark: 1, antiJoin: 1 });
      expect(await small.sealBatch()).toEqual({ sealed: 1, more: false });
    } finally {
      late.release();
    }
    expect(await backlogs()).toEqual({ watermark: 0, antiJoin: 0 });
    const counts = await chainCounts(t.database.pool);
    expect(counts).toMatchObject({ positions: counts.total, records: counts.total, top: counts.total });
    // Chain order is sealing order: the late record, the lowest id of the 251, is the last position.
    const { rows } = await t.database.pool.query(`select record_id::text as id from journal_chain order by position desc limit 1`);
    expect(rows[0].id).toBe(await idAt(250));
    expect(await verify(t.app.orm)).toMatchObject({ brokenAt: null, sealedPosition: counts.total });
  });
});

describe('the watermark row', () => {
  it('is not written by a round that finds nothing', async () => {
    const sealer = new JournalSealer(t.app.orm, logger);
    await writeAuditRecords(t.database.pool, 2);
    expect(await sealer.drain()).toBe(2);
    const version = async () => (await t.database.pool.query(`select xmin::text as xmin, updated_at from journal_sealer_state`)).rows[0];
    const before = await version();
    expect(await sealer.drain()).toBe(0);
    expect(await sealer.drain()).toBe(0);
    expect(await version()).toEqual(before);
  });

  it('started over from nothing (as the migration starts it), chains only what the chain lacks', async () => {
    const sealer = new JournalSealer(t.app.orm, logger);
    await writeAuditRecords(t.database.pool, 5);
    await sealer.drain();
    const sealedBefore = (await chainCounts(t.database.pool)).positions;
    await t.database.pool.query(`update journal_sealer_state set sealed_through = '1:1:', sealing_to = null, sealed_through_id = null`);
    await writeAuditRecords(t.database.pool, 3);
    // Until a round runs, the backlog counts every record: it can over-count, never miss one.
    expect((await backlogs()).watermark).toBe((await chainCounts(t.database.pool)).total);
    expect(await sealer.drain()).toBe(3);
    const counts = await chainCounts(t.database.pool);
    expect(counts).toMatchObject({ unsealed: 0, positions: sealedBefore + 3, records: counts.total, top: counts.total });
    expect(await backlogs()).toEqual({ watermark: 0, antiJoin: 0 });
    expect(await verify(t.app.orm)).toMatchObject({ brokenAt: null });
  });
});

describe('PostgreSQL chains, TypeScript verifies', () => {
  it('the same bytes for text JSON escapes: quotes, backslashes, control characters, non-ASCII, nulls; and block headers', async () => {
    const sealer = new JournalSealer(t.app.orm, logger);
    await sealer.drain();
    const awkward = 'tab\there\nnew "quoted" back\\slash \u0001\u001f\u007f é ß 漢字 😀 \u2028 </script>';
    const client = await t.database.pool.connect();
    try {
      await client.query('begin');
      // The request id reaches the record as raw text (not through jsonb), the details through jsonb's own printing.
      await client.query(`select set_config('tally.request_id', $1, true), set_config('tally.actor_id', $1, true)`, [awkward]);
      await client.query(`insert into audit_events (action, outcome, details) values ($1, 'OK', jsonb_build_object('text', $1::text, 'n', 1.50))`, [awkward]);
      await client.query('commit');
    } finally {
      client.release();
    }
    await t.database.pool.query(`insert into audit_events (action, outcome, details) values ('test.journal', 'OK', '{}'::jsonb)`);
    // Up to the next block boundary and past it, so PostgreSQL writes a block header TypeScript checks.
    const { top } = await chainCounts(t.database.pool);
    await writeAuditRecords(t.database.pool, 1_000 - (top % 1_000) + 5);
    await sealer.drain();
    const { rows } = await t.database.pool.query(`select count(*)::int as count from journal_records where request_id = $1`, [awkward]);
    expect(rows[0].count).toBe(1);
    const counts = await chainCounts(t.database.pool);
    expect(counts.unsealed).toBe(0);
    expect(await verify(t.app.orm)).toMatchObject({ brokenAt: null, sealedPosition: counts.total });
    const blocks = await t.database.pool.query('select count(*)::int as count from journal_blocks');
    expect(blocks.rows[0].count).toBe(Math.floor(counts.total / 1_000));
  });
});

describe('the reads the sealer and the backlog make', () => {
  /** The plan's nodes that read journal_records, as "Node Type (index)". */
  async function journalRecordsScans(sql: string, parameters: unknown[], relation = 'journal_records'): Promise<string[]> {
    const client = await t.database.pool.connect();
    try {
      await client.query('begin');
      await client.query(`set local max_parallel_workers_per_gather = 0`);
      // knex's ? placeholders, as the app sends them, numbered for pg.
      let index = 0;
      const { rows } = await client.query(`explain (format json) ${sql.replace(/\?/g, () => `$${(index += 1)}`)}`, parameters);
      type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] };
      const found: string[] = [];
      // A bitmap heap scan names no index itself: its bitmap index scans below it do.
      const indexesBelow = (node: PlanNode): string[] => [...(node['Index Name'] ? [node['Index Name']] : []), ...(node.Plans ?? []).flatMap(indexesBelow)];
      const walk = (node: PlanNode) => {
        if (node['Relation Name'] === relation) found.push(`${node['Node Type']} (${indexesBelow(node).join(', ') || '-'})`);
        for (const child of node.Plans ?? []) walk(child);
      };
      walk(rows[0]['QUERY PLAN'][0].Plan);
      return found;
    } finally {
      await client.query('rollback');
      client.release();
    }
  }

  it('go by the xid index to the few unsealed records, never through the sealed journal', async () => {
    const sealer = new JournalSealer(t.app.orm, logger);
    await writeAuditRecords(t.database.pool, 20_000);
    await sealer.drain();
    await writeAuditRecords(t.database.pool, 3);
    await t.database.pool.query('analyze journal_records');
    const watermark = await readWatermark(t.app.orm.em.fork());
    const backlog = backlogStatement(watermark);
    const unsealed = unsealedStatement(watermark, 5_000);
    for (const scans of [await journalRecordsScans(backlog.sql, backlog.parameters), await journalRecordsScans(unsealed.sql, unsealed.parameters)]) {
      expect(scans.length).toBeGreaterThan(0);
      for (const scan of scans) expect(scan).toMatch(/^(Index Only Scan|Index Scan|Bitmap Heap Scan) \(journal_records_xid(, journal_records_xid)*\)$/);
    }
    expect(await backlogs()).toEqual({ watermark: 3, antiJoin: 3 });
  });

  it('go by the xid index and probe the chain by key when the unsealed outnumber a batch: never through the whole journal or chain', async () => {
    // Planned as one query, `order by id limit <batch>` with thousands unsealed walked
    // journal_records_pkey from the start, or hashed the whole chain for the anti-join (this case,
    // with fresh statistics): both grow with the journal (43 ms a round on the bench).
    // Each write its own transaction, as movements are: the unsealed spread over many xids.
    const sealer = new JournalSealer(t.app.orm, logger);
    for (let write = 0; write < 100; write++) await writeAuditRecords(t.database.pool, 200);
    await sealer.drain();
    for (let write = 0; write < 100; write++) await writeAuditRecords(t.database.pool, 40);
    await t.database.pool.query('analyze journal_records, journal_chain');
    const watermark = await readWatermark(t.app.orm.em.fork());
    const unsealed = unsealedStatement(watermark, 500);
    const scans = await journalRecordsScans(unsealed.sql, unsealed.parameters);
    expect(scans.length).toBeGreaterThan(0);
    for (const scan of scans) expect(scan).toMatch(/^(Index Only Scan|Index Scan|Bitmap Heap Scan) \(journal_records_xid(, journal_records_xid)*\)$/);
    // And the chain is probed by key for the records returned, never read whole (a hash of it grows with the journal).
    const chainScans = await journalRecordsScans(unsealed.sql, unsealed.parameters, 'journal_chain');
    expect(chainScans.length).toBeGreaterThan(0);
    for (const scan of chainScans) expect(scan).toMatch(/^(Index Only Scan|Index Scan) \(journal_chain_record_id_key\)$/);
    const { rows } = await t.database.pool.query<{ id: string }>(unsealed.sql.replace(/\?/g, (() => { let index = 0; return () => `$${(index += 1)}`; })()), unsealed.parameters);
    const expected = await t.database.pool.query<{ id: string }>(
      `select r.id::text as id from journal_records r where not exists (select 1 from journal_chain c where c.record_id = r.id) order by r.id limit 500`,
    );
    expect(rows.map((row) => row.id)).toEqual(expected.rows.map((row) => row.id));
  });
});
