import { describe, expect, it } from 'vitest';
import { balanceChannel, type BalanceEvent } from '../../src/pubsub/channels.js';
import { inProcessEventBus } from '../../src/pubsub/event-bus.js';

const event: BalanceEvent = {
  accountId: 'account-1',
  version: 1,
  currency: 'USD',
  currencyExponent: 2,
  postedMinor: '100',
  pendingMinor: '0',
  transactionId: 'transaction-1',
  asOf: '2026-12-01T00:00:00.000Z',
};

describe('typed channels (the Channels map)', () => {
  it('a balance channel is the plain string Redis sees, and carries a balance event end to end', async () => {
    expect(balanceChannel('account-1')).toBe('tally:balance:account-1');
    const bus = inProcessEventBus();
    const received: BalanceEvent[] = [];
    const unsubscribe = await bus.subscribe(balanceChannel('account-1'), (payload) => received.push(payload));
    await bus.publish(balanceChannel('account-1'), event);
    unsubscribe();
    expect(received).toEqual([event]);
  });

  it('refuses at compile time a payload that is not the channel’s, or a channel name built by hand (tsc checks these lines)', async () => {
    const bus = inProcessEventBus();
    const publishes = [
      // @ts-expect-error a balance channel carries a whole BalanceEvent, not part of one
      () => bus.publish(balanceChannel('account-1'), { accountId: 'account-1' }),
      // @ts-expect-error a hand-built name says nothing about what it carries
      () => bus.publish('tally:balance:account-1', event),
    ];
    expect(publishes).toHaveLength(2);
  });
});
