import { Redis } from 'ioredis';

/**
 * One Redis connection per process, for rate limits (and live balances later). Commands fail fast
 * while Redis is down instead of queueing, so a Redis outage never stalls a request: limits fall
 * back to per-process counters and money keeps moving.
 */
export function connectRedis(url: string): Redis {
  return new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: false });
}
