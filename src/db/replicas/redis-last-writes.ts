import type { Redis } from 'ioredis';

/**
 * Callers' last movements shared through Redis, so read-your-writes holds whichever process
 * answers the read (README "Read replicas", several processes). One key per caller holding the
 * acknowledgement time (ms), kept for the maximum lag; a later time only replaces an earlier one,
 * atomically, so two processes noting one caller never move it back.
 */
export const LAST_WRITE_KEY_PREFIX = 'tally:last-write:';

const KEEP_LATEST = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

export interface SharedLastWrites {
  /**
   * Sent at once, before the movement's answer is written (the observer runs before the envelope
   * returns), so a read the client sends after that answer reaches Redis after it. Not awaited:
   * a failure is reported through `failed` and only costs that caller a read from the primary
   * while Redis is away (lastWriteOf fails too).
   */
  note(userId: string, atMs: number): void;
  /** The caller's last acknowledged movement (ms), undefined when none is remembered; throws when Redis cannot say. */
  lastWriteOf(userId: string): Promise<number | undefined>;
}

export function redisLastWrites(redis: Redis, keepMs: number, failed: (error: unknown) => void): SharedLastWrites {
  return {
    note(userId, atMs) {
      redis.eval(KEEP_LATEST, 1, LAST_WRITE_KEY_PREFIX + userId, String(atMs), String(keepMs)).catch(failed);
    },
    async lastWriteOf(userId) {
      const text = await redis.get(LAST_WRITE_KEY_PREFIX + userId);
      return text === null ? undefined : Number(text);
    },
  };
}
