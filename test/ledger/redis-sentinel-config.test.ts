import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { redisEndpointOf } from '../../src/redis.js';

const base = { DATABASE_URL: 'postgres://db/tally', JWT_SECRET: 's'.repeat(32), ENCRYPTION_KEY: 'k'.repeat(32) };

function refusal(environment: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...base, ...environment });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(environment)}`);
}

describe('Redis through Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME)', () => {
  it('reads host:port pairs and the master name (default tally), and every Redis client follows them', () => {
    const config = loadConfig({ ...base, REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b.internal:26380,[::1]:26381' });
    expect(config.redisSentinel).toEqual({
      name: 'tally',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b.internal', port: 26380 },
        { host: '::1', port: 26381 },
      ],
    });
    expect(redisEndpointOf(config)).toEqual({ sentinel: config.redisSentinel });
    expect(loadConfig({ ...base, REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'bank-eu.1' }).redisSentinel?.name).toBe('bank-eu.1');
  });

  it('leaves Redis as REDIS_URL, or none, without REDIS_SENTINELS', () => {
    expect(loadConfig(base).redisSentinel).toBeUndefined();
    expect(redisEndpointOf(loadConfig(base))).toBeUndefined();
    expect(redisEndpointOf(loadConfig({ ...base, REDIS_URL: 'redis://127.0.0.1:6379' }))).toEqual({ url: 'redis://127.0.0.1:6379' });
  });

  it('refuses a malformed setting in one line naming the variable', () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ REDIS_SENTINELS: '10.0.0.1' }, 'REDIS_SENTINELS', /host:port pairs.*got "10\.0\.0\.1"/],
      [{ REDIS_SENTINELS: '10.0.0.1:26379,' }, 'REDIS_SENTINELS', /got ""/],
      [{ REDIS_SENTINELS: '10.0.0.1:70000' }, 'REDIS_SENTINELS', /got "10\.0\.0\.1:70000"/],
      [{ REDIS_SENTINELS: 'a:1,a:1' }, 'REDIS_SENTINELS', /twice/],
      [{ REDIS_SENTINELS: 'a:1', REDIS_URL: 'redis://127.0.0.1:6379' }, 'REDIS_SENTINELS', /REDIS_URL are both set/],
      [{ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'has space' }, 'REDIS_SENTINEL_NAME', /got "has space"/],
      [{ REDIS_SENTINEL_NAME: 'tally' }, 'REDIS_SENTINEL_NAME', /REDIS_SENTINELS is not/],
    ];
    for (const [environment, variable, message] of cases) {
      const error = refusal(environment);
      expect(error.variable, JSON.stringify(environment)).toBe(variable);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    }
  });
});
