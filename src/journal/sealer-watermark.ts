import { queryRows, type Database } from '../db/sql.js';

/**
 * Which committed journal records are already in the chain, as one row the sealer keeps
 * (journal_sealer_state, migration 20261203100000): a PostgreSQL snapshot `sealedThrough` such
 * that every record of a transaction it saw is sealed. Records carry their transaction's id
 * (`xid`), so the records not sealed yet are those of the transactions it did not see: ids at or
 * above its xmax, or in its list of transactions still running then. Both are index lookups on
 * `journal_records (xid)`, proportional to the backlog, never to the journal.
 *
 * A round seals at most a batch of them, in id order. When a batch is full the sealer keeps the
 * snapshot it read them in (`sealingTo`) and the last id it sealed (`sealedThroughId`): the
 * records between the two snapshots are then sealed up to that id, and the next batches take the
 * rest by id, until none is left and `sealingTo` becomes the new `sealedThrough`.
 *
 * SQL fragments and one function of the state; the sealer writes the row, the backlog reads it.
 */
export interface SealerWatermark {
  /** `pg_snapshot` text, `xmin:xmax:xip,…`. */
  readonly sealedThrough: string;
  readonly sealingTo: string | null;
  readonly sealedThroughId: string | null;
}

/** A `pg_snapshot` in its text form, `xmin:xmax:xip,…`, taken apart. */
export function snapshotParts(snapshot: string): { xmax: string; running: string[] } {
  const match = /^(\d+):(\d+):([\d,]*)$/.exec(snapshot);
  if (!match) throw new Error(`not a pg_snapshot: ${snapshot}`);
  return { xmax: match[2]!, running: match[3] ? match[3].split(',') : [] };
}

/**
 * Records (alias `r`) of transactions `snapshot` did not see, as SQL and its two parameters:
 * transaction ids from its xmax up, or among those it saw running. Bound as values, not read
 * from the row inside the statement, so the planner sees them and picks the xid index (with
 * the row's columns as parameters it cannot estimate them and scans the whole journal).
 */
export function unseenBy(snapshot: string): { sql: string; parameters: string[] } {
  const { xmax, running } = snapshotParts(snapshot);
  return { sql: '(r.xid >= ?::xid8 or r.xid = any(?::xid8[]))', parameters: [xmax, `{${running.join(',')}}`] };
}

/** Of the unseen records, those a full batch already sealed: seen by `sealingTo`, at or below `sealedThroughId`; null when none is part-way. */
export function sealedPartWay(watermark: SealerWatermark): { sql: string; parameters: string[] } | null {
  if (watermark.sealingTo === null || watermark.sealedThroughId === null) return null;
  return { sql: '(r.id <= ?::bigint and pg_visible_in_snapshot(r.xid, ?::pg_snapshot))', parameters: [watermark.sealedThroughId, watermark.sealingTo] };
}

export async function readWatermark(database: Database): Promise<SealerWatermark> {
  const [row] = await queryRows<SealerWatermark>(
    database,
    `select sealed_through::text as "sealedThrough", sealing_to::text as "sealingTo", sealed_through_id::text as "sealedThroughId" from journal_sealer_state`,
  );
  if (!row) throw new Error('journal_sealer_state has no row (migration 20261203100000 inserts it)');
  return row;
}

/** What one round found: the snapshot it read in, how many it sealed of how many it could take, the last id, and whether anything was unseen at all. */
export interface RoundOutcome {
  readonly snapshot: string;
  readonly sealed: number;
  readonly batchSize: number;
  readonly lastId: string | null;
  /** Whether any record was unseen by the watermark, sealed by an earlier sealer or not. */
  readonly anyUnseen: boolean;
}

/**
 * The watermark after a round, or null when it stays as it is (nothing was unseen: no write, so
 * an idle journal costs no WAL). `more` says another batch may be waiting right now.
 */
export function nextWatermark(current: SealerWatermark, round: RoundOutcome): { watermark: SealerWatermark | null; more: boolean } {
  const full = round.sealed >= round.batchSize;
  if (current.sealingTo === null) {
    if (!round.anyUnseen) return { watermark: null, more: false };
    if (!full) return { watermark: { sealedThrough: round.snapshot, sealingTo: null, sealedThroughId: null }, more: false };
    return { watermark: { sealedThrough: current.sealedThrough, sealingTo: round.snapshot, sealedThroughId: round.lastId }, more: true };
  }
  // Going on part-way: the rest of the records between sealedThrough and sealingTo, by id.
  if (full) return { watermark: { ...current, sealedThroughId: round.lastId }, more: true };
  // Those are done; the records that came after sealingTo are the next round's, at once.
  return { watermark: { sealedThrough: current.sealingTo, sealingTo: null, sealedThroughId: null }, more: true };
}
