import { Redis } from 'ioredis';
import { BALANCE_CACHE_KEY_PREFIX } from '../src/pubsub/balance-cache.js';

/** A Redis that answers nothing in two seconds is down; the bench reports instead of hanging. */
const REDIS_TIMEOUT_MS = 2_000;
/** DEL takes many keys, but not ten thousand in one command comfortably. */
const KEYS_PER_DELETE = 1_000;

/** Removes the bench accounts' cached balances from the shared Redis; returns how many there were. */
export async function clearBalanceCache(redisUrl: string, accountIds: readonly string[]): Promise<number> {
  if (accountIds.length === 0) return 0;
  const redis = new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: REDIS_TIMEOUT_MS, commandTimeout: REDIS_TIMEOUT_MS });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let removed = 0;
    for (let start = 0; start < accountIds.length; start += KEYS_PER_DELETE) {
      removed += await redis.del(...accountIds.slice(start, start + KEYS_PER_DELETE).map((id) => BALANCE_CACHE_KEY_PREFIX + id));
    }
    return removed;
  } finally {
    redis.disconnect();
  }
}
