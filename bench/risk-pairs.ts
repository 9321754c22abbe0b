import type { MeasuredPhase } from './load.js';

/**
 * BENCH_SCENARIOS=risk: what the risk step costs a movement (issue 9: under 10% of a movement's
 * server time), measured on one bench database, in phases that alternate the step off and on at
 * each concurrency, so that both sides of a pair see the same machine and the same history.
 *
 * Off is the server with RISK_RULES=off; on is the server with RISK_RULES=on (the velocity and
 * cash built-ins raised out of the bench users' reach, as BENCH_RISK=on does). The risk_lines
 * trigger stays on in both, so the facts of an on-phase read every movement before it. An earlier
 * version disabled the trigger in off-phases and rebuilt every customer's lines before each
 * on-phase: deleting and copying back the whole table left a dead index entry behind every line,
 * which the on-phase's facts then walked, a cost of the measurement, not of the step. The
 * trigger's own cost, one statement-level copy per write, is priced by `npm run bench:risk-facts`
 * (0.015-0.05 ms of PostgreSQL per deposit) and is not in the share printed here.
 *
 * A movement's server time is the CPU it cost the server process and PostgreSQL together (both
 * per committed movement, from /proc); the step's share is (on − off) / on.
 */

/**
 * Which side of a pair runs first in a round: off then on in odd rounds, on then off in even ones
 * (off, on, on, off, ...). Every phase adds history (more lines in each customer's week, larger
 * indexes), so a movement costs more in each phase than in the one before; with off always first,
 * that growth was counted as the step's (session 10: round 2's on-phase cost 0.9 ms more than
 * round 1's). Mirrored pairs sit at the same mean position, so growth that is steady over the run
 * cancels out of on − off; hence an even number of rounds.
 */
export function riskPairOrder(round: number): readonly boolean[] {
  return round % 2 === 1 ? [false, true] : [true, false];
}

/** A measured phase of the risk scenario, and whether the step was on. */
export interface RiskPhase {
  readonly riskOn: boolean;
  readonly phase: MeasuredPhase;
}

/** Server plus PostgreSQL CPU per committed movement; null when either was not measured. */
function serverTimeMs(phase: MeasuredPhase): number | null {
  if (phase.serverCpuMsPerTransaction === null || phase.databaseCpuMsPerTransaction === null) return null;
  return phase.serverCpuMsPerTransaction + phase.databaseCpuMsPerTransaction;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The step's cost at one concurrency: mean server time off and on, and its share of a movement with the step on. */
export interface RiskStepCost {
  readonly clients: number;
  readonly offMs: number;
  readonly onMs: number;
  readonly stepMs: number;
  readonly share: number;
  readonly offTransactionsPerSecond: number;
  readonly onTransactionsPerSecond: number;
  /** How many phases of each side the means are over (the scenario's rounds). */
  readonly rounds: number;
}

export function riskStepCosts(phases: readonly RiskPhase[]): RiskStepCost[] {
  const clientCounts = [...new Set(phases.map((entry) => entry.phase.clients))];
  return clientCounts.flatMap((clients) => {
    const side = (riskOn: boolean) => phases.filter((entry) => entry.phase.clients === clients && entry.riskOn === riskOn).map((entry) => entry.phase);
    const times = (riskOn: boolean) => side(riskOn).map(serverTimeMs).filter((value): value is number => value !== null);
    const off = times(false);
    const on = times(true);
    if (off.length === 0 || on.length === 0) return [];
    const offMs = mean(off);
    const onMs = mean(on);
    return [{
      clients,
      offMs,
      onMs,
      stepMs: onMs - offMs,
      share: (onMs - offMs) / onMs,
      offTransactionsPerSecond: mean(side(false).map((phase) => phase.transactionsPerSecond)),
      onTransactionsPerSecond: mean(side(true).map((phase) => phase.transactionsPerSecond)),
      rounds: Math.min(off.length, on.length),
    }];
  });
}

/** One line per concurrency, for the report. */
export function describeRiskStepCosts(costs: readonly RiskStepCost[]): string[] {
  if (costs.length === 0) return ['risk step: not measured (no PostgreSQL CPU here: the database is not on this machine)'];
  return costs.map(
    (cost) =>
      `risk step C=${cost.clients}: server + PostgreSQL ${cost.offMs.toFixed(3)} ms/movement off, ${cost.onMs.toFixed(3)} on → ` +
      `the step ${cost.stepMs.toFixed(3)} ms = ${(cost.share * 100).toFixed(1)}% of a movement's server time (target < 10%; the copies of risk lines and payees, on in both, not counted); ` +
      `${cost.offTransactionsPerSecond.toFixed(1)} → ${cost.onTransactionsPerSecond.toFixed(1)} tx/s (means of ${cost.rounds} rounds)`,
  );
}
