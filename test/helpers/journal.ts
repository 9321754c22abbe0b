import type pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { verifyChain, type ChainVerification } from '../../src/journal/verify-chain.js';

/** N journal records in one statement: audit events written behind the API's back (the journal's trigger sees every insert). */
export async function writeAuditRecords(pool: pg.Pool | pg.PoolClient, count: number): Promise<void> {
  await pool.query(`insert into audit_events (action, outcome, details) select 'test.journal', 'OK', jsonb_build_object('n', n) from generate_series(1, $1::int) n`, [count]);
}

/** What the chain holds, counted in SQL beside the verifier: positions, distinct records, the highest, and records never sealed. */
export async function chainCounts(pool: pg.Pool): Promise<{ positions: number; records: number; top: number; unsealed: number; total: number }> {
  const { rows } = await pool.query(
    `select (select count(*)::int from journal_chain) as positions, (select count(distinct record_id)::int from journal_chain) as records,
            (select coalesce(max(position), 0)::int from journal_chain) as top, (select count(*)::int from journal_records) as total,
            (select count(*)::int from journal_records r where not exists (select 1 from journal_chain c where c.record_id = r.id)) as unsealed`,
  );
  return rows[0];
}

export function verify(orm: MikroORM): Promise<ChainVerification> {
  return verifyChain(orm.em.fork());
}

/** Runs `work` with the journal table's append-only trigger off, in one transaction: the tamperer's view. */
export async function tamper(pool: pg.Pool, table: 'journal_records' | 'journal_chain', statement: string, parameters: unknown[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`alter table ${table} disable trigger ${table}_append_only`);
    await client.query(statement, parameters);
    await client.query(`alter table ${table} enable trigger ${table}_append_only`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}
