import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/sql.js';
import { sessionOptions } from '../../src/db/session-options.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/*
 * Every connection of the server's pool starts with JIT off (src/db/session-options.ts): a
 * statement trigger's plan over a transition table is estimated above jit_above_cost, and
 * compiling it cost 36-45 ms of a 0.5 ms statement on the bench. Read back from the server's own
 * connections, not from the test's.
 */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

describe('session options', () => {
  it("the server's connections run with jit off, while PostgreSQL's own default is on", async () => {
    const [server] = await queryRows<{ jit: string }>(t.app.orm.em.fork(), `select current_setting('jit') as jit`);
    expect(server?.jit).toBe('off');
    const { rows } = await t.database.pool.query<{ jit: string }>(`select current_setting('jit') as jit`);
    expect(rows[0]?.jit).toBe('on');
  });

  it("keeps the operator's PGOPTIONS and adds its own after them", () => {
    expect(sessionOptions({})).toBe('-c jit=off');
    expect(sessionOptions({ PGOPTIONS: '-c work_mem=8MB' })).toBe('-c work_mem=8MB -c jit=off');
  });
});
