import { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../logger.js';
import type { CommandObserver } from '../../ledger/commands/command-observer.js';
import { entities } from '../../entities/index.js';
import { queryRows, type Database } from '../sql.js';
import { parseLsn, PrimarySamples } from './wal-horizon.js';
import { RecentWrites } from './recent-writes.js';
import { routeRead, type ReadRoute, type ReplicaState } from './route-read.js';
import { withPrimaryFallback } from './primary-fallback.js';
import { sessionOptions } from '../session-options.js';
import type { SharedLastWrites } from './redis-last-writes.js';

/** How often each process samples the primary's WAL position and each replica's replay position. */
export const REPLICA_POLL_INTERVAL_MS = 250;
/** A poll that takes longer than this marks the replica down: a read would wait as long. */
const POLL_TIMEOUT_MS = 1_000;
/** Longest a read waits for a replica's connection before the primary answers it instead. */
const REPLICA_CONNECT_WAIT_MS = 1_000;
/** Longest a read waits for Redis to say when the caller last moved money; then the primary answers. */
const SHARED_WRITES_WAIT_MS = 250;

export interface ReplicaSetOptions {
  readonly urls: readonly string[];
  readonly maxLagSeconds: number;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly logger: Logger;
  /** Callers' last movements as every process sees them (Redis); without it, this process's own only. */
  readonly sharedWrites?: SharedLastWrites;
  /** Each request's route (once per request) and each read that fell back to the primary mid-request. */
  readonly onRead?: (target: 'replica' | 'primary', reason: string) => void;
}

/** One replica as the metrics see it. */
export interface ReplicaStatus {
  /** host:port/database, without credentials: the `replica` label. */
  readonly name: string;
  readonly up: boolean;
  /** Seconds of acknowledged commits not yet replayed there; undefined while down or unknown. */
  readonly lagSeconds: number | undefined;
}

interface Replica {
  readonly name: string;
  readonly orm: MikroORM;
  up: boolean;
  horizonMs: number | undefined;
}

/**
 * The streaming replicas of DATABASE_URL (README "Read replicas"): one small ORM per replica (the
 * ledger's reads are SQL through `em.execute`, which MikroORM's own `replicas` option always sends
 * to the primary, and the router must know which replica it picked to compare its replay
 * position), a poll of positions every REPLICA_POLL_INTERVAL_MS, the callers' last movements, and
 * the per-request choice of where lag-tolerant reads go.
 */
export class ReplicaSet {
  private readonly samples: PrimarySamples;
  private readonly recentWrites: RecentWrites;
  private readonly maxLagMs: number;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly standbyWarned = new Set<string>();

  private constructor(
    private readonly primary: MikroORM,
    private readonly replicas: readonly Replica[],
    private readonly options: ReplicaSetOptions,
  ) {
    this.maxLagMs = options.maxLagSeconds * 1000;
    this.samples = new PrimarySamples(this.maxLagMs + 10 * REPLICA_POLL_INTERVAL_MS);
    this.recentWrites = new RecentWrites(this.maxLagMs);
  }

  /** Opens a lazy pool per replica (nothing connects yet: a replica down at start is only skipped). */
  static async open(primary: MikroORM, options: ReplicaSetOptions): Promise<ReplicaSet> {
    const replicas: Replica[] = [];
    for (const url of options.urls) {
      const orm = await MikroORM.init({
        entities,
        clientUrl: url,
        connect: false,
        ensureDatabase: false,
        discovery: { warnWhenNoEntities: false },
        allowGlobalContext: false,
        debug: false,
        colors: false,
        pool: { min: 0, max: options.poolSize, acquireTimeoutMillis: REPLICA_CONNECT_WAIT_MS },
        driverOptions: {
          connection: {
            application_name: 'tally-replica-reads',
            options: sessionOptions(),
            connectionTimeoutMillis: REPLICA_CONNECT_WAIT_MS,
            ...(options.statementTimeoutMs > 0 ? { statement_timeout: options.statementTimeoutMs } : {}),
          },
          // knex prints a dead connection's warnings to the console; the set reports a replica's
          // state itself (markDown), so these go to the log at debug.
          log: { warn: quiet, error: quiet, deprecate: quiet, debug: quiet },
        },
      });
      replicas.push({ name: replicaName(url), orm, up: false, horizonMs: undefined });
    }
    return new ReplicaSet(primary, replicas, options);

    function quiet(message: unknown): void {
      options.logger.debug({ replicaDriver: String(message) }, 'read replica driver');
    }
  }

  /** Polls at once (so the first requests may already use a replica), then every interval. */
  start(): void {
    void this.pollOnce();
    this.timer = setInterval(() => void this.pollOnce(), REPLICA_POLL_INTERVAL_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    for (const replica of this.replicas) await replica.orm.close(true);
  }

  /** Notes every actor of a finished unit (committed or not: a lost answer may hide a commit) for read-your-writes. */
  readonly commandObserver: CommandObserver = {
    unitFinished: (unit) => {
      const now = Date.now();
      for (const userId of new Set(unit.commands.map((command) => command.actorUserId))) {
        this.recentWrites.note(userId, now);
        this.options.sharedWrites?.note(userId, now);
      }
    },
    unitRetried: () => undefined,
  };

  /**
   * The unit of work for one request's lag-tolerant reads: a replica that has the caller's last
   * movement (with the primary behind it for any read the replica fails), or the primary itself.
   */
  async readDatabase(userId: string | undefined, primaryDatabase: () => Database): Promise<Database> {
    const route = await this.route(userId);
    this.options.onRead?.(route.target, route.target === 'replica' ? 'replica' : route.reason);
    if (route.target === 'primary') return primaryDatabase();
    const replica = this.replicas[route.replica]!;
    return withPrimaryFallback(replica.orm.em.fork() as unknown as Database, primaryDatabase, (error) => {
      this.markDown(replica, error);
      this.options.onRead?.('primary', 'failed');
    });
  }

  /** Where `userId`'s lag-tolerant reads would go now. */
  async route(userId: string | undefined): Promise<ReadRoute> {
    let callerWroteAtMs = userId === undefined ? undefined : this.recentWrites.lastWriteOf(userId, Date.now());
    const shared = this.options.sharedWrites;
    if (userId !== undefined && shared) {
      try {
        const elsewhere = await withTimeout(shared.lastWriteOf(userId), SHARED_WRITES_WAIT_MS);
        if (elsewhere !== undefined && (callerWroteAtMs === undefined || elsewhere > callerWroteAtMs)) callerWroteAtMs = elsewhere;
      } catch {
        // Another process may have answered a movement this one cannot see: only the primary is sure.
        return { target: 'primary', reason: 'writes-unknown' };
      }
    }
    const states: ReplicaState[] = this.replicas.map(({ up, horizonMs }) => ({ up, horizonMs }));
    return routeRead({ replicas: states, callerWroteAtMs, nowMs: Date.now(), maxLagMs: this.maxLagMs });
  }

  status(nowMs = Date.now()): ReplicaStatus[] {
    return this.replicas.map(({ name, up, horizonMs }) => ({
      name,
      up,
      lagSeconds: up && horizonMs !== undefined ? Math.max(0, nowMs - horizonMs) / 1000 : undefined,
    }));
  }

  /** One round: the primary first (a sample sent before the replicas are asked), then each replica. */
  pollOnce(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async poll(): Promise<void> {
    const sentAtMs = Date.now();
    try {
      const [row] = await withTimeout(queryRows<{ lsn: string }>(this.primary.em.fork(), 'select pg_current_wal_insert_lsn()::text as lsn'), POLL_TIMEOUT_MS);
      this.samples.record({ sentAtMs, lsn: parseLsn(row!.lsn) });
    } catch (error) {
      // No sample: horizons stop advancing, so replicas age out of use if the primary stays away.
      this.options.logger.debug({ err: error }, 'primary WAL position not read');
    }
    await Promise.all(this.replicas.map((replica) => this.pollReplica(replica)));
    this.recentWrites.prune(Date.now());
  }

  private async pollReplica(replica: Replica): Promise<void> {
    try {
      const [row] = await withTimeout(
        queryRows<{ standby: boolean; lsn: string | null }>(replica.orm.em.fork(), 'select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn()::text as lsn'),
        POLL_TIMEOUT_MS,
      );
      if (!row?.standby || row.lsn === null) return this.notStandby(replica);
      replica.horizonMs = this.samples.horizonOf(parseLsn(row.lsn));
      if (!replica.up) this.options.logger.info({ replica: replica.name }, 'read replica up');
      replica.up = true;
    } catch (error) {
      this.markDown(replica, error);
    }
  }

  /** A server that is not in recovery (a promoted replica, a wrong URL) has no replay position to trust. */
  private notStandby(replica: Replica): void {
    if (!this.standbyWarned.has(replica.name)) this.options.logger.warn({ replica: replica.name }, 'read replica is not a streaming standby: not used');
    this.standbyWarned.add(replica.name);
    replica.up = false;
  }

  private markDown(replica: Replica, error: unknown): void {
    if (replica.up) this.options.logger.warn({ replica: replica.name, err: error instanceof Error ? error.message : String(error) }, 'read replica down: reads go to the primary');
    replica.up = false;
  }
}

function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.host}${parsed.pathname}`;
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
