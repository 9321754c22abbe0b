import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { JournalSealer } from '../src/journal/sealer.js';
import { DEFAULT_SEAL_BATCH } from '../src/journal/sealing-pace.js';
import { createLogger } from '../src/logger.js';
import { processCpuSeconds } from './server-process.js';
import { withMigratedDatabase } from './migrated-database.js';

/**
 * `npm run bench:sealer`: the journal sealer's own CPU per record sealed (README "Auditing the
 * journal", "What it costs"), in Node (this process) and in PostgreSQL (the pool's backends, from
 * /proc), while it drains a backlog of movement-sized records. CPU time, unlike throughput, hardly
 * moves with the machine's load, so it compares sealers on a shared box. Knobs:
 * BENCH_SEALER_RECORDS (default 20,000), JOURNAL_SEAL_BATCH (the sealer's batch), and
 * BENCH_DATABASE_URL / BENCH_DATABASE_NAME as for `npm run bench` (its own database, dropped after).
 */
const adminUrl = process.env.BENCH_DATABASE_URL || 'postgres://root@127.0.0.1:5432/postgres';
const name = `${process.env.BENCH_DATABASE_NAME || 'tally_bench'}_sealer_cost`;
const records = Number(process.env.BENCH_SEALER_RECORDS || 20_000);
const batchSize = Number(process.env.JOURNAL_SEAL_BATCH || DEFAULT_SEAL_BATCH);
/** Ten records per transaction, each with a payload the size of a two-entry movement's (~900 bytes). */
const RECORDS_PER_TRANSACTION = 10;
const PAYLOAD = 'jsonb_build_object(\'n\', n, \'entries\', repeat(\'{"id":"123","account_id":"550e8400-e29b-41d4-a716-446655440000","amount_minor":"500"}\', 8))';

/** CPU seconds of every backend on this database but the checking client's own, and which they are. */
async function backendCpuSeconds(client: pg.Client): Promise<{ seconds: number; backends: string }> {
  const { rows } = await client.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() order by pid`);
  return { seconds: rows.reduce((sum, { pid }) => sum + (processCpuSeconds(pid) ?? 0), 0), backends: rows.map(({ pid }) => pid).join(',') };
}

async function main(): Promise<void> {
  await withMigratedDatabase(adminUrl, name, async ({ orm, client }) => {
    for (let written = 0; written < records; written += RECORDS_PER_TRANSACTION) {
      await client.query(`insert into audit_events (action, outcome, details) select 'bench.journal', 'OK', ${PAYLOAD} from generate_series(1, $1::int) n`, [RECORDS_PER_TRANSACTION]);
    }
    const sealer = new JournalSealer(orm, createLogger('silent'), { batchSize });
    // One batch first, unmeasured: the pool's connections open and the statements are planned once.
    const warm = (await sealer.sealBatch()).sealed;
    const [node, database, started] = [process.cpuUsage(), await backendCpuSeconds(client), performance.now()];
    const sealed = await sealer.drain();
    const nodeMicros = process.cpuUsage(node);
    const [after, wallMs] = [await backendCpuSeconds(client), performance.now() - started];
    if (warm + sealed !== records) throw new Error(`sealed ${warm + sealed} of ${records} records`);
    // A backend that closed mid-run took its CPU time with it: the figure would be too low.
    if (after.backends !== database.backends) throw new Error(`the pool's backends changed during the run (${database.backends} → ${after.backends}); run it again`);
    const databaseSeconds = after.seconds - database.seconds;
    const perRecord = (micros: number) => (micros / sealed).toFixed(1);
    process.stdout.write(
      `sealer: ${sealed} records in batches of ${batchSize}, ${wallMs.toFixed(0)} ms; per record: Node ${perRecord(nodeMicros.user + nodeMicros.system)} µs, ` +
        `PostgreSQL ${perRecord(databaseSeconds * 1e6)} µs (1-minute load average ${loadavg()[0]!.toFixed(2)})\n`,
    );
  });
}

await main();
