import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CommandObserver, ObservedUnit } from '../ledger/commands/command-observer.js';

/**
 * Every metric Tally serves at `GET /metrics` (README "Operating Tally" lists them), in one
 * registry per app so that two apps in one process (the tests) never share a count. The ledger
 * reports through its observer hook (src/ledger/commands/command-observer.ts); transport, the
 * relay and the rate limits through the small callbacks below; database-side gauges are read at
 * scrape time (database-gauges.ts). Names follow Prometheus's conventions: `_total` counters,
 * `_seconds` histograms, base units.
 */

/** Seconds: a movement's unit takes a few milliseconds; a lock wait or a retried deadlock, up to seconds. */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Commands per unit: 1 for a request, up to the bench's and the schedulers' batches. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** Seconds a request waited for a pooled connection (DATABASE_POOL_WAIT_MS caps it, 3 s by default). */
const POOL_WAIT_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class TallyMetrics {
  readonly registry = new Registry();

  constructor() {
    // The process's own: CPU, memory, event-loop delay, GC (process_*, nodejs_*).
    collectDefaultMetrics({ register: this.registry });
  }

  readonly movements = new Counter({
    name: 'tally_movements_total',
    help: 'Commands the envelope answered, once per command of a committed unit: kind is the command (deposit, transfer, ...), outcome OK or the refusal code, replayed whether the answer was a stored one (nothing moved).',
    labelNames: ['kind', 'outcome', 'replayed'] as const,
    registers: [this.registry],
  });

  readonly commandDuration = new Histogram({
    name: 'tally_command_duration_seconds',
    help: 'Time from a unit\'s first attempt to its commit or final failure, retries included, by command (a unit of several commands is observed once per command).',
    labelNames: ['command', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly unitRetries = new Counter({
    name: 'tally_command_retries_total',
    help: 'Units the envelope rolled back and ran again after a transient failure, by SQLSTATE (40P01 deadlock, 40001 serialization; 08006 and 57P0x a lost connection, as in a failover).',
    labelNames: ['sqlstate'] as const,
    registers: [this.registry],
  });

  readonly unitFailures = new Counter({
    name: 'tally_command_unit_failures_total',
    help: 'Units that committed nothing and answered with an error (database down, retries exhausted): their commands are not in tally_movements_total.',
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'tally_command_batch_size',
    help: 'Commands per unit (one database transaction).',
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'tally_graphql_request_duration_seconds',
    help: 'GraphQL requests over HTTP from parsing to response, by operation (the first root field, e.g. transfer, accounts; "invalid" when it did not parse or validate).',
    labelNames: ['operation', 'type'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly outboxPublished = new Counter({
    name: 'tally_outbox_published_total',
    help: 'Balance events the outbox relay of this process published to the bus.',
    registers: [this.registry],
  });

  readonly websocketConnections = new Gauge({
    name: 'tally_websocket_connections',
    help: 'Signed-in WebSocket connections open on this process.',
    registers: [this.registry],
  });

  readonly subscriptions = new Gauge({
    name: 'tally_subscriptions',
    help: 'Active GraphQL subscriptions on this process.',
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'tally_subscription_deliveries_total',
    help: 'Messages (next) sent to subscribers on this process.',
    registers: [this.registry],
  });

  readonly poolWait = new Histogram({
    name: 'tally_db_pool_wait_seconds',
    help: 'Time a request waited for a pooled PostgreSQL connection, by result (acquired, failed: DATABASE_POOL_WAIT_MS ran out).',
    labelNames: ['result'] as const,
    buckets: POOL_WAIT_BUCKETS,
    registers: [this.registry],
  });

  readonly rateLimitRefusals = new Counter({
    name: 'tally_rate_limit_refusals_total',
    help: 'Requests refused by a limit, by limit: movements, login-user, login-ip, login-success, step-up, refresh-ip, payee-lookups (RATE_LIMIT_*), user-share (MAX_CONCURRENT_REQUESTS_PER_USER or QUERY_COST_PER_USER_PER_SECOND), subscriptions.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  /** The envelope's observer (src/ledger/commands/command-observer.ts), counting into this registry. */
  readonly commandObserver: CommandObserver = {
    unitFinished: (unit) => this.recordUnit(unit),
    unitRetried: (sqlState) => this.unitRetries.inc({ sqlstate: sqlState }),
  };

  private recordUnit(unit: ObservedUnit): void {
    this.batchSize.observe(unit.commands.length);
    const result = unit.committed ? 'committed' : 'failed';
    for (const command of unit.commands) this.commandDuration.observe({ command: command.name, result }, unit.durationMs / 1000);
    if (!unit.committed) {
      this.unitFailures.inc();
      return;
    }
    for (const command of unit.commands) this.movements.inc({ kind: command.name, outcome: command.outcome, replayed: String(command.replayed) });
  }

  /** A limit refused a request (the rate limits' and the user shares' hook). */
  readonly refusedBy = (limit: string): void => {
    this.rateLimitRefusals.inc({ limit });
  };
}
