import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorizeHoldDocument,
  BalanceDocument,
  CaptureHoldDocument,
  CreditProvisionallyDocument,
  DisputeDocument,
  DisputesDocument,
  NoticeReversalDocument,
  OpenDisputeDocument,
  ResolveDisputeDocument,
  ReverseTransactionDocument,
  StartInvestigationDocument,
  WithdrawDisputeDocument,
  WithdrawDocument,
  type DisputeReason,
  type DisputeStepInput,
} from '../generated/graphql.js';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { openSocket, subscribe } from '../helpers/ws-client.js';
import { disputeStep, openDispute } from '../../src/ledger/commands/dispute-commands.js';
import { DEFAULT_DISPUTE_POLICY } from '../../src/ledger/disputes/dispute-policy.js';
import { reversalNotBefore } from '../../src/ledger/disputes/dispute-deadlines.js';

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let teller: TestUser;
/** The card processor, ATM network and cash service in one: card, ATM and cash debits are the rails' to post. */
let rails: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  // alice's card debits come faster than five in ten minutes, which the velocity rule would send to
  // review: this file is about disputes, not risk (a dispute's ADJUSTMENTs are never judged).
  await t.disableRiskRules('rapid-outgoing-movements');
  [alice, bob, teller, rails] = await Promise.all([t.user(), t.user(), t.user('OPERATOR'), t.user('SERVICE', { channels: ['CARD', 'ATM', 'CASH'] })]);
});
afterAll(() => t.close());

const actorOf = (user: TestUser, role: 'CUSTOMER' | 'OPERATOR' = 'CUSTOMER') => ({ userId: user.id, role });
const DAY_MS = 24 * 60 * 60 * 1000;

/** A debit of the customer's account: ACH is the customer's own; card, ATM and cash come through their rails. */
async function withdrawal(accountId: string, amount: string, channel: 'CARD' | 'ATM' | 'CASH' | 'ACH' = 'CARD') {
  const token = channel === 'ACH' ? alice.token : rails.token;
  const result = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount, channel, idempotencyKey: randomUUID() } }, token)).withdraw;
  if (result.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(result));
  return result.transaction.id;
}
const open = (transactionId: string, token = alice.token, idempotencyKey: string = randomUUID(), reason: DisputeReason = 'UNAUTHORIZED') =>
  t.gql(OpenDisputeDocument, { input: { transactionId, reason, description: 'I never bought this', idempotencyKey } }, token);
async function opened(transactionId: string) {
  const result = dataOf(await open(transactionId)).openDispute;
  if (result.__typename !== 'DisputeChange') throw new Error(JSON.stringify(result));
  return result.dispute;
}
type StepDocument<Data> = TypedDocumentNode<Data, { input: DisputeStepInput }>;
const step = <Data>(document: StepDocument<Data>, disputeId: string, token = teller.token, note?: string) =>
  t.gql(document, { input: { disputeId, idempotencyKey: randomUUID(), ...(note ? { note } : {}) } }, token);
async function stepped<Data>(document: StepDocument<Data>, disputeId: string, token = teller.token) {
  const result = Object.values(dataOf(await step(document, disputeId, token)) as Record<string, { __typename: string; dispute?: { status: string } }>)[0];
  if (result?.__typename !== 'DisputeChange') throw new Error(JSON.stringify(result));
  return result;
}
const resolve = (disputeId: string, outcome: 'CUSTOMER' | 'BANK', token = teller.token) =>
  t.gql(ResolveDisputeDocument, { input: { disputeId, outcome, note: 'investigated', idempotencyKey: randomUUID() } }, token);
const balanceOf = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance;
const disputeAs = async (id: string, token: string) => dataOf(await t.gql(DisputeDocument, { id }, token)).dispute;

