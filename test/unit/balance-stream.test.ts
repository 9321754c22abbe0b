import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { balanceUpdates, type BalanceHistory } from '../../src/pubsub/balance-stream.js';
import type { BalanceEvent } from '../../src/pubsub/channels.js';
import type { EventBus } from '../../src/pubsub/event-bus.js';
import { VersionWatch } from '../../src/pubsub/version-watch.js';

/** An event bus that only counts its live subscriptions and lets the test publish. */
function countingBus() {
  const listeners = new Set<(event: BalanceEvent) => void>();
  const bus = {
    publish: async () => undefined,
    async subscribe<T>(_channel: string, onEvent: (payload: T) => void) {
      const listener = onEvent as unknown as (event: BalanceEvent) => void;
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onReconnect: () => () => undefined,
    close: async () => undefined,
  } satisfies EventBus;
  return { bus, listeners };
}

const quietLedger: BalanceHistory = {
  since: async () => [],
  currentVersion: async () => 3,
  currentVersions: async () => new Map(),
};

describe('a balance stream ended by its client', () => {
  it('lets go of its subscription and its watch at once, even while it waits for news', async () => {
    const { bus, listeners } = countingBus();
    const watch = new VersionWatch(quietLedger, createLogger('silent'));
    const stream = balanceUpdates(bus, quietLedger, watch, 'account-1', null);
    const waiting = stream.next();
    await sleep(20);
    expect([listeners.size, watch.streamCount]).toEqual([1, 1]);

    await stream.return?.();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect([listeners.size, watch.streamCount]).toEqual([0, 0]);
  });

  it('a stream never started holds nothing to let go of', async () => {
    const { bus, listeners } = countingBus();
    const watch = new VersionWatch(quietLedger, createLogger('silent'));
    const stream = balanceUpdates(bus, quietLedger, watch, 'account-1', null);
    await stream.return?.();
    expect([listeners.size, watch.streamCount]).toEqual([0, 0]);
  });
});
