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