describe('opening a dispute', () => {
  it('opens on a card withdrawal with Reg E deadlines and one OPENED event; the same key replays, a second dispute is refused', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const transactionId = await withdrawal(accountId, '42.50');
    const key = randomUUID();
    const first = dataOf(await open(transactionId, alice.token, key)).openDispute;
    if (first.__typename !== 'DisputeChange') throw new Error(JSON.stringify(first));
    expect(first.replayed).toBe(false);
    expect(first.dispute).toMatchObject({
      accountId, status: 'OPEN', reason: 'UNAUTHORIZED', amount: '42.50', currency: 'USD', description: 'I never bought this', overdue: false,
      transaction: { id: transactionId, kind: 'WITHDRAWAL', channel: 'CARD' },
      provisionalCredit: null, credit: null, creditReversal: null,
      deadlines: { reversalNotBefore: null },
      events: [{ step: 'OPENED', status: 'OPEN', actor: alice.username, note: null, transaction: null }],
    });
    // The account opened today: a new account's 20 business days and 90 calendar days.
    const createdAt = new Date(first.dispute.createdAt).getTime();
    const creditBy = new Date(first.dispute.deadlines.provisionalCreditBy).getTime();
    expect(creditBy - createdAt).toBeGreaterThan(25 * DAY_MS);
    expect(new Date(first.dispute.deadlines.resolutionBy).getTime() - createdAt).toBeGreaterThan(89 * DAY_MS);
    expect(first.dispute.nextDeadline).toBe(first.dispute.deadlines.provisionalCreditBy);

    const replay = dataOf(await open(transactionId, alice.token, key)).openDispute;
    expect(replay).toMatchObject({ __typename: 'DisputeChange', replayed: true, dispute: { id: first.dispute.id } });
    expect(dataOf(await open(transactionId)).openDispute).toMatchObject({ __typename: 'ValidationError', field: 'transactionId', message: 'This transaction is disputed already.' });
  });

  it('refuses what cannot be disputed: cash, a deposit, someone else’s debit, an operator, a bad description', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const cash = await withdrawal(accountId, '5.00', 'CASH');
    expect(dataOf(await open(cash)).openDispute).toMatchObject({ __typename: 'ValidationError', field: 'transactionId' });
    const card = await withdrawal(accountId, '5.00');
    expect(dataOf(await open(card, bob.token)).openDispute).toMatchObject({ __typename: 'NotFoundError' });
    expect(dataOf(await open(card, teller.token)).openDispute).toMatchObject({ __typename: 'NotFoundError' });
    expect(dataOf(await open(randomUUID())).openDispute).toMatchObject({ __typename: 'NotFoundError' });
    const bad = dataOf(await t.gql(OpenDisputeDocument, { input: { transactionId: card, reason: 'OTHER', description: 'x\u0000', idempotencyKey: randomUUID() } }, alice.token)).openDispute;
    expect(bad).toMatchObject({ __typename: 'ValidationError', field: 'description' });
  });

  it('refuses a debit older than 60 days (the clock is the unit’s)', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const transactionId = await withdrawal(accountId, '5.00', 'ACH');
    const input = { transactionId, reason: 'WRONG_AMOUNT' as const, description: null, idempotencyKey: randomUUID() };
    const late = await openDispute(t.app.orm, actorOf(alice), input, DEFAULT_DISPUTE_POLICY, { clock: () => new Date(Date.now() + 62 * DAY_MS) });
    expect(late.outcome).toMatchObject({ ok: false, code: 'VALIDATION', message: 'A debit can be disputed within 60 days of its posting.' });
  });

  it('a card capture is disputed for what it posted', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const held = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '80.00', channel: 'CARD', idempotencyKey: randomUUID() } }, rails.token)).authorizeHold;
    if (held.__typename !== 'HoldChange') throw new Error(JSON.stringify(held));
    const capture = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: held.hold.id, amount: '30.00', idempotencyKey: randomUUID() } }, rails.token)).captureHold;
    if (capture.__typename !== 'HoldChange' || !capture.transaction) throw new Error(JSON.stringify(capture));
    const dispute = await opened(capture.transaction.id);
    expect(dispute).toMatchObject({ amount: '30.00', transaction: { kind: 'HOLD_CAPTURE', amount: '30.00' } });
  });
});

