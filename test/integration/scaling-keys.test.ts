import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { migrate, openOrm } from '../../src/db/orm.js';
import { ADMIN_DATABASE_URL, databaseUrl } from '../helpers/services.js';
import { REPOSITORY_ROOT } from '../helpers/server-process.js';

/**
 * docs/SCALING.md against the schema: the migrations run on an empty database, then every table
 * must be placed in "Table placement", and every primary or unique key of a distributed table
 * must contain its distribution column or be listed in "Keys that change" with a reason (Citus
 * enforces such a key only when it holds the distribution column). Names listed there must exist,
 * so the document cannot go stale the other way either.
 */

const SCALING = readFileSync(resolve(REPOSITORY_ROOT, 'docs/SCALING.md'), 'utf8');
const name = `tally_scaling_${randomBytes(6).toString('hex')}`;

/** The rows of the markdown table under `## heading`, as cells with backticks removed. */
function tableUnder(heading: string): string[][] {
  const section = SCALING.split(/^## /m).find((part) => part.startsWith(`${heading}\n`));
  if (!section) throw new Error(`docs/SCALING.md has no "## ${heading}" section`);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim().replaceAll('`', '')));
}

interface Placement {
  readonly placement: string;
  readonly column: string;
  readonly today: string;
}

interface TableKey {
  readonly table: string;
  readonly key: string;
  readonly columns: string[];
}

let admin: pg.Client;
let pool: pg.Pool;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const orm = await openOrm(loadConfig({ DATABASE_URL: databaseUrl(name), JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: 'y'.repeat(32) }));
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
  pool = new pg.Pool({ connectionString: databaseUrl(name), max: 2 });
  pool.on('error', () => undefined);
});

afterAll(async () => {
  await pool?.end();
  await admin?.query(`drop database if exists ${name} with (force)`);
  await admin?.end();
});

describe('docs/SCALING.md and the schema the migrations build', () => {
  const placements = new Map(tableUnder('Table placement').map(([table, placement, column, today]): [string, Placement] => [table!, { placement: placement!, column: column!, today: today! }]));
  const changes = new Map(tableUnder('Keys that change').map(([table, key, change, reason]) => [`${table}.${key}`, { change: change!, reason: reason! }]));

  const tables = async () => (await pool.query<{ table: string }>(`select tablename as table from pg_tables where schemaname = 'public' order by 1`)).rows.map((row) => row.table);
  const columnsOf = async (table: string) =>
    (await pool.query<{ column: string }>(`select column_name as column from information_schema.columns where table_schema = 'public' and table_name = $1`, [table])).rows.map((row) => row.column);
  /** Every primary key and unique index (constraint or not), with its key columns in order. */
  const uniqueKeys = async (): Promise<TableKey[]> =>
    (
      await pool.query<TableKey>(
        `select t.relname as table, i.relname as key,
                array(select a.attname from unnest(x.indkey) with ordinality k(attnum, position)
                        join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.position)::text[] as columns
           from pg_index x
           join pg_class t on t.oid = x.indrelid
           join pg_class i on i.oid = x.indexrelid
           join pg_namespace n on n.oid = t.relnamespace
          where n.nspname = 'public' and (x.indisunique or x.indisprimary)
          order by 1, 2`,
      )
    ).rows;

  it('places every table, with a placement Citus knows and a distribution column for each distributed one', async () => {
    const unplaced = (await tables()).filter((table) => !placements.has(table));
    expect(unplaced, 'tables docs/SCALING.md "Table placement" does not place').toEqual([]);
    for (const [table, placement] of placements) {
      expect(['distributed', 'reference', 'local'], table).toContain(placement.placement);
      if (placement.placement !== 'distributed') continue;
      expect(placement.column, `${table}: distribution column`).toMatch(/^[a-z_]+$/);
      const exists = (await columnsOf(table)).includes(placement.column);
      // "to add" exactly when the column does not exist yet: the document says what the schema is.
      expect(placement.today.startsWith('to add'), `${table}.${placement.column} exists: ${exists}, yet SCALING.md says "${placement.today}"`).toBe(!exists);
    }
  });

  it('has each distributed table\'s unique and primary keys hold the distribution column, or lists them as known changes', async () => {
    const keys = await uniqueKeys();
    expect(keys.length).toBeGreaterThan(10);
    const unlisted: string[] = [];
    for (const { table, key, columns } of keys) {
      const placement = placements.get(table);
      if (placement?.placement !== 'distributed') continue;
      const fits = columns.includes(placement.column);
      const listed = changes.get(`${table}.${key}`);
      if (!fits && !listed) unlisted.push(`${table}.${key} (${columns.join(', ')}) lacks ${placement.column}`);
      if (listed) expect(listed.reason.length, `${table}.${key}: a reason`).toBeGreaterThan(10);
      // A key listed as changing that already fits would be a stale entry.
      if (fits) expect(listed, `${table}.${key} already holds ${placement.column}: not a known change`).toBeUndefined();
    }
    expect(unlisted, 'keys docs/SCALING.md "Keys that change" must list (or the distribution column must join)').toEqual([]);
    const existing = new Set(keys.map(({ table, key }) => `${table}.${key}`));
    expect([...changes.keys()].filter((listed) => !existing.has(listed)), 'listed keys that do not exist').toEqual([]);
  });
});
