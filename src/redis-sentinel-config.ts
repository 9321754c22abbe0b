import { ConfigError } from './config.js';

/**
 * Redis high availability from the environment (README "Redis high availability"): with
 * REDIS_SENTINELS, every Redis connection Tally opens asks these sentinels where the primary of
 * REDIS_SENTINEL_NAME is, and asks again after a failover. Kept apart from config.ts so that file
 * only wires it in.
 */
type Environment = Readonly<Record<string, string | undefined>>;

export interface SentinelAddress {
  readonly host: string;
  readonly port: number;
}

export interface RedisSentinelSetting {
  /** At least one; more let Tally find the primary while some sentinels are down. */
  readonly sentinels: readonly SentinelAddress[];
  /** The master name the sentinels monitor (`sentinel monitor <name> …`). */
  readonly name: string;
}

/** Redis's default master name in sentinel.conf is `mymaster`; Tally's deployments call theirs `tally`. */
export const DEFAULT_SENTINEL_NAME = 'tally';

/** A host name or IPv4 address, then a port; IPv6 literals go in brackets (`[::1]:26379`). */
const ADDRESS = /^(?:\[([0-9a-fA-F:]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;
/** What sentinel.conf accepts as a master name without quoting. */
const MASTER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

function readAddress(item: string): SentinelAddress {
  const match = ADDRESS.exec(item);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError('REDIS_SENTINELS', `must be host:port pairs separated by commas, such as "10.0.0.1:26379,10.0.0.2:26379", got "${item}"`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/** Undefined without REDIS_SENTINELS (Redis is then REDIS_URL, or none). */
export function readRedisSentinel(environment: Environment): RedisSentinelSetting | undefined {
  const text = environment.REDIS_SENTINELS;
  if (text === undefined || text.trim() === '') {
    if (environment.REDIS_SENTINEL_NAME) throw new ConfigError('REDIS_SENTINEL_NAME', 'is set but REDIS_SENTINELS is not');
    return undefined;
  }
  // Two ways to name one Redis would leave an operator guessing which one Tally follows.
  if (environment.REDIS_URL) throw new ConfigError('REDIS_SENTINELS', 'and REDIS_URL are both set: give REDIS_SENTINELS for a Sentinel setup, REDIS_URL for one Redis');
  const sentinels = text.split(',').map((item) => readAddress(item.trim()));
  const unique = new Set(sentinels.map(({ host, port }) => `${host}:${port}`));
  if (unique.size !== sentinels.length) throw new ConfigError('REDIS_SENTINELS', `names one sentinel twice in "${text}"`);
  const name = environment.REDIS_SENTINEL_NAME || DEFAULT_SENTINEL_NAME;
  if (!MASTER_NAME.test(name)) throw new ConfigError('REDIS_SENTINEL_NAME', `must be 1-64 letters, digits, dots, dashes or underscores, got "${name}"`);
  return { sentinels, name };
}
