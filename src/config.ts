import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { readAvailabilityPolicy } from './availability-config.js';
import type { AvailabilityPolicy } from './ledger/decide/availability-policy.js';
import { readDisputePolicy } from './dispute-config.js';
import { readReconciliationPolicy } from './reconciliation-config.js';
import { readRedisSentinel, type RedisSentinelSetting } from './redis-sentinel-config.js';
import type { ReconciliationPolicy } from './ledger/reconciliation/reconciliation-policy.js';
import type { DisputePolicy } from './ledger/disputes/dispute-policy.js';
import { DEFAULT_FEE_SCHEDULE, FEE_SHAPE, type FeeSchedule } from './ledger/decide/wire-fee.js';
import { isoExponent } from './ledger/money.js';
import { MAX_BATCH_ITEMS } from './ledger/limits.js';
import type { GroupCommitSettings } from './ledger/commands/group-commit.js';
import { DEFAULT_SEAL_BATCH, DEFAULT_SEAL_INTERVAL_MS } from './journal/sealing-pace.js';

/**
 * The process configuration, read from the environment once at start (API.md "Operating it").
 * Every value is validated here so that a typo stops the process with one line naming the
 * variable, instead of surfacing later as a confusing runtime failure.
 */
export interface Config {
  readonly port: number;
  /** Unset: embedded PGlite under `dataDirectory`. */
  readonly databaseUrl: string | undefined;
  /** Unset (and no REDIS_SENTINELS): in-process pub/sub. */
  readonly redisUrl: string | undefined;
  /** REDIS_SENTINELS and REDIS_SENTINEL_NAME: Redis through Sentinel (README "Redis high availability"); excludes REDIS_URL. */
  readonly redisSentinel: RedisSentinelSetting | undefined;
  readonly jwtSecret: string;
  /** Seals TOTP secrets at rest (AES-256-GCM); separate from JWT_SECRET so that one can rotate freely. */
  readonly encryptionKey: string;
  /** Lifetime of access tokens; 5 minutes by default (short enough that a leaked one soon dies). */
  readonly accessTokenTtlSeconds: number;
  /** Money-moving mutations per user per minute; 0 turns the limit off. */
  readonly movementsPerMinute: number;
  /** Failed logins per username per 15 minutes (and failed two-factor step-ups per user); 0 turns the limit off. */
  readonly loginFailuresPerUsername: number;
  /** Successful logins per user per 15 minutes (each writes a session and an audit row); 0 turns the limit off. */
  readonly loginSuccessesPerUser: number;
  readonly production: boolean;
  readonly graphiqlEnabled: boolean;
  readonly dataDirectory: string;
  readonly databasePoolSize: number;
  /** Longest a request waits for a pooled connection before it is answered SERVICE_UNAVAILABLE (retryable). */
  readonly databasePoolWaitMs: number;
  /** PostgreSQL statement_timeout for reads (every connection's default); money movements lift it in their own transaction. 0 = none. */
  readonly readStatementTimeoutMs: number;
  /** HTTP requests (GraphQL and REST) one user may have in flight in this process; the next is LIMIT_EXCEEDED. 0 = no cap. */
  readonly maxConcurrentRequestsPerUser: number;
  /** Query cost (src/transport/query-cost.ts) one user may run per second in this process; more waits its turn. 0 = no rate. */
  readonly queryCostPerUserPerSecond: number;
  /** Active subscriptions per WebSocket, and per user across this process's sockets. */
  readonly maxSubscriptionsPerSocket: number;
  readonly maxSubscriptionsPerUser: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Browser origins allowed to call /graphql and the REST doors (CORS); see src/transport/cors.ts. */
  readonly corsOrigins: readonly string[];
  /** Payee look-ups per user per hour: enough to pay people, too few to enumerate account numbers. */
  readonly payeeLookupsPerHour: number;
  /** When deposited funds become available, and the bank's business-day calendar (README "Funds availability (policy)"). */
  readonly availability: AvailabilityPolicy;
  /** Regulation E's dispute timelines (DISPUTE_*; README "Fraud review and disputes"). */
  readonly disputes: DisputePolicy;
  /** Matching strategies and the break SLA (RECONCILIATION_STRATEGIES, RECONCILIATION_SLA; README "Reconciliation"). */
  readonly reconciliation: ReconciliationPolicy;
  /** The bank's fees, in major units of each account's currency (WIRE_FEE). */
  readonly fees: FeeSchedule;
  /** RISK_RULES=off skips the risk step on every movement (load tests); on by default: the rules are the product. */
  readonly riskRules: boolean;
  /** REVIEW_TIMEOUT, seconds a risk review waits for a person before the system declines it (default 3 days). */
  readonly reviewTimeoutSeconds: number;
  /** METRICS_TOKEN: the bearer token `GET /metrics` asks for; unset, /metrics is not served (404). */
  readonly metricsToken: string | undefined;
  /** SHUTDOWN_TIMEOUT: seconds from SIGTERM to exit, whatever is still running then (default 20). */
  readonly shutdownTimeoutSeconds: number;
  /** SHUTDOWN_DRAIN_DELAY: seconds /readyz says 503 while requests are still served, before the port closes (default 0). */
  readonly shutdownDrainDelaySeconds: number;
  /** JOURNAL_SEALER=off stops this process's journal sealer (bench comparisons; another process may seal). On by default. */
  readonly journalSealer: boolean;
  /** JOURNAL_SEAL_INTERVAL_MS: how long a sealer waits between rounds once it has caught up (default 1,000; README "Auditing the journal"). */
  readonly journalSealIntervalMs: number;
  /** JOURNAL_SEAL_BATCH: records chained per sealing transaction at most (default 5,000). */
  readonly journalSealBatch: number;
  /**
   * WEB_CONCURRENCY: server processes sharing the port (Node cluster), 1 by default. Asked for;
   * src/server-workers.ts serves from one process when the setup cannot share (embedded database, no Redis).
   */
  readonly workers: number;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: where OTLP/HTTP traces go (README "Traces"); unset, nothing is traced. */
  readonly otlpEndpoint: string | undefined;
  /**
   * DATABASE_REPLICA_URLS: streaming replicas (hot standbys) of DATABASE_URL that history,
   * statements, reports and CACHED balances may read from (README "Read replicas"); empty: none.
   */
  readonly databaseReplicaUrls: readonly string[];
  /** DATABASE_REPLICA_MAX_LAG_SECONDS: a replica further behind than this serves no read (default 10). */
  readonly databaseReplicaMaxLagSeconds: number;
  /**
   * GROUP_COMMIT (on by default; off runs each movement in its own transaction), GROUP_COMMIT_WINDOW_MS, GROUP_COMMIT_MAX: concurrent single
   * movements run together in one unit (src/ledger/commands/group-commit.ts); undefined when off.
   */
  readonly groupCommit: GroupCommitSettings | undefined;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** HS256 and AES-256 need at least 256 bits of key material (RFC 7518 §3.2). */
const MINIMUM_SECRET_LENGTH = 32;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Environment = Readonly<Record<string, string | undefined>>;

export function readInteger(environment: Environment, name: string, fallback: number, min: number, max: number): number {
  const text = environment[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw new ConfigError(name, `must be a whole number, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readUrl(environment: Environment, name: string, protocols: readonly string[]): string | undefined {
  const text = environment[name];
  if (text === undefined || text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return text;
}

function readBoolean(environment: Environment, name: string, fallback: boolean): boolean {
  const text = environment[name];
  if (text === undefined || text === '') return fallback;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${text}"`);
}

function readOnOff(environment: Environment, name: string, fallback: boolean): boolean {
  const text = environment[name];
  if (text === undefined || text === '') return fallback;
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new ConfigError(name, `must be on or off, got "${text}"`);
}

/**
 * Embedded mode keeps one generated secret under the data directory so tokens and sealed data
 * survive a restart; a configured database means a real deployment, where a secret must be given.
 */
function readSecret(environment: Environment, name: string, databaseUrl: string | undefined, dataDirectory: string): string {
  const given = environment[name];
  if (given !== undefined && given !== '') {
    if (given.length < MINIMUM_SECRET_LENGTH) {
      throw new ConfigError(name, `must be at least ${MINIMUM_SECRET_LENGTH} characters`);
    }
    return given;
  }
  if (databaseUrl !== undefined) throw new ConfigError(name, 'is required when DATABASE_URL is set');
  mkdirSync(dataDirectory, { recursive: true });
  const file = join(dataDirectory, name.toLowerCase().replaceAll('_', '-'));
  if (!existsSync(file)) writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

/** More server processes than this on one machine only add switching: each holds a pool and a Redis subscriber. */
const MAX_WORKERS = 64;

/** A local SPA's dev server (Vite's default port), under both names a browser may use. */
const DEVELOPMENT_CORS_ORIGINS = ['http://localhost:5173', 'http://127.0.0.1:5173'];

/** An origin as browsers send it: scheme, host and optional port, no path or trailing slash. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}

function readOrigins(environment: Environment, name: string, fallback: readonly string[]): readonly string[] {
  const text = environment[name];
  if (text === undefined || text.trim() === '') return fallback;
  const origins = text.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '');
  const bad = origins.find((origin) => !isOrigin(origin));
  if (bad !== undefined) throw new ConfigError(name, `must be comma-separated origins like https://app.example.com (no path, no "*"), got "${bad}"`);
  return origins;
}

/** A bearer token for /metrics: long enough not to be guessed, and only characters a header carries plainly. */
function readMetricsToken(environment: Environment): string | undefined {
  const text = environment.METRICS_TOKEN;
  if (text === undefined || text === '') return undefined;
  if (text.length < 16 || !/^[A-Za-z0-9._~+/=-]+$/.test(text)) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters of letters, digits and ._~+/=-');
  return text;
}

/** Comma-separated postgres URLs of hot standbys; they need DATABASE_URL (embedded PGlite has no replicas). */
function readReplicaUrls(environment: Environment, databaseUrl: string | undefined): readonly string[] {
  const text = environment.DATABASE_REPLICA_URLS;
  if (text === undefined || text.trim() === '') return [];
  if (databaseUrl === undefined) throw new ConfigError('DATABASE_REPLICA_URLS', 'needs DATABASE_URL (the embedded database has no replicas)');
  const urls = text.split(',').map((url) => url.trim()).filter((url) => url !== '');
  for (const url of urls) readUrl({ DATABASE_REPLICA_URLS: url }, 'DATABASE_REPLICA_URLS', ['postgres:', 'postgresql:']);
  if (new Set(urls).size !== urls.length) throw new ConfigError('DATABASE_REPLICA_URLS', 'names a replica twice');
  if (urls.includes(databaseUrl)) throw new ConfigError('DATABASE_REPLICA_URLS', 'names DATABASE_URL itself');
  return urls;
}

/** The drain delay is part of the shutdown's time, and must leave some of it for the drain itself. */
function readShutdown(environment: Environment): { shutdownTimeoutSeconds: number; shutdownDrainDelaySeconds: number } {
  const shutdownTimeoutSeconds = readInteger(environment, 'SHUTDOWN_TIMEOUT', 20, 1, 600);
  const shutdownDrainDelaySeconds = readInteger(environment, 'SHUTDOWN_DRAIN_DELAY', 0, 0, 600);
  if (shutdownDrainDelaySeconds >= shutdownTimeoutSeconds) throw new ConfigError('SHUTDOWN_DRAIN_DELAY', `must be less than SHUTDOWN_TIMEOUT (${shutdownTimeoutSeconds})`);
  return { shutdownTimeoutSeconds, shutdownDrainDelaySeconds };
}

function readFee(environment: Environment, name: string, fallback: string): string {
  const text = environment[name] || fallback;
  if (!FEE_SHAPE.test(text)) throw new ConfigError(name, 'must be a plain decimal amount such as 25.00 (0 turns the fee off)');
  return text;
}

/** `WIRE_FEE_<ISO 4217 code>`: the wire fee in that currency's major units (e.g. WIRE_FEE_JPY=3500). */
function readFeesByCurrency(environment: Environment): Record<string, string> {
  const fees: Record<string, string> = {};
  for (const name of Object.keys(environment).sort()) {
    const match = /^WIRE_FEE_([A-Z]{3})$/.exec(name);
    if (!match || !environment[name]) continue;
    if (isoExponent(match[1]!) === undefined) throw new ConfigError(name, `names ${match[1]}, which is not an ISO 4217 currency code`);
    fees[match[1]!] = readFee(environment, name, '');
  }
  return fees;
}

/** The longest a grouped command may be told to wait: a window is meant in milliseconds, not tens of them. */
const MAX_GROUP_COMMIT_WINDOW_MS = 50;

function readGroupCommit(environment: Environment): GroupCommitSettings | undefined {
  const windowMs = readInteger(environment, 'GROUP_COMMIT_WINDOW_MS', 2, 0, MAX_GROUP_COMMIT_WINDOW_MS);
  // A unit of the envelope carries at most a batch's worth of commands (postMovements' limit).
  const maxCommands = readInteger(environment, 'GROUP_COMMIT_MAX', 64, 1, MAX_BATCH_ITEMS);
  // On by default since session 8: a group waits at most GROUPED_LOCK_TIMEOUT_MS for any row, and
  // a lone request never waits (README "Group commit").
  return readOnOff(environment, 'GROUP_COMMIT', true) ? { windowMs, maxCommands } : undefined;
}

export function loadConfig(environment: Environment = process.env): Config {
  const production = environment.NODE_ENV === 'production';
  const databaseUrl = readUrl(environment, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const dataDirectory = resolve(environment.TALLY_DATA_DIR || '.data');
  const logLevel = environment.LOG_LEVEL || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const availability = readAvailabilityPolicy(environment);
  return {
    port: readInteger(environment, 'PORT', 4000, 0, 65535),
    databaseUrl,
    redisUrl: readUrl(environment, 'REDIS_URL', ['redis:', 'rediss:']),
    redisSentinel: readRedisSentinel(environment),
    jwtSecret: readSecret(environment, 'JWT_SECRET', databaseUrl, dataDirectory),
    encryptionKey: readSecret(environment, 'ENCRYPTION_KEY', databaseUrl, dataDirectory),
    accessTokenTtlSeconds: readInteger(environment, 'ACCESS_TOKEN_TTL_SECONDS', 300, 5, 3600),
    movementsPerMinute: readInteger(environment, 'RATE_LIMIT_MOVEMENTS_PER_MINUTE', 600, 0, 1_000_000),
    loginFailuresPerUsername: readInteger(environment, 'RATE_LIMIT_LOGIN_FAILURES', 10, 0, 1_000_000),
    loginSuccessesPerUser: readInteger(environment, 'RATE_LIMIT_LOGIN_SUCCESSES', 30, 0, 1_000_000),
    production,
    graphiqlEnabled: readBoolean(environment, 'GRAPHIQL', !production),
    dataDirectory,
    databasePoolSize: readInteger(environment, 'DATABASE_POOL_SIZE', 20, 1, 500),
    databasePoolWaitMs: readInteger(environment, 'DATABASE_POOL_WAIT_MS', 3_000, 100, 60_000),
    readStatementTimeoutMs: readInteger(environment, 'READ_STATEMENT_TIMEOUT_MS', 5_000, 0, 600_000),
    maxConcurrentRequestsPerUser: readInteger(environment, 'MAX_CONCURRENT_REQUESTS_PER_USER', 12, 0, 10_000),
    queryCostPerUserPerSecond: readInteger(environment, 'QUERY_COST_PER_USER_PER_SECOND', 10_000, 0, 100_000_000),
    maxSubscriptionsPerSocket: readInteger(environment, 'MAX_SUBSCRIPTIONS_PER_SOCKET', 20, 1, 10_000),
    maxSubscriptionsPerUser: readInteger(environment, 'MAX_SUBSCRIPTIONS_PER_USER', 100, 1, 100_000),
    logLevel: logLevel as Config['logLevel'],
    corsOrigins: readOrigins(environment, 'CORS_ORIGINS', production ? [] : DEVELOPMENT_CORS_ORIGINS),
    payeeLookupsPerHour: readInteger(environment, 'RATE_LIMIT_PAYEE_LOOKUPS_PER_HOUR', 20, 0, 1_000_000),
    availability,
    disputes: readDisputePolicy(environment, availability.calendar.timeZone),
    reconciliation: readReconciliationPolicy(environment, availability.calendar),
    fees: { wireFee: readFee(environment, 'WIRE_FEE', DEFAULT_FEE_SCHEDULE.wireFee), wireFeeByCurrency: readFeesByCurrency(environment) },
    riskRules: readOnOff(environment, 'RISK_RULES', true),
    reviewTimeoutSeconds: readInteger(environment, 'REVIEW_TIMEOUT', 3 * 24 * 60 * 60, 60, 365 * 24 * 60 * 60),
    metricsToken: readMetricsToken(environment),
    ...readShutdown(environment),
    journalSealer: readOnOff(environment, 'JOURNAL_SEALER', true),
    // Above a minute the lag alone would page someone; below 10 ms a round is mostly its own overhead.
    journalSealIntervalMs: readInteger(environment, 'JOURNAL_SEAL_INTERVAL_MS', DEFAULT_SEAL_INTERVAL_MS, 10, 60_000),
    // 50,000 records of a few kB each is already a large batch to hold in the sealer's memory.
    journalSealBatch: readInteger(environment, 'JOURNAL_SEAL_BATCH', DEFAULT_SEAL_BATCH, 1, 50_000),
    workers: readInteger(environment, 'WEB_CONCURRENCY', 1, 1, MAX_WORKERS),
    otlpEndpoint: readUrl(environment, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']),
    databaseReplicaUrls: readReplicaUrls(environment, databaseUrl),
    databaseReplicaMaxLagSeconds: readInteger(environment, 'DATABASE_REPLICA_MAX_LAG_SECONDS', 10, 1, 3600),
    groupCommit: readGroupCommit(environment),
  };
}
