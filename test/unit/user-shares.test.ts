import { describe, expect, it } from 'vitest';
import { UserShares, type ShareLimits } from '../../src/transport/user-shares.js';

const LIMITS: ShareLimits = { maxRequests: 2, maxCost: 100, costPerSecond: 0, maxWaitMs: 2_000, maxQueued: 10 };

/** Whether the promise settles within `ms` (without waiting for it beyond that). */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

describe("a user's share of the process", () => {
  it('lets the next request in when one ends, in arrival order, and a release twice frees one slot', async () => {
    const shares = new UserShares(LIMITS);
    const [first, second] = [await shares.enter('u'), await shares.enter('u')];
    const third = shares.enter('u');
    const fourth = shares.enter('u');
    expect(await settlesWithin(third, 100)).toBe(false);
    // Another user is not behind this one.
    expect(await settlesWithin(shares.enter('other'), 100)).toBe(true);
    first!.release();
    first!.release();
    expect(await settlesWithin(third, 100)).toBe(true);
    // The second release of `first` gave nothing back: the fourth still waits.
    expect(await settlesWithin(fourth, 100)).toBe(false);
    second!.release();
    expect(await fourth).toBeDefined();
  });

  it('refuses after the wait, and at once past the queue', async () => {
    const shares = new UserShares({ ...LIMITS, maxRequests: 1, maxWaitMs: 200, maxQueued: 1 });
    const held = await shares.enter('u');
    const waiting = shares.enter('u');
    expect(await shares.enter('u')).toBeUndefined();
    const started = Date.now();
    expect(await waiting).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    held!.release();
    expect(await shares.enter('u')).toBeDefined();
  });

  it('runs one limit of cost at a time: a second heavy query waits for the first to end', async () => {
    const shares = new UserShares(LIMITS);
    const [a, b] = [await shares.enter('u'), await shares.enter('u')];
    expect(await a!.reserve(80)).toBe(true);
    const second = b!.reserve(80);
    expect(await settlesWithin(second, 100)).toBe(false);
    a!.release();
    expect(await second).toBe(true);
  });

  it('spreads a user\u2019s cost over time: past a second\u2019s worth, the next waits for the bucket to refill', async () => {
    const shares = new UserShares({ ...LIMITS, maxRequests: 10, maxCost: 10_000, costPerSecond: 1_000 });
    const slot = await shares.enter('u');
    expect(await settlesWithin(slot!.reserve(1_000), 50)).toBe(true);
    const started = performance.now();
    expect(await (await shares.enter('u'))!.reserve(500)).toBe(true);
    // Half a second's worth at 1,000 a second: about 500 ms, generously bounded on a shared machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
