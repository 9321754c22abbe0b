import { IsolationLevel } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { queryRows, runStatement, type Database } from '../db/sql.js';
import { verifyChain, type ChainVerification } from './verify-chain.js';
import { readWatermark, sealedPartWay, unseenBy, type SealerWatermark } from './sealer-watermark.js';

/** What an operator (journalStatus) and the CLI (journal verify) are told. */
export interface JournalStatusView extends ChainVerification {
  /** Committed records the sealer has not chained yet. */
  readonly unsealed: number;
  /** Age of the oldest of them, in seconds; 0 when none wait. */
  readonly lagSeconds: number;
  /** When a replay last found the whole chain intact (this one, if it did); null if none ever has. */
  readonly lastVerified: Date | null;
}

/**
 * The sealer's backlog: committed records its watermark says are not sealed yet
 * (sealer-watermark.ts), found by the xid index from that one row, so it costs what waits, not
 * the journal's size: operators and every /metrics scrape ask for it. The watermark is read
 * first and bound as values (the planner must see them to use the index); run outside one
 * snapshot (the gauge), a round committed between the two reads can only make it count more.
 */
export async function journalBacklog(database: Database): Promise<{ unsealed: number; lagSeconds: number }> {
  const { sql, parameters } = backlogStatement(await readWatermark(database));
  const [row] = await queryRows<{ unsealed: number; lag: number | null }>(database, sql, parameters);
  return { unsealed: row?.unsealed ?? 0, lagSeconds: Math.max(0, row?.lag ?? 0) };
}

/** The backlog's statement for a watermark (its plan is tested: the xid index, never the whole journal). */
export function backlogStatement(watermark: SealerWatermark): { sql: string; parameters: unknown[] } {
  const unseen = unseenBy(watermark.sealedThrough);
  const partWay = sealedPartWay(watermark);
  return {
    sql: `select count(*)::int as unsealed, extract(epoch from now() - min(r.recorded_at))::float8 as lag
            from journal_records r where ${unseen.sql} ${partWay ? `and not ${partWay.sql}` : ''}`,
    parameters: [...unseen.parameters, ...(partWay?.parameters ?? [])],
  };
}

/** Replays the chain, keeps what it found (append-only journal_verifications), and reports the backlog. */
export async function checkJournal(database: Database): Promise<JournalStatusView> {
  const verification = await verifyChain(database);
  await runStatement(database, `insert into journal_verifications (sealed_position, head_hash, broken_at, problem) values (?, ?, ?, ?)`, [
    verification.sealedPosition,
    verification.headHash,
    verification.brokenAt,
    verification.problem,
  ]);
  const [last] = await queryRows<{ at: Date | string | null }>(database, `select max(verified_at) as at from journal_verifications where broken_at is null`);
  return { ...verification, ...(await journalBacklog(database)), lastVerified: last?.at ? new Date(last.at) : null };
}

/**
 * Runs a check of the journal in ONE snapshot (REPEATABLE READ): the replay reads page after page
 * and then the block headers while the sealer goes on committing; read in separate snapshots, a
 * block sealed after the last page was read would look like a block beyond the chain's head.
 * `alsoWithin` writes what must commit with the verification (the operator's audit line).
 */
export function checkJournalOnce(orm: MikroORM, alsoWithin?: (database: Database, status: JournalStatusView) => Promise<void>): Promise<JournalStatusView> {
  return orm.em.fork().transactional(
    async (database) => {
      const status = await checkJournal(database);
      await alsoWithin?.(database, status);
      return status;
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ },
  );
}
