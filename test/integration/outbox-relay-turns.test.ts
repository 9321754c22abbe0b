import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAY_LOCK_KEY } from '../../src/pubsub/outbox-relay.js';
import { DepositDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { openSocket, subscribe, type LiveSocket } from '../helpers/ws-client.js';

/**
 * Relays of several processes take turns (an advisory lock per batch): two relays publishing
 * neighbouring batches at once would deliver an account's versions out of order, and each of its
 * subscribers would then read the gap from the ledger. Here a session of the test holds the turn,
 * as another process's relay would.
 */

const SUBSCRIPTION = `subscription($id: ID!, $after: Int) { balanceUpdated(accountId: $id, afterVersion: $after) { version balance { posted } } }`;

let t: TestApp;
let alice: TestUser;
let socket: LiveSocket;

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
  socket = openSocket(t.url, alice.token);
  await socket.connected;
});
afterAll(async () => {
  await socket.dispose();
  await t.close();
});

describe('the outbox relay', () => {
  it('publishes nothing while another relay has the turn, and publishes it all, in order, once the turn is free', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const updates = subscribe<{ balanceUpdated: { version: number; balance: { posted: string } } }>(socket, SUBSCRIPTION, { id: accountId, after: 1 });
    await sleep(300);
    const other = await t.database.pool.connect();
    try {
      await other.query('select pg_advisory_lock($1)', [RELAY_LOCK_KEY]);
      const cashier = await t.cashier();
      for (let index = 0; index < 3; index += 1) {
        const made = dataOf(await t.gql(DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, cashier.token)).deposit;
        expect(made.__typename).toBe('MoneyMovement');
      }
      // Several polls and retries of the relay (every 250 ms, and 10 ms after finding the turn taken).
      await sleep(1_000);
      expect(updates.results).toEqual([]);
      const { rows } = await t.database.pool.query('select count(*)::int as waiting from outbox_events where account_id = $1 and published_at is null', [accountId]);
      expect(rows[0].waiting).toBe(3);
    } finally {
      await other.query('select pg_advisory_unlock($1)', [RELAY_LOCK_KEY]);
      other.release();
    }
    await updates.waitUntil((subscription) => subscription.data().length >= 3, 10_000, 'the three deposits after the turn came free');
    await sleep(500);
    expect(updates.data().map(({ balanceUpdated }) => [balanceUpdated.version, balanceUpdated.balance.posted])).toEqual([
      [2, '2.00'],
      [3, '3.00'],
      [4, '4.00'],
    ]);
  });
});
