import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import { queryRows, type Database } from '../db/sql.js';
import { PollingLoop } from '../ledger/system/polling-loop.js';
import { BLOCK_SIZE } from './chain-hash.js';
import { DEFAULT_SEAL_BATCH, DEFAULT_SEAL_INTERVAL_MS } from './sealing-pace.js';
import { nextWatermark, readWatermark, unseenBy, type SealerWatermark } from './sealer-watermark.js';

/**
 * The one advisory lock every sealer of the database takes for its transaction ("tally:journal"
 * as a number): one sealer at a time across processes. It is taken only by sealers; no writer
 * ever waits on it.
 */
export const SEALER_LOCK_KEY = 0x7461_6c6c_794a;

/** One row of readUnsealed: the statement's snapshot beside an unsealed record's id (null when none). */
interface UnsealedRow {
  readonly snapshot: string;
  readonly anyUnseen: boolean;
  readonly id: string | null;
}

/**
 * The ids of the committed records the watermark says are not sealed yet, oldest first, at most
 * `limit`, read in ONE statement with the snapshot they were read in (pg_current_snapshot is the
 * statement's): every record that snapshot saw and this read did not return is sealed, or is
 * beyond the batch. Part-way through a full batch's snapshot, the rest are found by id from the
 * last one sealed. `not exists` in the chain leaves out what an earlier sealer (before the
 * watermark existed) chained; it is one index probe per record returned.
 */
export function unsealedStatement(watermark: SealerWatermark, limit: number): { sql: string; parameters: unknown[] } {
  const unseen = unseenBy(watermark.sealedThrough);
  // Part-way: ids above the last sealed, of transactions the full batch's snapshot saw (an id range, then a filter).
  const partWay = watermark.sealingTo === null ? null : { sql: `and r.id > ?::bigint and pg_visible_in_snapshot(r.xid, ?::pg_snapshot)`, parameters: [watermark.sealedThroughId, watermark.sealingTo] };
  return {
    // Two exists, one per index condition: as one `or` the planner walks the whole xid index for its first row.
    // The unsealed are found first, behind `offset 0`, then put in id order, and only then probed
    // in the chain by key (the `not exists` fenced too), until the batch is full: a backlog after a
    // pause is sorted once, not probed whole. The outer `order by` is what the limit relies on; the
    // inner one only lets the probes stop early. Planned as one query, `order by r.id limit n` walked
    // the primary key from the journal's first record, filtering, until n matched (the unsealed are
    // all at its end), or the anti-join read the whole chain into a hash: either grows with the
    // journal (43 ms and 8,651 buffers a round on the bench's journal).
    sql: `select pg_current_snapshot()::text as snapshot,
                 exists (select 1 from journal_records r where r.xid >= ?::xid8) or exists (select 1 from journal_records r where r.xid = any(?::xid8[])) as "anyUnseen", r.id
            from (select) as one left join lateral (
              select s.id::text as id from (
                select u.id from (select r.id from journal_records r where ${unseen.sql} ${partWay?.sql ?? ''} offset 0) u order by u.id) s
               where not exists (select 1 from journal_chain c where c.record_id = s.id offset 0)
               order by s.id limit ${limit}) r on true`,
    parameters: [...unseen.parameters, ...unseen.parameters, ...(partWay?.parameters ?? [])],
  };
}

function readUnsealed(database: Database, watermark: SealerWatermark, limit: number): Promise<UnsealedRow[]> {
  const { sql, parameters } = unsealedStatement(watermark, limit);
  return queryRows<UnsealedRow>(database, sql, parameters);
}

/**
 * Chains the records (tally_journal_chain, migration 20261203100000: the head, the hashes and the
 * block headers, computed in PostgreSQL from the stored records) and moves the watermark, in one
 * statement of the round's transaction: a crash leaves both as the last commit left them. The
 * update is a data-modifying CTE, which runs whether or not the query reads it.
 */
