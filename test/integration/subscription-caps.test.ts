import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepositDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * Issue "bounded work for every request", subscriptions: at most MAX_SUBSCRIPTIONS_PER_SOCKET
 * active on one socket and MAX_SUBSCRIPTIONS_PER_USER per user across sockets. Past either, the
 * subscribe gets one `error` message (LIMIT_EXCEEDED) and nothing else changes: the socket and its
 * other subscriptions live on. Places are given back exactly once, on complete, refusal or close.
 * The sockets speak graphql-transport-ws by hand, so every message the server sends is seen.
 */

const SUBSCRIPTION = 'subscription($id: ID!, $after: Int) { balanceUpdated(accountId: $id, afterVersion: $after) { version balance { posted } } }';

interface Message {
  readonly id?: string;
  readonly type: string;
  readonly payload?: unknown;
}

interface RawSocket {
  readonly messages: Message[];
  /** `afterVersion` makes the stream replay what came after it, so a change made while the subscribe is still being set up is not missed. */
  subscribe(id: string, accountId: string, afterVersion?: number): void;
  complete(id: string): void;
  /** Resolves once `predicate` holds over the messages received; rejects after `timeoutMs`. */
  waitFor(predicate: (messages: Message[]) => boolean, timeoutMs: number, label: string): Promise<void>;
  readonly isOpen: boolean;
  close(): Promise<void>;
}

async function openRaw(app: TestApp, token: string): Promise<RawSocket> {
  const socket = new WebSocket(`${app.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: Message[] = [];
  const listeners = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Message);
    for (const listener of [...listeners]) listener();
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  const raw: RawSocket = {
    messages,
    subscribe: (id, accountId, afterVersion) => socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { id: accountId, after: afterVersion ?? null } } })),
    complete: (id) => socket.send(JSON.stringify({ id, type: 'complete' })),
    waitFor: (predicate, timeoutMs, label) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate(messages)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${label}: not within ${timeoutMs} ms (${messages.length} messages, last ${JSON.stringify(messages.at(-1))})`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    get isOpen() {
      return socket.readyState === WebSocket.OPEN;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close(1000);
      }),
  };
  await raw.waitFor((all) => all.some((message) => message.type === 'connection_ack'), 10_000, 'connection_ack');
  return raw;
}

const ofId = (messages: Message[], id: string) => messages.filter((message) => message.id === id);
const isLimitError = (message: Message | undefined) =>
  message?.type === 'error' && (message.payload as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code === 'LIMIT_EXCEEDED';
/** Every update `next` message for the id, by version. */
const versionsOf = (messages: Message[], id: string) =>
  ofId(messages, id).flatMap((message) => (message.type === 'next' ? [(message.payload as { data: { balanceUpdated: { version: number } } }).data.balanceUpdated.version] : []));

/** A cash deposit to the owner's account, posted by the app's cash service. */
async function deposit(app: TestApp, _owner: TestUser, accountId: string): Promise<void> {
  const moved = dataOf(await app.gql(DepositDocument, { input: { accountId, amount: '1.00', channel: 'CASH', idempotencyKey: randomUUID() } }, (await app.cashier()).token)).deposit;
  expect(moved.__typename).toBe('MoneyMovement');
}

/** The heap after a full collection; `gc` is exposed at run time, as --expose-gc would. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let round = 0; round < 3; round += 1) gc();
  return process.memoryUsage().heapUsed;
}

describe('caps on active subscriptions', () => {
  const PER_SOCKET = 3;
  const PER_USER = 5;
  let app: TestApp;
  let alice: TestUser;
  let account: string;

  beforeAll(async () => {
    app = await startTestApp({ environment: { MAX_SUBSCRIPTIONS_PER_SOCKET: String(PER_SOCKET), MAX_SUBSCRIPTIONS_PER_USER: String(PER_USER) } });
    alice = await app.user();
    account = await app.account(alice, { opening: '1.00' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses the subscribe past the socket cap with one LIMIT_EXCEEDED error; the socket and its streams live on', async () => {
    const socket = await openRaw(app, alice.token);
    for (const id of ['a', 'b', 'c', 'd']) socket.subscribe(id, account);
    await socket.waitFor((all) => ofId(all, 'd').length > 0, 10_000, 'the fourth subscribe is answered');
    expect(ofId(socket.messages, 'd')).toHaveLength(1);
    expect(isLimitError(ofId(socket.messages, 'd')[0])).toBe(true);
    expect(JSON.stringify(ofId(socket.messages, 'd')[0]?.payload)).toMatch(/at most 3 on one connection/);

    await deposit(app, alice, account);
    await socket.waitFor((all) => ['a', 'b', 'c'].every((id) => versionsOf(all, id).includes(2)), 10_000, 'the three live streams get the update');
    expect(ofId(socket.messages, 'd')).toHaveLength(1);
    expect(socket.isOpen).toBe(true);

    // Completing one gives its place back: the next subscribe is served.
    socket.complete('a');
    await socket.waitFor(() => true, 100, 'tick').catch(() => undefined);
    const deadline = Date.now() + 10_000;
    let served = false;
    for (let attempt = 0; !served && Date.now() < deadline; attempt += 1) {
      const id = `e${attempt}`;
      socket.subscribe(id, account);
      await socket.waitFor(() => ofId(socket.messages, id).length > 0 || Date.now() > deadline, 2_000, id).catch(() => undefined);
      served = ofId(socket.messages, id).length === 0 || !isLimitError(ofId(socket.messages, id)[0]);
      if (!served) await new Promise((resolve) => setTimeout(resolve, 50));
      else {
        await deposit(app, alice, account);
        await socket.waitFor((all) => versionsOf(all, id).includes(3), 10_000, 'the new stream is live');
      }
    }
    expect(served).toBe(true);
    await socket.close();
  });

  /** Two fresh sockets asking for PER_SOCKET each: the user cap refuses exactly the surplus. */
  async function expectUserCapExact(label: string): Promise<void> {
    const sockets = [await openRaw(app, alice.token), await openRaw(app, alice.token)];
    sockets.forEach((socket, s) => Array.from({ length: PER_SOCKET }, (_, n) => socket.subscribe(`${label}-${s}-${n}`, account)));
    await sockets[1]!.waitFor((all) => all.some(isLimitError), 10_000, `${label}: the surplus is refused`);
    // Refusals are immediate; a moment more shows there is no second one.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = sockets.flatMap((socket) => socket.messages.filter(isLimitError));
    expect(refused).toHaveLength(2 * PER_SOCKET - PER_USER);
    expect(JSON.stringify(refused[0]?.payload)).toMatch(/5 per user/);
    await deposit(app, alice, account);
    await Promise.all(sockets.map((socket) => socket.waitFor((all) => all.some((message) => message.type === 'next'), 10_000, `${label}: live`)));
    expect(sockets.flatMap((socket) => socket.messages.filter((message) => message.type === 'next'))).toHaveLength(PER_USER);
    await Promise.all(sockets.map((socket) => socket.close()));
    // The server hears the close a moment after the client does.
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  it('counts a user across sockets, and gives every place back exactly once on close, complete and refusal', async () => {
    await expectUserCapExact('first');
    // Had a close, a refusal or a complete given a place back twice, the user would now get more.
    const socket = await openRaw(app, alice.token);
    socket.subscribe('x', account);
    socket.subscribe('y', account);
    socket.complete('x');
    socket.complete('y');
    socket.complete('y');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await socket.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expectUserCapExact('again');
  });
});

