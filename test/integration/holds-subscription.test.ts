import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizeHoldDocument, CaptureHoldDocument, VoidHoldDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { openSocket, subscribe, type LiveSocket } from '../helpers/ws-client.js';

/**
 * Holds on the live stream (issue 8 §3): one subscriber on balanceUpdated sees an authorization,
 * a partial capture, a void and an expiry by the system's scheduler as consecutive versions, each
 * with the balances of both layers right after it, over real Redis and graphql-ws.
 */
const SUBSCRIPTION = `subscription($id: ID!, $after: Int) {
  balanceUpdated(accountId: $id, afterVersion: $after) { accountId version balance { posted pending available version } transaction { kind amount } }
}`;

interface Update {
  accountId: string;
  version: number;
  balance: { posted: string; pending: string; available: string; version: number };
  transaction: { kind: string; amount: string } | null;
}

let t: TestApp;
let alice: TestUser;
const sockets: LiveSocket[] = [];

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user();
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await t.close();
});

async function authorize(accountId: string, amount: string, expiresInSeconds?: number): Promise<string> {
  const result = dataOf(
    await t.gql(AuthorizeHoldDocument, { input: { accountId, amount, channel: 'ACH', idempotencyKey: randomUUID(), ...(expiresInSeconds ? { expiresInSeconds } : {}) } }, alice.token),
  ).authorizeHold;
  if (result.__typename !== 'HoldChange') throw new Error(`authorization failed: ${result.__typename}`);
  return result.hold.id;
}

function watch(accountId: string, after: number) {
  const socket = openSocket(t.url, alice.token);
  sockets.push(socket);
  return { socket, subscription: subscribe<{ balanceUpdated: Update }>(socket, SUBSCRIPTION, { id: accountId, after }) };
}

/** What the subscriber must see after the opening deposit (version 1, 100.00 posted). */
const EXPECTED = [
  { version: 2, kind: 'HOLD', amount: '30.00', posted: '100.00', pending: '30.00', available: '70.00' },
  { version: 3, kind: 'HOLD_CAPTURE', amount: '12.00', posted: '88.00', pending: '18.00', available: '70.00' },
  { version: 4, kind: 'HOLD_RELEASE', amount: '18.00', posted: '88.00', pending: '0.00', available: '88.00' },
  { version: 5, kind: 'HOLD', amount: '20.00', posted: '88.00', pending: '20.00', available: '68.00' },
  { version: 6, kind: 'HOLD_RELEASE', amount: '20.00', posted: '88.00', pending: '0.00', available: '88.00' },
];

const seen = (updates: Update[]) =>
  updates.map((update) => ({
    version: update.version,
    kind: update.transaction?.kind,
    amount: update.transaction?.amount,
    posted: update.balance.posted,
    pending: update.balance.pending,
    available: update.balance.available,
  }));

describe('balanceUpdated and holds', () => {
  it('authorize, partial capture, void, and an expiry by the scheduler arrive as consecutive versions with both layers', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const live = watch(accountId, 1);
    await live.socket.connected;

    const card = await authorize(accountId, '30.00');
    await live.subscription.waitUntil((s) => s.data().length >= 1, 10_000, 'the authorization');
    const captured = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: card, amount: '12.00', final: false, idempotencyKey: randomUUID() } }, alice.token)).captureHold;
    expect(captured.__typename).toBe('HoldChange');
    const voided = dataOf(await t.gql(VoidHoldDocument, { input: { holdId: card, idempotencyKey: randomUUID() } }, alice.token)).voidHold;
    expect(voided.__typename).toBe('HoldChange');
    // A second hold that nobody captures: the scheduler of this process expires it a second later.
    const fuel = await authorize(accountId, '20.00', 1);
    await live.subscription.waitUntil((s) => s.data().length >= EXPECTED.length, 20_000, 'the expiry');
    // Nothing more arrives: no duplicate of any change.
    await sleep(1_500);

    const updates = live.subscription.data().map((data) => data.balanceUpdated);
    expect(live.subscription.error).toBeUndefined();
    expect(seen(updates)).toEqual(EXPECTED);
    expect(updates.every((update) => update.accountId === accountId && update.balance.version === update.version)).toBe(true);
    const { rows } = await t.database.pool.query<{ id: string; status: string }>('select id::text, status from holds where account_id = $1 order by created_at', [accountId]);
    expect(rows).toEqual([
      { id: card, status: 'VOIDED' },
      { id: fuel, status: 'EXPIRED' },
    ]);
    live.subscription.unsubscribe();

    // A subscriber that resumes from the opening deposit gets the same versions replayed from the ledger.
    const resumed = watch(accountId, 1);
    await resumed.subscription.waitUntil((s) => s.data().length >= EXPECTED.length, 10_000, 'the replay');
    await sleep(300);
    expect(seen(resumed.subscription.data().map((data) => data.balanceUpdated))).toEqual(EXPECTED);
    resumed.subscription.unsubscribe();
  });
});
