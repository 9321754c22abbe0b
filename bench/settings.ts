import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_ACCOUNTS_PER_USER } from '../src/ledger/limits.js';

/**
 * What `npm run bench` measures and where, read from the environment once. Every number is a
 * named constant with the reason for its value; only the few knobs worth turning are variables.
 */

/** The local PostgreSQL as this machine kind starts it (root, trust auth). */
const DEFAULT_ADMIN_DATABASE_URL = 'postgres://root@127.0.0.1:5432/postgres';

/** Long enough for a stable rate on two cores, short enough that three phases fit in a minute. */
const DEFAULT_PHASE_SECONDS = 15;
/** Above ten minutes per phase the run stops being a quick check; cap it so the run is bounded. */
const MAX_PHASE_SECONDS = 600;

/** One client shows the latency floor; 32 and 64 show whether throughput scales with concurrency. */
const DEFAULT_CLIENT_COUNTS = [1, 32, 64] as const;
/** The server's pool is sized to the largest phase, and PostgreSQL allows 100 connections here. */
const MAX_CLIENTS = 64;

/** 10,000 accounts, whoever holds them: the spread issue 11 compares a hot account with. */
export const ACCOUNT_COUNT = 10_000;
/**
 * 100 users x 100 accounts by default, at (not over) the ledger's per-customer limit: every bench
 * customer then moves money several times a second, far busier than a bank's customers, and the
 * risk step's facts (a customer's lines of the week) grow with that. BENCH_USERS (a divisor of
 * 10,000, at least 100) spreads the same accounts over more customers, e.g. 1,000 x 10, to price
 * the step for a less busy population; setup signs each of them (and a cash service each) in.
 */
// Read at import, not in readSettings: the population is a module constant that setup, the mixes
// and the report all import, as it was before it could be set.
export const USER_COUNT = benchUsers(process.env.BENCH_USERS);
export const ACCOUNTS_PER_USER = ACCOUNT_COUNT / USER_COUNT;

function benchUsers(text: string | undefined): number {
  if (!text) return ACCOUNT_COUNT / MAX_ACCOUNTS_PER_USER;
  const users = Number(text);
  if (!Number.isInteger(users) || users < ACCOUNT_COUNT / MAX_ACCOUNTS_PER_USER || ACCOUNT_COUNT % users !== 0) {
    throw new Error(`BENCH_USERS must divide ${ACCOUNT_COUNT} and be at least ${ACCOUNT_COUNT / MAX_ACCOUNTS_PER_USER}, got "${text}"`);
  }
  return users;
}
export const CURRENCY = 'USD';

/** Every bench user shares one password, hashed once: argon2 per user would dominate the setup. */
export const BENCH_PASSWORD = 'bench-password-not-a-secret';

/**
 * Each account opens with 1,000.00 USD and movements are at most 5.00, so even an account picked
 * hundreds of times as a source keeps enough funds: INSUFFICIENT_FUNDS should not appear at all.
 */
export const OPENING_BALANCE_MINOR = 100_000;
export const MAX_MOVEMENT_MINOR = 500;

/** Half deposits (customer + internal vault entry), half transfers (two locked customer rows). */
export const DEPOSIT_SHARE = 0.5;

/**
 * Unmeasured load at the largest concurrency before the first phase: the server's JIT, its pool
 * connections and PostgreSQL's caches warm up, so the 1-client phase is not penalised for going first.
 */
export const WARMUP_SECONDS = 5;
/** Logins are argon2 verifications on the server's two cores; more in flight only queue. */
export const LOGIN_CLIENTS = 4;

/** A request slower than this is counted as a failure, so a stuck server cannot stall the run. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** First start applies the migrations and loads tsx; a minute is far above the usual few seconds. */
export const SERVER_READY_TIMEOUT_MS = 60_000;

/** The pgbench ceiling: 8 clients for 10 s per script, as the team compares against it. */
export const CEILING_CLIENTS = 8;
export const CEILING_SECONDS = 10;
/** The team's shared ceiling script, beside the project: `../shared/perf/ceiling.sh` from its root. */
const DEFAULT_CEILING_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'perf', 'ceiling.sh');

