import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import { queryRows, runStatement, type Database } from '../db/sql.js';
import { PollingLoop } from '../ledger/system/polling-loop.js';
import { BLOCK_SIZE, GENESIS_HASH, blockHeader, chainHash, RECORDED_AT_TEXT, type BlockHeader, type JournalRecord } from './chain-hash.js';

/** Records sealed per transaction: bounds one round's work; a block's worth. */
const SEAL_BATCH = BLOCK_SIZE;
/** How often a process looks for committed, unsealed records. */
const POLL_INTERVAL_MS = 200;
/**
 * The one advisory lock every sealer of the database takes for its transaction ("tally:journal"
 * as a number): one sealer at a time across processes. It is taken only by sealers; no writer
 * ever waits on it.
 */
export const SEALER_LOCK_KEY = 0x7461_6c6c_794a;

/** One row of readUnsealed: the chain's head beside an unsealed record's columns. */
interface SealerView extends Omit<JournalRecord, 'id'> {
  readonly horizon: string;
  readonly headPosition: string | null;
  readonly headHash: string | null;
  readonly blockHash: string | null;
  readonly id: string | null;
}

/**
 * The head of the chain and the committed records not yet in it, oldest id first, read in ONE
 * statement so that the horizon (the oldest transaction still running when it was taken) belongs
 * to the same snapshot as the records: every record invisible to it was written by a transaction
 * at or above that horizon. So the next round need only look at records of transactions at or
 * above it (an index range on xid), and a record with a lower id that commits after a higher
 * one was sealed is still found — the chain never relies on "id > last sealed id".
 */
function readUnsealed(database: Database, horizon: string): Promise<SealerView[]> {
  return queryRows<SealerView>(
    database,
    `with head as (
       select pg_snapshot_xmin(pg_current_snapshot())::text as horizon,
              (select c.position::text from journal_chain c order by c.position desc limit 1) as "headPosition",
              (select c.hash from journal_chain c order by c.position desc limit 1) as "headHash",
              (select b.hash from journal_blocks b order by b.number desc limit 1) as "blockHash")
     select head.*, r.* from head left join lateral (
       select r.id::text as id, ${RECORDED_AT_TEXT} as "recordedAt", r.kind, r.subject, r.actor_id as "actorId", r.request_id as "requestId", r.payload
         from journal_records r
        where r.xid >= ?::xid8 and not exists (select 1 from journal_chain c where c.record_id = r.id)
        order by r.id limit ${SEAL_BATCH}) r on true`,
    [horizon],
  );
}

/** Postgres array literal of plain tokens (digits, hex): knex would expand a JS array into a list. */
const arrayLiteral = (values: readonly (string | number)[]): string => `{${values.join(',')}}`;

/** A record given its position and chain hash. */
export interface Seal {
  readonly position: number;
  readonly recordId: string;
  readonly hash: string;
}

async function writeSeals(database: Database, sealed: readonly Seal[], blocks: readonly BlockHeader[]): Promise<void> {
  await runStatement(
    database,
    `with chained as (
       insert into journal_chain (position, record_id, hash)
       select * from unnest(?::bigint[], ?::bigint[], ?::text[]))
     insert into journal_blocks (number, first_position, last_position, head_hash, previous_block_hash, hash)
     select * from unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[])`,
    [
      arrayLiteral(sealed.map((seal) => seal.position)),
      arrayLiteral(sealed.map((seal) => seal.recordId)),
      arrayLiteral(sealed.map((seal) => seal.hash)),
      arrayLiteral(blocks.map((block) => block.number)),
      arrayLiteral(blocks.map((block) => block.firstPosition)),
      arrayLiteral(blocks.map((block) => block.lastPosition)),
      arrayLiteral(blocks.map((block) => block.headHash)),
      arrayLiteral(blocks.map((block) => block.previousBlockHash)),
      arrayLiteral(blocks.map((block) => block.hash)),
    ],
  );
}

/** Chains `records` after the head, in the order given, with a block header at every multiple of BLOCK_SIZE. */
export function sealAfter(head: { position: number; hash: string; blockHash: string }, records: readonly JournalRecord[]): { sealed: Seal[]; blocks: BlockHeader[] } {
  const sealed: Seal[] = [];
  const blocks: BlockHeader[] = [];
  let { position, hash, blockHash } = head;
  for (const record of records) {
    position += 1;
    hash = chainHash(hash, position, record);
    sealed.push({ position, recordId: record.id, hash });
    if (position % BLOCK_SIZE === 0) {
      const block = blockHeader(position, hash, blockHash);
      blocks.push(block);
      blockHash = block.hash;
    }
  }
  return { sealed, blocks };
}

/**
 * Seals committed journal records into the chain (issue 10 §3; Blnk's chain worker). Runs in
 * every server process (JOURNAL_SEALER=off to stop it), one at a time across them by advisory
 * lock: a round that does not get the lock does nothing, the holder is sealing. Each batch is one
 * transaction (chain rows and block headers together), so a crash mid-sealing leaves the chain as
 * the last commit left it and the next sealer goes on from there: no gap, no position twice (the
 * position is the primary key, the record id unique, should two ever race).
 *
 * Writers never wait on it: they insert records without a position; the sealer reads them after
 * they commit and takes no lock a writer needs.
 */
export class JournalSealer {
  private readonly loop: PollingLoop;
  /**
   * Records of transactions below this xid are all sealed (see readUnsealed). '0' until a round
   * has drained: a process's first round looks at the whole journal once (an anti-join), then
   * only at recent transactions.
   */
  private horizon = '0';

  constructor(
    private readonly orm: MikroORM,
    logger: Logger,
    intervalMs = POLL_INTERVAL_MS,
  ) {
    this.loop = new PollingLoop(() => this.drain(), intervalMs, logger, 'journal sealing round failed; retrying');
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Seals batch after batch while they are full; returns how many records it sealed. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sealed = await this.sealBatch();
      total += sealed;
      if (sealed < SEAL_BATCH || this.loop.stopped) return total;
    }
  }

  /** One transaction: take the lock (or give up), read the head and the unsealed, chain them, write. */
  async sealBatch(): Promise<number> {
    const outcome = await this.orm.em.fork().transactional(async (database) => {
      const [lock] = await queryRows<{ locked: boolean }>(database, 'select pg_try_advisory_xact_lock(?) as locked', [SEALER_LOCK_KEY]);
      if (!lock?.locked) return { count: 0, horizon: undefined };
      const rows = await readUnsealed(database, this.horizon);
      const [first] = rows;
      if (!first) throw new Error('the sealer read no head row');
      const records = rows.filter((row): row is SealerView & { id: string } => row.id !== null);
      const head = { position: Number(first.headPosition ?? 0), hash: first.headHash ?? GENESIS_HASH, blockHash: first.blockHash ?? GENESIS_HASH };
      const { sealed, blocks } = sealAfter(head, records);
      if (sealed.length > 0) await writeSeals(database, sealed, blocks);
      // A full batch may have left records of older transactions unread: keep the old horizon.
      return { count: sealed.length, horizon: sealed.length < SEAL_BATCH ? first.horizon : undefined };
    });
    if (outcome.horizon !== undefined) this.horizon = outcome.horizon;
    return outcome.count;
  }
}
