import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepositDocument, TransferDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * balanceUpdated pushes are executed once per (event, document, variables, viewer) and the same
 * result goes to every socket that shares them (src/transport/subscription-sharing.ts). Counted
 * with the server's own execution counter, never by timing; the frames are compared as the raw
 * bytes the sockets received.
 */

const LIVE_DELIVERY_MS = 10_000;

const BALANCE_ONLY = `subscription Watch($id: ID!) {
  balanceUpdated(accountId: $id) { accountId version balance { posted asOf } }
}`;

const WITH_TRANSACTION = `subscription WatchMoves($id: ID!) {
  balanceUpdated(accountId: $id) { version balance { posted } transaction { kind idempotencyKey entries { accountId direction amount } } }
}`;

/** A graphql-transport-ws socket spoken by hand, so the test sees each `next` frame's exact bytes. */
interface RawSubscriber {
  /** The raw text of every `next` frame, in arrival order. */
  readonly frames: string[];
  /** Resolves once the server took the subscribe (the ack came and the subscribe was sent). */
  readonly subscribed: Promise<void>;
  waitForFrames(count: number): Promise<string[]>;
  close(): void;
}

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
const sockets: RawSubscriber[] = [];

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob] = await Promise.all([t.user(), t.user()]);
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await t.close();
});

function rawSubscriber(token: string, query: string, variables: Record<string, unknown>): RawSubscriber {
  const socket = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const frames: string[] = [];
  const problems: string[] = [];
  const subscribed = new Promise<void>((resolve, reject) => {
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      const text = String(data);
      const message = JSON.parse(text) as { type: string };
      if (message.type === 'connection_ack') {
        // The same subscription id on every socket, so shared pushes must be the same frame byte for byte.
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
        resolve();
      } else if (message.type === 'next') frames.push(text);
      else if (message.type !== 'ping' && message.type !== 'pong') problems.push(text);
    });
    socket.on('close', (code) => reject(new Error(`socket closed with ${code}`)));
    socket.on('error', reject);
  });
  const subscriber: RawSubscriber = {
    frames,
    subscribed,
    async waitForFrames(count) {
      const deadline = Date.now() + LIVE_DELIVERY_MS;
      while (frames.length < count && problems.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(problems).toEqual([]);
      expect(frames.length).toBe(count);
      return frames;
    },
    close: () => socket.close(),
  };
  sockets.push(subscriber);
  return subscriber;
}

/** The subscribe message is taken up asynchronously (ownership read, bus subscription): let it settle. */
async function settled(subscribers: readonly RawSubscriber[]): Promise<void> {
  await Promise.all(subscribers.map((subscriber) => subscriber.subscribed));
  await new Promise((resolve) => setTimeout(resolve, 300));
}

const deposit = async (accountId: string, amount: string) =>
  dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel: 'CASH', idempotencyKey: randomUUID() } }, (await t.cashier()).token)).deposit;

