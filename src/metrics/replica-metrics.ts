import { Counter, Gauge } from 'prom-client';
import type { ReplicaSet } from '../db/replicas/replica-set.js';
import type { TallyMetrics } from './tally-metrics.js';

/**
 * The read replicas' metrics (README "Read replicas"): where lag-tolerant reads went and why, and
 * each replica's lag as this process's last poll saw it. Registered only with DATABASE_REPLICA_URLS.
 */
export class ReplicaMetrics {
  readonly reads: Counter<'target' | 'reason'>;

  constructor(metrics: TallyMetrics) {
    this.reads = new Counter({
      name: 'tally_replica_reads_total',
      help: 'Requests whose lag-tolerant reads (history, statements, reports, CACHED balances) went to target replica or primary, by reason: replica, recent-write (the caller moved money the replicas have not replayed yet), writes-unknown (Redis did not say when the caller last moved money), lagging (every replica beyond DATABASE_REPLICA_MAX_LAG_SECONDS), down (none answering), failed (a replica failed mid-request; the primary answered).',
      labelNames: ['target', 'reason'] as const,
      registers: [metrics.registry],
    });
  }

  /** The replicas' gauges, read at each scrape from the set's last poll. */
  watch(metrics: TallyMetrics, replicas: ReplicaSet): void {
    new Gauge({
      name: 'tally_replica_up',
      help: 'Whether a read replica answered this process\'s last poll as a streaming standby (1) or not (0).',
      labelNames: ['replica'] as const,
      registers: [metrics.registry],
      collect() {
        for (const status of replicas.status()) this.set({ replica: status.name }, status.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tally_replica_lag_seconds',
      help: 'How far a read replica trails the primary: seconds of acknowledged commits not replayed there yet, from this process\'s last poll (absent while it is down).',
      labelNames: ['replica'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const status of replicas.status()) if (status.lagSeconds !== undefined) this.set({ replica: status.name }, status.lagSeconds);
      },
    });
  }
}
