import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importStatement } from '../../src/ledger/commands/import-statement.js';
import { auditImport } from '../../src/resolvers/reconciliation.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * Issue 10 §1: a statement streams in. A 100,000-line file of about 46 MB is imported while the
 * test measures the heap after forced collections: it must stay flat (a bound far below the
 * file's size), which it could not if the file, or its parsed lines, were held whole.
 */
let t: TestApp;
let operator: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  operator = await t.user('OPERATOR');
});
afterAll(() => t.close());

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
const liveBytes = () => {
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

const LINES = 100_000;
const DESCRIPTION = 'Settlement of a batch of card and ACH items for the merchant account listed; '.repeat(5).slice(0, 400);
/** The retained memory an import may grow by: the 46 MB file (or 100,000 parsed lines) could not fit. */
const HEAP_GROWTH_BOUND = 24 * 1024 * 1024;

it('imports a 100,000-line file with the heap flat, all lines in, one import', { timeout: 240_000 }, async () => {
  const baseline = liveBytes();
  let peak = 0;
  let bytes = 0;
  async function* file(): AsyncGenerator<Buffer> {
    yield Buffer.from('date,amount,direction,reference,description,currency\n');
    const chunk: string[] = [];
    for (let line = 1; line <= LINES; line += 1) {
      chunk.push(`2026-11-${String((line % 28) + 1).padStart(2, '0')},${(line % 9000) + 1}.${String(line % 100).padStart(2, '0')},CREDIT,S-${line},${DESCRIPTION},SEK`);
      if (chunk.length === 1_000) {
        const buffer = Buffer.from(`${chunk.join('\n')}\n`);
        bytes += buffer.length;
        chunk.length = 0;
        yield buffer;
        if (line % 10_000 === 0) peak = Math.max(peak, liveBytes() - baseline);
      }
    }
  }
  const result = await importStatement(t.app.orm, { userId: operator.id, role: 'OPERATOR' }, { channel: 'ACH', format: 'CSV', profile: null, idempotencyKey: 'big-file', content: file() }, auditImport({}, { userId: operator.id, role: 'OPERATOR' }));
  expect(bytes).toBeGreaterThan(40 * 1024 * 1024);
  expect(result).toMatchObject({ replayed: false, statement: { lines: LINES, currency: 'SEK' } });
  expect(peak).toBeLessThan(HEAP_GROWTH_BOUND);
  const stored = (await t.database.pool.query(`select count(*)::int as lines, count(distinct line_number)::int as numbers, max(line_number) as last from statement_lines`)).rows[0];
  expect(stored).toEqual({ lines: LINES, numbers: LINES, last: LINES + 1 });
});