/** The scenarios `npm run bench` knows, in the order they run; BENCH_SCENARIOS picks some. */
export const SCENARIOS = ['movements', 'fanout', 'holds', 'batches', 'hot', 'risk'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/**
 * What runs when BENCH_SCENARIOS is not set: the two the team compares across sessions. The card
 * holds mix (bench/holds-scenario.ts) repeats the movements setup and ceiling, so it runs when named.
 */
const DEFAULT_SCENARIOS: readonly ScenarioName[] = ['movements', 'fanout'];

/** The three sizes: a hundred, a thousand and ten thousand sockets on one account set. */
const DEFAULT_SUBSCRIBER_COUNTS = [100, 1_000, 10_000] as const;
/**
 * Beyond this one server process would need more descriptors than this machine's limit (20,000)
 * allows; the scenario also caps each size to the limit it finds at run time.
 */
const MAX_SUBSCRIBERS = 20_000;
/** Ten seconds of steady deposits: a hundred updates per account, enough for a stable p99. */
const DEFAULT_FANOUT_SECONDS = 10;
/**
 * Deposits per second across the account set, the same at every size so that only the fan-out
 * changes: at 10,000 sockets over 10 accounts each deposit is 1,000 deliveries, so 20/s asks
 * the server for 20,000 deliveries a second, about what one Node process on this box can send.
 */
const DEFAULT_FANOUT_DEPOSITS_PER_SECOND = 20;
/** Far above what the ledger commits on two cores; only a typo goes past it. */
const MAX_FANOUT_DEPOSITS_PER_SECOND = 5_000;
/**
 * The fan-out server runs one worker per core of this two-core box (WEB_CONCURRENCY=2): sending
 * to ten thousand sockets is the server's CPU, and one process uses one core.
 */
const DEFAULT_FANOUT_SERVER_WORKERS = 2;
/** src/config.ts's limit for WEB_CONCURRENCY. */
const MAX_SERVER_WORKERS = 64;
/** A window longer than a minute would leave a phase with one or two of them: nothing to compare. */
const MAX_SEALER_WINDOW_MS = 60_000;
/** The risk scenario's pairs per concurrency: two, because back-to-back runs here differ by 10-25%. */
const DEFAULT_RISK_ROUNDS = 2;
/** Each round is two phases and two server restarts: twenty rounds of 15 s phases is already ~15 minutes per concurrency. */
const MAX_RISK_ROUNDS = 20;
/**
 * The risk scenario's windows (bench/risk-windows.ts): two seconds is a few hundred movements at 32
 * clients here, long enough that a switch's spill (the requests in flight) is a small part of a
 * window, short enough for tens of windows a phase.
 */
const DEFAULT_RISK_WINDOW_MS = 2_000;
/** A window longer than a minute would leave a phase with one or two of them: nothing to compare. */
const MAX_RISK_WINDOW_MS = 60_000;
/** The local Redis as this machine kind starts it; live balances need a real bus across processes. */
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface BenchSettings {
  readonly adminDatabaseUrl: string;
  readonly databaseName: string;
  readonly phaseSeconds: number;
  readonly clientCounts: readonly number[];
  readonly serverPoolSize: number;
  readonly ceilingScript: string;
  readonly resultsFile: string;
  readonly scenarios: readonly ScenarioName[];
  /** Both scenarios run the server with Redis, as production does (event bus, balance cache). */
  readonly redisUrl: string;
  /** BENCH_RISK=on runs the movements with the risk step (RISK_RULES=on, two built-ins raised: database.ts raiseBenchRiskThresholds). */
  readonly risk: boolean;
  /** BENCH_RISK_ROUNDS: the risk scenario's pairs per concurrency, even so that its mirrored pairs cancel (bench/risk-pairs.ts riskPairOrder). */
  readonly riskRounds: number;
  /**
   * BENCH_RISK_WINDOW_MS: the risk scenario's windows inside one phase, both servers running
   * (bench/risk-windows.ts; default 2,000); 0 runs restarted pairs of phases instead (bench/risk-pairs.ts).
   */
  readonly riskWindowMs: number;
  /**
   * BENCH_GROUP_COMMIT=off runs the server with GROUP_COMMIT=off (on by default, as the server's own default: src/ledger/commands/group-commit.ts);
   * BENCH_GROUP_COMMIT_WINDOW_MS and BENCH_GROUP_COMMIT_MAX become its GROUP_COMMIT_WINDOW_MS and
   * GROUP_COMMIT_MAX. The variables the server gets, reported with the run.
   */
  readonly groupCommit: Readonly<Record<string, string>>;
  /** BENCH_JOURNAL_SEALER=off runs the server with JOURNAL_SEALER=off: the A/B of the journal sealer's cost (issue 10 §3). */
  readonly journalSealer: boolean;
  /**
   * BENCH_JOURNAL_TRIGGERS=off disables the journal's record triggers in the bench database before
   * the setup (database.ts disableJournalTriggers): the cost of writing the records themselves,
   * against a run with them on and the sealer off. Never a production setting: nothing is journaled.
   */
  readonly journalTriggers: boolean;
  /**
   * BENCH_SEALER_WINDOWS_MS: each measured phase alternates windows of this length with the journal
   * sealer running and paused (bench/sealer-windows.ts) and reports both rates; undefined: not done.
   */
  readonly sealerWindowMs: number | undefined;
  /** BENCH_RISK_LINES=off (risk off only) disables the risk_lines trigger: the baseline for the risk step's whole cost (database.ts disableRiskLines). */
  readonly riskLines: boolean;
  readonly fanout: FanoutSettings;
}

export interface FanoutSettings {
  /** Socket counts, one measured phase each. */
  readonly subscriberCounts: readonly number[];
  readonly seconds: number;
  readonly depositsPerSecond: number;
  /** BENCH_SERVER_WORKERS: the fan-out server's WEB_CONCURRENCY (processes sharing its port). */
  readonly serverWorkers: number;
  readonly resultsFile: string;
}

function positiveInteger(name: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new Error(`${name} must be a whole number from 1 to ${max}, got "${text}"`);
  }
  return Number(text);
}

