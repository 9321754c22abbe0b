/**
 * The fan-out scenario of `npm run bench`: N WebSocket subscribers (100, 1,000, 10,000) spread
 * evenly over the accounts of ten owners, deposits at a steady rate across those accounts, and
 * per socket a check that every measured version arrived exactly once, in order. Reports the
 * deliveries per second and the latency from sending the deposit request to receiving its update.
 *
 * The server runs in its own process with Redis as its event bus (the outbox relay publishes
 * there, as in production); the sockets live in worker processes (bench/fanout-worker.ts) so
 * that parsing updates neither shares the server's event loop nor delays the deposit driver.
 */
import { execFileSync } from 'node:child_process';
// The server's balance cache (kept a day): the bench removes its own accounts' entries at the end.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearBalanceCache } from './balance-cache.js';
import { hashPassword } from '../src/auth/passwords.js';
import { brokenLaws, cashServiceOf, databaseUrlFor, dropDatabase, insertUsers, recreateDatabase } from './database.js';
import {
  epochMs,
  mergeProblems,
  mergeTallies,
  type AccountWindow,
  type DeliveryTally,
  type SocketAssignment,
  type SocketProblems,
} from './fanout-protocol.js';
import { GraphQLClient } from './graphql-client.js';
import { guardRun } from './guard.js';
import { summarise, type LatencySummary } from './load.js';
import { openAccount, versionedDeposit, type VersionedDeposit } from './operations.js';
import { formatNumber, progress, renderTable } from './report.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { Sessions } from './sessions.js';
import {
  BENCH_PASSWORD,
  CURRENCY,
  LOGIN_CLIENTS,
  REQUEST_TIMEOUT_MS,
  SERVER_READY_TIMEOUT_MS,
  type BenchSettings,
  type FanoutSettings,
} from './settings.js';
import { SocketWorker } from './socket-workers.js';

/**
 * One account set: ten owners with one account each. Few accounts is the point (each deposit
 * reaches N / 10 sockets), and ten lets deposits to different accounts commit in parallel.
 */
const FANOUT_ACCOUNTS = 10;
/** Connections per server worker at least: deposits, the relay, the version watch and logins at once. */
const MIN_POOL_PER_WORKER = 8;
/** The highest MAX_SUBSCRIPTIONS_PER_USER the server accepts (src/config.ts). */
const MAX_SUBSCRIPTIONS_PER_USER = 100_000;
/** Every deposit is the same 1.00 USD CASH deposit: the amount does not matter to fan-out. */
const DEPOSIT_AMOUNT = '1.00';

/**
 * The longest access token the server issues (API.md: ACCESS_TOKEN_TTL_SECONDS up to 3600). The
 * server closes a socket with 4401 when its token expires; an hour outlasts the whole scenario.
 */
const ACCESS_TOKEN_TTL_SECONDS = 3_600;

/** One worker process parses up to this many sockets' updates; 10,000 sockets get four. */
const SOCKETS_PER_WORKER = 2_500;
/** On two cores shared with the server and PostgreSQL, more worker processes only add switching. */
const MAX_WORKERS = 4;
/**
 * Descriptors the server process needs besides its sockets: the database pool (64), Redis (3),
 * the files Node and tsx keep open, stdio. One server process may hold every socket (with several
 * workers each holds its share, so the cap is then on the safe side).
 */
const FD_RESERVE = 512;
/** Ephemeral ports left to the rest of the box while the bench sockets hold theirs. */
const PORT_RESERVE = 2_000;

/**
 * The open loop's cap on deposit requests in flight. At the default 20/s a deposit would have to
 * take over a second to reach it; if it is reached, sends wait and the achieved rate shows it.
 */
const MAX_DEPOSITS_IN_FLIGHT = 32;

/** Connecting and subscribing 10,000 sockets takes seconds; two minutes means something is stuck. */
const OPEN_TIMEOUT_MS = 120_000;
/**
 * The server does not acknowledge a subscription, so liveness is proven by delivery: each round
 * deposits once per account and waits this long for every socket to receive an update.
 */
