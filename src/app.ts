import type { Config } from './config.js';
import { migrate, openOrm, type Orm, type OrmOptions } from './db/orm.js';
import type { Logger } from './logger.js';
import { connectRedis, redisEndpointOf } from './redis.js';
import { inProcessEventBus, redisEventBus } from './pubsub/event-bus.js';
import { ledgerHistory } from './pubsub/ledger-history.js';
import { OutboxRelay } from './pubsub/outbox-relay.js';
import { HoldExpiry } from './ledger/system/hold-expiry.js';
import { DisputeCredits } from './ledger/system/dispute-credits.js';
import { announceDisputeChange, auditSystemDisputeCredit } from './resolvers/disputes.js';
import { VersionWatch } from './pubsub/version-watch.js';
import { JournalSealer } from './journal/sealer.js';
import type { LiveServices } from './pubsub/live-services.js';
import { startServer, type RunningServer } from './transport/server.js';
import { assertPortFree } from './transport/listen.js';
import { TallyMetrics } from './metrics/tally-metrics.js';
import { watchDatabase } from './metrics/database-gauges.js';
import { watchSealerLag } from './metrics/sealer-lag.js';
import { journalBacklog } from './journal/journal-status.js';
import { isClusterWorker } from './server-workers.js';
import { everyObserver, observeCommands } from './ledger/commands/command-observer.js';
import { groupCommits } from './ledger/commands/group-commit.js';
import { startTracing } from './tracing/tracing.js';
import { commandSpans } from './tracing/command-spans.js';
import { traceDatabase } from './tracing/database-spans.js';
import { ReplicaSet } from './db/replicas/replica-set.js';
import { ReplicaMetrics } from './metrics/replica-metrics.js';
import { redisLastWrites } from './db/replicas/redis-last-writes.js';
import type { Redis } from 'ioredis';

export interface App {
  readonly orm: Orm;
  readonly server: RunningServer;
  readonly url: string;
  /** The live-balance services (event bus, relay, ledger history, version watch). */
  readonly live: LiveServices;
  /** This app's metrics (served at /metrics with METRICS_TOKEN). */
  readonly metrics: TallyMetrics;
  /** DATABASE_REPLICA_URLS' replicas and where reads go (undefined without replicas). */
  readonly replicas: ReplicaSet | undefined;
  /** SIGTERM's first step: /readyz turns 503 and connections close after their answer; requests are still served. */
  beginDraining(): void;
  /**
   * Stops in the order that loses nothing: WebSockets closed with 1001 and the port closed, then
   * in-flight requests answered (their movements committed), the schedulers' running units
   * finished, the relay drained (the last events published), then Redis and the database.
   */
  close(): Promise<void>;
}

/** Opens the database, applies pending migrations, then serves. Used by `npm start` and the tests. */
export interface AppOptions extends OrmOptions {
  /** Prefix of this app's rate-limit keys in Redis (tests isolate themselves with it). */
  readonly rateLimitKeyPrefix?: string;
}