describe('the steps, on real PostgreSQL', () => {
  it('OPEN → INVESTIGATING → PROVISIONALLY_CREDITED → RESOLVED_CUSTOMER: credited once, against DISPUTES', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const dispute = await opened(await withdrawal(accountId, '40.00'));
    expect(dataOf(await step(StartInvestigationDocument, dispute.id, alice.token)).startInvestigation).toMatchObject({ __typename: 'NotFoundError' });
    await stepped(StartInvestigationDocument, dispute.id);
    const credit = dataOf(await step(CreditProvisionallyDocument, dispute.id)).creditProvisionally;
    if (credit.__typename !== 'DisputeChange' || !credit.transaction) throw new Error(JSON.stringify(credit));
    expect(credit.transaction).toMatchObject({ kind: 'ADJUSTMENT', amount: '40.00' });
    expect(credit.transaction.entries.map((entry) => entry.direction).sort()).toEqual(['CREDIT', 'DEBIT']);
    expect(credit.transaction.entries.find((entry) => entry.direction === 'CREDIT')?.accountId).toBe(accountId);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00' });
    // Once: the second credit is refused and moves nothing.
    expect(dataOf(await step(CreditProvisionallyDocument, dispute.id)).creditProvisionally).toMatchObject({ __typename: 'ValidationError', field: 'disputeId' });
    expect(dataOf(await step(WithdrawDisputeDocument, dispute.id, alice.token)).withdrawDispute).toMatchObject({ __typename: 'ValidationError' });

    const resolved = dataOf(await resolve(dispute.id, 'CUSTOMER')).resolveDispute;
    if (resolved.__typename !== 'DisputeChange') throw new Error(JSON.stringify(resolved));
    expect(resolved.transaction).toBeNull();
    expect(resolved.dispute).toMatchObject({ status: 'RESOLVED_CUSTOMER', nextDeadline: null, overdue: false, provisionalCredit: { id: credit.transaction.id }, credit: { id: credit.transaction.id } });
    expect(resolved.dispute.events.map((event) => [event.step, event.status, event.actor])).toEqual([
      ['OPENED', 'OPEN', alice.username],
      ['INVESTIGATION_STARTED', 'INVESTIGATING', teller.username],
      ['PROVISIONALLY_CREDITED', 'PROVISIONALLY_CREDITED', teller.username],
      ['RESOLVED_CUSTOMER', 'RESOLVED_CUSTOMER', teller.username],
    ]);
    // The customer sees the steps, not the operator's name.
    expect((await disputeAs(dispute.id, alice.token))?.events.map((event) => event.actor)).toEqual([alice.username, 'operator', 'operator', 'operator']);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00' });
    expect(dataOf(await resolve(dispute.id, 'BANK')).resolveDispute).toMatchObject({ __typename: 'ValidationError' });
    // The credit is the dispute's: reverseTransaction cannot undo it behind the dispute's back.
    const reversal = dataOf(await t.gql(ReverseTransactionDocument, { input: { transactionId: credit.transaction.id, reason: 'oops', idempotencyKey: randomUUID() } }, teller.token)).reverseTransaction;
    expect(reversal).toMatchObject({ __typename: 'ValidationError', field: 'transactionId' });
    // Nor the disputed debit: its money comes back through the dispute, not twice.
    const original = dataOf(await t.gql(ReverseTransactionDocument, { input: { transactionId: dispute.transaction.id, reason: 'refund', idempotencyKey: randomUUID() } }, teller.token)).reverseTransaction;
    expect(original).toMatchObject({ __typename: 'ValidationError', message: 'This transaction is disputed; resolve the dispute instead.' });
  });

  it('resolving for the customer without a provisional credit posts the credit then, final', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const dispute = await opened(await withdrawal(accountId, '25.00', 'ATM'));
    expect(dataOf(await resolve(dispute.id, 'CUSTOMER')).resolveDispute).toMatchObject({ __typename: 'ValidationError', field: 'disputeId' });
    await stepped(StartInvestigationDocument, dispute.id);
    const resolved = dataOf(await resolve(dispute.id, 'CUSTOMER')).resolveDispute;
    if (resolved.__typename !== 'DisputeChange') throw new Error(JSON.stringify(resolved));
    expect(resolved.transaction).toMatchObject({ kind: 'ADJUSTMENT', amount: '25.00' });
    expect(resolved.dispute).toMatchObject({ status: 'RESOLVED_CUSTOMER', provisionalCredit: null, credit: { id: resolved.transaction?.id } });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00' });
  });

  it('resolving for the bank without a credit moves nothing', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const dispute = await opened(await withdrawal(accountId, '10.00'));
    await stepped(StartInvestigationDocument, dispute.id);
    const resolved = dataOf(await resolve(dispute.id, 'BANK')).resolveDispute;
    expect(resolved).toMatchObject({ __typename: 'DisputeChange', transaction: null, dispute: { status: 'RESOLVED_BANK', credit: null } });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '90.00' });
  });

  it('for the bank after a credit: notice first, 5 business days, then the credit is reversed, even below the overdraft limit', async () => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const dispute = await opened(await withdrawal(accountId, '50.00'));
    await stepped(CreditProvisionallyDocument, dispute.id);
    // The customer spends the credit meanwhile.
    await withdrawal(accountId, '50.00', 'CASH');
    expect(dataOf(await resolve(dispute.id, 'BANK')).resolveDispute).toMatchObject({ __typename: 'ValidationError', message: expect.stringContaining('noticeReversal') });
    const noticed = dataOf(await step(NoticeReversalDocument, dispute.id, teller.token, 'letter sent')).noticeReversal;
    if (noticed.__typename !== 'DisputeChange') throw new Error(JSON.stringify(noticed));
    const notBefore = noticed.dispute.deadlines.reversalNotBefore;
    expect(notBefore).not.toBeNull();
    // The 5th business day after the notice's day begins (test/ledger/dispute-deadlines.test.ts has the calendar
    // cases): at least four days on, as from a Sunday evening to the Friday (not five: a weekend's notice).
    const noticedAt = new Date(noticed.dispute.events.at(-1)!.at);
    expect(new Date(notBefore!)).toEqual(reversalNotBefore(noticedAt, DEFAULT_DISPUTE_POLICY));
    expect(new Date(notBefore!).getTime() - noticedAt.getTime()).toBeGreaterThan(4 * DAY_MS);
    expect(noticed.dispute.events.at(-1)).toMatchObject({ step: 'REVERSAL_NOTICED', status: 'PROVISIONALLY_CREDITED', note: 'letter sent' });
    expect(dataOf(await step(NoticeReversalDocument, dispute.id)).noticeReversal).toMatchObject({ __typename: 'ValidationError' });
    const early = dataOf(await resolve(dispute.id, 'BANK')).resolveDispute;
    expect(early).toMatchObject({ __typename: 'ValidationError', message: expect.stringContaining(`reversalNotBefore, ${new Date(notBefore!).toISOString()}`) });

    const input = { disputeId: dispute.id, note: 'merchant proved delivery', idempotencyKey: randomUUID() };
    const result = await disputeStep(t.app.orm, 'RESOLVE_BANK', actorOf(teller, 'OPERATOR'), input, DEFAULT_DISPUTE_POLICY, { clock: () => new Date(notBefore!) });
    expect(result.outcome).toMatchObject({ ok: true, disputeId: dispute.id, transactionId: expect.any(String) });
    const after = await disputeAs(dispute.id, teller.token);
    expect(after).toMatchObject({ status: 'RESOLVED_BANK', creditReversal: { kind: 'ADJUSTMENT', amount: '50.00' }, provisionalCredit: { amount: '50.00' } });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '-50.00' });
  });

  it('the customer withdraws an open dispute; the transaction may then be disputed again', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const transactionId = await withdrawal(accountId, '10.00');
    const dispute = await opened(transactionId);
    expect(dataOf(await step(WithdrawDisputeDocument, dispute.id, teller.token)).withdrawDispute).toMatchObject({ __typename: 'NotFoundError' });
    expect(dataOf(await step(WithdrawDisputeDocument, dispute.id, bob.token)).withdrawDispute).toMatchObject({ __typename: 'NotFoundError' });
    const withdrawn = await stepped(WithdrawDisputeDocument, dispute.id, alice.token);
    expect(withdrawn.dispute).toMatchObject({ status: 'WITHDRAWN' });
    expect(dataOf(await step(StartInvestigationDocument, dispute.id)).startInvestigation).toMatchObject({ __typename: 'ValidationError' });
    const again = await opened(transactionId);
    expect(again.id).not.toBe(dispute.id);
  });

  it('the database refuses an illegal transition and any change to history', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const dispute = await opened(await withdrawal(accountId, '10.00'));
    const refused = (sql: string) => t.database.pool.query(sql, [dispute.id]).then(() => 'accepted', (error: Error) => error.message);
    expect(await refused(`update disputes set status = 'RESOLVED_CUSTOMER' where id = $1`)).toMatch(/cannot move from OPEN to RESOLVED_CUSTOMER/);
    expect(await refused(`update dispute_events set note = 'edited' where dispute_id = $1`)).not.toBe('accepted');
    expect(await refused(`delete from disputes where id = $1`)).not.toBe('accepted');
  });
});

