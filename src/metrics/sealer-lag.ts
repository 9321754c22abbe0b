import { Gauge } from 'prom-client';
import type { TallyMetrics } from './tally-metrics.js';

/**
 * The journal sealer's lag (issue 12 §3): app.ts passes a function that says how many seconds the
 * oldest committed but unsealed journal record has waited (0 when everything is sealed), read at
 * each scrape (src/journal/journal-status.ts journalBacklog).
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