export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  // A taken port refuses in one line before the database is opened (PGlite boots for seconds).
  // Not in a cluster worker: its primary holds the port, and a probe there would join the
  // primary's round-robin for a moment, so a connection handed to it would be dropped.
  if (!isClusterWorker()) await assertPortFree(config.port);
  const orm = await openOrm(config, options);
  const metrics = new TallyMetrics();
  // Traces only with OTEL_EXPORTER_OTLP_ENDPOINT (README "Traces"): requests, commands, statements.
  const tracing = config.otlpEndpoint ? startTracing(config.otlpEndpoint) : undefined;
  if (tracing) traceDatabase(orm, tracing.tracer);
  const redisEndpoint = redisEndpointOf(config);
  const redis = redisEndpoint ? connectRedis(redisEndpoint) : undefined;
  // A Redis outage is reported by /readyz and survived by the limits; it must not crash the process.
  redis?.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis unavailable'));
  const replicas = await openReplicas(config, orm, logger, metrics, redis).catch(async (error: unknown) => {
    redis?.disconnect();
    await orm.close(true);
    await tracing?.shutdown().catch(() => undefined);
    throw error;
  });
  // The envelope reports every unit run on this ORM (src/ledger/commands/command-observer.ts).
  const observers = [metrics.commandObserver, ...(tracing ? [commandSpans(tracing.tracer)] : []), ...(replicas ? [replicas.commandObserver] : [])];
  observeCommands(orm, observers.length === 1 ? metrics.commandObserver : everyObserver(...observers));
  watchDatabase(metrics, orm);
  // GROUP_COMMIT=on: concurrent single movements share a unit (src/ledger/commands/group-commit.ts).
  groupCommits(orm, config.groupCommit);
  // What has started so far, stopped in reverse if a later step fails (a port taken at listen).
  const started: (() => Promise<void> | void)[] = [];
  try {
    await migrate(orm);
    replicas?.start();
    started.push(() => replicas?.close());
    const bus = redisEndpoint ? redisEventBus(redisEndpoint) : inProcessEventBus();
    started.push(() => bus.close());
    const relay = new OutboxRelay(orm, bus, logger, redis, (count) => metrics.outboxPublished.inc(count));
    relay.start();
    started.push(() => relay.stop());
    const sealer = config.journalSealer ? new JournalSealer(orm, logger, { intervalMs: config.journalSealIntervalMs, batchSize: config.journalSealBatch }) : undefined;
    sealer?.start();
    watchSealerLag(metrics, async () => (await journalBacklog(orm.em.fork())).lagSeconds);
    started.push(() => sealer?.stop());
    const holdExpiry = new HoldExpiry(orm, logger);
    holdExpiry.start();
    started.push(() => holdExpiry.stop());
    const history = ledgerHistory(orm);
    const watch = new VersionWatch(history, logger);
    watch.start(bus);
    started.push(() => watch.stop());
    const live = { bus, relay, history, watch, cache: redis };
    const disputeCredits = new DisputeCredits(orm, logger, config.disputes, {
      audit: auditSystemDisputeCredit,
      changed: async (disputeIds) => {
        for (const disputeId of disputeIds) await announceDisputeChange({ live, orm }, disputeId, true);
      },
    });
    disputeCredits.start();
    started.push(() => disputeCredits.stop());
    const server = await startServer(config, orm, logger, { redis, live, rateLimitKeyPrefix: options.rateLimitKeyPrefix, metrics, tracer: tracing?.tracer, replicas });
    return {
      orm,
      server,
      url: server.url,
      live,
      metrics,
      replicas,
      beginDraining: () => server.beginDraining(),
      async close() {
        await server.close();
        watch.stop();
        await disputeCredits.stop();
        await holdExpiry.stop();
        await sealer?.stop();
        await relay.drain();
        await bus.close();
        redis?.disconnect();
        await replicas?.close();
        observeCommands(orm, undefined);
        groupCommits(orm, undefined);
        await orm.close(true);
        // Last: the spans of the requests answered above are sent before the process exits.
        await tracing?.shutdown();
      },
    };
  } catch (error) {
    for (const stop of started.reverse()) {
      // The failure that stopped the start is the one to report; a failing stop is only logged.
      await Promise.resolve()
        .then(stop)
        .catch((stopError: unknown) => logger.warn({ err: stopError }, 'stopping after a failed start'));
    }
    redis?.disconnect();
    await replicas?.close().catch(() => undefined);
    observeCommands(orm, undefined);
    groupCommits(orm, undefined);
    await orm.close(true);
    await tracing?.shutdown().catch(() => undefined);
    throw error;
  }
}

/** DATABASE_REPLICA_URLS' replicas with their metrics, or undefined when none are configured (README "Read replicas"). */
async function openReplicas(config: Config, orm: Orm, logger: Logger, metrics: TallyMetrics, redis: Redis | undefined): Promise<ReplicaSet | undefined> {
  if (config.databaseReplicaUrls.length === 0) return undefined;
  const replicaMetrics = new ReplicaMetrics(metrics);
  const maxLagMs = config.databaseReplicaMaxLagSeconds * 1000;
  // With Redis every process knows every caller's last movement; without it only its own.
  const sharedWrites = redis ? redisLastWrites(redis, maxLagMs, (error) => logger.debug({ err: error }, 'last movement not shared')) : undefined;
  const replicas = await ReplicaSet.open(orm, {
    urls: config.databaseReplicaUrls,
    maxLagSeconds: config.databaseReplicaMaxLagSeconds,
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.readStatementTimeoutMs,
    logger,
    sharedWrites,
    onRead: (target, reason) => replicaMetrics.reads.inc({ target, reason }),
  });
  replicaMetrics.watch(metrics, replicas);
  // Without Redis, read-your-writes remembers callers' movements per process (README "Read replicas").
  if (config.workers > 1 && !redis) logger.warn({ workers: config.workers }, 'read replicas with WEB_CONCURRENCY above 1: a caller\'s read may reach a process that did not answer their movement and trail it by the replica lag');
  return replicas;
}