export function readSettings(environment: NodeJS.ProcessEnv): BenchSettings {
  if (environment.BENCH_SEALER_WINDOWS_MS && environment.BENCH_JOURNAL_SEALER === 'off') throw new Error('BENCH_SEALER_WINDOWS_MS pauses and runs the journal sealer: it needs BENCH_JOURNAL_SEALER on');
  const phaseSeconds = environment.BENCH_SECONDS
    ? positiveInteger('BENCH_SECONDS', environment.BENCH_SECONDS, MAX_PHASE_SECONDS)
    : DEFAULT_PHASE_SECONDS;
  const clientCounts = environment.BENCH_CLIENTS
    ? environment.BENCH_CLIENTS.split(',').map((part) => positiveInteger('BENCH_CLIENTS', part.trim(), MAX_CLIENTS))
    : [...DEFAULT_CLIENT_COUNTS];
  const scenarios = environment.BENCH_SCENARIOS
    ? environment.BENCH_SCENARIOS.split(',').map((part) => scenarioName(part.trim()))
    : [...DEFAULT_SCENARIOS];
  const resultsFile = environment.BENCH_RESULTS_FILE || join(tmpdir(), 'tally-bench', 'latest.json');
  return {
    adminDatabaseUrl: environment.BENCH_DATABASE_URL || DEFAULT_ADMIN_DATABASE_URL,
    // A name of its own lets two work trees bench on one PostgreSQL without dropping each other's database.
    databaseName: environment.BENCH_DATABASE_NAME || 'tally_bench',
    phaseSeconds,
    clientCounts,
    // BENCH_POOL_SIZE: fewer, when other work on a shared PostgreSQL holds most of its 100 connections.
    serverPoolSize: environment.BENCH_POOL_SIZE ? positiveInteger('BENCH_POOL_SIZE', environment.BENCH_POOL_SIZE, MAX_CLIENTS) : MAX_CLIENTS,
    ceilingScript: environment.BENCH_CEILING_SCRIPT || DEFAULT_CEILING_SCRIPT,
    resultsFile,
    // Always in SCENARIOS order, each once, whatever order the variable names them in.
    scenarios: SCENARIOS.filter((name) => scenarios.includes(name)),
    redisUrl: environment.BENCH_REDIS_URL || DEFAULT_REDIS_URL,
    risk: environment.BENCH_RISK === 'on',
    riskRounds: environment.BENCH_RISK_ROUNDS ? riskRounds(environment.BENCH_RISK_ROUNDS) : DEFAULT_RISK_ROUNDS,
    riskWindowMs: environment.BENCH_RISK_WINDOW_MS === '0' ? 0 : environment.BENCH_RISK_WINDOW_MS ? positiveInteger('BENCH_RISK_WINDOW_MS', environment.BENCH_RISK_WINDOW_MS, MAX_RISK_WINDOW_MS) : DEFAULT_RISK_WINDOW_MS,
    groupCommit: groupCommitEnvironment(environment),
    // JOURNAL_SEALER set for the bench itself still counts (the server's own variable, as before the knob).
    journalSealer: onOff('BENCH_JOURNAL_SEALER', environment.BENCH_JOURNAL_SEALER || environment.JOURNAL_SEALER),
    journalTriggers: onOff('BENCH_JOURNAL_TRIGGERS', environment.BENCH_JOURNAL_TRIGGERS),
    sealerWindowMs: environment.BENCH_SEALER_WINDOWS_MS ? positiveInteger('BENCH_SEALER_WINDOWS_MS', environment.BENCH_SEALER_WINDOWS_MS, MAX_SEALER_WINDOW_MS) : undefined,
    riskLines: riskLinesSetting(environment),
    fanout: {
      subscriberCounts: environment.BENCH_SUBSCRIBERS
        ? environment.BENCH_SUBSCRIBERS.split(',').map((part) => positiveInteger('BENCH_SUBSCRIBERS', part.trim(), MAX_SUBSCRIBERS))
        : [...DEFAULT_SUBSCRIBER_COUNTS],
      seconds: environment.BENCH_FANOUT_SECONDS
        ? positiveInteger('BENCH_FANOUT_SECONDS', environment.BENCH_FANOUT_SECONDS, MAX_PHASE_SECONDS)
        : DEFAULT_FANOUT_SECONDS,
      depositsPerSecond: environment.BENCH_FANOUT_DEPOSITS_PER_SECOND
        ? positiveInteger('BENCH_FANOUT_DEPOSITS_PER_SECOND', environment.BENCH_FANOUT_DEPOSITS_PER_SECOND, MAX_FANOUT_DEPOSITS_PER_SECOND)
        : DEFAULT_FANOUT_DEPOSITS_PER_SECOND,
      serverWorkers: environment.BENCH_SERVER_WORKERS
        ? positiveInteger('BENCH_SERVER_WORKERS', environment.BENCH_SERVER_WORKERS, MAX_SERVER_WORKERS)
        : DEFAULT_FANOUT_SERVER_WORKERS,
      // Beside the movements results: latest.json gives latest.fanout.json.
      resultsFile: resultsFile.replace(/(\.json)?$/, '.fanout.json'),
    },
  };
}

