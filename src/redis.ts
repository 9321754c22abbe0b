import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import type { RedisSentinelSetting } from './redis-sentinel-config.js';

/**
 * Where this process's Redis is: one server (REDIS_URL), or the primary a set of sentinels names
 * (REDIS_SENTINELS). Every ioredis client Tally creates is made by `openRedisClient`, so the rate
 * limits, the balance cache and both ends of the event bus follow a failover alike.
 */
export type RedisEndpoint = { readonly url: string } | { readonly sentinel: RedisSentinelSetting };

/** Undefined when neither REDIS_URL nor REDIS_SENTINELS is set (in-process pub/sub and counters). */
export function redisEndpointOf(config: Pick<Config, 'redisUrl' | 'redisSentinel'>): RedisEndpoint | undefined {
  if (config.redisSentinel) return { sentinel: config.redisSentinel };
  return config.redisUrl ? { url: config.redisUrl } : undefined;
}

/** One client on `endpoint` with the caller's behaviour (`options`: queueing, retries, timeouts). */
export function openRedisClient(endpoint: RedisEndpoint, options: RedisOptions): Redis {
  if ('url' in endpoint) return new Redis(endpoint.url, options);
  return new Redis({
    ...options,
    sentinels: endpoint.sentinel.sentinels.map(({ host, port }) => ({ host, port })),
    name: endpoint.sentinel.name,
    // A connection only counts once the server says it is the primary: a demoted primary that comes
    // back as a replica is left for the one the sentinels name now.
    role: 'master',
    // Listen on the sentinels for +switch-master, so a failover is followed when it is announced,
    // not only when the old primary's connection breaks.
    failoverDetector: true,
    // Sentinels that are all unreachable are asked again, slowly, for as long as it takes.
    sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
    sentinelMaxConnections: endpoint.sentinel.sentinels.length,
  });
}

/**
 * One Redis connection per process, for rate limits (and live balances later). Commands fail fast
 * while Redis is down instead of queueing, so a Redis outage never stalls a request: limits fall
 * back to per-process counters and money keeps moving.
 */
export function connectRedis(endpoint: RedisEndpoint): Redis {
  return openRedisClient(endpoint, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: false });
}
