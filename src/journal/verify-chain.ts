import { queryRows, type Database } from '../db/sql.js';
import { BLOCK_SIZE, GENESIS_HASH, blockHeader, chainHash, RECORDED_AT_TEXT, type JournalRecord } from './chain-hash.js';

/** Chain rows read per query while replaying: bounds memory, whatever the journal's size. */
const REPLAY_PAGE = 5_000;

export interface ChainVerification {
  /** The highest position in the chain (whether or not it verifies). */
  readonly sealedPosition: number;
  /** The stored hash at sealedPosition (64 zeros for an empty chain). */
  readonly headHash: string;
  /** The first position whose record, hash or block does not replay; null when the chain holds. */
  readonly brokenAt: number | null;
  /** What broke there, for people. */
  readonly problem: string | null;
}

/** A chain position and the record it names (`id` null when the record is gone). */
interface ChainRow extends Omit<JournalRecord, 'id'> {
  readonly position: string;
  readonly hash: string;
  readonly recordId: string;
  readonly id: string | null;
}

function chainPage(database: Database, after: number): Promise<ChainRow[]> {
  return queryRows<ChainRow>(
    database,
    `select c.position::text, c.hash, c.record_id::text as "recordId", r.id::text as id, ${RECORDED_AT_TEXT} as "recordedAt", r.kind, r.subject,
            r.actor_id as "actorId", r.request_id as "requestId", r.payload
       from journal_chain c left join journal_records r on r.id = c.record_id
      where c.position > ? order by c.position limit ${REPLAY_PAGE}`,
    [after],
  );
}

/** The first problem of one chain row, replayed after `previousHash` at `expected`. */
function problemOf(row: ChainRow, expected: number, previousHash: string): string | null {
  const position = Number(row.position);
  if (position !== expected) return `position ${expected} is missing (the chain goes on at ${position})`;
  if (row.id === null) return `record ${row.recordId} sealed at position ${position} is missing`;
  if (chainHash(previousHash, position, { ...row, id: row.id }) !== row.hash) return `record ${row.recordId} at position ${position} does not match its hash`;
  return null;
}

/** Every block header: numbered 1.., one per BLOCK_SIZE positions, on the chain's hashes, chained. */
async function blockProblem(database: Database, heads: ReadonlyMap<number, string>, sealedPosition: number): Promise<{ at: number; problem: string } | null> {
  const blocks = await queryRows<{ number: string; first: string; last: string; headHash: string; previous: string; hash: string }>(
    database,
    `select b.number::text, b.first_position::text as first, b.last_position::text as last, b.head_hash as "headHash", b.previous_block_hash as previous, b.hash
       from journal_blocks b order by b.number`,
  );
  let previous = GENESIS_HASH;
  const expectedBlocks = Math.floor(sealedPosition / BLOCK_SIZE);
  for (let number = 1; number <= Math.max(expectedBlocks, blocks.length); number += 1) {
    const block = blocks[number - 1];
    const last = number * BLOCK_SIZE;
    const headHash = heads.get(last);
    if (!block || Number(block.number) !== number || headHash === undefined) return { at: last, problem: `block ${number} (ending at position ${last}) is missing or out of place` };
    const expected = blockHeader(last, headHash, previous);
    if (Number(block.first) !== expected.firstPosition || Number(block.last) !== last || block.headHash !== headHash || block.previous !== previous || block.hash !== expected.hash) {
      return { at: last, problem: `block ${number} does not match the chain` };
    }
    previous = block.hash;
  }
  return null;
}

/**
 * Replays the chain from the database (issue 10 §3; Blnk's `verify-chain`): positions 1..N with
 * no hole, each position's record present, every hash recomputed from the record's stored columns
 * and the previous stored hash, and every block header. Reports the first broken position. Reads
 * a page at a time, keeping only the block boundaries' hashes. Records not yet sealed are not a
 * problem: the sealer's lag is reported beside this (journal-status.ts).
 */
export async function verifyChain(database: Database): Promise<ChainVerification> {
  let expected = 1;
  let previousHash = GENESIS_HASH;
  let broken: { at: number; problem: string } | null = null;
  const heads = new Map<number, string>();
  for (;;) {
    const page = await chainPage(database, expected - 1);
    for (const row of page) {
      const problem: string | null = broken ? null : problemOf(row, expected, previousHash);
      if (problem) broken = { at: expected, problem };
      // Past a break the replay still walks to the head (sealedPosition), checking nothing more.
      const position = Number(row.position);
      if (position % BLOCK_SIZE === 0) heads.set(position, row.hash);
      previousHash = row.hash;
      expected = position + 1;
    }
    if (page.length < REPLAY_PAGE) break;
  }
  const sealedPosition = expected - 1;
  broken ??= await blockProblem(database, heads, sealedPosition);
  return { sealedPosition, headHash: previousHash, brokenAt: broken?.at ?? null, problem: broken?.problem ?? null };
}