describe('privacy and lists', () => {
  it('a customer sees only their own disputes; operators see all, nearest deadline first, paged', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const mine = await opened(await withdrawal(accountId, '3.00'));
    expect(await disputeAs(mine.id, bob.token)).toBeNull();
    expect(await disputeAs(mine.id, teller.token)).toMatchObject({ id: mine.id });
    // An operator's read of a customer's dispute is audited, as reads of their accounts are.
    const reads = await t.database.pool.query(`select actor_user_id from audit_events where action = 'operator.read_dispute' and target = $1`, [mine.id]);
    expect(reads.rows).toEqual([{ actor_user_id: teller.id }]);
    const bobs = dataOf(await t.gql(DisputesDocument, {}, bob.token)).disputes;
    expect(bobs.edges).toEqual([]);
    const alices = dataOf(await t.gql(DisputesDocument, { first: 100 }, alice.token)).disputes;
    expect(alices.edges.map((edge) => edge.node.id)).toContain(mine.id);

    const all: Array<{ id: string; nextDeadline: string | null; status: string }> = [];
    let after: string | null = null;
    for (;;) {
      const page: { edges: Array<{ node: { id: string; nextDeadline: string | null; status: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } =
        dataOf(await t.gql(DisputesDocument, { first: 2, after }, teller.token)).disputes;
      all.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(new Set(all.map((node) => node.id)).size).toBe(all.length);
    const keys = all.map((node) => (node.nextDeadline ? new Date(node.nextDeadline).getTime() : Number.POSITIVE_INFINITY));
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    expect(all.map((node) => node.id)).toContain(mine.id);
    const open = dataOf(await t.gql(DisputesDocument, { status: ['OPEN'], first: 100 }, teller.token)).disputes;
    expect(open.edges.every((edge) => edge.node.status === 'OPEN')).toBe(true);
    const bad = await t.gql(DisputesDocument, { after: 'not-a-cursor' }, teller.token);
    expect(JSON.stringify(bad.errors)).toContain('after is not a cursor');
  });

  it('an overdue dispute leads the operators’ list and says so', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const transactionId = await withdrawal(accountId, '4.00', 'ACH');
    // Opened (by the unit's clock) 100 days ago: both its deadlines have passed. The app's own
    // scheduler may credit it meanwhile; it stays overdue either way (its resolution is late).
    const input = { transactionId, reason: 'OTHER' as const, description: null, idempotencyKey: randomUUID() };
    const late = await openDispute(t.app.orm, actorOf(alice), input, DEFAULT_DISPUTE_POLICY, { clock: () => new Date(Date.now() - 100 * DAY_MS) });
    if (!late.outcome.ok) throw new Error(JSON.stringify(late.outcome));
    const first = dataOf(await t.gql(DisputesDocument, { first: 1 }, teller.token)).disputes.edges[0]?.node;
    expect(first).toMatchObject({ id: late.outcome.disputeId, overdue: true });
    expect(new Date(first!.nextDeadline!).getTime()).toBeLessThan(Date.now());
  });

  it('disputeUpdated pushes every change to the owner; a stranger is refused', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const dispute = await opened(await withdrawal(accountId, '7.00'));
    const query = `subscription($id: ID!) { disputeUpdated(disputeId: $id) { id status events { step actor } } }`;
    const socket = openSocket(t.url, alice.token);
    const stranger = openSocket(t.url, bob.token);
    try {
      const live = subscribe<{ disputeUpdated: { id: string; status: string } }>(socket, query, { id: dispute.id });
      const refused = subscribe<unknown>(stranger, query, { id: dispute.id });
      await refused.waitForEnd(10_000);
      expect(JSON.stringify({ error: refused.error, results: refused.results })).toContain('No such dispute');
      // The first update is the dispute as it stands: from then on the subscription is live.
      await live.waitUntil((subscription) => subscription.data().length === 1, 10_000, 'the current state');
      await stepped(StartInvestigationDocument, dispute.id);
      await stepped(CreditProvisionallyDocument, dispute.id);
      await live.waitUntil((subscription) => subscription.data().some((data) => data.disputeUpdated.status === 'PROVISIONALLY_CREDITED'), 10_000, 'the credit');
      expect(live.data().map((data) => data.disputeUpdated.status)).toEqual(['OPEN', 'INVESTIGATING', 'PROVISIONALLY_CREDITED']);
      live.unsubscribe();
    } finally {
      await socket.dispose();
      await stranger.dispose();
    }
  });
});

describe('races', () => {
  it('two concurrent openDispute on one transaction make one dispute', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const transactionId = await withdrawal(accountId, '9.00');
    const results = await Promise.all([open(transactionId), open(transactionId), open(transactionId)]);
    const typenames = results.map((result) => dataOf(result).openDispute.__typename).sort();
    expect(typenames).toEqual(['DisputeChange', 'ValidationError', 'ValidationError']);
    const { rows } = await t.database.pool.query(`select count(*)::int as n from disputes where transaction_id = $1`, [transactionId]);
    expect(rows[0].n).toBe(1);
  });

  it('an operator’s credit and a concurrent second credit credit once', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const dispute = await opened(await withdrawal(accountId, '20.00'));
    const results = await Promise.all([step(CreditProvisionallyDocument, dispute.id), step(CreditProvisionallyDocument, dispute.id)]);
    expect(results.map((result) => dataOf(result).creditProvisionally.__typename).sort()).toEqual(['DisputeChange', 'ValidationError']);
    expect(await balanceOf(accountId)).toMatchObject({ posted: '100.00' });
  });
});
