import { countBetween } from './sealer-windows.js';
import { riskPairOrder, type RiskStepCost } from './risk-pairs.js';

/**
 * BENCH_SCENARIOS=risk with BENCH_RISK_WINDOW_MS (the default, 2,000 ms): the risk step's cost
 * measured inside ONE phase. Two servers run side by side on the bench database, one with
 * RISK_RULES=on and one with RISK_RULES=off, and the phase's clients send every request to one of
 * them at a time, switching every window. The restarted pairs of bench/risk-pairs.ts compare
 * phases tens of seconds apart, and this shared two-core machine's speed moved a movement's cost by
 * up to 1 ms between such phases (session 12: two 4-round runs of the same code gave 12.6% and
 * 23.0%); windows seconds apart see the same machine, the same history and the same warmed-up
 * processes, so the drift falls on both sides alike.
 *
 * A window's cost is every CPU second spent in it by both server processes and PostgreSQL
 * (machine-wide, bench/database-cpu.ts), divided by the movements acknowledged in it. Both sides
 * carry the idle server's background work (its sealer, relay and schedulers) and the spill at a
 * switch (the old server's requests in flight finish in the new window), and each side has as many
 * windows of each kind, so these cancel out of on − off. Windows run in mirrored pairs (off, on,
 * on, off, …: riskPairOrder) so that history's steady growth over the phase cancels too.
 */

/** CPU seconds used so far: both server processes, and PostgreSQL. */
export interface CpuReading {
  readonly servers: number;
  readonly database: number;
}

/** One window: which server took the requests, when, and the CPU both servers and PostgreSQL had used at its edges. */
export interface RiskWindow {
  readonly riskOn: boolean;
  readonly startMs: number;
  readonly endMs: number;
  readonly cpuAtStart: CpuReading;
  readonly cpuAtEnd: CpuReading;
}

export interface RiskWindows {
  /** Whether the requests go to the server with the step on now. */
  riskOn(): boolean;
  /** Ends the current window and returns every window. */
  stop(): RiskWindow[];
}

/** Starts alternating at once, off first; `cpuSeconds` reads both servers' and PostgreSQL's CPU so far. */
export function startRiskWindows(windowMs: number, cpuSeconds: () => CpuReading): RiskWindows {
  const windows: RiskWindow[] = [];
  const sideOf = (index: number): boolean => riskPairOrder(Math.floor(index / 2) + 1)[index % 2] as boolean;
  let startMs = performance.now();
  let cpuAtStart = cpuSeconds();
  const close = () => {
    const endMs = performance.now();
    const cpuAtEnd = cpuSeconds();
    windows.push({ riskOn: sideOf(windows.length), startMs, endMs, cpuAtStart, cpuAtEnd });
    startMs = endMs;
    cpuAtStart = cpuAtEnd;
  };
  const timer = setInterval(close, windowMs);
  return {
    riskOn: () => sideOf(windows.length),
    stop() {
      clearInterval(timer);
      close();
      return windows;
    },
  };
}

interface Side {
  serverSeconds: number;
  databaseSeconds: number;
  movements: number;
  ms: number;
  windows: number;
}

function emptySide(): Side {
  return { serverSeconds: 0, databaseSeconds: 0, movements: 0, ms: 0, windows: 0 };
}

/** Totals of each side over `windows`; `acknowledged` ascending, one time per movement. */
function sidesOf(windows: readonly RiskWindow[], acknowledged: readonly number[]): { on: Side; off: Side } {
  const sides = { on: emptySide(), off: emptySide() };
  for (const window of windows) {
    const side = window.riskOn ? sides.on : sides.off;
    side.serverSeconds += window.cpuAtEnd.servers - window.cpuAtStart.servers;
    side.databaseSeconds += window.cpuAtEnd.database - window.cpuAtStart.database;
    side.movements += countBetween(acknowledged, window.startMs, window.endMs);
    side.ms += window.endMs - window.startMs;
    side.windows += 1;
  }
  return sides;
}

/** The step's cost over these windows; NaN figures when a side acknowledged nothing. */
function costOf(clients: number, windows: readonly RiskWindow[], acknowledged: readonly number[]): RiskWindowsSplit {
  const { on, off } = sidesOf(windows, acknowledged);
  const perMovement = (seconds: number, side: Side) => (seconds * 1000) / side.movements;
  const offMs = perMovement(off.serverSeconds + off.databaseSeconds, off);
  const onMs = perMovement(on.serverSeconds + on.databaseSeconds, on);
  return {
    clients,
    servers: { offMs: perMovement(off.serverSeconds, off), onMs: perMovement(on.serverSeconds, on) },
    database: { offMs: perMovement(off.databaseSeconds, off), onMs: perMovement(on.databaseSeconds, on) },
    offMs,
    onMs,
    stepMs: onMs - offMs,
    share: (onMs - offMs) / onMs,
    offTransactionsPerSecond: (off.movements * 1000) / off.ms,
    onTransactionsPerSecond: (on.movements * 1000) / on.ms,
    rounds: Math.min(on.windows, off.windows),
  };
}

