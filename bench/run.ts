/**
 * `npm run bench`: scenarios against a real Tally server (its own process) on real PostgreSQL,
 * chosen with BENCH_SCENARIOS (default movements and fanout, in this order):
 *
 * - movements: deposits and transfers across 10,000 accounts at 1, 32 and 64 clients, with the
 *   Redis bus and balance cache on as in production, then the pgbench ceiling of the same box for
 *   comparison. Claim under test (DESIGN.md "No global hot row"): throughput grows with
 *   concurrency, because no row is locked by every transaction.
 * - fanout: live balances to 100, 1,000 and 10,000 WebSocket subscribers (bench/fanout.ts).
 * - holds (only when named): the movements scenario's setup, phases and ceiling with a card mix,
 *   transfers and withdrawals with 10% card authorizations each followed by a partial capture
 *   (bench/holds-scenario.ts).
 * - batches (only when named): the same setup and ceiling, each request a postMovements of 1,000
 *   cash deposits (bench/batch-scenario.ts); tx/s counts committed items.
 * - hot (only when named): the movements mix with every movement landing on one account
 *   (bench/hot-account-scenario.ts); compare with movements in the same run.
 * - risk (only when named): the movements mix with the risk step off and on in turn, on one
 *   database, at each concurrency; reports the step's share of a movement's server and
 *   PostgreSQL CPU (bench/risk-pairs.ts, issue 9's 10%).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/auth/passwords.js';
import { clearBalanceCache } from './balance-cache.js';
import { runCeiling, type CeilingResult } from './ceiling.js';
import { analyzeAfterBulkLoad, brokenLaws, cashServiceOf, databaseUrlFor, dropDatabase, fundAccounts, insertAccounts, insertUsers, raiseBenchRiskThresholds, recreateDatabase, disableJournalTriggers, disableRiskLines } from './database.js';
import { runFanoutScenario } from './fanout.js';
import { GraphQLClient } from './graphql-client.js';
import { guardRun } from './guard.js';
import { batchMix } from './batch-scenario.js';
import { holdsMix } from './holds-scenario.js';
import { postgresCpuSeconds } from './database-cpu.js';
import { describeMemory } from './report.js';
import { describeRiskStepCosts, riskPairOrder, riskStepCosts, type RiskPhase, type RiskStepCost } from './risk-pairs.js';
import { describeRiskWindowsCosts, type RiskWindowsCost } from './risk-windows.js';
import { runRiskWindowsPhase, type RiskServers } from './risk-windows-phase.js';
import { sampleResidentMemory } from './resident-memory.js';
import { hotAccountMix } from './hot-account-scenario.js';
import { pick, randomAmount, type BenchUser, type Mix } from './mix.js';
import { forEachConcurrently, runClosedLoop, type MeasuredPhase } from './load.js';
import { deposit, openAccount, transfer, type MovementOutcome } from './operations.js';
import { ceilingSummary, phaseTable, progress, typedErrorDetails } from './report.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { BENCH_METRICS_TOKEN, commandsPerUnit, unitCount } from './unit-sizes.js';
import { renewSessionsFor, Sessions } from './sessions.js';
import { compareWindows, startSealerWindows } from './sealer-windows.js';
import {
  ACCOUNT_COUNT,
  ACCOUNTS_PER_USER,
  BENCH_PASSWORD,
  CEILING_CLIENTS,
  CEILING_SECONDS,
  CURRENCY,
  DEPOSIT_SHARE,
  LOGIN_CLIENTS,
  MAX_MOVEMENT_MINOR,
  OPENING_BALANCE_MINOR,
  readSettings,
  REQUEST_TIMEOUT_MS,
  type BenchSettings,
  type ScenarioName,
  SERVER_READY_TIMEOUT_MS,
  USER_COUNT,
  WARMUP_SECONDS,
} from './settings.js';

const SCENARIO = 'deposits+transfers, 10,000 accounts';

/** Setup (users, logins, bulk accounts) takes seconds; five minutes means something is stuck. */
const SETUP_BUDGET_MS = 5 * 60_000;
/** Time for the laws check, stopping the server and dropping the database. */
const TEARDOWN_BUDGET_MS = 2 * 60_000;

