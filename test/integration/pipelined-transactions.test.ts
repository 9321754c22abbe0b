import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../../src/config.js';
import { openOrm, type Orm } from '../../src/db/orm.js';
import { commitsWithLastWrite, RIDING_COMMIT } from '../../src/db/pipelined-transactions.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * A transaction's BEGIN travels with its first statement, and a unit's COMMIT with its last write
 * (src/db/pipelined-transactions.ts), on real PostgreSQL. PostgreSQL's own clocks tell whether it did: a transaction starts when its BEGIN's
 * message arrives (`now()`), and a statement when its own message does (`statement_timestamp()`),
 * so the two are equal in the first statement exactly when the BEGIN came in the same message.
 */

let database: TestDatabase;
let orm: Orm;

beforeAll(async () => {
  database = await createTestDatabase();
  orm = await openOrm(loadConfig({ DATABASE_URL: database.url, JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: 'y'.repeat(32), DATABASE_POOL_SIZE: '2' }));
  await database.pool.query('create table pipelined_probe (id text primary key)');
  // A check PostgreSQL makes only at COMMIT: a row naming a probe that does not exist fails there.
  await database.pool.query('create table pipelined_deferred (id text primary key, probe text references pipelined_probe (id) deferrable initially deferred)');
});
afterAll(async () => {
  await orm.close(true);
  await database.drop();
});

interface Clocks {
  same_message: boolean;
  xid: string;
}
const CLOCKS = 'select now() = statement_timestamp() as same_message, pg_current_xact_id()::text as xid';
const probes = async (id: string) => (await database.pool.query('select count(*)::int as count from pipelined_probe where id = $1', [id])).rows[0].count as number;
/** Both pooled connections, in turn, start their next transaction with a BEGIN of its own, in their first statement's message. */
async function expectFreshTransactions(): Promise<void> {
  for (let round = 0; round < 4; round += 1) {
    const [clocks] = await orm.em.fork().transactional((em) => em.execute<Clocks[]>(CLOCKS));
    expect(clocks!.same_message).toBe(true);
  }
}

