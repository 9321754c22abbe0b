import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import type { EventBus } from '../../src/pubsub/event-bus.js';
import { VersionWatch, type LedgerVersions, type WatchedStream } from '../../src/pubsub/version-watch.js';

const logger = createLogger('silent');
const timing = { quietMs: 1_000, everyMs: 60_000 };

/** A ledger that answers from a map and records every read. */
function ledger(versions: Record<string, number>, failing = false) {
  const reads: string[][] = [];
  const source: LedgerVersions = {
    async currentVersions(ids) {
      reads.push([...ids]);
      if (failing) throw new Error('database unavailable');
      return new Map(ids.filter((id) => id in versions).map((id) => [id, versions[id]!]));
    },
  };
  return { source, reads };
}

function stream(accountId: string, lastVersion: number, lastNewsMs: number) {
  const calls = { behind: 0 };
  const watched: WatchedStream = { accountId, lastVersion: () => lastVersion, lastNewsMs: () => lastNewsMs, behind: () => (calls.behind += 1) };
  return { watched, calls };
}

describe('the version watch', () => {
  it('reads every quiet stream in one statement and wakes only the ones the ledger is ahead of', async () => {
    const { source, reads } = ledger({ a: 5, b: 3, c: 9 });
    const watch = new VersionWatch(source, logger, timing);
    const longAgo = Date.now() - 60_000;
    const behindA = stream('a', 4, longAgo);
    const currentB = stream('b', 3, longAgo);
    const alsoA = stream('a', 5, longAgo);
    const chattyC = stream('c', 1, Date.now());
    for (const { watched } of [behindA, currentB, alsoA, chattyC]) watch.watch(watched);
    // Registered just now: nothing is quiet yet, so nothing is read.
    await watch.check('quiet');
    expect(reads).toEqual([]);

    const later = new VersionWatch(source, logger, { ...timing, quietMs: 0 });
    for (const { watched } of [behindA, currentB, alsoA]) later.watch(watched);
    await later.check('quiet');
    expect(reads).toEqual([['a', 'b']]);
    expect([behindA.calls.behind, currentB.calls.behind, alsoA.calls.behind]).toEqual([1, 0, 0]);
  });

  it('a stream that hears news is not read; after a reconnect every stream is', async () => {
    const { source, reads } = ledger({ a: 2, c: 9 });
    const watch = new VersionWatch(source, logger, { ...timing, quietMs: 0 });
    const listeners: Array<() => void> = [];
    const bus = { onReconnect: (listener: () => void) => (listeners.push(listener), () => undefined) } as unknown as EventBus;
    watch.start(bus);
    const chatty = stream('c', 1, Date.now() + 60_000);
    const quiet = stream('a', 2, 0);
    watch.watch(chatty.watched);
    watch.watch(quiet.watched);
    await watch.check('quiet');
    expect(reads).toEqual([['a']]);
    await watch.check('all');
    expect(reads.at(-1)?.sort()).toEqual(['a', 'c']);
    expect(chatty.calls.behind).toBe(1);
    expect(quiet.calls.behind).toBe(0);
    watch.stop();
  });

  it('an unwatched stream is forgotten; a failed read wakes nobody and is tried again', async () => {
    const failing = ledger({ a: 9 }, true);
    const watch = new VersionWatch(failing.source, logger, { ...timing, quietMs: 0 });
    const behind = stream('a', 1, 0);
    const unwatch = watch.watch(behind.watched);
    await watch.check('all');
    await watch.check('all');
    expect(failing.reads).toHaveLength(2);
    expect(behind.calls.behind).toBe(0);
    unwatch();
    await watch.check('all');
    expect(failing.reads).toHaveLength(2);
  });

  it('ten thousand streams are ten reads of a thousand accounts', async () => {
    const { source, reads } = ledger({});
    const watch = new VersionWatch(source, logger, { ...timing, quietMs: 0 });
    for (let index = 0; index < 10_000; index += 1) watch.watch(stream(`account-${index}`, 0, 0).watched);
    await watch.check('quiet');
    expect(reads.map((ids) => ids.length)).toEqual(Array.from({ length: 10 }, () => 1_000));
  });

  it('never runs two checks at once: a quiet check during one is skipped, a check of all follows it', async () => {
    let release!: () => void;
    const reads: string[][] = [];
    const slow: LedgerVersions = {
      async currentVersions(ids) {
        reads.push([...ids]);
        if (reads.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return new Map();
      },
    };
    const watch = new VersionWatch(slow, logger, { ...timing, quietMs: 0 });
    watch.watch(stream('a', 0, 0).watched);
    const first = watch.check('quiet');
    void watch.check('quiet');
    void watch.check('all');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reads).toHaveLength(1);
    release();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reads).toHaveLength(2);
  });

  it('after a reconnect, looks at every stream at once and again a moment later', async () => {
    const { source, reads } = ledger({ a: 1 });
    const watch = new VersionWatch(source, logger, timing);
    const listeners: Array<() => void> = [];
    watch.start({ onReconnect: (listener: () => void) => (listeners.push(listener), () => undefined) } as unknown as EventBus);
    watch.watch(stream('a', 1, Date.now() + 60_000).watched);
    listeners.forEach((listener) => listener());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toHaveLength(1);
    const deadline = Date.now() + 10_000;
    while (reads.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toHaveLength(2);
    watch.stop();
  });
});
