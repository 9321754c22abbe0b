import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { withoutLiterals } from '../../src/tracing/database-spans.js';

const base = { DATABASE_URL: 'postgres://db/tally', JWT_SECRET: 's'.repeat(32), ENCRYPTION_KEY: 'k'.repeat(32) };

describe('traces (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('are off by default and on with an http(s) endpoint; anything else is refused naming the variable', () => {
    expect(loadConfig(base).otlpEndpoint).toBeUndefined();
    expect(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlpEndpoint).toBe('http://collector:4318');
    for (const bad of ['collector:4318', 'grpc://collector:4317']) {
      expect(() => loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: bad })).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT /);
    }
  });

  it('keep statements without their values: strings and numbers become ?, identifiers and placeholders stay', () => {
    expect(withoutLiterals(`select * from accounts a1 where a1.id = '4d680cbc-18a5' and owner = 'O''Brien' and posted_minor > -500 limit 200`)).toBe(
      'select * from accounts a1 where a1.id = ? and owner = ? and posted_minor > ? limit ?',
    );
    expect(withoutLiterals('insert into entries (amount_minor) values ($1), (?) returning id')).toBe('insert into entries (amount_minor) values ($1), (?) returning id');
    expect(withoutLiterals('select 1.25::numeric, t2.v from t2')).toBe('select ?::numeric, t2.v from t2');
  });
});
