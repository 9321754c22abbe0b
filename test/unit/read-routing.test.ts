import { describe, expect, it } from 'vitest';
import { routeRead, type ReplicaState } from '../../src/db/replicas/route-read.js';
import { parseLsn, PrimarySamples } from '../../src/db/replicas/wal-horizon.js';
import { RecentWrites } from '../../src/db/replicas/recent-writes.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const NOW = 1_000_000;
const MAX_LAG = 10_000;
const first = () => 0;

describe('routeRead', () => {
  const up = (horizonMs: number): ReplicaState => ({ up: true, horizonMs });
  it.each([
    { name: 'a caught-up replica, no recent write', replicas: [up(NOW - 100)], wroteAt: undefined, route: { target: 'replica', replica: 0 } },
    { name: 'the replica has the caller\'s write', replicas: [up(NOW - 100)], wroteAt: NOW - 200, route: { target: 'replica', replica: 0 } },
    { name: 'the replica has not replayed the caller\'s write', replicas: [up(NOW - 300)], wroteAt: NOW - 200, route: { target: 'primary', reason: 'recent-write' } },
    { name: 'a horizon in the very millisecond of the write is not enough', replicas: [up(NOW - 200)], wroteAt: NOW - 200, route: { target: 'primary', reason: 'recent-write' } },
    { name: 'the one replica that has it is chosen', replicas: [up(NOW - 300), up(NOW - 50)], wroteAt: NOW - 200, route: { target: 'replica', replica: 1 } },
    { name: 'beyond the maximum lag, no one reads there', replicas: [up(NOW - MAX_LAG - 1)], wroteAt: undefined, route: { target: 'primary', reason: 'lagging' } },
    { name: 'down', replicas: [{ up: false, horizonMs: NOW }], wroteAt: undefined, route: { target: 'primary', reason: 'down' } },
    { name: 'never polled', replicas: [{ up: true, horizonMs: undefined }], wroteAt: undefined, route: { target: 'primary', reason: 'down' } },
    { name: 'no replicas', replicas: [], wroteAt: undefined, route: { target: 'primary', reason: 'down' } },
  ])('$name', ({ replicas, wroteAt, route }) => {
    expect(routeRead({ replicas, callerWroteAtMs: wroteAt, nowMs: NOW, maxLagMs: MAX_LAG, pick: first })).toEqual(route);
  });
});

describe('PrimarySamples', () => {
  it('gives the latest sample a replay position has reached as the horizon', () => {
    const samples = new PrimarySamples(60_000);
    samples.record({ sentAtMs: 100, lsn: parseLsn('0/100') });
    samples.record({ sentAtMs: 200, lsn: parseLsn('0/200') });
    samples.record({ sentAtMs: 300, lsn: parseLsn('0/200') });
    samples.record({ sentAtMs: 400, lsn: parseLsn('1/0') });
    expect(samples.horizonOf(parseLsn('0/FF'))).toBeUndefined();
    expect(samples.horizonOf(parseLsn('0/100'))).toBe(100);
    expect(samples.horizonOf(parseLsn('0/250'))).toBe(300);
    expect(samples.horizonOf(parseLsn('1/0'))).toBe(400);
  });

  it('forgets samples older than its window but one', () => {
    const samples = new PrimarySamples(1_000);
    for (let at = 0; at <= 5_000; at += 500) samples.record({ sentAtMs: at, lsn: BigInt(at) });
    expect(samples.horizonOf(3_600n)).toBe(3_500);
    expect(samples.horizonOf(3_499n)).toBeUndefined();
  });

  it('reads pg_lsn text as one number (high 32 bits before the slash)', () => {
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(() => parseLsn('16-B3')).toThrow(TypeError);
  });
});

describe('RecentWrites', () => {
  it('remembers a write only for the window, and prunes what is older', () => {
    const writes = new RecentWrites(1_000);
    writes.note('a', 100);
    writes.note('b', 600);
    expect(writes.lastWriteOf('a', 1_100)).toBe(100);
    expect(writes.lastWriteOf('a', 1_101)).toBeUndefined();
    writes.prune(1_200);
    expect(writes.size).toBe(1);
    writes.note('b', 1_300);
    expect(writes.lastWriteOf('b', 2_000)).toBe(1_300);
  });
});

describe('DATABASE_REPLICA_URLS', () => {
  const base = { DATABASE_URL: 'postgres://primary/tally', JWT_SECRET: 's'.repeat(32), ENCRYPTION_KEY: 'k'.repeat(32) };

  it('is empty by default and a trimmed list of postgres URLs when set', () => {
    expect(loadConfig(base).databaseReplicaUrls).toEqual([]);
    expect(loadConfig({ ...base, DATABASE_REPLICA_URLS: ' postgres://r1/tally, postgresql://r2:5433/tally ' }).databaseReplicaUrls).toEqual(['postgres://r1/tally', 'postgresql://r2:5433/tally']);
    expect(loadConfig(base).databaseReplicaMaxLagSeconds).toBe(10);
  });

  it.each([
    { name: 'not a postgres URL', environment: { ...base, DATABASE_REPLICA_URLS: 'redis://r1' } },
    { name: 'a replica twice', environment: { ...base, DATABASE_REPLICA_URLS: 'postgres://r1/tally,postgres://r1/tally' } },
    { name: 'the primary itself', environment: { ...base, DATABASE_REPLICA_URLS: 'postgres://primary/tally' } },
    { name: 'without DATABASE_URL (embedded mode)', environment: { JWT_SECRET: 's'.repeat(32), ENCRYPTION_KEY: 'k'.repeat(32), TALLY_DATA_DIR: '/nonexistent-never-created', DATABASE_REPLICA_URLS: 'postgres://r1/tally' } },
  ])('refuses $name, naming the variable', ({ environment }) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(/^DATABASE_REPLICA_URLS /);
  });

  it('refuses a maximum lag outside 1-3600 seconds', () => {
    expect(() => loadConfig({ ...base, DATABASE_REPLICA_MAX_LAG_SECONDS: '0' })).toThrow(/^DATABASE_REPLICA_MAX_LAG_SECONDS /);
  });
});
