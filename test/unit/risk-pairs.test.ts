import { describe, expect, it } from 'vitest';
import type { MeasuredPhase } from '../../bench/load.js';
import { riskPairOrder, riskStepCosts, type RiskPhase } from '../../bench/risk-pairs.js';

/**
 * The risk scenario's pairs (bench/risk-pairs.ts) price the step as on − off. Every phase adds
 * history, so a movement costs a little more in each phase than in the one before: the order of
 * the pairs must keep that growth out of the step's price.
 */
function phase(clients: number, cpuMs: number): MeasuredPhase {
  return {
    scenario: 'movements',
    clients,
    elapsedSeconds: 10,
    requests: 100,
    ok: 100,
    typedErrors: {},
    unexpectedErrors: 0,
    unexpectedSamples: [],
    transactionsPerSecond: 10,
    latencyMs: { p50: 1, p99: 1, mean: 1, max: 1 },
    serverCpuMsPerTransaction: cpuMs / 2,
    databaseCpuMsPerTransaction: cpuMs / 2,
    serverMemory: null,
  };
}

/** The phases of `rounds` rounds in the scenario's order, each costing `base + growth × position`, plus `step` when on. */
function drifting(rounds: number, base: number, growth: number, step: number): RiskPhase[] {
  const order = Array.from({ length: rounds }, (_, index) => riskPairOrder(index + 1)).flat();
  return order.map((riskOn, position) => ({ riskOn, phase: phase(32, base + growth * position + (riskOn ? step : 0)) }));
}

describe('risk step pairs (bench)', () => {
  it('mirrors each round: off then on, then on then off', () => {
    expect([1, 2, 3, 4].map(riskPairOrder)).toEqual([[false, true], [true, false], [false, true], [true, false]]);
  });

  it.each([2, 4, 6])('prices the step without the growth of history over %i rounds', (rounds) => {
    const [cost] = riskStepCosts(drifting(rounds, 3, 0.45, 0.2));
    expect(cost!.stepMs).toBeCloseTo(0.2, 9);
    expect(cost!.rounds).toBe(rounds);
  });

  it('would have counted the growth as the step with off always first', () => {
    const phases = [false, true, false, true].map((riskOn, position) => ({ riskOn, phase: phase(32, 3 + 0.45 * position + (riskOn ? 0.2 : 0)) }));
    expect(riskStepCosts(phases)[0]!.stepMs).toBeCloseTo(0.65, 9);
  });
});