/** A side's cost per movement, off and on, in ms. */
export interface OffOn {
  readonly offMs: number;
  readonly onMs: number;
}

/** The step's cost, and where it was spent: in the two server processes, or in PostgreSQL. */
export interface RiskWindowsSplit extends RiskStepCost {
  readonly servers: OffOn;
  readonly database: OffOn;
}

/** The step's cost at one concurrency, from a phase's windows, with the same figure for each half of the phase: how far it moved within the run. */
export interface RiskWindowsCost extends RiskWindowsSplit {
  readonly halves: readonly [number, number];
  /**
   * The run's own spread: the share priced over each group of four windows (two mirrored pairs,
   * balanced like the whole phase), and the standard error of their mean, in share units; NaN
   * with fewer than two groups. It measures the noise between windows of one run only, and
   * neighbouring groups share the machine's slow drift, so it is a lower bound: runs of the same
   * code here differed by about 1.5 points (session 15), more than this figure, because the share
   * follows the machine's speed, which changes between runs. Comparing two runs takes a
   * difference of more than about 2.8 times it (the two errors combined, t ≈ 2.3 at ten groups)
   * at the very least, and repeated runs on both sides.
   */
  readonly groups: { readonly count: number; readonly meanShare: number; readonly standardError: number };
  /** Mean commands per unit of each server over the phase (its /metrics), when read. */
  readonly commandsPerUnit?: { readonly off: number | null; readonly on: number | null };
}

/** Compares the windows of one phase; `acknowledgedAt` holds one time per movement (any order). */
export function compareRiskWindows(clients: number, windows: readonly RiskWindow[], acknowledgedAt: readonly number[]): RiskWindowsCost {
  const acknowledged = [...acknowledgedAt].sort((left, right) => left - right);
  // Halves cut at a whole number of mirrored pairs (four windows), so each half stays balanced.
  const cut = Math.floor(windows.length / 8) * 4;
  return {
    ...costOf(clients, windows, acknowledged),
    halves: [costOf(clients, windows.slice(0, cut), acknowledged).share, costOf(clients, windows.slice(cut), acknowledged).share],
    groups: spreadOf(Array.from({ length: Math.floor(windows.length / 4) }, (_, group) => costOf(clients, windows.slice(group * 4, group * 4 + 4), acknowledged).share)),
  };
}

/** The mean of the groups' shares and its standard error (the sample's deviation over √n); a group that acknowledged nothing on a side is left out. */
function spreadOf(shares: readonly number[]): RiskWindowsCost['groups'] {
  const finite = shares.filter((share) => Number.isFinite(share));
  const count = finite.length;
  const meanShare = finite.reduce((sum, share) => sum + share, 0) / count;
  if (count < 2) return { count, meanShare, standardError: Number.NaN };
  const variance = finite.reduce((sum, share) => sum + (share - meanShare) ** 2, 0) / (count - 1);
  return { count, meanShare, standardError: Math.sqrt(variance / count) };
}

/** A share as a percentage; '-' for a half too short to hold a pair of each side (under eight windows). */
function percentOrDash(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : '-';
}

/** One line per concurrency, for the report. */
export function describeRiskWindowsCosts(costs: readonly RiskWindowsCost[]): string[] {
  return costs.map(
    (cost) =>
      `risk step C=${cost.clients} (windows): server + PostgreSQL ${cost.offMs.toFixed(3)} ms/movement off, ${cost.onMs.toFixed(3)} on → ` +
      `the step ${cost.stepMs.toFixed(3)} ms = ${(cost.share * 100).toFixed(1)}% of a movement's server time (target < 10%; the copies of risk lines and payees, on in both, not counted); ` +
      `servers ${cost.servers.offMs.toFixed(3)} → ${cost.servers.onMs.toFixed(3)}, PostgreSQL ${cost.database.offMs.toFixed(3)} → ${cost.database.onMs.toFixed(3)}; ` +
      (cost.commandsPerUnit ? `commands per unit ${cost.commandsPerUnit.off?.toFixed(2) ?? '-'} → ${cost.commandsPerUnit.on?.toFixed(2) ?? '-'}; ` : '') +
      `first and second half of the phase ${percentOrDash(cost.halves[0])} and ${percentOrDash(cost.halves[1])}; ` +
      `${cost.groups.count} groups of four windows: mean ${percentOrDash(cost.groups.meanShare)}, standard error ±${Number.isFinite(cost.groups.standardError) ? (cost.groups.standardError * 100).toFixed(1) : '-'} points; ` +
      `${cost.offTransactionsPerSecond.toFixed(1)} → ${cost.onTransactionsPerSecond.toFixed(1)} tx/s (${cost.rounds} windows of each)`,
  );
}
