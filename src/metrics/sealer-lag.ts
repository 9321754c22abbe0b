import { Gauge } from 'prom-client';
import type { TallyMetrics } from './tally-metrics.js';

/**
 * The place for the journal sealer's lag (issue 12 §3). The sealer (issue 10's journal) is not on
 * this branch; when it lands, app.ts calls `watchSealerLag(metrics, () => sealer.lagSeconds())`
 * with a function that says how many seconds the oldest committed but unsealed journal record has
 * waited (0 when everything is sealed). Until then the metric is simply absent from /metrics.
 */
export function watchSealerLag(metrics: TallyMetrics, readLagSeconds: () => Promise<number>): void {
  new Gauge({
    name: 'tally_journal_sealer_lag_seconds',
    help: 'Seconds the oldest committed journal record has waited to be sealed (0 when all are sealed).',
    registers: [metrics.registry],
    async collect() {
      this.set(await readLagSeconds());
    },
  });
}
