import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import sql from 'sql-template-tag';
import { runStatement } from '../db/sql.js';
import { relayTransaction, type RelayQuery, type RelayTransaction } from './relay-database.js';
import { balanceChannel, type BalanceEvent } from './channels.js';
import type { EventBus } from './event-bus.js';
import { cacheBalance } from './balance-cache.js';
import { outsideRequest } from '../tracing/outside-request.js';

interface OutboxRow {
  readonly id: string;
  readonly payload: BalanceEvent | string;
}

/** Events taken per round: bounds one transaction's work and lock time. */
const BATCH_SIZE = 200;
/** Other instances' events are found by polling this often; this instance's are pushed at once. */
const POLL_INTERVAL_MS = 250;
/** While Redis is down, retries back off up to this. */
const MAX_BACKOFF_MS = 5000;
/** Published events are kept this long (for inspection), then pruned. */
const RETENTION_MS = 60 * 60 * 1000;
const PRUNE_INTERVAL_MS = 60 * 1000;
/** The advisory lock that takes relays in turn (an arbitrary constant, used for nothing else). */
export const RELAY_LOCK_KEY = 7_305_118_001;
/** A relay that found another publishing looks again this soon: its own events may be after that batch. */
const OTHER_RELAY_RETRY_MS = 10;

/**
 * Publishes committed outbox events (law 6). Runs in every server process, one batch at a time
 * across them (an advisory lock for the batch's transaction); `FOR UPDATE SKIP LOCKED` stays as
 * the guard that no event is published twice at once. An
 * event is marked sent only after the bus accepted it, so a Redis outage delays events but never
 * loses them. Subscribers put them in order and fill gaps from the ledger itself.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private backoffMs = 0;
  private lastPruneMs = 0;
  /** The last round found another process's relay publishing. */
  private otherRelayBusy = false;
  /** Where each batch's transaction runs (relay-database.ts: plain `pg` on PostgreSQL). */
  private readonly transaction: RelayTransaction;

  constructor(
    private readonly orm: MikroORM,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly cache: Redis | undefined,
    /** Told how many events each batch published (metrics). */
    private readonly onPublished: (count: number) => void = () => undefined,
  ) {
    this.transaction = relayTransaction(orm);
  }

  start(): void {
    this.schedule(0);
  }

  /** Publish soon: a movement just committed in this process. */
  kick(): void {
    if (this.backoffMs === 0) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Stops, then publishes what is still waiting (a graceful shutdown: the last movements' events
   * go out now rather than when another instance's relay next polls). Gives up at the first
   * failure, which loses nothing: the events stay unpublished for any relay to send; and stops
   * when another process's relay holds the turn, since that relay is publishing them.
   */
  async drain(): Promise<void> {
    await this.stop();
    try {
      while ((await this.publishBatch()) === BATCH_SIZE);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'outbox relay could not drain at shutdown; another instance will publish');
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    // A kick comes from a request; the round is not part of it (src/tracing/outside-request.ts).
    this.timer = outsideRequest(() =>
      setTimeout(() => {
        this.timer = undefined;
        this.running = this.round().finally(() => {
          this.running = undefined;
          const next = this.again ? 0 : this.backoffMs || (this.otherRelayBusy ? OTHER_RELAY_RETRY_MS : POLL_INTERVAL_MS);
          this.again = false;
          this.otherRelayBusy = false;
          this.schedule(next);
        });
      }, delayMs),
    );
  }

  private async round(): Promise<void> {
    try {
      let published: number | 'other relay busy';
      do published = await this.publishBatch();
      while (published === BATCH_SIZE && !this.stopped);
      // Another process's relay is publishing: what this one was kicked for is looked at again
      // shortly (the other may not have reached it), not at the next poll.
      this.otherRelayBusy = published === 'other relay busy';
      this.backoffMs = 0;
      await this.pruneNow();
    } catch (error) {
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(100, this.backoffMs * 2));
      this.logger.warn({ err: (error as Error).message, retryInMs: this.backoffMs }, 'outbox relay could not publish; will retry');
    }
  }

  /** One transaction: lock a batch, publish it in order, mark it sent. A failure rolls back the marks. */
  private async publishBatch(): Promise<number | 'other relay busy'> {
    const published = await this.transaction(async (query): Promise<number | 'other relay busy'> => {
      // One relay publishes at a time, across every process on the database: two relays sending
      // neighbouring batches at once deliver an account's versions out of order, and every
      // subscriber of that account then reads the gap from the ledger (a thousand reads for a
      // thousand sockets). Tried, not waited for: a relay whose process is busy sending to its
      // sockets may hold it for long, and the others must not hold a connection meanwhile.
      const rows = await takeTurnAndBatch(query);
      if (rows === 'other relay busy') return rows;
      if (rows.length === 0) return 0;
      const events = rows.map((row) => (typeof row.payload === 'string' ? (JSON.parse(row.payload) as BalanceEvent) : row.payload));
      // Sent together, not one round trip each: each Redis connection (the bus's publisher, the
      // cache's) carries its commands in call order, and the marks below wait until every one was
      // accepted. Any failure rolls the whole batch back to be sent again; subscribers drop the
      // versions they already have, and the cache keeps only a higher version.
      await Promise.all(
        events.flatMap((event) => [
          this.bus.publish(balanceChannel(event.accountId), event),
          ...(this.cache ? [cacheBalance(this.cache, event)] : []),
        ]),
      );
      const ids = `{${rows.map((row) => row.id).join(',')}}`;
      await query(sql`update outbox_events set published_at = now(), attempts = attempts + 1 where id = any(${ids}::bigint[])`);
      return rows.length;
    });
    // Counted once committed: a batch rolled back is sent (and counted) again.
    if (typeof published === 'number' && published > 0) this.onPublished(published);
    return published;
  }

  private async pruneNow(): Promise<void> {
    if (Date.now() - this.lastPruneMs < PRUNE_INTERVAL_MS) return;
    this.lastPruneMs = Date.now();
    await runStatement(this.orm.em.fork(), `delete from outbox_events where published_at < now() - (? || ' milliseconds')::interval`, [String(RETENTION_MS)]);
  }
}