/**
 * One request of the mix. Every deposit goes through the CASH channel, so all of them post an
 * entry to the same internal vault account: the worst case for a hot row, on purpose. A transfer
 * leaves one of the caller's accounts (the source must be owned) for any account of the bank.
 */
async function nextMovement(
  client: GraphQLClient,
  sessions: Sessions,
  users: readonly BenchUser[],
  allAccountIds: readonly string[],
): Promise<MovementOutcome> {
  const user = pick(users);
  const source = pick(user.accountIds);
  if (Math.random() < DEPOSIT_SHARE) return deposit(client, await sessions.tokenFor(user.cashService), source, randomAmount(MAX_MOVEMENT_MINOR));
  const token = await sessions.tokenFor(user.username);
  let destination = pick(allAccountIds);
  while (destination === source) destination = pick(allAccountIds);
  return transfer(client, token, source, destination, randomAmount(MAX_MOVEMENT_MINOR));
}

const MOVEMENTS_MIX: Mix = { scenario: SCENARIO, next: nextMovement };

/** Users, tokens and 10,000 funded accounts; returns how many transactions setup committed. */
async function setUp(server: ServerProcess, databaseUrl: string, sessions: Sessions): Promise<{ users: BenchUser[]; transactions: number }> {
  const started = performance.now();
  const usernames = Array.from({ length: USER_COUNT }, (_, index) => `bench-user-${String(index).padStart(3, '0')}`);
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  const seeded = await insertUsers(databaseUrl, usernames, passwordHash);
  await insertUsers(databaseUrl, usernames.map(cashServiceOf), passwordHash, { cashService: true });
  await forEachConcurrently([...usernames, ...usernames.map(cashServiceOf)], LOGIN_CLIENTS, async (username) => {
    await sessions.tokenFor(username);
  });
  progress(`${USER_COUNT} users and their cash services signed in`);

  // The first account goes through the API: opening it also creates the bank's internal USD
  // accounts, as in production. The other 9,999 are inserted in bulk in the same empty state.
  const [firstUser] = seeded;
  if (!firstUser) throw new Error('no users were seeded');
  const client = new GraphQLClient(server.url, 1, REQUEST_TIMEOUT_MS);
  let firstAccountId: string;
  try {
    firstAccountId = await openAccount(client, await sessions.tokenFor(firstUser.username), CURRENCY);
  } finally {
    client.close();
  }
  const owners: { userId: string; accountId: string }[] = [];
  const users: BenchUser[] = seeded.map((user, index) => {
    const accountIds = index === 0 ? [firstAccountId] : [];
    while (accountIds.length < ACCOUNTS_PER_USER) {
      const accountId = randomUUID();
      accountIds.push(accountId);
      owners.push({ userId: user.id, accountId });
    }
    return { username: user.username, cashService: cashServiceOf(user.username), accountIds };
  });
  await insertAccounts(databaseUrl, owners, CURRENCY);
  const transactions = await fundAccounts(databaseUrl, OPENING_BALANCE_MINOR, CURRENCY);
  if (transactions !== ACCOUNT_COUNT) throw new Error(`funded ${transactions} accounts, expected ${ACCOUNT_COUNT}`);
  await analyzeAfterBulkLoad(databaseUrl);
  progress(
    `${ACCOUNT_COUNT} accounts open, ${transactions} opening deposits of ${OPENING_BALANCE_MINOR / 100} ${CURRENCY}, ` +
      `setup took ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { users, transactions };
}

/** One closed-loop phase of the mix at `clients`, on a fresh keep-alive client. */
async function runPhase(
  mix: Mix,
  server: ServerProcess,
  sessions: Sessions,
  users: readonly BenchUser[],
  allAccountIds: readonly string[],
  clients: number,
  seconds: number,
  sealerWindows?: SealerWindowsAsk,
): Promise<MeasuredPhase> {
  await renewSessionsFor(sessions, users, seconds);
  const client = new GraphQLClient(server.url, clients, REQUEST_TIMEOUT_MS);
  try {
    const unitsBefore = await unitCount(server.url.origin);
    const cpuBefore = server.cpuSeconds();
    const databaseCpuBefore = postgresCpuSeconds();
    const memory = sampleResidentMemory(() => server.residentBytes());
    const windows = sealerWindows ? await startSealerWindows(sealerWindows.databaseUrl, sealerWindows.windowMs) : undefined;
    const acknowledgedAt: number[] = [];
    const phase = await runClosedLoop(mix.scenario, clients, seconds * 1000, () => mix.next(client, sessions, users, allAccountIds), acknowledgedAt);
    const sealerComparison = windows ? compareWindows(await windows.stop(), acknowledgedAt) : undefined;
    const serverMemory = memory.stop();
    const cpuAfter = server.cpuSeconds();
    const databaseCpuAfter = postgresCpuSeconds();
    const unitsAfter = await unitCount(server.url.origin);
    // Whether the server process itself is the bottleneck: its CPU cost per committed transaction.
    const serverCpuMsPerTransaction =
      cpuBefore !== null && cpuAfter !== null && phase.ok > 0 ? ((cpuAfter - cpuBefore) * 1000) / phase.ok : null;
    const databaseCpuMsPerTransaction =
      databaseCpuBefore !== null && databaseCpuAfter !== null && phase.ok > 0 ? ((databaseCpuAfter - databaseCpuBefore) * 1000) / phase.ok : null;
    return {
      ...phase,
      serverCpuMsPerTransaction,
      databaseCpuMsPerTransaction,
      serverMemory,
      commandsPerUnit: commandsPerUnit(unitsBefore, unitsAfter),
      ...(sealerComparison ? { sealerWindows: sealerComparison } : {}),
    };
  } finally {
    client.close();
  }
}

/** BENCH_SEALER_WINDOWS_MS: where the sealer's lock is taken, and how long each window lasts. */
interface SealerWindowsAsk {
  readonly databaseUrl: string;
  readonly windowMs: number;
}

function describeSealerWindows(phase: MeasuredPhase): string {
  const windows = phase.sealerWindows;
  if (!windows) return '';
  return (
    `; sealer running ${windows.sealingTxPerSecond.toFixed(1)} tx/s against paused ${windows.pausedTxPerSecond.toFixed(1)} tx/s ` +
    `over ${windows.windows} windows (the sealer took ${(windows.sealerShare * 100).toFixed(1)}%, an upper bound)`
  );
}

function describePhase(label: string, phase: MeasuredPhase): string {
  return (
    `${label} C=${phase.clients}: ${phase.transactionsPerSecond.toFixed(1)} tx/s, p50 ${phase.latencyMs.p50.toFixed(1)} ms, ` +
    `p99 ${phase.latencyMs.p99.toFixed(1)} ms, ${phase.ok} ok, ${phase.unexpectedErrors} errors, ` +
    `server ${phase.serverCpuMsPerTransaction?.toFixed(2) ?? '-'} cpu ms/tx, PostgreSQL ${phase.databaseCpuMsPerTransaction?.toFixed(2) ?? '-'} cpu ms/tx, ${phase.commandsPerUnit?.toFixed(2) ?? '-'} commands per unit, ${describeMemory(phase.serverMemory)}` +
    describeSealerWindows(phase)
  );
}

/** The warm-up, then the measured phases; returns them and every success they acknowledged. */
async function runPhases(
  mix: Mix,
  server: ServerProcess,
  sessions: Sessions,
  users: readonly BenchUser[],
  clientCounts: readonly number[],
  phaseSeconds: number,
  sealerWindows?: SealerWindowsAsk,
): Promise<{ warmup: MeasuredPhase; phases: MeasuredPhase[]; acknowledged: number }> {
  const allAccountIds = users.flatMap((user) => user.accountIds);
  const warmup = await runPhase(mix, server, sessions, users, allAccountIds, Math.max(...clientCounts), WARMUP_SECONDS);
  progress(describePhase('warm-up (not reported)', warmup));
  const phases: MeasuredPhase[] = [];
  for (const clients of clientCounts) {
    const phase = await runPhase(mix, server, sessions, users, allAccountIds, clients, phaseSeconds, sealerWindows);
    phases.push(phase);
    progress(describePhase('measured', phase));
  }
  return { warmup, phases, acknowledged: warmup.ok + phases.reduce((sum, phase) => sum + phase.ok, 0) };
}

/** What the bench's server runs with, on top of startServerProcess's defaults. */
function serverEnvironment(settings: BenchSettings, risk: boolean): Record<string, string> {
  // As in production: balance events go through Redis and every movement refreshes the cache.
  // METRICS_TOKEN: the bench reads how many commands each unit carried (bench/unit-sizes.ts).
  return { REDIS_URL: settings.redisUrl, RISK_RULES: risk ? 'on' : 'off', JOURNAL_SEALER: settings.journalSealer ? 'on' : 'off', METRICS_TOKEN: BENCH_METRICS_TOKEN, ...settings.groupCommit };
}

/** Starts the bench's server on `databaseUrl`, with the risk step as asked; `fixed` keeps a restarted server's port and secrets. */
function launchServer(settings: BenchSettings, repositoryRoot: string, databaseUrl: string, risk: boolean, fixed: ServerFixtures): Promise<ServerProcess> {
  return startServerProcess({
    repositoryRoot,
    databaseUrl,
    poolSize: settings.serverPoolSize,
    readyTimeoutMs: SERVER_READY_TIMEOUT_MS,
    ...(fixed.port ? { port: fixed.port } : {}),
    environment: { ...serverEnvironment(settings, risk), ...fixed.secrets },
  });
}

/** What a restarted server must keep so that its clients carry on: the port, and the secrets their tokens were signed with. */
interface ServerFixtures {
  readonly port?: number;
  readonly secrets?: Readonly<Record<'JWT_SECRET' | 'ENCRYPTION_KEY', string>>;
}

/** A fresh bench database and a server on it; the database is dropped again if the server does not start. */
async function startBenchServer(settings: BenchSettings, repositoryRoot: string, databaseUrl: string, fixed: ServerFixtures = {}): Promise<ServerProcess> {
  await recreateDatabase(settings.adminDatabaseUrl, settings.databaseName);
  let server: ServerProcess;
  try {
    server = await launchServer(settings, repositoryRoot, databaseUrl, settings.risk, fixed);
  } catch (error) {
    await dropDatabase(settings.adminDatabaseUrl, settings.databaseName).catch(() => undefined);
    throw error;
  }
  progress(`server ready at ${server.url.origin} (own process, database pool ${settings.serverPoolSize}, Redis at ${settings.redisUrl}, ${groupCommitText(settings)})`);
  progress(`journal: sealer ${settings.journalSealer ? 'on' : 'off (BENCH_JOURNAL_SEALER=off)'}, record triggers ${settings.journalTriggers ? 'on' : 'off (BENCH_JOURNAL_TRIGGERS=off)'}`);
  return server;
}

/**
 * BENCH_SCENARIOS=risk (bench/risk-pairs.ts): at each concurrency, `rounds` pairs of phases
 * in the order riskPairOrder gives, the server restarted on the same port and secrets between them
 * (the sessions' tokens stay good) after a warm-up of its own (not reported).
 */
async function runRiskPairs(
  mix: Mix,
  restart: (riskOn: boolean) => Promise<ServerProcess>,
  sessions: Sessions,
  users: readonly BenchUser[],
  clientCounts: readonly number[],
  rounds: number,
  phaseSeconds: number,
): Promise<{ warmup: MeasuredPhase; phases: MeasuredPhase[]; riskPhases: RiskPhase[]; acknowledged: number }> {
  const allAccountIds = users.flatMap((user) => user.accountIds);
  const riskPhases: RiskPhase[] = [];
  let acknowledged = 0;
  let warmup: MeasuredPhase | undefined;
  for (const clients of clientCounts) {
    for (let round = 1; round <= rounds; round += 1) {
      for (const riskOn of riskPairOrder(round)) {
        const server = await restart(riskOn);
        const warm = await runPhase(mix, server, sessions, users, allAccountIds, clients, WARMUP_SECONDS);
        warmup ??= warm;
        const measured = await runPhase(mix, server, sessions, users, allAccountIds, clients, phaseSeconds);
        const phase = { ...measured, scenario: `${measured.scenario}, risk ${riskOn ? 'on' : 'off'}` };
        riskPhases.push({ riskOn, phase });
        acknowledged += warm.ok + phase.ok;
        progress(describePhase(`round ${round}, risk ${riskOn ? 'on ' : 'off'}`, phase));
      }
    }
  }
  if (!warmup) throw new Error('the risk scenario needs at least one client count');
  return { warmup, phases: riskPhases.map((entry) => entry.phase), riskPhases, acknowledged };
}

/**
 * BENCH_SCENARIOS=risk with windows (bench/risk-windows.ts, the default): at each concurrency a
 * warm-up and one measured phase as long as the pairs' phases together, its requests switched
 * between the two servers every window.
 */
async function runRiskWindows(
  mix: Mix,
  servers: RiskServers,
  sessions: Sessions,
  users: readonly BenchUser[],
  settings: BenchSettings,
): Promise<{ warmup: MeasuredPhase; phases: MeasuredPhase[]; costs: RiskWindowsCost[]; acknowledged: number }> {
  const phases: MeasuredPhase[] = [];
  const costs: RiskWindowsCost[] = [];
  let acknowledged = 0;
  let warmup: MeasuredPhase | undefined;
  for (const clients of settings.clientCounts) {
    const warm = await runRiskWindowsPhase(mix, servers, sessions, users, clients, WARMUP_SECONDS, settings.riskWindowMs);
    warmup ??= warm.phase;
    const measured = await runRiskWindowsPhase(mix, servers, sessions, users, clients, settings.phaseSeconds * settings.riskRounds * 2, settings.riskWindowMs);
    phases.push(measured.phase);
    costs.push(measured.cost);
    acknowledged += warm.phase.ok + measured.phase.ok;
    progress(describePhase('risk windows, both servers', measured.phase));
    progress(describeRiskWindowsCosts([measured.cost])[0] ?? '');
  }
  if (!warmup) throw new Error('the risk scenario needs at least one client count');
  return { warmup, phases, costs, acknowledged };
}

/** Whether the risk scenario measures in windows inside a phase (the default) rather than in restarted pairs. */
function riskWindowsOf(settings: BenchSettings, riskScenario: boolean): boolean {
  return riskScenario && settings.riskWindowMs > 0;
}

/** How long a scenario may take before the guard stops it: setup, every phase (with its own restart and warm-up in the risk scenario), teardown. */
function scenarioBudgetMs(settings: BenchSettings, riskPairs: boolean): number {
  const phaseBudgetMs = (seconds: number) => seconds * 1000 + REQUEST_TIMEOUT_MS;
  const phases = riskWindowsOf(settings, riskPairs)
    ? settings.clientCounts.length * (SERVER_READY_TIMEOUT_MS + phaseBudgetMs(WARMUP_SECONDS) + phaseBudgetMs(settings.phaseSeconds * settings.riskRounds * 2))
    : riskPairs
    ? settings.clientCounts.length * settings.riskRounds * 2 * (SERVER_READY_TIMEOUT_MS + phaseBudgetMs(WARMUP_SECONDS) + phaseBudgetMs(settings.phaseSeconds))
    : phaseBudgetMs(WARMUP_SECONDS) + settings.clientCounts.length * phaseBudgetMs(settings.phaseSeconds);
  return SETUP_BUDGET_MS + phases + TEARDOWN_BUDGET_MS;
}

/**
 * The bench's server on a fresh database, restartable with the risk step on or off (the risk
 * scenario): a restart keeps the port and, for the risk scenario, secrets fixed at the start, so
 * the sessions' tokens stay good; log lines are counted over every process.
 */
async function startRestartableServer(
  settings: BenchSettings,
  repositoryRoot: string,
  databaseUrl: string,
  fixedSecrets: boolean,
): Promise<{ server: () => ServerProcess; restart: (riskOn: boolean) => Promise<ServerProcess>; launchBeside: (riskOn: boolean) => Promise<ServerProcess>; logLineCount: () => number }> {
  const fixed: ServerFixtures = fixedSecrets ? { secrets: { JWT_SECRET: randomBytes(48).toString('base64url'), ENCRYPTION_KEY: randomBytes(48).toString('base64url') } } : {};
  let current = await startBenchServer(settings, repositoryRoot, databaseUrl, fixed);
  let earlierLogLines = 0;
  const beside: ServerProcess[] = [];
  return {
    server: () => current,
    // A second server on the same database and secrets, on a port of its own (the risk windows); stopped by its caller.
    launchBeside: async (riskOn) => {
      const second = await launchServer(settings, repositoryRoot, databaseUrl, riskOn, fixed.secrets ? { secrets: fixed.secrets } : {});
      beside.push(second);
      return second;
    },
    restart: async (riskOn) => {
      await current.stop();
      earlierLogLines += current.logLineCount();
      current = await launchServer(settings, repositoryRoot, databaseUrl, riskOn, { ...fixed, port: Number(current.url.port) });
      return current;
    },
    logLineCount: () => earlierLogLines + current.logLineCount() + beside.reduce((sum, second) => sum + second.logLineCount(), 0),
  };
}

/** `GROUP_COMMIT=on GROUP_COMMIT_WINDOW_MS=2`: what the server ran with, for the report. */
function groupCommitText(settings: BenchSettings): string {
  return Object.entries(settings.groupCommit)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

/** A closed-loop scenario over the funded accounts (the movements mix, or another), start to report; returns the exit code it asks for. */
async function runMovementsScenario(settings: BenchSettings, repositoryRoot: string, mix: Mix = MOVEMENTS_MIX, riskPairs = false): Promise<number> {
  const [loadAverageAtStart = 0] = loadavg();
  const databaseUrl = databaseUrlFor(settings.adminDatabaseUrl, settings.databaseName);
  progress(
    `${ACCOUNT_COUNT} accounts, ${USER_COUNT} users, phases of ${settings.phaseSeconds} s at ${settings.clientCounts.join(', ')} clients`,
  );

  // The risk windows run two servers at once: each gets half the pool, so together they stay within PostgreSQL's connections.
  const riskWindows = riskWindowsOf(settings, riskPairs);
  const serverSettings = riskWindows ? { ...settings, serverPoolSize: Math.max(1, Math.floor(settings.serverPoolSize / 2)) } : settings;
  const restartable = await startRestartableServer(serverSettings, repositoryRoot, databaseUrl, riskPairs);
  let server = restartable.server();
  let riskOnServer: ServerProcess | undefined;
  const restart = async (riskOn: boolean): Promise<ServerProcess> => (server = await restartable.restart(riskOn));
  const guard = guardRun({
    budgetMs: scenarioBudgetMs(settings, riskPairs),
    killNow: () => {
      server.killNow();
      riskOnServer?.killNow();
    },
    cleanUp: () => dropDatabase(settings.adminDatabaseUrl, settings.databaseName),
  });

  const loginClient = new GraphQLClient(server.url, LOGIN_CLIENTS, REQUEST_TIMEOUT_MS);
  const sessions = new Sessions(loginClient, BENCH_PASSWORD);
  let phases: MeasuredPhase[];
  let warmup: MeasuredPhase;
  let broken: string[];
  let serverLogLines: number;
  let riskCosts: RiskStepCost[] | undefined;
  let riskWindowsCosts: RiskWindowsCost[] | undefined;
  let benchAccountIds: string[] = [];
  try {
    if (!settings.journalTriggers) await disableJournalTriggers(databaseUrl);
    if (!settings.riskLines) {
      await disableRiskLines(databaseUrl);
      progress('risk lines trigger off (BENCH_RISK_LINES=off): the baseline of the risk step\'s whole cost');
    }
    if (settings.risk || riskPairs) {
      await raiseBenchRiskThresholds(databaseUrl);
      progress(`risk step ${riskPairs ? (riskWindows ? `off and on, two servers in windows of ${settings.riskWindowMs} ms (BENCH_SCENARIOS=risk)` : 'off and on in turn (BENCH_SCENARIOS=risk)') : 'on (BENCH_RISK=on)'}: velocity and cash built-ins raised out of the bench users' reach`);
    }
    const setup = await setUp(server, databaseUrl, sessions);
    benchAccountIds = setup.users.flatMap((user) => user.accountIds);
    const sealerWindows = settings.sealerWindowMs ? { databaseUrl, windowMs: settings.sealerWindowMs } : undefined;
    let measured: { warmup: MeasuredPhase; phases: MeasuredPhase[]; acknowledged: number };
    if (riskWindows) {
      riskOnServer = await restartable.launchBeside(true);
      const windows = await runRiskWindows(mix, { off: server, on: riskOnServer }, sessions, setup.users, settings);
      riskWindowsCosts = windows.costs;
      measured = windows;
    } else if (riskPairs) {
      const pairs = await runRiskPairs(mix, restart, sessions, setup.users, settings.clientCounts, settings.riskRounds, settings.phaseSeconds);
      riskCosts = riskStepCosts(pairs.riskPhases);
      measured = pairs;
    } else {
      measured = await runPhases(mix, server, sessions, setup.users, settings.clientCounts, settings.phaseSeconds, sealerWindows);
    }
    phases = measured.phases;
    warmup = measured.warmup;
    loginClient.close();
    // Stopped first, so nothing is in flight while the database is checked.
    await server.stop();
    await riskOnServer?.stop();
    serverLogLines = restartable.logLineCount();
    const acknowledged = setup.transactions + measured.acknowledged;
    broken = await brokenLaws(databaseUrl, acknowledged);
    progress(broken.length === 0 ? `ledger laws hold; ${acknowledged} transactions stored, one per acknowledged success` : 'ledger laws BROKEN');
  } catch (error) {
    process.stderr.write(`bench: server output (tail):\n${server.logTail()}\n`);
    throw error;
  } finally {
    loginClient.close();
    try {
      await server.stop();
      await riskOnServer?.stop();
      await dropDatabase(settings.adminDatabaseUrl, settings.databaseName);
      // The cached balances of accounts that no longer exist would linger in the shared Redis for a day.
      await clearBalanceCache(settings.redisUrl, benchAccountIds);
    } finally {
      guard.release();
    }
  }
  progress('server stopped, bench database dropped, cached balances removed');

  // The ceiling runs with the server gone, so pgbench has the machine to itself.
  progress(`running ${settings.ceilingScript} ${CEILING_CLIENTS} ${CEILING_SECONDS}`);
  const ceiling: CeilingResult = await runCeiling(settings.ceilingScript, CEILING_CLIENTS, CEILING_SECONDS);
  const resultsFile = mix.resultsSuffix ? settings.resultsFile.replace(/(\.json)?$/, mix.resultsSuffix) : settings.resultsFile;
  reportRun({ settings, resultsFile, loadAverageAtStart, warmup, phases, ceiling, serverLogLines, broken, ...(riskCosts ? { riskCosts } : {}), ...(riskWindowsCosts ? { riskWindowsCosts } : {}) });

  const unexpected = [warmup, ...phases].reduce((sum, phase) => sum + phase.unexpectedErrors, 0);
  return unexpected === 0 && broken.length === 0 ? 0 : 1;
}

