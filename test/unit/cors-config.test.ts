import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { JWT_SECRET: 'x'.repeat(40), ENCRYPTION_KEY: 'y'.repeat(40), DATABASE_URL: 'postgres://127.0.0.1/none' };

describe('CORS_ORIGINS', () => {
  it('production allows no origin by default', () => {
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).corsOrigins).toEqual([]);
  });

  it('development allows the local SPA dev server under both names', () => {
    expect(loadConfig(base).corsOrigins).toEqual(['http://localhost:5173', 'http://127.0.0.1:5173']);
  });

  it('takes a comma-separated list', () => {
    const config = loadConfig({ ...base, NODE_ENV: 'production', CORS_ORIGINS: 'https://app.bank.example, https://admin.bank.example:8443' });
    expect(config.corsOrigins).toEqual(['https://app.bank.example', 'https://admin.bank.example:8443']);
  });

  it.each(['*', 'https://app.example/', 'https://app.example/path', 'app.example', 'ftp://app.example'])('refuses %j, naming the variable', (value) => {
    expect(() => loadConfig({ ...base, CORS_ORIGINS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, CORS_ORIGINS: value })).toThrow(/^CORS_ORIGINS /);
  });
});

describe('RATE_LIMIT_PAYEE_LOOKUPS_PER_HOUR', () => {
  it('defaults to 20 and can be set', () => {
    expect(loadConfig(base).payeeLookupsPerHour).toBe(20);
    expect(loadConfig({ ...base, RATE_LIMIT_PAYEE_LOOKUPS_PER_HOUR: '5' }).payeeLookupsPerHour).toBe(5);
  });
});