/** BENCH_RISK_LINES=off only beside a risk-off run: with the step on, its facts would miss the lines not copied. */
function riskRounds(text: string): number {
  const rounds = positiveInteger('BENCH_RISK_ROUNDS', text, MAX_RISK_ROUNDS);
  if (rounds % 2 !== 0) throw new Error(`BENCH_RISK_ROUNDS must be even (off-on and on-off pairs in turn), got "${text}"`);
  return rounds;
}

function riskLinesSetting(environment: NodeJS.ProcessEnv): boolean {
  const on = onOff('BENCH_RISK_LINES', environment.BENCH_RISK_LINES);
  if (!on && environment.BENCH_RISK === 'on') throw new Error('BENCH_RISK_LINES=off is the risk-off baseline; it cannot run with BENCH_RISK=on');
  if (!on && environment.BENCH_SCENARIOS?.split(',').some((name) => name.trim() === 'risk')) throw new Error('BENCH_RISK_LINES=off cannot run with BENCH_SCENARIOS=risk: its on-phases read the lines');
  return on;
}

/** The server's group commit variables from the bench's own (on unless BENCH_GROUP_COMMIT=off). */
function groupCommitEnvironment(environment: NodeJS.ProcessEnv): Record<string, string> {
  const on = environment.BENCH_GROUP_COMMIT !== 'off';
  if (on && environment.BENCH_GROUP_COMMIT && environment.BENCH_GROUP_COMMIT !== 'on') throw new Error(`BENCH_GROUP_COMMIT must be on or off, got "${environment.BENCH_GROUP_COMMIT}"`);
  const knobs = [
    ['BENCH_GROUP_COMMIT_WINDOW_MS', 'GROUP_COMMIT_WINDOW_MS'],
    ['BENCH_GROUP_COMMIT_MAX', 'GROUP_COMMIT_MAX'],
  ] as const;
  // The server validates the values (src/config.ts) and refuses to start on a bad one.
  return { GROUP_COMMIT: on ? 'on' : 'off', ...Object.fromEntries(knobs.flatMap(([bench, server]) => (on && environment[bench] ? [[server, environment[bench]]] : []))) };
}

/** A journal knob: on unless set to off; any other value is a typo worth stopping for. */
function onOff(name: string, text: string | undefined): boolean {
  if (text === undefined || text === '' || text === 'on') return true;
  if (text === 'off') return false;
  throw new Error(`${name} is on or off, got "${text}"`);
}

function scenarioName(text: string): ScenarioName {
  const known = SCENARIOS.find((name) => name === text);
  if (!known) throw new Error(`BENCH_SCENARIOS names some of ${SCENARIOS.join(', ')}, comma-separated; got "${text}"`);
  return known;
}