const PROBE_ROUND_MS = 2_000;
/** Rounds of probes until every socket is live, at most this long in all. */
const READY_TIMEOUT_MS = 60_000;
/** How often the workers are asked how many updates arrived, while waiting for liveness or the drain. */
const STATUS_POLL_MS = 100;
const STATUS_TIMEOUT_MS = 10_000;
/** After the last deposit, updates still on their way get this long before they count as missing. */
const DRAIN_TIMEOUT_MS = 30_000;
/** Tallying a few hundred thousand receipts per worker takes well under a second. */
const COLLECT_TIMEOUT_MS = 30_000;
/** Closing sockets and stopping workers (their own timeouts are 10 s and 15 s). */
const CLOSE_BUDGET_MS = 30_000;
/** Ten users, ten logins, ten accounts, and the server start. */
const SETUP_BUDGET_MS = 2 * 60_000;
/** The laws check, stopping the server, dropping the database, clearing Redis. */
const TEARDOWN_BUDGET_MS = 2 * 60_000;
/**
 * A phase whose achieved deposit or delivery rate falls below this share of what was offered is
 * reported as saturated: its latencies then measure a queue, not the path.
 */
const SATURATION_SHARE = 0.9;

interface Owner {
  readonly username: string;
  readonly accountId: string;
}

interface SocketCapacity {
  readonly sockets: number;
  readonly note: string;
}

interface PhaseFailure {
  readonly sockets: number;
  readonly failure: string;
}

export interface MeasuredFanout {
  readonly sockets: number;
  readonly workers: number;
  readonly connectSeconds: number;
  readonly probeRounds: number;
  readonly targetDepositsPerSecond: number;
  /** Measured deposits answered with success. */
  readonly deposits: number;
  readonly depositErrors: number;
  readonly depositErrorSamples: readonly string[];
  /** Successful deposits per second of the driving time (first send to last answer). */
  readonly depositsPerSecond: number;
  readonly depositLatencyMs: LatencySummary;
  /** First measured deposit sent to last measured update received. */
  readonly deliverySeconds: number;
  readonly deliveriesPerSecond: number;
  /** How long after the last deposit answer the last update arrived. */
  readonly drainMs: number;
  readonly expected: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly missing: number;
  readonly untimed: number;
  /** Deposit request sent to update received, over every timed delivery. */
  readonly latencyMs: LatencySummary;
  /** Server CPU over the measured window (deposits, relay and fan-out) per delivered update. */
  readonly serverCpuUsPerDelivery: number | null;
  /** Server CPU seconds per wall second over the window: near 1, its event loop is the bottleneck. */
  readonly serverCores: number | null;
  /** The socket workers' CPU seconds per wall second, summed: how much of the box the loader took. */
  readonly loaderCores: number | null;
  /** Updates per second the target deposit rate asks for: deposits/s x sockets per account. */
  readonly offeredDeliveriesPerSecond: number;
  readonly serverResidentMb: number | null;
  readonly problems: SocketProblems;
}

export type FanoutPhase = MeasuredFanout | PhaseFailure;

function isMeasured(phase: FanoutPhase): phase is MeasuredFanout {
  return !('failure' in phase);
}

function sumOf<Item>(items: readonly Item[], pick: (item: Item) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}

