import type { MikroORM } from '@mikro-orm/postgresql';
import { Gauge } from 'prom-client';
import { queryRows } from '../db/sql.js';
import type { TallyMetrics } from './tally-metrics.js';

/**
 * Gauges read when Prometheus scrapes, from the database (one statement, every part served by a
 * partial index the schedulers and the relay already use) and from the connection pool. They
 * describe the whole deployment's backlog, not this process's: every instance reports the same
 * outbox and scheduler figures, so aggregate them with max(), not sum().
 */

/** How far behind each scheduler and the relay are: seconds since the oldest due row fell due (0 when none is). */
const BACKLOG_SQL = `
select
  (select count(*) from outbox_events where published_at is null)::int as outbox_backlog,
  coalesce(extract(epoch from now() - (select min(created_at) from outbox_events where published_at is null)), 0)::float8 as outbox_lag,
  coalesce(extract(epoch from now() - (select min(expires_at) from holds where status = 'ACTIVE' and expires_at is not null and expires_at <= now())), 0)::float8 as expiry_lag,
  coalesce(extract(epoch from now() - (select min(release_at) from holds where status = 'ACTIVE' and release_at is not null and release_at <= now())), 0)::float8 as release_lag,
  coalesce(extract(epoch from now() - (select min(due_at) from reviews where status = 'PENDING' and due_at <= now())), 0)::float8 as review_timeout_lag,
  coalesce(extract(epoch from now() - (select min(provisional_credit_by) from disputes where status in ('OPEN', 'INVESTIGATING') and provisional_credit_by <= now())), 0)::float8 as dispute_deadline_lag`;

interface BacklogRow {
  readonly outbox_backlog: number;
  readonly outbox_lag: number;
  readonly expiry_lag: number;
  readonly release_lag: number;
  readonly review_timeout_lag: number;
  readonly dispute_deadline_lag: number;
}

/** The scheduler label of tally_scheduler_lag_seconds, and the column that measures it. */
const SCHEDULERS = [
  ['hold-expiry', 'expiry_lag'],
  ['availability-release', 'release_lag'],
  ['review-timeout', 'review_timeout_lag'],
  ['dispute-deadline', 'dispute_deadline_lag'],
] as const satisfies ReadonlyArray<readonly [string, keyof BacklogRow]>;

/** tarn's pool, as knex keeps it (absent for embedded PGlite, which has no pool). */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  on(event: 'acquireRequest', listener: (eventId: number) => void): void;
  on(event: 'acquireSuccess' | 'acquireFail', listener: (eventId: number) => void): void;
}

function poolOf(orm: MikroORM): TarnPool | undefined {
  const client = orm.em.getConnection().getKnex().client as { pool?: Partial<TarnPool> } | undefined;
  const pool = client?.pool;
  return pool && typeof pool.numUsed === 'function' && typeof pool.on === 'function' ? (pool as TarnPool) : undefined;
}

/** Registers the scrape-time gauges and the pool's wait histogram on `metrics`. */
export function watchDatabase(metrics: TallyMetrics, orm: MikroORM): void {
  // One statement per scrape, shared by the gauges below: the first collect runs it, the rest reuse it.
  let pending: Promise<BacklogRow | undefined> | undefined;
  const backlog = () => {
    pending ??= queryRows<BacklogRow>(orm.em.fork(), BACKLOG_SQL)
      .then((rows) => rows[0], () => undefined)
      .finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };
  const registers = [metrics.registry];
  new Gauge({
    name: 'tally_outbox_backlog',
    help: 'Balance events committed but not yet published by any relay.',
    registers,
    async collect() {
      const row = await backlog();
      if (row) this.set(Number(row.outbox_backlog));
    },
  });
  new Gauge({
    name: 'tally_outbox_lag_seconds',
    help: 'Age of the oldest unpublished balance event (0 when the outbox is drained).',
    registers,
    async collect() {
      const row = await backlog();
      if (row) this.set(Number(row.outbox_lag));
    },
  });
  new Gauge({
    name: 'tally_scheduler_lag_seconds',
    help: 'Seconds since the oldest row a scheduler should have handled fell due (0 when none is overdue), by scheduler: hold-expiry, availability-release, review-timeout, dispute-deadline.',
    labelNames: ['scheduler'] as const,
    registers,
    async collect() {
      const row = await backlog();
      if (row) for (const [scheduler, column] of SCHEDULERS) this.set({ scheduler }, Number(row[column]));
    },
  });
  watchPool(metrics, orm);
}

/** Connections in use, idle and waited for, and how long each acquisition waited. */
function watchPool(metrics: TallyMetrics, orm: MikroORM): void {
  const pool = poolOf(orm);
  if (!pool) return;
  const requested = new Map<number, number>();
  pool.on('acquireRequest', (eventId) => requested.set(eventId, performance.now()));
  const settle = (result: 'acquired' | 'failed') => (eventId: number) => {
    const since = requested.get(eventId);
    requested.delete(eventId);
    if (since !== undefined) metrics.poolWait.observe({ result }, (performance.now() - since) / 1000);
  };
  pool.on('acquireSuccess', settle('acquired'));
  pool.on('acquireFail', settle('failed'));
  new Gauge({
    name: 'tally_db_pool_connections',
    help: 'PostgreSQL connections of this process, by state: used (lent to a request), free (idle in the pool), pending (requests waiting for one).',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      this.set({ state: 'used' }, pool.numUsed());
      this.set({ state: 'free' }, pool.numFree());
      this.set({ state: 'pending' }, pool.numPendingAcquires());
    },
  });
}
