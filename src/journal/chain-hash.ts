import { createHash } from 'node:crypto';

/**
 * The journal's hash chain (issue 10 §3), after Blnk's chain worker and Formance's logs blocks:
 * `hash(n) = SHA-256(hash(n-1) ‖ n ‖ canonical record n)`, from 64 zeros. The three parts are
 * fixed-shape bytes so no two inputs concatenate alike: the previous hash as its 32 raw bytes, the
 * position as an unsigned 64-bit big-endian integer, then the canonical record in UTF-8.
 * Plain functions of their arguments, used by the verifier. The sealer computes the same chain in
 * PostgreSQL (tally_journal_chain, migration 20261203100000), so every replay checks one
 * implementation against the other.
 */

/** The hash before position 1, and the previous-block hash of block 1. */
export const GENESIS_HASH = '0'.repeat(64);

/** A block header closes every this many positions: block n covers positions (n-1)·1000+1 .. n·1000. */
export const BLOCK_SIZE = 1000;

/** A journal record as the chain sees it: every column a tamperer could edit. */
export interface JournalRecord {
  readonly id: string;
  /** UTC with microseconds, `2026-12-01T13:00:00.123456Z` (SQL: RECORDED_AT_TEXT). */
  readonly recordedAt: string;
  readonly kind: string;
  readonly subject: string;
  readonly actorId: string | null;
  readonly requestId: string | null;
  /** Canonical JSON text, as the trigger wrote it (never re-serialized: its bytes are what is hashed). */
  readonly payload: string;
}

/** How a query selects `recorded_at` so it is the same text whatever the session's time zone. */
export const RECORDED_AT_TEXT = `to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** One record as one line: a JSON array of its fields in a fixed order (strings or null: unambiguous). */
export function canonicalRecord(record: JournalRecord): string {
  return JSON.stringify([record.id, record.recordedAt, record.kind, record.subject, record.actorId, record.requestId, record.payload]);
}

function positionBytes(position: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(position));
  return bytes;
}

export function chainHash(previousHash: string, position: number, record: JournalRecord): string {
  return createHash('sha256').update(Buffer.from(previousHash, 'hex')).update(positionBytes(position)).update(canonicalRecord(record), 'utf8').digest('hex');
}

/** A block header: what block `number` ends on, chained to the block before it. */
export interface BlockHeader {
  readonly number: number;
  readonly firstPosition: number;
  readonly lastPosition: number;
  /** The chain's hash at lastPosition. */
  readonly headHash: string;
  readonly previousBlockHash: string;
  readonly hash: string;
}

/** The header of the block that ends at `lastPosition` (a multiple of BLOCK_SIZE). */
export function blockHeader(lastPosition: number, headHash: string, previousBlockHash: string): BlockHeader {
  const number = lastPosition / BLOCK_SIZE;
  const firstPosition = lastPosition - BLOCK_SIZE + 1;
  const hash = createHash('sha256')
    .update(Buffer.from(previousBlockHash, 'hex'))
    .update(positionBytes(number))
    .update(positionBytes(firstPosition))
    .update(positionBytes(lastPosition))
    .update(Buffer.from(headHash, 'hex'))
    .digest('hex');
  return { number, firstPosition, lastPosition, headHash, previousBlockHash, hash };
}
