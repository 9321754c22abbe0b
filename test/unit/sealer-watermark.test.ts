import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { nextWatermark, snapshotParts, type SealerWatermark } from '../../src/journal/sealer-watermark.js';
import { DEFAULT_SEAL_BATCH, DEFAULT_SEAL_INTERVAL_MS } from '../../src/journal/sealing-pace.js';

/**
 * The sealer's watermark as a function of one round (src/journal/sealer-watermark.ts), and its
 * two knobs. The database side (late commits, a full batch going on by id, the backlog's plan)
 * is test/integration/journal-watermark.test.ts.
 */
const steady: SealerWatermark = { sealedThrough: '100:105:101,103', sealingTo: null, sealedThroughId: null };
const partWay: SealerWatermark = { sealedThrough: '100:105:101,103', sealingTo: '200:210:204', sealedThroughId: '5000' };
const round = { snapshot: '300:320:310', batchSize: 10, lastId: '9000', anyUnseen: true };

describe('nextWatermark', () => {
  it.each([
    ['nothing unseen: no write, no more', steady, { ...round, sealed: 0, lastId: null, anyUnseen: false }, null, false],
    ['unseen records all sealed by an earlier sealer: moves to the snapshot', steady, { ...round, sealed: 0, lastId: null }, { sealedThrough: '300:320:310', sealingTo: null, sealedThroughId: null }, false],
    ['a batch not full: the snapshot becomes the watermark', steady, { ...round, sealed: 9 }, { sealedThrough: '300:320:310', sealingTo: null, sealedThroughId: null }, false],
    ['a full batch: keeps the old watermark, goes on from the last id toward the snapshot', steady, { ...round, sealed: 10 }, { sealedThrough: '100:105:101,103', sealingTo: '300:320:310', sealedThroughId: '9000' }, true],
    ['part-way, full again: only the last id moves', partWay, { ...round, sealed: 10 }, { ...partWay, sealedThroughId: '9000' }, true],
    ['part-way, not full: the target is reached, and what came after it is next', partWay, { ...round, sealed: 3 }, { sealedThrough: '200:210:204', sealingTo: null, sealedThroughId: null }, true],
    ['part-way, nothing left: the same', partWay, { ...round, sealed: 0, lastId: null }, { sealedThrough: '200:210:204', sealingTo: null, sealedThroughId: null }, true],
  ])('%s', (_name, current, outcome, watermark, more) => {
    expect(nextWatermark(current, outcome)).toEqual({ watermark, more });
  });

  it('reads a snapshot into its xmax and the transactions it saw running; refuses anything else', () => {
    expect(snapshotParts('100:105:101,103')).toEqual({ xmax: '105', running: ['101', '103'] });
    expect(snapshotParts('1:1:')).toEqual({ xmax: '1', running: [] });
    expect(() => snapshotParts('100:105:101;drop table x')).toThrow(/not a pg_snapshot/);
  });
});

describe('JOURNAL_SEAL_INTERVAL_MS and JOURNAL_SEAL_BATCH', () => {
  const base = { DATABASE_URL: 'postgres://db/tally', JWT_SECRET: 's'.repeat(32), ENCRYPTION_KEY: 'k'.repeat(32) };

  it('default to a second and five blocks, take whole numbers in range, and refuse the rest naming the variable', () => {
    expect(loadConfig(base)).toMatchObject({ journalSealIntervalMs: DEFAULT_SEAL_INTERVAL_MS, journalSealBatch: DEFAULT_SEAL_BATCH });
    expect(DEFAULT_SEAL_INTERVAL_MS).toBe(1_000);
    expect(DEFAULT_SEAL_BATCH).toBe(5_000);
    expect(loadConfig({ ...base, JOURNAL_SEAL_INTERVAL_MS: '250', JOURNAL_SEAL_BATCH: '20000' })).toMatchObject({ journalSealIntervalMs: 250, journalSealBatch: 20_000 });
    for (const [name, bad] of [
      ['JOURNAL_SEAL_INTERVAL_MS', '5'],
      ['JOURNAL_SEAL_INTERVAL_MS', '1s'],
      ['JOURNAL_SEAL_BATCH', '0'],
      ['JOURNAL_SEAL_BATCH', '50001'],
    ] as const) {
      expect(() => loadConfig({ ...base, [name]: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, [name]: bad })).toThrow(new RegExp(`^${name} `));
    }
  });
});
