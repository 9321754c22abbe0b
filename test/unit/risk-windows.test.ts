import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compareRiskWindows, startRiskWindows, type RiskWindow } from '../../bench/risk-windows.js';

/**
 * The risk scenario's windows (bench/risk-windows.ts) price the step from windows of one phase,
 * the requests alternating between a server with the step on and one with it off: the order must
 * keep history's growth over the phase out of the price, and each window's CPU must be divided by
 * the movements acknowledged inside it.
 */

/** `count` windows of 1,000 ms in the scenario's order, each window's CPU `base + growth × position` seconds per movement (+ `step` on), 100 movements each. */
function drifting(count: number, base: number, growth: number, step: number): { windows: RiskWindow[]; acknowledged: number[] } {
  const windows: RiskWindow[] = [];
  const acknowledged: number[] = [];
  let cpu = 0;
  vi.useFakeTimers();
  try {
    const running = startRiskWindows(1_000, () => ({ servers: cpu / 4, database: (cpu * 3) / 4 }));
    for (let position = 0; position < count; position++) {
      const riskOn = running.riskOn();
      for (let movement = 0; movement < 100; movement++) acknowledged.push(position * 1_000 + movement * 10 + 5);
      cpu += 100 * (base + growth * position + (riskOn ? step : 0));
      if (position < count - 1) vi.advanceTimersByTime(1_000);
    }
    vi.advanceTimersByTime(1_000);
    windows.push(...running.stop().slice(0, count));
  } finally {
    vi.useRealTimers();
  }
  return { windows, acknowledged };
}

describe('risk step windows (bench)', () => {
  beforeEach(() => {
    vi.spyOn(performance, 'now').mockImplementation(() => Date.now());
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('alternates in mirrored pairs: off, on, on, off, off, on', () => {
    const { windows } = drifting(6, 0.003, 0, 0.001);
    expect(windows.map((window) => window.riskOn)).toEqual([false, true, true, false, false, true]);
  });

  it.each([8, 16, 40])('prices the step without the growth of history over %i windows', (count) => {
    const { windows, acknowledged } = drifting(count, 0.003, 0.0002, 0.0005);
    const cost = compareRiskWindows(32, windows, acknowledged);
    expect(cost.stepMs).toBeCloseTo(0.5, 6);
    expect(cost.rounds).toBe(count / 2);
    expect(cost.halves[0]).toBeGreaterThan(0);
    expect(cost.halves[1]).toBeGreaterThan(0);
  });

  it('prices each group of four windows and gives the standard error of their mean', () => {
    // Four groups; the step costs 1, 2, 3 and 4 ms on an off cost of 6 ms: shares 1/7, 2/8, 3/9, 4/10.
    const windows: RiskWindow[] = [];
    const acknowledged: number[] = [];
    let cpu = 0;
    const order = [false, true, true, false];
    for (let position = 0; position < 16; position++) {
      const riskOn = order[position % 4]!;
      const perMovementMs = 6 + (riskOn ? Math.floor(position / 4) + 1 : 0);
      const start = cpu;
      cpu += (100 * perMovementMs) / 1000;
      windows.push({ riskOn, startMs: position * 1_000, endMs: (position + 1) * 1_000, cpuAtStart: { servers: start, database: 0 }, cpuAtEnd: { servers: cpu, database: 0 } });
      for (let movement = 0; movement < 100; movement++) acknowledged.push(position * 1_000 + movement * 10 + 5);
    }
    const { groups } = compareRiskWindows(32, windows, acknowledged);
    const shares = [1 / 7, 2 / 8, 3 / 9, 4 / 10];
    const mean = shares.reduce((sum, share) => sum + share, 0) / 4;
    const deviation = Math.sqrt(shares.reduce((sum, share) => sum + (share - mean) ** 2, 0) / 3);
    expect(groups.count).toBe(4);
    expect(groups.meanShare).toBeCloseTo(mean, 9);
    expect(groups.standardError).toBeCloseTo(deviation / 2, 9);
    expect(compareRiskWindows(32, windows.slice(0, 4), acknowledged).groups.standardError).toBeNaN();
  });

  it('counts only the movements acknowledged inside each window', () => {
    const windows: RiskWindow[] = [
      { riskOn: false, startMs: 0, endMs: 1_000, cpuAtStart: { servers: 0, database: 0 }, cpuAtEnd: { servers: 0.6, database: 0.4 } },
      { riskOn: true, startMs: 1_000, endMs: 2_000, cpuAtStart: { servers: 0.6, database: 0.4 }, cpuAtEnd: { servers: 1.6, database: 0.9 } },
    ];
    // 200 in the first window, 100 in the second, 50 after the last (not counted).
    const acknowledged = [...Array.from({ length: 200 }, (_, index) => index * 5), ...Array.from({ length: 100 }, (_, index) => 1_000 + index * 10), ...Array.from({ length: 50 }, () => 2_500)];
    const cost = compareRiskWindows(32, windows, acknowledged);
    expect(cost.offMs).toBeCloseTo(5, 9);
    expect(cost.onMs).toBeCloseTo(15, 9);
    expect(cost.share).toBeCloseTo(10 / 15, 9);
    expect(cost.servers).toEqual({ offMs: expect.closeTo(3, 9), onMs: expect.closeTo(10, 9) });
    expect(cost.database).toEqual({ offMs: expect.closeTo(2, 9), onMs: expect.closeTo(5, 9) });
    expect(cost.offTransactionsPerSecond).toBeCloseTo(200, 9);
    expect(cost.onTransactionsPerSecond).toBeCloseTo(100, 9);
  });
});
