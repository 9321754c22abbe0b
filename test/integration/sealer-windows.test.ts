import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWindows, startSealerWindows } from '../../bench/sealer-windows.js';
import { chainCounts, writeAuditRecords } from '../helpers/journal.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The bench's in-phase A/B of the journal sealer (BENCH_SEALER_WINDOWS_MS) pauses the server's
 * sealer by holding its advisory lock. If the pause did not hold, both kinds of window would be
 * the same and the A/B would prove nothing: so this asks a real sealer, on real PostgreSQL.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ environment: { JOURNAL_SEALER: 'on', JOURNAL_SEAL_INTERVAL_MS: '50' } });
});
afterAll(() => t.close());

async function unsealedSoon(expected: (unsealed: number) => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let unsealed = (await chainCounts(t.database.pool)).unsealed;
  while (!expected(unsealed) && Date.now() < deadline) {
    await sleep(25);
    unsealed = (await chainCounts(t.database.pool)).unsealed;
  }
  return unsealed;
}

describe('sealer windows (bench)', () => {
  it('pauses the sealer while its window holds the lock, and lets it seal again after', async () => {
    expect(await unsealedSoon((unsealed) => unsealed === 0, 10_000), 'the sealer runs').toBe(0);
    // Windows of 2 s: the first (running) one ends at 2 s, the paused one runs from then to 4 s.
    const windows = await startSealerWindows(t.database.url, 2_000);
    await sleep(2_300);
    await writeAuditRecords(t.database.pool, 20);
    // Twenty sealing rounds' time, and nothing of the 20 records is sealed: the lock is the bench's.
    await sleep(1_000);
    expect((await chainCounts(t.database.pool)).unsealed, 'nothing is sealed while paused').toBe(20);
    const ended = await windows.stop();
    expect(ended.map((window) => window.sealing).slice(0, 2)).toEqual([true, false]);
    expect(await unsealedSoon((unsealed) => unsealed === 0, 10_000), 'the sealer seals again once the lock is let go').toBe(0);
  });
});

describe('compareWindows', () => {
  it('counts each acknowledgement in the window it fell in, per kind of window', () => {
    const windows = [
      { startMs: 0, endMs: 1_000, sealing: true },
      { startMs: 1_000, endMs: 2_000, sealing: false },
      { startMs: 2_000, endMs: 3_000, sealing: true },
      { startMs: 3_000, endMs: 4_000, sealing: false },
    ];
    // Running windows: 9 + 9 in 2 s; paused ones: 10 + 10 in 2 s. A time on a boundary counts in the later window.
    const at = [
      ...Array.from({ length: 9 }, (_, index) => index * 100),
      1_000,
      ...Array.from({ length: 9 }, (_, index) => 1_050 + index * 100),
      ...Array.from({ length: 9 }, (_, index) => 2_000 + index * 100),
      ...Array.from({ length: 10 }, (_, index) => 3_000 + index * 99),
      4_000,
    ];
    const result = compareWindows(windows, at.reverse());
    expect(result).toMatchObject({ windows: 4, sealingTxPerSecond: 9, pausedTxPerSecond: 10 });
    expect(result.sealerShare).toBeCloseTo(0.1, 10);
  });
});