describe('a flood of refused subscribes', () => {
  const REFUSED = 20_000;
  let app: TestApp;
  let alice: TestUser;
  let account: string;

  beforeAll(async () => {
    app = await startTestApp();
    alice = await app.user();
    account = await app.account(alice, { opening: '1.00' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it(`answers ${REFUSED} subscribes past the cap with one error each, keeps the socket and its 20 streams, and gives the memory back`, async () => {
    const socket = await openRaw(app, alice.token);
    // The 20 are live before the flood: a deposit reaches each. Subscribed after the version the
    // account has now, so a stream whose subscribe is still being set up when the deposit's event
    // goes out replays it instead of missing it (a stream without afterVersion starts from now).
    const { version } = (await (await fetch(`${app.url}/v1/balance?accountId=${account}`, { headers: { authorization: `Bearer ${alice.token}` } })).json()) as { version: number };
    for (let n = 0; n < 20; n += 1) socket.subscribe(`live-${n}`, account, version);
    await deposit(app, alice, account);
    await socket.waitFor((all) => all.filter((message) => message.type === 'next').length >= 20, 20_000, 'twenty live streams');
    const before = heapAfterGc();

    for (let start = 0; start < REFUSED; start += 1_000) {
      for (let n = start; n < start + 1_000; n += 1) socket.subscribe(`flood-${n}`, account);
      await socket.waitFor((all) => all.filter((message) => message.id?.startsWith('flood-')).length >= start + 1_000, 60_000, `refusals up to ${start + 1_000}`);
    }
    const flood = socket.messages.filter((message) => message.id?.startsWith('flood-'));
    expect(flood).toHaveLength(REFUSED);
    expect(flood.every(isLimitError)).toBe(true);
    expect(socket.isOpen).toBe(true);
    // The messages the test kept are the test's memory, not the server's.
    socket.messages.splice(0, socket.messages.length);
    const after = heapAfterGc();
    console.log('heap after gc (MB)', { before: Math.round(before / 2 ** 20), after: Math.round(after / 2 ** 20) });
    expect(after - before).toBeLessThan(50 * 2 ** 20);

    // Nothing else changed: the 20 streams still deliver.
    await deposit(app, alice, account);
    await socket.waitFor((all) => all.filter((message) => message.type === 'next').length >= 20, 20_000, 'the twenty still live');
    await socket.close();
  });
});