describe('shared pushes', () => {
  it('two sockets with the same document, variables and viewer get byte-identical frames from one execution; another document runs on its own', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const same = [rawSubscriber(alice.token, BALANCE_ONLY, { id: accountId }), rawSubscriber(alice.token, BALANCE_ONLY, { id: accountId })];
    const other = rawSubscriber(alice.token, WITH_TRANSACTION, { id: accountId });
    await settled([...same, other]);
    const before = t.app.server.sharedExecutions.executions;

    expect((await deposit(accountId, '2.50')).__typename).toBe('MoneyMovement');
    const [first, second] = await Promise.all(same.map((subscriber) => subscriber.waitForFrames(1)));
    const [otherFrame] = await other.waitForFrames(1);

    expect(t.app.server.sharedExecutions.executions - before).toBe(2);
    expect(second).toEqual(first);
    expect(Buffer.from(second![0]!).equals(Buffer.from(first![0]!))).toBe(true);
    expect(JSON.parse(first![0]!)).toMatchObject({ id: '1', type: 'next', payload: { data: { balanceUpdated: { accountId, version: 2, balance: { posted: '3.50' } } } } });
    expect(JSON.parse(otherFrame!)).toMatchObject({ payload: { data: { balanceUpdated: { version: 2, transaction: { kind: 'DEPOSIT' } } } } });

    // The next change is a new event: one more execution for the pair, not two.
    const between = t.app.server.sharedExecutions.executions;
    await deposit(accountId, '1.00');
    await Promise.all(same.map((subscriber) => subscriber.waitForFrames(2)));
    await other.waitForFrames(2);
    expect(t.app.server.sharedExecutions.executions - between).toBe(2);
    expect(same[1]!.frames[1]).toBe(same[0]!.frames[1]);
  });

  it('sockets of different viewers are executed apart, each seeing only what it may: two owners of one account', async () => {
    const joint = await t.account(alice, { opening: '10.00' });
    const alicePrivate = await t.account(alice);
    // Bob becomes a second owner of the joint account; alice's other account stays hers alone.
    await t.database.pool.query('insert into user_accounts (user_id, account_id) values ($1, $2)', [bob.id, joint]);
    const aliceSockets = [rawSubscriber(alice.token, WITH_TRANSACTION, { id: joint }), rawSubscriber(alice.token, WITH_TRANSACTION, { id: joint })];
    const bobSockets = [rawSubscriber(bob.token, WITH_TRANSACTION, { id: joint }), rawSubscriber(bob.token, WITH_TRANSACTION, { id: joint })];
    await settled([...aliceSockets, ...bobSockets]);
    const before = t.app.server.sharedExecutions.executions;

    const key = `alice-moves-${randomUUID()}`;
    const moved = dataOf(
      await t.gql(TransferDocument, { input: { fromAccountId: joint, toAccountId: alicePrivate, amount: '4.00', idempotencyKey: key } }, alice.token),
    ).transfer;
    expect(moved.__typename).toBe('MoneyMovement');
    const aliceFrames = await Promise.all(aliceSockets.map((subscriber) => subscriber.waitForFrames(1)));
    const bobFrames = await Promise.all(bobSockets.map((subscriber) => subscriber.waitForFrames(1)));

    // One execution per viewer, shared by that viewer's two sockets.
    expect(t.app.server.sharedExecutions.executions - before).toBe(2);
    expect(aliceFrames[1]).toEqual(aliceFrames[0]);
    expect(bobFrames[1]).toEqual(bobFrames[0]);
    const entriesOf = (frame: string) =>
      (JSON.parse(frame).payload.data.balanceUpdated.transaction.entries as Array<{ accountId: string | null; direction: string }>)
        .map((entry) => [entry.direction, entry.accountId])
        .sort();
    const update = (frame: string) => JSON.parse(frame).payload.data.balanceUpdated;
    // Alice initiated it and owns both accounts: her key, both account ids.
    expect(update(aliceFrames[0]![0]!)).toMatchObject({ version: 2, balance: { posted: '6.00' }, transaction: { kind: 'TRANSFER', idempotencyKey: key } });
    expect(entriesOf(aliceFrames[0]![0]!)).toEqual([['CREDIT', alicePrivate], ['DEBIT', joint]]);
    // Bob sees the joint account's change, but neither alice's key nor her other account.
    expect(update(bobFrames[0]![0]!)).toMatchObject({ version: 2, balance: { posted: '6.00' }, transaction: { kind: 'TRANSFER', idempotencyKey: null } });
    expect(entriesOf(bobFrames[0]![0]!)).toEqual([['CREDIT', null], ['DEBIT', joint]]);
    expect(bobFrames[0]![0]).not.toContain(alicePrivate);
    expect(bobFrames[0]![0]).not.toContain(key);
  });

  it('sockets with different variables are executed apart: a resume point of their own', async () => {
    const accountId = await t.account(alice, { opening: '1.00' });
    const query = `subscription Resume($id: ID!, $after: Int) { balanceUpdated(accountId: $id, afterVersion: $after) { version balance { posted } } }`;
    const fromStart = rawSubscriber(alice.token, query, { id: accountId, after: 0 });
    const live = rawSubscriber(alice.token, query, { id: accountId, after: 1 });
    await settled([fromStart, live]);
    const [replayed] = await fromStart.waitForFrames(1);
    expect(JSON.parse(replayed!).payload.data.balanceUpdated).toEqual({ version: 1, balance: { posted: '1.00' } });
    const before = t.app.server.sharedExecutions.executions;
    await deposit(accountId, '1.00');
    const [, fromStartLive] = await fromStart.waitForFrames(2);
    const [liveFrame] = await live.waitForFrames(1);
    expect(t.app.server.sharedExecutions.executions - before).toBe(2);
    expect(fromStartLive).toBe(liveFrame);
    expect(JSON.parse(liveFrame!).payload.data.balanceUpdated).toEqual({ version: 2, balance: { posted: '2.00' } });
  });
});