/** The soft descriptor limit this process and its children run under (`ulimit -n`), or null. */
function descriptorLimit(): number | null {
  try {
    const text = execFileSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

function ephemeralPorts(): number | null {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && high >= low ? high - low + 1 : null;
  } catch {
    return null;
  }
}

/**
 * How many sockets one phase can hold: the server keeps all of them in one process, so its
 * descriptor limit bounds N (Node cannot raise it), and every socket takes an ephemeral port.
 */
function socketCapacity(): SocketCapacity {
  const descriptors = descriptorLimit();
  const ports = ephemeralPorts();
  const limits: { sockets: number; why: string }[] = [];
  if (descriptors !== null) limits.push({ sockets: descriptors - FD_RESERVE, why: `ulimit -n ${descriptors} less ${FD_RESERVE} for the server's other files` });
  if (ports !== null) limits.push({ sockets: ports - PORT_RESERVE, why: `${ports} ephemeral ports less ${PORT_RESERVE}` });
  const tightest = limits.reduce<{ sockets: number; why: string } | undefined>((best, limit) => (!best || limit.sockets < best.sockets ? limit : best), undefined);
  if (!tightest) return { sockets: Number.POSITIVE_INFINITY, note: 'descriptor and port limits unknown; sizes not capped' };
  return { sockets: Math.max(1, tightest.sockets), note: `at most ${tightest.sockets} sockets per phase (${tightest.why})` };
}

/**
 * Sends deposits and remembers, per account, the highest version acknowledged: versions are
 * consecutive per account, so everything between two known versions was written in between.
 */
class DepositDriver {
  private readonly versions = new Map<string, number>();
  /** Every deposit the server acknowledged, probes included: the exactly-once law counts them. */
  acknowledged = 0;

  constructor(
    private readonly client: GraphQLClient,
    private readonly sessions: Sessions,
  ) {}

  versionOf(accountId: string): number {
    return this.versions.get(accountId) ?? 0;
  }

  async deposit(owner: Owner): Promise<VersionedDeposit> {
    // Cash is posted by the owner's cash service, not by the owner (README "Who may do what").
    const token = await this.sessions.tokenFor(cashServiceOf(owner.username));
    let result: VersionedDeposit;
    try {
      result = await versionedDeposit(this.client, token, owner.accountId, DEPOSIT_AMOUNT);
    } catch (error) {
      return { outcome: { kind: 'unexpected', reason: error instanceof Error ? error.message : String(error) }, version: null };
    }
    if (result.version !== null) {
      this.acknowledged += 1;
      this.versions.set(owner.accountId, Math.max(this.versionOf(owner.accountId), result.version));
    }
    return result;
  }
}

interface DriveResult {
  /** Account → version → when its deposit request was sent (epoch ms). */
  readonly sentAt: ReadonlyMap<string, ReadonlyMap<number, number>>;
  readonly deposits: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly latencyMs: LatencySummary;
}

/**
 * An open loop: deposit `i` is due at start + i / rate, round-robin over the accounts, whether or
 * not earlier ones have been answered (up to MAX_DEPOSITS_IN_FLIGHT), so a slow server sees the
 * same offered load instead of a politely slower client.
 */
async function driveDeposits(driver: DepositDriver, owners: readonly Owner[], depositsPerSecond: number, seconds: number): Promise<DriveResult> {
  const total = Math.max(1, Math.round(depositsPerSecond * seconds));
  const intervalMs = 1000 / depositsPerSecond;
  const sentAt = new Map<string, Map<number, number>>(owners.map((owner) => [owner.accountId, new Map<number, number>()]));
  const inFlight = new Set<Promise<void>>();
  const latencies: number[] = [];
  const errorSamples = new Set<string>();
  let deposits = 0;
  let errors = 0;
  const startedAtMs = epochMs();
  for (let index = 0; index < total; index += 1) {
    const wait = startedAtMs + index * intervalMs - epochMs();
    if (wait > 0) await sleep(wait);
    while (inFlight.size >= MAX_DEPOSITS_IN_FLIGHT) await Promise.race(inFlight);
    const owner = owners[index % owners.length] as Owner;
    const sentAtMs = epochMs();
    const request: Promise<void> = driver
      .deposit(owner)
      .then(({ outcome, version }) => {
        latencies.push(epochMs() - sentAtMs);
        if (version !== null) {
          deposits += 1;
          sentAt.get(owner.accountId)?.set(version, sentAtMs);
        } else {
          errors += 1;
          errorSamples.add(outcome.kind === 'typed' ? outcome.code : outcome.kind === 'unexpected' ? outcome.reason : outcome.kind === 'batch' ? 'a batch' : 'no version');
        }
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  return { sentAt, deposits, errors, errorSamples: [...errorSamples], startedAtMs, finishedAtMs: epochMs(), latencyMs: summarise(latencies) };
}

function loaderCpuSeconds(workers: readonly SocketWorker[]): number | null {
  const seconds = workers.map((worker) => worker.cpuSeconds());
  return seconds.every((value) => value !== null) ? sumOf(seconds, (value) => value ?? 0) : null;
}

async function statusOf(workers: readonly SocketWorker[], afterVersions: Readonly<Record<string, number>>) {
  const statuses = await Promise.all(workers.map((worker) => worker.request('status', { afterVersions }, STATUS_TIMEOUT_MS)));
  return {
    live: sumOf(statuses, (status) => status.live),
    arrivalsAfter: sumOf(statuses, (status) => status.arrivalsAfter),
    problems: mergeProblems(statuses.map((status) => status.problems)),
  };
}

/**
 * Probe rounds until every socket has received an update, which proves its subscription is live
 * on the server (from then on, versions arrive gap-free). Returns the rounds it took.
 */
async function waitUntilLive(workers: readonly SocketWorker[], driver: DepositDriver, owners: readonly Owner[], sockets: number): Promise<number> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  let rounds = 0;
  let live = 0;
  while (performance.now() < deadline) {
    rounds += 1;
    const probes = await Promise.all(owners.map((owner) => driver.deposit(owner)));
    const failed = probes.find((probe) => probe.version === null);
    if (failed) throw new Error(`a readiness deposit failed: ${JSON.stringify(failed.outcome)}`);
    const roundEnd = Math.min(deadline, performance.now() + PROBE_ROUND_MS);
    do {
      live = (await statusOf(workers, {})).live;
      if (live === sockets) return rounds;
      await sleep(STATUS_POLL_MS);
    } while (performance.now() < roundEnd);
  }
  throw new Error(`only ${live} of ${sockets} sockets received an update within ${READY_TIMEOUT_MS / 1000} s of probes`);
}

/** Polls until the sockets received as many measured updates as expected, or the drain times out. */
async function drain(workers: readonly SocketWorker[], afterVersions: Readonly<Record<string, number>>, expected: number): Promise<void> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if ((await statusOf(workers, afterVersions)).arrivalsAfter >= expected) return;
    await sleep(STATUS_POLL_MS);
  }
}

function windowsOf(owners: readonly Owner[], afterVersions: Readonly<Record<string, number>>, driver: DepositDriver, drive: DriveResult): AccountWindow[] {
  return owners.map((owner) => {
    const afterVersion = afterVersions[owner.accountId] ?? 0;
    const lastVersion = driver.versionOf(owner.accountId);
    const sent = drive.sentAt.get(owner.accountId);
    const sentAtMs = Array.from({ length: lastVersion - afterVersion }, (_, offset) => sent?.get(afterVersion + offset + 1) ?? Number.NaN);
    return { accountId: owner.accountId, afterVersion, lastVersion, sentAtMs };
  });
}

interface PhaseContext {
  readonly server: ServerProcess;
  readonly driver: DepositDriver;
  readonly owners: readonly Owner[];
  readonly sessions: Sessions;
  readonly settings: FanoutSettings;
  /** The longest a phase may take: every socket's token must outlive it. */
  readonly phaseBudgetMs: number;
  /** Workers alive right now, so an abort can kill them. */
  readonly liveWorkers: Set<SocketWorker>;
}

/** Socket i watches account i mod 10 with its owner's token: the sockets of one owner share a token. */
async function assignments(context: PhaseContext, sockets: number): Promise<SocketAssignment[]> {
  const tokens = new Map<string, string>();
  for (const owner of context.owners) tokens.set(owner.accountId, await context.sessions.tokenFor(owner.username, context.phaseBudgetMs));
  return Array.from({ length: sockets }, (_, index) => {
    const owner = context.owners[index % context.owners.length] as Owner;
    return { accountId: owner.accountId, accessToken: tokens.get(owner.accountId) ?? '' };
  });
}

async function runPhase(context: PhaseContext, sockets: number): Promise<FanoutPhase> {
  const { server, driver, owners, settings } = context;
  const workerCount = Math.min(MAX_WORKERS, Math.ceil(sockets / SOCKETS_PER_WORKER));
  const all = await assignments(context, sockets);
  const shares = Array.from({ length: workerCount }, (_, worker) => all.filter((_, index) => index % workerCount === worker));
  const workers = shares.map(() => SocketWorker.start());
  for (const worker of workers) context.liveWorkers.add(worker);
  try {
    const url = new URL('/graphql', server.url);
    url.protocol = 'ws:';
    const connectStarted = performance.now();
    const opened = await Promise.all(workers.map((worker, index) => worker.request('open', { url: url.toString(), sockets: shares[index] ?? [] }, OPEN_TIMEOUT_MS)));
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const failed = sumOf(opened, (report) => report.failed);
    if (failed > 0) {
      const samples = [...new Set(opened.flatMap((report) => report.failureSamples))].join('; ');
      return { sockets, failure: `${failed} of ${sockets} sockets failed to connect: ${samples}` };
    }
    progress(`fan-out N=${sockets}: ${sockets} sockets connected in ${connectSeconds.toFixed(1)} s over ${workerCount} worker process(es)`);
    const probeRounds = await waitUntilLive(workers, driver, owners, sockets);

    const afterVersions = Object.fromEntries(owners.map((owner) => [owner.accountId, driver.versionOf(owner.accountId)]));
    const windowStartedMs = performance.now();
    const cpuBefore = server.cpuSeconds();
    const loaderCpuBefore = loaderCpuSeconds(workers);
    const drive = await driveDeposits(driver, owners, settings.depositsPerSecond, settings.seconds);
    const windows = windowsOf(owners, afterVersions, driver, drive);
    const socketsPerAccount = new Map<string, number>();
    for (const assignment of all) socketsPerAccount.set(assignment.accountId, (socketsPerAccount.get(assignment.accountId) ?? 0) + 1);
    const expectedArrivals = sumOf(windows, (window) => (window.lastVersion - window.afterVersion) * (socketsPerAccount.get(window.accountId) ?? 0));
    await drain(workers, afterVersions, expectedArrivals);
    const cpuAfter = server.cpuSeconds();
    const loaderCpuAfter = loaderCpuSeconds(workers);
    const windowSeconds = (performance.now() - windowStartedMs) / 1000;
    const residentBytes = server.residentBytes();
    const tallies: DeliveryTally[] = await Promise.all(workers.map((worker) => worker.request('collect', { windows }, COLLECT_TIMEOUT_MS)));
    const tally = mergeTallies(tallies);

    const lastReceivedAtMs = tally.lastReceivedAtMs || drive.finishedAtMs;
    const deliverySeconds = (Math.max(lastReceivedAtMs, drive.finishedAtMs) - drive.startedAtMs) / 1000;
    return {
      sockets,
      workers: workerCount,
      connectSeconds,
      probeRounds,
      targetDepositsPerSecond: settings.depositsPerSecond,
      deposits: drive.deposits,
      depositErrors: drive.errors,
      depositErrorSamples: drive.errorSamples,
      depositsPerSecond: drive.deposits / ((drive.finishedAtMs - drive.startedAtMs) / 1000),
      depositLatencyMs: drive.latencyMs,
      deliverySeconds,
      deliveriesPerSecond: tally.delivered / deliverySeconds,
      drainMs: Math.max(0, lastReceivedAtMs - drive.finishedAtMs),
      expected: tally.expected,
      delivered: tally.delivered,
      duplicates: tally.duplicates,
      outOfOrder: tally.outOfOrder,
      missing: tally.missing,
      untimed: tally.untimed,
      latencyMs: summarise(Array.from(tally.latenciesMs)),
      serverCpuUsPerDelivery:
        cpuBefore !== null && cpuAfter !== null && tally.delivered > 0 ? ((cpuAfter - cpuBefore) * 1_000_000) / tally.delivered : null,
      serverCores: cpuBefore !== null && cpuAfter !== null ? (cpuAfter - cpuBefore) / windowSeconds : null,
      loaderCores: loaderCpuBefore !== null && loaderCpuAfter !== null ? (loaderCpuAfter - loaderCpuBefore) / windowSeconds : null,
      offeredDeliveriesPerSecond: (settings.depositsPerSecond * sockets) / owners.length,
      serverResidentMb: residentBytes === null ? null : residentBytes / (1024 * 1024),
      problems: tally.problems,
    };
  } catch (error) {
    return { sockets, failure: error instanceof Error ? error.message : String(error) };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    for (const worker of workers) context.liveWorkers.delete(worker);
  }
}

function describePhase(phase: FanoutPhase): string {
  if (!isMeasured(phase)) return `fan-out N=${phase.sockets}: FAILED: ${phase.failure}`;
  return (
    `fan-out N=${phase.sockets}: ${phase.deposits} deposits (${phase.depositsPerSecond.toFixed(1)}/s), ` +
    `${phase.delivered}/${phase.expected} delivered (${phase.deliveriesPerSecond.toFixed(0)}/s), ` +
    `p50 ${phase.latencyMs.p50.toFixed(1)} ms, p99 ${phase.latencyMs.p99.toFixed(1)} ms, ` +
    `missing ${phase.missing}, duplicates ${phase.duplicates}, out of order ${phase.outOfOrder}`
  );
}

function fanoutTable(phases: readonly FanoutPhase[]): string {
  const header = ['fan-out', 'sockets', 'deposits/s', 'deliveries/s', 'expected', 'delivered', 'p50 ms', 'p99 ms', 'missing', 'duplicates', 'out of order'];
  const label = `${FANOUT_ACCOUNTS} accounts`;
  const rows = phases.map((phase) =>
    isMeasured(phase)
      ? [
          label,
          String(phase.sockets),
          formatNumber(phase.depositsPerSecond, 1),
          formatNumber(phase.deliveriesPerSecond, 0),
          String(phase.expected),
          String(phase.delivered),
          formatNumber(phase.latencyMs.p50, 1),
          formatNumber(phase.latencyMs.p99, 1),
          String(phase.missing),
          String(phase.duplicates),
          String(phase.outOfOrder),
        ]
      : [label, String(phase.sockets), 'FAILED', '-', '-', '-', '-', '-', '-', '-', '-'],
  );
  return renderTable(header, rows);
}

function phaseDetails(phase: FanoutPhase): string[] {
  if (!isMeasured(phase)) return [`  N=${phase.sockets}: ${phase.failure}`];
  const lines = [
    `  N=${phase.sockets}: ${phase.workers} socket worker(s), connected in ${phase.connectSeconds.toFixed(1)} s, live after ${phase.probeRounds} probe round(s); ` +
      `deposit answer p50 ${phase.depositLatencyMs.p50.toFixed(1)} ms p99 ${phase.depositLatencyMs.p99.toFixed(1)} ms; ` +
      `last update ${phase.drainMs.toFixed(0)} ms after the last deposit answer; ` +
      `server ${formatCores(phase.serverCores)} cores, ${phase.serverCpuUsPerDelivery === null ? '-' : phase.serverCpuUsPerDelivery.toFixed(1)} cpu µs/delivery, ` +
      `rss ${phase.serverResidentMb === null ? '-' : phase.serverResidentMb.toFixed(0)} MB; socket workers ${formatCores(phase.loaderCores)} cores`,
  ];
  if (isSaturated(phase)) {
    lines.push(
      `  N=${phase.sockets}: SATURATED: offered ${phase.targetDepositsPerSecond} deposits/s = ${phase.offeredDeliveriesPerSecond.toFixed(0)} deliveries/s, ` +
        `achieved ${phase.depositsPerSecond.toFixed(1)} deposits/s and ${phase.deliveriesPerSecond.toFixed(0)} deliveries/s; ` +
        `its latencies are mostly queueing (lower BENCH_FANOUT_DEPOSITS_PER_SECOND to measure the unloaded path)`,
    );
  }
  if (phase.depositErrors > 0) lines.push(`  N=${phase.sockets}: ${phase.depositErrors} deposits failed: ${phase.depositErrorSamples.join('; ')}`);
  if (phase.untimed > 0) lines.push(`  N=${phase.sockets}: ${phase.untimed} deliveries of deposits whose answer was lost (not in the latencies)`);
  const { closedUnexpectedly, subscriptionErrors, samples } = phase.problems;
  if (closedUnexpectedly + subscriptionErrors > 0) {
    lines.push(`  N=${phase.sockets}: ${closedUnexpectedly} sockets closed unexpectedly, ${subscriptionErrors} subscription errors: ${samples.join('; ')}`);
  }
  return lines;
}

function formatCores(cores: number | null): string {
  return cores === null ? '-' : cores.toFixed(2);
}

function isSaturated(phase: MeasuredFanout): boolean {
  return (
    phase.depositsPerSecond < SATURATION_SHARE * phase.targetDepositsPerSecond ||
    phase.deliveriesPerSecond < SATURATION_SHARE * phase.offeredDeliveriesPerSecond
  );
}

function phaseIsClean(phase: FanoutPhase): boolean {
  return (
    isMeasured(phase) &&
    phase.missing === 0 &&
    phase.duplicates === 0 &&
    phase.outOfOrder === 0 &&
    phase.depositErrors === 0 &&
    phase.problems.closedUnexpectedly === 0 &&
    phase.problems.subscriptionErrors === 0
  );
}

/** Ten owners with one account each, opened through the API (the first also creates the bank's internal accounts). */
async function setUpOwners(server: ServerProcess, databaseUrl: string, sessions: Sessions): Promise<Owner[]> {
  const usernames = Array.from({ length: FANOUT_ACCOUNTS }, (_, index) => `fanout-user-${String(index).padStart(2, '0')}`);
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  await insertUsers(databaseUrl, usernames, passwordHash);
  await insertUsers(databaseUrl, usernames.map(cashServiceOf), passwordHash, { cashService: true });
  const client = new GraphQLClient(server.url, 1, REQUEST_TIMEOUT_MS);
  const owners: Owner[] = [];
  try {
    // One at a time: the first opening creates the internal accounts the others then find.
    for (const username of usernames) owners.push({ username, accountId: await openAccount(client, await sessions.tokenFor(username), CURRENCY) });
  } finally {
    client.close();
  }
  return owners;
}

/** The per-user subscription cap the server needs: the most sockets one owner holds in any phase. */
function subscriptionsPerOwner(socketCounts: readonly number[]): number {
  return Math.min(MAX_SUBSCRIPTIONS_PER_USER, Math.max(1, ...socketCounts.map((sockets) => Math.ceil(sockets / FANOUT_ACCOUNTS))));
}

/** The fan-out scenario, start to report; returns the exit code it asks for. */
export async function runFanoutScenario(settings: BenchSettings, repositoryRoot: string): Promise<number> {
  const fanout = settings.fanout;
  const [loadAverageAtStart = 0] = loadavg();
  const capacity = socketCapacity();
  const sizes = fanout.subscriberCounts.map((requested) => ({ requested, sockets: Math.min(requested, capacity.sockets) }));
  const capped = sizes.filter((size) => size.sockets < size.requested);
  progress(
    `fan-out: ${sizes.map((size) => size.sockets).join(', ')} sockets over ${FANOUT_ACCOUNTS} accounts, ` +
      `${fanout.depositsPerSecond} deposits/s for ${fanout.seconds} s per size; ${capacity.note}`,
  );
  for (const size of capped) progress(`fan-out: NOTE ${size.requested} sockets requested, capped to ${size.sockets} (${capacity.note})`);

  const databaseUrl = databaseUrlFor(settings.adminDatabaseUrl, settings.databaseName);
  await recreateDatabase(settings.adminDatabaseUrl, settings.databaseName);
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      repositoryRoot,
      databaseUrl,
      // Each worker holds a pool of its own: together they take no more connections than one server.
      poolSize: Math.max(MIN_POOL_PER_WORKER, Math.ceil(settings.serverPoolSize / fanout.serverWorkers)),
      readyTimeoutMs: SERVER_READY_TIMEOUT_MS,
      environment: {
        REDIS_URL: settings.redisUrl,
        ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS),
        RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0',
        // Every socket of an owner is one of the owner's subscriptions: 10,000 sockets are 1,000
        // per owner, over the default cap of 100 per user (which refused nine in ten of them).
        MAX_SUBSCRIPTIONS_PER_USER: String(subscriptionsPerOwner(sizes.map((size) => size.sockets))),
        WEB_CONCURRENCY: String(fanout.serverWorkers),
      },
    });
  } catch (error) {
    await dropDatabase(settings.adminDatabaseUrl, settings.databaseName).catch(() => undefined);
    throw error;
  }
  progress(
    `fan-out: server ready at ${server.url.origin} (own process, ${fanout.serverWorkers} worker process(es) on its port, Redis event bus at ${settings.redisUrl})`,
  );

  const liveWorkers = new Set<SocketWorker>();
  const phaseBudgetMs = OPEN_TIMEOUT_MS + READY_TIMEOUT_MS + fanout.seconds * 1000 + REQUEST_TIMEOUT_MS + DRAIN_TIMEOUT_MS + COLLECT_TIMEOUT_MS + CLOSE_BUDGET_MS;
  const budgetMs = SETUP_BUDGET_MS + sizes.length * phaseBudgetMs + TEARDOWN_BUDGET_MS;
  let owners: Owner[] = [];
  const guard = guardRun({
    budgetMs,
    killNow: () => {
      for (const worker of liveWorkers) worker.killNow();
      server.killNow();
    },
    cleanUp: async () => {
      await dropDatabase(settings.adminDatabaseUrl, settings.databaseName);
      await clearBalanceCache(settings.redisUrl, owners.map((owner) => owner.accountId));
    },
  });

  const loginClient = new GraphQLClient(server.url, LOGIN_CLIENTS, REQUEST_TIMEOUT_MS);
  const depositClient = new GraphQLClient(server.url, MAX_DEPOSITS_IN_FLIGHT, REQUEST_TIMEOUT_MS);
  const sessions = new Sessions(loginClient, BENCH_PASSWORD);
  const driver = new DepositDriver(depositClient, sessions);
  const phases: FanoutPhase[] = [];
  let broken: string[];
  let serverLogLines: number;
  let cacheEntriesRemoved = 0;
  try {
    owners = await setUpOwners(server, databaseUrl, sessions);
    progress(`fan-out: ${owners.length} owners signed in (tokens valid ${ACCESS_TOKEN_TTL_SECONDS} s), one account each`);
    const context: PhaseContext = { server, driver, owners, sessions, settings: fanout, phaseBudgetMs, liveWorkers };
    for (const size of sizes) {
      const phase = await runPhase(context, size.sockets);
      phases.push(phase);
      progress(describePhase(phase));
    }
    depositClient.close();
    // Stopped first, so nothing is in flight while the database is checked.
    await server.stop();
    serverLogLines = server.logLineCount();
    broken = await brokenLaws(databaseUrl, driver.acknowledged);
    progress(broken.length === 0 ? `ledger laws hold; ${driver.acknowledged} deposits stored, one per acknowledged success` : 'ledger laws BROKEN');
  } catch (error) {
    process.stderr.write(`bench: server output (tail):\n${server.logTail()}\n`);
    throw error;
  } finally {
    loginClient.close();
    depositClient.close();
    try {
      for (const worker of liveWorkers) worker.killNow();
      await server.stop();
      await dropDatabase(settings.adminDatabaseUrl, settings.databaseName);
      cacheEntriesRemoved = await clearBalanceCache(settings.redisUrl, owners.map((owner) => owner.accountId)).catch(() => 0);
    } finally {
      guard.release();
    }
  }
  progress(`fan-out: server stopped, bench database dropped, ${cacheEntriesRemoved} cached balances removed from Redis`);

  const lines = ['', fanoutTable(phases), ...phases.flatMap(phaseDetails)];
  lines.push(
    `deposits/s: acknowledged deposits per second of driving (target ${fanout.depositsPerSecond}/s, round-robin over ${FANOUT_ACCOUNTS} accounts, ` +
      `each delivered to every socket on its account); deliveries/s: distinct updates received by all sockets from the first measured ` +
      `deposit sent to the last update received; latency: deposit request sent to update received, per socket and version`,
  );
  for (const size of capped) lines.push(`NOTE: ${size.requested} sockets requested, capped to ${size.sockets}: ${capacity.note}`);
  lines.push(`server: ${fanout.serverWorkers} worker process(es) behind one port (BENCH_SERVER_WORKERS, WEB_CONCURRENCY); cpu and rss summed over them`);
  lines.push(`server log lines at warn or above: ${serverLogLines}`);
  if (serverLogLines > 0) lines.push(`server output (tail):\n${server.logTail()}`);
  lines.push(
    `machine: ${availableParallelism()} cores shared by the server, PostgreSQL, Redis and the socket workers; ` +
      `1-minute load average ${loadAverageAtStart.toFixed(2)} at start`,
  );
  lines.push(broken.length === 0 ? 'ledger laws: all hold' : `ledger laws broken:\n  ${broken.join('\n  ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);

  mkdirSync(dirname(fanout.resultsFile), { recursive: true });
  writeFileSync(
    fanout.resultsFile,
    `${JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        accounts: FANOUT_ACCOUNTS,
        seconds: fanout.seconds,
        targetDepositsPerSecond: fanout.depositsPerSecond,
        serverWorkers: fanout.serverWorkers,
        capacity,
        machine: { cores: availableParallelism(), loadAverageAtStart },
        phases,
        serverLogLines,
        brokenLaws: broken,
      },
      null,
      2,
    )}\n`,
  );
  progress(`fan-out results written to ${fanout.resultsFile}`);
  return phases.every(phaseIsClean) && broken.length === 0 ? 0 : 1;
}