async function writeSeals(database: Database, recordIds: readonly string[], watermark: SealerWatermark | null): Promise<number> {
  if (recordIds.length === 0 && watermark === null) return 0;
  const keep = watermark ?? { sealedThrough: null, sealingTo: null, sealedThroughId: null };
  const [row] = await queryRows<{ sealed: number }>(
    database,
    `with moved as (
       update journal_sealer_state
          set sealed_through = ?::pg_snapshot, sealing_to = ?::pg_snapshot, sealed_through_id = ?::bigint, updated_at = now()
        where ?::boolean)
     select tally_journal_chain(?::bigint[], ?::int) as sealed`,
    [keep.sealedThrough, keep.sealingTo, keep.sealedThroughId, watermark !== null, `{${recordIds.join(',')}}`, BLOCK_SIZE],
  );
  return row?.sealed ?? 0;
}

/** JOURNAL_SEAL_INTERVAL_MS and JOURNAL_SEAL_BATCH (src/config.ts). */
export interface SealerOptions {
  readonly intervalMs?: number;
  readonly batchSize?: number;
}

/**
 * Seals committed journal records into the chain (issue 10 §3; Blnk's chain worker). Runs in
 * every server process (JOURNAL_SEALER=off to stop it), one at a time across them by advisory
 * lock: a round that does not get the lock does nothing, the holder is sealing. Each batch is one
 * transaction (chain rows, block headers and the watermark together), so a crash mid-sealing
 * leaves the chain as the last commit left it and the next sealer goes on from there: no gap, no
 * position twice (the position is the primary key, the record id unique, should two ever race).
 *
 * Writers never wait on it: they insert records without a position; the sealer reads them after
 * they commit, by their transaction ids (sealer-watermark.ts), and takes no lock a writer needs.
 */
export class JournalSealer {
  private readonly loop: PollingLoop;
  private readonly batchSize: number;

  constructor(
    private readonly orm: MikroORM,
    logger: Logger,
    options: SealerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_SEAL_BATCH;
    this.loop = new PollingLoop(() => this.drain(), options.intervalMs ?? DEFAULT_SEAL_INTERVAL_MS, logger, 'journal sealing round failed; retrying');
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Seals batch after batch while more may be waiting; returns how many records it sealed. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { sealed, more } = await this.sealBatch();
      total += sealed;
      if (!more || this.loop.stopped) return total;
    }
  }

  /** One transaction: take the lock (or give up), read the watermark and the unsealed ids, chain them, move the watermark. */
  async sealBatch(): Promise<{ sealed: number; more: boolean }> {
    return this.orm.em.fork().transactional(async (database) => {
      // No parallel workers for its reads: the sealer is background work, and the writers need the other cores.
      const [lock] = await queryRows<{ locked: boolean }>(database, `select pg_try_advisory_xact_lock(?) as locked, set_config('max_parallel_workers_per_gather', '0', true)`, [
        SEALER_LOCK_KEY,
      ]);
      if (!lock?.locked) return { sealed: 0, more: false };
      // The watermark only moves under the lock, so its own statement is safe; the records' read
      // below must be one statement, with its snapshot.
      const watermark = await readWatermark(database);
      const rows = await readUnsealed(database, watermark, this.batchSize);
      const [first] = rows;
      if (!first) throw new Error('the sealer read no snapshot row');
      const recordIds = rows.flatMap((row) => (row.id === null ? [] : [row.id]));
      const next = nextWatermark(watermark, { snapshot: first.snapshot, sealed: recordIds.length, batchSize: this.batchSize, lastId: recordIds.at(-1) ?? null, anyUnseen: first.anyUnseen });
      const sealed = await writeSeals(database, recordIds, next.watermark);
      if (sealed !== recordIds.length) throw new Error(`the sealer read ${recordIds.length} records and chained ${sealed}`);
      return { sealed, more: next.more };
    });
  }
}
