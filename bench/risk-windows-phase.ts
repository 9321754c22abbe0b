import { postgresCpuSeconds } from './database-cpu.js';
import { GraphQLClient } from './graphql-client.js';
import { runClosedLoop, type MeasuredPhase } from './load.js';
import type { BenchUser, Mix } from './mix.js';
import { sampleResidentMemory } from './resident-memory.js';
import { compareRiskWindows, startRiskWindows, type CpuReading, type RiskWindowsCost } from './risk-windows.js';
import type { ServerProcess } from './server-process.js';
import { renewSessionsFor, type Sessions } from './sessions.js';
import { REQUEST_TIMEOUT_MS } from './settings.js';
import { commandsPerUnit, unitCount, type UnitCount } from './unit-sizes.js';

/** The two servers of the risk windows: the same database, secrets and settings but for RISK_RULES. */
export interface RiskServers {
  readonly off: ServerProcess;
  readonly on: ServerProcess;
}

/** What both servers and PostgreSQL have used so far; a server that exited reads 0, and the laws check after the run says so. */
function cpuOfBoth(servers: RiskServers): CpuReading {
  return { servers: (servers.off.cpuSeconds() ?? 0) + (servers.on.cpuSeconds() ?? 0), database: postgresCpuSeconds() ?? 0 };
}

/** Each server's units so far (bench/unit-sizes.ts): a server serves only in its own windows, so its units are its side's. */
async function unitsOf(servers: RiskServers): Promise<{ off: UnitCount | null; on: UnitCount | null }> {
  const [off, on] = await Promise.all([unitCount(servers.off.url.origin), unitCount(servers.on.url.origin)]);
  return { off, on };
}

function sumOf(units: { off: UnitCount | null; on: UnitCount | null }): UnitCount | null {
  return units.off && units.on ? { commands: units.off.commands + units.on.commands, units: units.off.units + units.on.units } : null;
}

/**
 * One closed-loop phase of the mix at `clients`, its requests going to one server at a time,
 * switched every `windowMs` (bench/risk-windows.ts). Returns the phase as a whole (its CPU figures
 * are both servers' and PostgreSQL's) and the step's cost from its windows.
 */
export async function runRiskWindowsPhase(
  mix: Mix,
  servers: RiskServers,
  sessions: Sessions,
  users: readonly BenchUser[],
  clients: number,
  seconds: number,
  windowMs: number,
): Promise<{ phase: MeasuredPhase; cost: RiskWindowsCost }> {
  const allAccountIds = users.flatMap((user) => user.accountIds);
  await renewSessionsFor(sessions, users, seconds);
  const offClient = new GraphQLClient(servers.off.url, clients, REQUEST_TIMEOUT_MS);
  const onClient = new GraphQLClient(servers.on.url, clients, REQUEST_TIMEOUT_MS);
  try {
    const unitsBefore = await unitsOf(servers);
    const serverCpuBefore = cpuOfBoth(servers).servers;
    const databaseCpuBefore = postgresCpuSeconds();
    const memory = sampleResidentMemory(() => servers.on.residentBytes());
    const acknowledgedAt: number[] = [];
    const windows = startRiskWindows(windowMs, () => cpuOfBoth(servers));
    const result = await runClosedLoop(`${mix.scenario}, risk windows`, clients, seconds * 1000, () => mix.next(windows.riskOn() ? onClient : offClient, sessions, users, allAccountIds), acknowledgedAt);
    const cost = compareRiskWindows(clients, windows.stop(), acknowledgedAt);
    const serverCpu = cpuOfBoth(servers).servers - serverCpuBefore;
    const databaseCpuAfter = postgresCpuSeconds();
    const unitsAfter = await unitsOf(servers);
    const perMovement = (cpuSeconds: number) => (result.ok > 0 ? (cpuSeconds * 1000) / result.ok : null);
    const phase: MeasuredPhase = {
      ...result,
      serverCpuMsPerTransaction: perMovement(serverCpu),
      databaseCpuMsPerTransaction: databaseCpuBefore !== null && databaseCpuAfter !== null ? perMovement(databaseCpuAfter - databaseCpuBefore) : null,
      serverMemory: memory.stop(),
      commandsPerUnit: commandsPerUnit(sumOf(unitsBefore), sumOf(unitsAfter)),
    };
    // With the step on a server answers more slowly, so fewer commands may gather in each of its units: part of the step's cost.
    const unitSizes = { off: commandsPerUnit(unitsBefore.off, unitsAfter.off), on: commandsPerUnit(unitsBefore.on, unitsAfter.on) };
    return { phase, cost: { ...cost, commandsPerUnit: unitSizes } };
  } finally {
    offClient.close();
    onClient.close();
  }
}
