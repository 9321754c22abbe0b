import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const secret = 's'.repeat(32);
const key = 'k'.repeat(32);

describe('configuration', () => {
  it('defaults to embedded mode on port 4000 with a generated secret kept under the data directory', () => {
    const directory = mkdtempSync(join(tmpdir(), 'tally-config-'));
    try {
      const config = loadConfig({ TALLY_DATA_DIR: directory });
      expect(config).toMatchObject({ port: 4000, databaseUrl: undefined, redisUrl: undefined, graphiqlEnabled: true, production: false });
      expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
      expect(readFileSync(join(directory, 'jwt-secret'), 'utf8')).toBe(config.jwtSecret);
      expect(loadConfig({ TALLY_DATA_DIR: directory }).jwtSecret).toBe(config.jwtSecret);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('limits successful sign-ins to 30 per user per window by default; RATE_LIMIT_LOGIN_SUCCESSES=0 turns that off', () => {
    const base = { DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: key };
    expect(loadConfig(base).loginSuccessesPerUser).toBe(30);
    expect(loadConfig({ ...base, RATE_LIMIT_LOGIN_SUCCESSES: '0' }).loginSuccessesPerUser).toBe(0);
    expect(loadConfig({ ...base, RATE_LIMIT_LOGIN_SUCCESSES: '500' }).loginSuccessesPerUser).toBe(500);
  });

  it('groups commits unless GROUP_COMMIT=off, with a 2 ms window and 64 movements by default; bad values stop the start', () => {
    const base = { DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: key };
    expect(loadConfig(base).groupCommit).toEqual({ windowMs: 2, maxCommands: 64 });
    expect(loadConfig({ ...base, GROUP_COMMIT: 'off', GROUP_COMMIT_MAX: '8' }).groupCommit).toBeUndefined();
    expect(loadConfig({ ...base, GROUP_COMMIT: 'on' }).groupCommit).toEqual({ windowMs: 2, maxCommands: 64 });
    expect(loadConfig({ ...base, GROUP_COMMIT: 'on', GROUP_COMMIT_WINDOW_MS: '0', GROUP_COMMIT_MAX: '200' }).groupCommit).toEqual({ windowMs: 0, maxCommands: 200 });
    expect(() => loadConfig({ ...base, GROUP_COMMIT: 'yes' })).toThrow(/GROUP_COMMIT must be on or off/);
    expect(() => loadConfig({ ...base, GROUP_COMMIT: 'on', GROUP_COMMIT_WINDOW_MS: '51' })).toThrow(/GROUP_COMMIT_WINDOW_MS/);
    expect(() => loadConfig({ ...base, GROUP_COMMIT: 'on', GROUP_COMMIT_MAX: '1001' })).toThrow(/GROUP_COMMIT_MAX/);
  });

  it('serves /metrics only with a METRICS_TOKEN of 16+ plain characters; shuts down within 20 s, drain delay included', () => {
    const base = { DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: key };
    expect(loadConfig(base)).toMatchObject({ metricsToken: undefined, shutdownTimeoutSeconds: 20, shutdownDrainDelaySeconds: 0 });
    expect(loadConfig({ ...base, METRICS_TOKEN: 'a-scraper-token-0123' }).metricsToken).toBe('a-scraper-token-0123');
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'has spaces in it, sadly' })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ ...base, SHUTDOWN_TIMEOUT: '30', SHUTDOWN_DRAIN_DELAY: '5' })).toMatchObject({ shutdownTimeoutSeconds: 30, shutdownDrainDelaySeconds: 5 });
    expect(() => loadConfig({ ...base, SHUTDOWN_DRAIN_DELAY: '20' })).toThrow(/SHUTDOWN_DRAIN_DELAY must be less than SHUTDOWN_TIMEOUT/);
    expect(() => loadConfig({ ...base, SHUTDOWN_TIMEOUT: '0' })).toThrow(/SHUTDOWN_TIMEOUT/);
  });

  it('charges 25.00 per wire by default; WIRE_FEE sets it and 0 turns it off', () => {
    const base = { DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: key };
    expect(loadConfig(base).fees).toEqual({ wireFee: '25.00', wireFeeByCurrency: {} });
    expect(loadConfig({ ...base, WIRE_FEE: '0' }).fees).toEqual({ wireFee: '0', wireFeeByCurrency: {} });
    expect(loadConfig({ ...base, WIRE_FEE: '12.5' }).fees).toEqual({ wireFee: '12.5', wireFeeByCurrency: {} });
  });

  it('WIRE_FEE_<currency> sets the fee of one currency (the USD-equivalent a bank chooses); a bad code or amount stops the start', () => {
    const base = { DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: key };
    expect(loadConfig({ ...base, WIRE_FEE_JPY: '3500', WIRE_FEE_KWD: '7.500' }).fees).toEqual({ wireFee: '25.00', wireFeeByCurrency: { JPY: '3500', KWD: '7.500' } });
    expect(() => loadConfig({ ...base, WIRE_FEE_XXY: '10' })).toThrow(/WIRE_FEE_XXY.*ISO 4217/);
    expect(() => loadConfig({ ...base, WIRE_FEE_JPY: '-1' })).toThrow(/WIRE_FEE_JPY/);
  });

  it('turns GraphiQL off in production unless GRAPHIQL=true', () => {
    const base = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: key };
    expect(loadConfig(base).graphiqlEnabled).toBe(false);
    expect(loadConfig({ ...base, GRAPHIQL: 'true' }).graphiqlEnabled).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x/y', JWT_SECRET: secret }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url', JWT_SECRET: secret }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://db/tally' }, 'JWT_SECRET'],
    [{ DATABASE_URL: 'postgres://db/tally', JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret }, 'ENCRYPTION_KEY'],
    [{ DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: 'short' }, 'ENCRYPTION_KEY'],
    [{ RATE_LIMIT_MOVEMENTS_PER_MINUTE: '-1' }, 'RATE_LIMIT_MOVEMENTS_PER_MINUTE'],
    [{ RATE_LIMIT_LOGIN_FAILURES: 'ten' }, 'RATE_LIMIT_LOGIN_FAILURES'],
    [{ RATE_LIMIT_LOGIN_SUCCESSES: '1.5' }, 'RATE_LIMIT_LOGIN_SUCCESSES'],
    [{ REDIS_URL: 'http://cache', JWT_SECRET: secret }, 'REDIS_URL'],
    [{ GRAPHIQL: 'maybe', JWT_SECRET: secret }, 'GRAPHIQL'],
    [{ LOG_LEVEL: 'loud', JWT_SECRET: secret }, 'LOG_LEVEL'],
    [{ WIRE_FEE: '-1', DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: key }, 'WIRE_FEE'],
    [{ WIRE_FEE: '25,00', DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: key }, 'WIRE_FEE'],
    [{ WIRE_FEE: '1.23456', DATABASE_URL: 'postgres://db/tally', JWT_SECRET: secret, ENCRYPTION_KEY: key }, 'WIRE_FEE'],
  ])('%j names %s', (environment, variable) => {
    expect(() => loadConfig({ TALLY_DATA_DIR: join(tmpdir(), 'tally-never-written'), ...environment })).toThrow(ConfigError);
    try {
      loadConfig({ TALLY_DATA_DIR: join(tmpdir(), 'tally-never-written'), ...environment });
    } catch (error) {
      expect((error as ConfigError).variable).toBe(variable);
    }
  });

  it('a bad value stops `npm start` with one line naming the variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, DATABASE_URL: 'postgres://127.0.0.1/none', JWT_SECRET: '', PORT: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['tally: configuration error: JWT_SECRET is required when DATABASE_URL is set']);
  });
});
