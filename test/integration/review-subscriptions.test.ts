import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApproveReviewDocument, DeclineReviewDocument, RiskWithdrawDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { openSocket, type LiveSocket } from '../helpers/ws-client.js';

/**
 * Issue 9 §1: "the customer sees the review's state through balanceUpdated". Over a real socket and
 * the real Redis relay, the owner's stream shows the review's hold (pending up, available down,
 * nothing posted) and then its outcome: the approved movement, or the hold released.
 */
const SUBSCRIPTION = `subscription($id: ID!) {
  balanceUpdated(accountId: $id, afterVersion: 0) {
    version balance { posted pending available } transaction { kind review { id status } }
  }
}`;

interface Update {
  version: number;
  balance: { posted: string; pending: string; available: string };
  transaction: { kind: string; review: { id: string; status: string } | null } | null;
}

let t: TestApp;
let operator: TestUser;
const sockets: LiveSocket[] = [];

beforeAll(async () => {
  t = await startTestApp();
  operator = await t.user('OPERATOR');
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await t.close();
});

/** The owner's stream of one account from version 0, with a bounded wait for a number of updates. */
async function watch(customer: TestUser, accountId: string) {
  const socket = openSocket(t.url, customer.token);
  sockets.push(socket);
  await socket.connected;
  const updates: Update[] = [];
  const errors: unknown[] = [];
  socket.client.subscribe<{ balanceUpdated: Update }>(
    { query: SUBSCRIPTION, variables: { id: accountId } },
    {
      next: (message) => {
        if (message.errors) errors.push(...message.errors);
        if (message.data) updates.push(message.data.balanceUpdated);
      },
      error: (error) => errors.push(error),
      complete: () => undefined,
    },
  );
  return {
    updates,
    errors,
    async until(count: number, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (updates.length < count && errors.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      return updates;
    },
  };
}

/** A customer's account of 9,000.00 (a cash deposit by the cash service) and a 6,000.00 wire that goes to review. */
async function wireInReview() {
  const customer = await t.user();
  const accountId = await t.account(customer, { opening: '9000.00' });
  const stream = await watch(customer, accountId);
  expect(await stream.until(1)).toHaveLength(1);
  const sent = dataOf(await t.gql(RiskWithdrawDocument, { input: { accountId, amount: '6000.00', channel: 'WIRE', idempotencyKey: randomUUID() } }, customer.token)).withdraw;
  if (sent.__typename !== 'MovementInReview') throw new Error(`not in review: ${JSON.stringify(sent)}`);
  // The hold arrives before anyone decides, so its review is seen PENDING.
  const [, held] = await stream.until(2);
  expect(held).toEqual({ version: 2, balance: { posted: '9000.00', pending: '6025.00', available: '2975.00' }, transaction: { kind: 'HOLD', review: { id: sent.review.id, status: 'PENDING' } } });
  return { stream, reviewId: sent.review.id };
}

describe('a review seen through balanceUpdated', () => {
  it('the owner sees the hold of a wire in review, then its approval posting the wire', async () => {
    const { stream, reviewId } = await wireInReview();
    const approved = dataOf(await t.gql(ApproveReviewDocument, { input: { reviewId, idempotencyKey: randomUUID() } }, operator.token)).approveReview;
    expect(approved).toMatchObject({ __typename: 'ReviewDecision', review: { status: 'APPROVED' } });
    const updates = await stream.until(3);
    expect(stream.errors).toEqual([]);
    expect(updates.map((update) => update.version)).toEqual([1, 2, 3]);
    expect(updates[2]).toEqual({ version: 3, balance: { posted: '2975.00', pending: '0.00', available: '2975.00' }, transaction: { kind: 'WITHDRAWAL', review: { id: reviewId, status: 'APPROVED' } } });
  });

  it('the owner sees a declined review release its hold, nothing posted', async () => {
    const { stream, reviewId } = await wireInReview();
    const declined = dataOf(await t.gql(DeclineReviewDocument, { input: { reviewId, idempotencyKey: randomUUID() } }, operator.token)).declineReview;
    expect(declined).toMatchObject({ __typename: 'ReviewDecision', review: { status: 'DECLINED' } });
    const updates = await stream.until(3);
    expect(stream.errors).toEqual([]);
    expect(updates.map((update) => update.version)).toEqual([1, 2, 3]);
    // The release is the hold's own correction: the review's outcome is on the hold's transaction (Transaction.review), not on it.
    expect(updates[2]).toEqual({ version: 3, balance: { posted: '9000.00', pending: '0.00', available: '9000.00' }, transaction: { kind: 'HOLD_RELEASE', review: null } });
  });
});
