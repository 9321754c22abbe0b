import type { Redis } from 'ioredis';
import type { BalanceEvent } from './channels.js';

/**
 * The seed's "Redis for the first screen after login": each account's latest balance with its
 * version. A write replaces the cached balance only with a higher version, atomically in Redis,
 * so relays racing each other can never move the cache backwards. Money never reads it.
 */
export const BALANCE_CACHE_KEY_PREFIX = 'tally:balance-cache:';
/** A cached balance nobody refreshed for a day is dropped; the database answers instead. */
const TTL_SECONDS = 24 * 60 * 60;

const REPLACE_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'event', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

export async function cacheBalance(redis: Redis, event: BalanceEvent): Promise<void> {
  await redis.eval(REPLACE_IF_NEWER, 1, BALANCE_CACHE_KEY_PREFIX + event.accountId, String(event.version), JSON.stringify(event), String(TTL_SECONDS));
}

export async function cachedBalance(redis: Redis, accountId: string): Promise<BalanceEvent | undefined> {
  const text = await redis.hget(BALANCE_CACHE_KEY_PREFIX + accountId, 'event');
  const event = text ? (JSON.parse(text) as Partial<BalanceEvent>) : undefined;
  // A balance cached by an older release carries no exponent: a miss, so the ledger answers.
  return typeof event?.currencyExponent === 'number' ? (event as BalanceEvent) : undefined;
}