describe('BEGIN with the first statement', () => {
  it('the first statement arrives with the BEGIN, the second alone, both in one transaction', async () => {
    const [first, second] = await orm.em.fork().transactional(async (em) => {
      const [a] = await em.execute<Clocks[]>(CLOCKS);
      const [b] = await em.execute<Clocks[]>(CLOCKS);
      return [a!, b!];
    });
    expect(first.same_message).toBe(true);
    expect(second.same_message).toBe(false);
    expect(second.xid).toBe(first.xid);
  });

  it('a statement of several carries it too, and answers exactly the results of what was sent', async () => {
    const results = await orm.em.fork().transactional((em) => em.execute(`${CLOCKS};\nselect 7 as seven`));
    expect(results).toEqual([[{ same_message: true, xid: expect.any(String) }], [{ seven: 7 }]]);
  });

  it('a rollback after the first statement undoes it: the BEGIN ran before it', async () => {
    const id = randomUUID();
    await expect(
      orm.em.fork().transactional(async (em) => {
        await em.execute(`insert into pipelined_probe (id) values ('${id}')`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await probes(id)).toBe(0);
  });

  it('a first statement that fails rolls its transaction back and leaves the connection clean for the next', async () => {
    const id = randomUUID();
    await expect(orm.em.fork().transactional((em) => em.execute(`insert into pipelined_probe (id) values ('${id}'); select 1 / 0`))).rejects.toThrow(/division by zero/);
    expect(await probes(id)).toBe(0);
    await expectFreshTransactions();
  });

  it('a transaction that sends nothing sends no BEGIN either, and leaves no transaction open', async () => {
    await orm.em.fork().transactional(async () => undefined);
    // Outside a transaction every statement is its own: ids differ, and a statement's clock is its transaction's.
    const em = orm.em.fork();
    const [a] = await em.execute<Clocks[]>(CLOCKS);
    const [b] = await em.execute<Clocks[]>(CLOCKS);
    expect(a!.same_message).toBe(true);
    expect(b!.same_message).toBe(true);
    expect(b!.xid).not.toBe(a!.xid);
  });

  it('a first query with parameters of its own gets the BEGIN sent alone first, and runs inside it', async () => {
    const [first, second] = await orm.em.fork().transactional(async (em) => {
      const raw = await em.getKnex().raw(`${CLOCKS}, ?::int as n`, [5]).transacting(em.getTransactionContext()!);
      const [b] = await em.execute<Clocks[]>(CLOCKS);
      return [(raw as { rows: Array<Clocks & { n: number }> }).rows[0]!, b!];
    });
    expect(first).toMatchObject({ same_message: false, n: 5 });
    expect(second.xid).toBe(first.xid);
  });
});

describe('COMMIT with the last write', () => {
  it('commits: the write is there, knex ends the transaction without sending anything, and nothing may follow', async () => {
    const id = randomUUID();
    let refusal: unknown;
    await orm.em.fork().transactional(async (em) => {
      await em.execute(CLOCKS);
      await em.execute(`insert into pipelined_probe (id) values ('${id}');\n${RIDING_COMMIT}`);
      // Committed already: a statement now would run outside the transaction, so it is refused.
      refusal = await em.execute('select 1').catch((error: unknown) => error);
    });
    expect(String(refusal)).toContain('already committed with its last write');
    expect(await probes(id)).toBe(1);
    // The connection is out of the transaction: its next one starts with a BEGIN of its own.
    await expectFreshTransactions();
  });

  it('a write that fails its own check stops the COMMIT riding with it: nothing of the transaction stays', async () => {
    const before = randomUUID();
    const id = randomUUID();
    await expect(
      orm.em.fork().transactional(async (em) => {
        await em.execute(`insert into pipelined_probe (id) values ('${before}')`);
        await em.execute(`insert into pipelined_probe (id) values ('${id}');\nselect tally_assert(1 = 2, 'one is not two');\n${RIDING_COMMIT}`);
      }),
    ).rejects.toMatchObject({ code: 'P0004', message: expect.stringContaining('one is not two') });
    expect(await probes(before)).toBe(0);
    expect(await probes(id)).toBe(0);
    await expectFreshTransactions();
  });

  it('a savepoint inside a transaction never commits with its write: only a transaction of its own does', async () => {
    const seen = await orm.em.fork().transactional(async (outer) => {
      const inner = await outer.transactional(async (nested) => commitsWithLastWrite(nested));
      return { outer: commitsWithLastWrite(outer), inner };
    });
    expect(seen).toEqual({ outer: true, inner: false });
    expect(commitsWithLastWrite(orm.em.fork())).toBe(false);
  });

  it('a first statement that does not parse ran no BEGIN either: the connection refuses what follows until the rollback', async () => {
    const id = randomUUID();
    let refusal: unknown;
    await expect(
      orm.em.fork().transactional(async (em) => {
        await em.execute('selec 1').catch(() => undefined);
        // Caught and carried on: without the refusal this insert would run, and stay, in autocommit.
        refusal = await em.execute(`insert into pipelined_probe (id) values ('${id}')`).catch((error: unknown) => error);
      }),
    ).rejects.toThrow(/rolled back, not committed/);
    expect(String(refusal)).toContain('first statement of this transaction failed');
    expect(await probes(id)).toBe(0);
    await expectFreshTransactions();
  });

  it('nothing is sent while the COMMIT riding with the last write is on its way', async () => {
    const id = randomUUID();
    const late = randomUUID();
    let refusal: unknown;
    await orm.em.fork().transactional(async (em) => {
      await em.execute(CLOCKS);
      const committing = em.execute(`insert into pipelined_probe (id) values ('${id}');\nselect pg_sleep(0.2);\n${RIDING_COMMIT}`);
      refusal = await em.execute(`insert into pipelined_probe (id) values ('${late}')`).catch((error: unknown) => error);
      await committing;
    });
    expect(String(refusal)).toContain('is committing with its last write');
    expect(await probes(id)).toBe(1);
    expect(await probes(late)).toBe(0);
  });

  it('a COMMIT that fails at commit time (a deferred check) fails the transaction, and nothing of it stays', async () => {
    const id = randomUUID();
    await expect(
      orm.em.fork().transactional(async (em) => {
        await em.execute(`insert into pipelined_probe (id) values ('${id}')`);
        await em.execute(`insert into pipelined_deferred (id, probe) values ('${id}', 'no such probe');\n${RIDING_COMMIT}`);
      }),
    ).rejects.toMatchObject({ code: '23503' });
    expect(await probes(id)).toBe(0);
    await expectFreshTransactions();
  });

  it('a pool that does not wrap its connections never commits with a write', async () => {
    const plain = await MikroORM.init({ clientUrl: database.url, entities: [], discovery: { warnWhenNoEntities: false }, allowGlobalContext: false });
    try {
      expect(await plain.em.fork().transactional(async (em) => commitsWithLastWrite(em))).toBe(false);
      expect(await orm.em.fork().transactional(async (em) => commitsWithLastWrite(em))).toBe(true);
    } finally {
      await plain.close(true);
    }
  });
});