/**
 * The turn and the batch in one statement (one round trip fewer per batch than asking for the lock
 * first): the lock is tried once (a materialized CTE), and the batch is read only when it was
 * taken. The statement's snapshot predates the lock, so it may still see as unpublished rows that
 * the previous holder marked and committed just before; `FOR UPDATE` re-reads such a row's latest
 * version and re-checks `published_at is null` (READ COMMITTED), so they are skipped, not sent
 * twice. An account's versions commit one after another under its row lock, so a snapshot that
 * sees one version sees every earlier one: the batch never skips ahead within an account.
 * The batch's commit does not wait for its WAL to reach the disk (synchronous_commit off, for this
 * transaction only): it commits only the marks "sent", and a mark lost in a crash sends its event
 * again, which subscribers drop by version. That spares the relay a disk flush per batch.
 * The marks' prepared statement (relay-database.ts) runs its generic plan, also for this
 * transaction only: for `id = any($1)` PostgreSQL kept choosing a custom plan, planned again on
 * every batch (69 µs of planning against 54 of running it), where the generic one is the same
 * probe of the primary key.
 */
async function takeTurnAndBatch(query: RelayQuery): Promise<OutboxRow[] | 'other relay busy'> {
  const rows = await query<{ taken: boolean; id: string | null; payload: BalanceEvent | string | null }>(
    sql`with turn as materialized (select pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}::bigint) as taken, set_config('synchronous_commit', 'off', true) as relaxed,
                                          set_config('plan_cache_mode', 'force_generic_plan', true) as generic)
     select turn.taken, batch.id::text as id, batch.payload
       from turn left join lateral (
         select o.id, o.payload from outbox_events o
          where turn.taken and o.published_at is null
          order by o.id limit ${BATCH_SIZE}::int for update skip locked) as batch on true
      order by batch.id`,
  );
  if (!rows[0]?.taken) return 'other relay busy';
  return rows.flatMap((row) => (row.id === null || row.payload === null ? [] : [{ id: row.id, payload: row.payload }]));
}