/** What one closed-loop scenario measured and checked, for its report. */
interface RunReport {
  readonly settings: BenchSettings;
  readonly resultsFile: string;
  readonly loadAverageAtStart: number;
  readonly warmup: MeasuredPhase;
  readonly phases: readonly MeasuredPhase[];
  readonly ceiling: CeilingResult;
  readonly serverLogLines: number;
  readonly broken: readonly string[];
  /** BENCH_SCENARIOS=risk with BENCH_RISK_WINDOW_MS=0: the step's cost from restarted pairs of phases. */
  readonly riskCosts?: readonly RiskStepCost[];
  /** BENCH_SCENARIOS=risk: the step's cost from windows inside each phase. */
  readonly riskWindowsCosts?: readonly RiskWindowsCost[];
}

/** Prints the phases, the ceiling and the ratio between them, and writes the results file. */
function reportRun({ settings, resultsFile, loadAverageAtStart, warmup, phases, ceiling, serverLogLines, broken, riskCosts, riskWindowsCosts }: RunReport): void {
  const widest = phases.reduce<MeasuredPhase | undefined>((best, phase) => (!best || phase.clients > best.clients ? phase : best), undefined);
  const single = phases.find((phase) => phase.clients === 1);
  const ceilingDeposit = ceiling.lines.find((line) => line.script === 'deposit');
  const scaling = widest && single && single.transactionsPerSecond > 0 ? widest.transactionsPerSecond / single.transactionsPerSecond : null;
  const ratioToCeiling = widest && ceilingDeposit ? widest.transactionsPerSecond / ceilingDeposit.tps : null;

  const lines = ['', phaseTable(phases), ...typedErrorDetails(phases)];
  for (const phase of phases) {
    for (const sample of phase.unexpectedSamples) lines.push(`  C=${phase.clients} error sample: ${sample}`);
  }
  lines.push('', ...ceilingSummary(ceiling));
  if (widest && scaling !== null) lines.push(`scaling C=${widest.clients} / C=1: ${scaling.toFixed(2)}x`);
  if (widest && ceilingDeposit && ratioToCeiling !== null) {
    lines.push(
      `ratio to ceiling: Tally C=${widest.clients} ${widest.transactionsPerSecond.toFixed(1)} tx/s / ` +
        `pgbench deposit C=${ceilingDeposit.clients} ${ceilingDeposit.tps.toFixed(1)} tps = ${ratioToCeiling.toFixed(3)}`,
    );
    // Every phase's ratio, so an A/B (BENCH_JOURNAL_SEALER) compares each concurrency against its own run's ceiling.
    lines.push(`each phase / ceiling: ${phases.map((phase) => `C=${phase.clients} ${(phase.transactionsPerSecond / ceilingDeposit.tps).toFixed(4)}`).join(', ')}`);
  } else {
    lines.push('ratio to ceiling: not available (no ceiling deposit line)');
  }
  if (riskCosts) lines.push(...describeRiskStepCosts(riskCosts));
  if (riskWindowsCosts) lines.push(...describeRiskWindowsCosts(riskWindowsCosts));
  for (const phase of phases) if (phase.sealerWindows) lines.push(`sealer windows C=${phase.clients}${describeSealerWindows(phase).replace(/^;/, ':')}`);
  lines.push(`server log lines at warn or above: ${serverLogLines}`);
  lines.push(`server: ${groupCommitText(settings)}`);
  // Other work on the box (a test run, another server) takes cores from the bench; say so.
  lines.push(`machine: ${availableParallelism()} cores, 1-minute load average ${loadAverageAtStart.toFixed(2)} at start`);
  lines.push(broken.length === 0 ? 'ledger laws: all hold' : `ledger laws broken:\n  ${broken.join('\n  ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);

  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(
    resultsFile,
    `${JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        accounts: ACCOUNT_COUNT,
        users: USER_COUNT,
        phaseSeconds: settings.phaseSeconds,
        groupCommit: settings.groupCommit,
        machine: { cores: availableParallelism(), loadAverageAtStart },
        warmup,
        phases,
        ceiling,
        scaling,
        ratioToCeiling,
        phaseRatiosToCeiling: ceilingDeposit ? phases.map((phase) => ({ clients: phase.clients, ratio: phase.transactionsPerSecond / ceilingDeposit.tps })) : null,
        journal: { sealer: settings.journalSealer, triggers: settings.journalTriggers },
        riskLines: settings.riskLines,
        ...(riskCosts ? { riskStepCosts: riskCosts } : {}),
        ...(riskWindowsCosts ? { riskStepCosts: riskWindowsCosts, riskWindowMs: settings.riskWindowMs } : {}),
        serverLogLines,
        brokenLaws: broken,
      },
      null,
      2,
    )}\n`,
  );
  progress(`results written to ${resultsFile}`);
}

/** Runs one named scenario; returns its exit code. */
function runScenario(scenario: ScenarioName, settings: BenchSettings, repositoryRoot: string): Promise<number> {
  if (scenario === 'movements') return runMovementsScenario(settings, repositoryRoot);
  if (scenario === 'holds') return runMovementsScenario(settings, repositoryRoot, holdsMix());
  if (scenario === 'batches') return runMovementsScenario(settings, repositoryRoot, batchMix());
  if (scenario === 'hot') return runMovementsScenario(settings, repositoryRoot, hotAccountMix());
  if (scenario === 'risk') return runMovementsScenario(settings, repositoryRoot, { ...MOVEMENTS_MIX, resultsSuffix: '.risk.json' }, true);
  return runFanoutScenario(settings, repositoryRoot);
}

async function main(): Promise<number> {
  const settings = readSettings(process.env);
  const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
  progress(`scenarios: ${settings.scenarios.join(', ')}`);
  let code = 0;
  for (const scenario of settings.scenarios) {
    const scenarioCode = await runScenario(scenario, settings, repositoryRoot);
    code = Math.max(code, scenarioCode);
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
