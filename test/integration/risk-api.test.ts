import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApproveReviewDocument,
  DeclineReviewDocument,
  DisableRiskRuleDocument,
  ReviewsDocument,
  RiskDepositDocument,
  RiskRulesDocument,
  RiskTransferDocument,
  RiskWithdrawDocument,
  TransactionReviewDocument,
  UpsertRiskRuleDocument,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/** The risk API (issue 9 §1) over GraphQL: operators manage rules and decide reviews, audited; customers see only their own reviews, never a rule. */
let t: TestApp;
let operator: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  operator = await t.user('OPERATOR');
});
afterAll(() => t.close());

/** A wire over 5,000.00 from a fresh customer's account: sent to review by the built-in rule. */
async function wireInReview(): Promise<{ customer: TestUser; accountId: string; reviewId: string; holdTransactionId: string | undefined; key: string }> {
  const customer = await t.user();
  const accountId = await t.account(customer, { opening: '9000.00' });
  const key = randomUUID();
  const result = dataOf(await t.gql(RiskWithdrawDocument, { input: { accountId, amount: '6000.00', channel: 'WIRE', idempotencyKey: key } }, customer.token)).withdraw;
  if (result.__typename !== 'MovementInReview') throw new Error(`not in review: ${JSON.stringify(result)}`);
  const { rows } = await t.database.pool.query('select h.authorization_transaction_id as id from reviews r join holds h on h.id = r.hold_id where r.id = $1', [result.review.id]);
  return { customer, accountId, reviewId: result.review.id, holdTransactionId: rows[0]?.id, key };
}

describe('bad input with the risk step on', () => {
  it('a transfer to a destination that is not an account id answers its typed error and moves nothing, as with the step off', async () => {
    const customer = await t.user();
    const accountId = await t.account(customer, { opening: '100.00' });
    const answers = await Promise.all(
      ['nope', randomUUID()].map(async (toAccountId) =>
        dataOf(await t.gql(RiskTransferDocument, { input: { fromAccountId: accountId, toAccountId, amount: '10.00', idempotencyKey: randomUUID() } }, customer.token)).transfer),
    );
    for (const answer of answers) expect(answer).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const { rows } = await t.database.pool.query<{ posted: string; entries: number }>(
      'select a.posted_minor::text as posted, (select count(*)::int from entries e where e.account_id = a.id) as entries from accounts a where a.id = $1',
      [accountId],
    );
    expect(rows[0]).toEqual({ posted: '10000', entries: 1 });
  });
});

describe('a movement in review, as the customer sees it', () => {
  it('answers MovementInReview: available dropped, nothing posted, the review pending without its rules', async () => {
    const customer = await t.user();
    const accountId = await t.account(customer, { opening: '9000.00' });
    const result = dataOf(await t.gql(RiskWithdrawDocument, { input: { accountId, amount: '6000.00', channel: 'WIRE', idempotencyKey: randomUUID() } }, customer.token)).withdraw;
    expect(result).toMatchObject({
      __typename: 'MovementInReview',
      replayed: false,
      review: { status: 'PENDING', kind: 'WITHDRAWAL', channel: 'WIRE', amount: '6000.00', currency: 'USD', accountId, hits: [], features: '{}', transaction: null, hold: { status: 'ACTIVE', reason: 'RISK_REVIEW' } },
    });
    if (result.__typename !== 'MovementInReview') return;
    expect(result.balances[0]).toMatchObject({ posted: '9000.00' });
    expect(Number(result.balances[0]!.available)).toBeLessThanOrEqual(3000);
  });

  it('operators see the hits with their rule version and the features', async () => {
    const { reviewId } = await wireInReview();
    const page = dataOf(await t.gql(ReviewsDocument, { status: ['PENDING'], first: 10 }, operator.token)).reviews;
    const review = page.edges.map((edge) => edge.node).find((node) => node.id === reviewId);
    expect(review?.hits).toEqual([{ reason: expect.stringContaining('wire'), rule: expect.objectContaining({ id: 'wire-over-5000', version: 1, action: 'REVIEW' }) }]);
    expect(JSON.parse(review!.features)).toMatchObject({ amount: '600000', channel: 'WIRE', kind: 'WITHDRAWAL' });
  });
});

describe('operator reads of the risk desk are audited', () => {
  it('riskRules and reviews each write one line for the operator; a refused customer reads nothing and writes none', async () => {
    const reader = await t.user('OPERATOR');
    const customer = await t.user();
    const rules = dataOf(await t.gql(RiskRulesDocument, {}, reader.token)).riskRules;
    dataOf(await t.gql(ReviewsDocument, { status: ['PENDING'], first: 5 }, reader.token));
    expect((await t.gql(RiskRulesDocument, {}, customer.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const { rows } = await t.database.pool.query(
      `select actor_user_id, action, outcome, target, details from audit_events where action in ('operator.read_risk_rules', 'operator.read_reviews') and actor_user_id in ($1, $2) order by occurred_at, id`,
      [reader.id, customer.id],
    );
    expect(rows).toEqual([
      { actor_user_id: reader.id, action: 'operator.read_risk_rules', outcome: 'OK', target: null, details: { rulesListed: rules.length } },
      { actor_user_id: reader.id, action: 'operator.read_reviews', outcome: 'OK', target: null, details: { first: 5, after: null, statuses: ['PENDING'] } },
    ]);
  });
});

describe('privacy', () => {
  it('a customer cannot list rules or the queue, nor decide a review (FORBIDDEN)', async () => {
    const { customer, reviewId } = await wireInReview();
    for (const response of [
      await t.gql(RiskRulesDocument, {}, customer.token),
      await t.gql(ReviewsDocument, {}, customer.token),
      await t.gql(ApproveReviewDocument, { input: { reviewId, idempotencyKey: randomUUID() } }, customer.token),
      await t.gql(UpsertRiskRuleDocument, { input: { name: 'mine', condition: 'false', action: 'ALLOW', reason: 'x', priority: 1 } }, customer.token),
    ]) {
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('a customer sees their own review on its transaction; another customer does not', async () => {
    const { customer, reviewId, holdTransactionId } = await wireInReview();
    const stranger = await t.user();
    const own = dataOf(await t.gql(TransactionReviewDocument, { id: holdTransactionId! }, customer.token)).transaction;
    expect(own).toMatchObject({ kind: 'HOLD', review: { id: reviewId, status: 'PENDING' } });
    const foreign = await t.gql(TransactionReviewDocument, { id: holdTransactionId! }, stranger.token);
    expect(foreign.data?.transaction ?? null).toBeNull();
  });

  it('a payee never sees the payer\'s review on the posted transfer', async () => {
    const payer = await t.user();
    const payee = await t.user();
    const from = await t.account(payer, { opening: '3000.00' });
    const to = await t.account(payee);
    const sent = dataOf(await t.gql(RiskTransferDocument, { input: { fromAccountId: from, toAccountId: to, amount: '1500.00', idempotencyKey: randomUUID() } }, payer.token)).transfer;
    if (sent.__typename !== 'MovementInReview') throw new Error(sent.__typename);
    expect(sent.balances.map((balance) => balance.accountId)).toEqual([from]);
    const approved = dataOf(await t.gql(ApproveReviewDocument, { input: { reviewId: sent.review.id, idempotencyKey: randomUUID() } }, operator.token)).approveReview;
    if (approved.__typename !== 'ReviewDecision') throw new Error(approved.__typename);
    const seenByPayee = dataOf(await t.gql(TransactionReviewDocument, { id: approved.transaction!.id }, payee.token)).transaction;
    expect(seenByPayee).toMatchObject({ kind: 'TRANSFER', review: null });
    const seenByPayer = dataOf(await t.gql(TransactionReviewDocument, { id: approved.transaction!.id }, payer.token)).transaction;
    expect(seenByPayer).toMatchObject({ kind: 'TRANSFER', review: { id: sent.review.id, status: 'APPROVED' } });
  });
});

describe('operators decide reviews, audited', () => {
  it('approve posts the wire; the customer\'s retry with the same key answers MoneyMovement; approving again is VALIDATION', async () => {
    const { customer, accountId, reviewId, key } = await wireInReview();
    const decisionKey = randomUUID();
    const approved = dataOf(await t.gql(ApproveReviewDocument, { input: { reviewId, note: 'verified by phone', idempotencyKey: decisionKey } }, operator.token)).approveReview;
    expect(approved).toMatchObject({ __typename: 'ReviewDecision', review: { status: 'APPROVED', note: 'verified by phone' }, transaction: { kind: 'WITHDRAWAL' }, replayed: false });
    const replayedDecision = dataOf(await t.gql(ApproveReviewDocument, { input: { reviewId, note: 'verified by phone', idempotencyKey: decisionKey } }, operator.token)).approveReview;
    expect(replayedDecision).toMatchObject({ __typename: 'ReviewDecision', replayed: true });
    const retry = dataOf(await t.gql(RiskWithdrawDocument, { input: { accountId, amount: '6000.00', channel: 'WIRE', idempotencyKey: key } }, customer.token)).withdraw;
    expect(retry).toMatchObject({ __typename: 'MoneyMovement', replayed: true });
    const again = dataOf(await t.gql(ApproveReviewDocument, { input: { reviewId, idempotencyKey: randomUUID() } }, operator.token)).approveReview;
    expect(again).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION' });
    const { rows } = await t.database.pool.query(`select action, outcome from audit_events where target = $1 order by occurred_at`, [reviewId]);
    expect(rows.map((row) => `${row.action} ${row.outcome}`)).toEqual(['operator.approve_review OK', 'operator.approve_review OK', 'operator.approve_review DENIED']);
  });

  it("a service's deposit in review: it sees its review and the account it moved, audited; approved, its key answers the deposit", async () => {
    const customer = await t.user();
    const accountId = await t.account(customer, { opening: '100.00' });
    const cashier = await t.cashier();
    const input = { accountId, amount: '10000.00', channel: 'CASH' as const, idempotencyKey: randomUUID() };
    const sent = dataOf(await t.gql(RiskDepositDocument, { input }, cashier.token)).deposit;
    expect(sent).toMatchObject({ __typename: 'MovementInReview', review: { status: 'PENDING', kind: 'DEPOSIT', channel: 'CASH', accountId }, balances: [{ accountId, posted: '100.00' }] });
    if (sent.__typename !== 'MovementInReview') return;
    const approved = dataOf(await t.gql(ApproveReviewDocument, { input: { reviewId: sent.review.id, idempotencyKey: randomUUID() } }, operator.token)).approveReview;
    expect(approved).toMatchObject({ __typename: 'ReviewDecision', transaction: { kind: 'DEPOSIT' } });
    const retry = dataOf(await t.gql(RiskDepositDocument, { input }, cashier.token)).deposit;
    expect(retry).toMatchObject({ __typename: 'MoneyMovement', replayed: true, balances: [{ accountId, posted: '10100.00' }] });
    const { rows } = await t.database.pool.query(
      `select outcome, details ->> 'replayed' as replayed from audit_events where action = 'service.deposit' and actor_user_id = $1 and details ->> 'idempotencyKey' = $2 order by occurred_at, id`,
      [cashier.id, input.idempotencyKey],
    );
    expect(rows).toEqual([{ outcome: 'OK', replayed: 'false' }, { outcome: 'OK', replayed: 'true' }]);
  });

  it('decline answers the customer RISK_DECLINED from then on', async () => {
    const { customer, accountId, reviewId, key } = await wireInReview();
    const declined = dataOf(await t.gql(DeclineReviewDocument, { input: { reviewId, idempotencyKey: randomUUID() } }, operator.token)).declineReview;
    expect(declined).toMatchObject({ __typename: 'ReviewDecision', review: { status: 'DECLINED' }, transaction: null });
    const retry = dataOf(await t.gql(RiskWithdrawDocument, { input: { accountId, amount: '6000.00', channel: 'WIRE', idempotencyKey: key } }, customer.token)).withdraw;
    expect(retry).toMatchObject({ __typename: 'RiskDeclinedError', code: 'RISK_DECLINED' });
  });
});

describe('rules', () => {
  it('a condition that does not compile, or reads an unknown feature, is refused with the compiler\'s message', async () => {
    const bad = dataOf(await t.gql(UpsertRiskRuleDocument, { input: { name: 'Broken', condition: 'amount >', action: 'REVIEW', reason: 'x', priority: 10 } }, operator.token)).upsertRiskRule;
    expect(bad).toMatchObject({ __typename: 'ValidationError', field: 'condition' });
    const unknown = dataOf(await t.gql(UpsertRiskRuleDocument, { input: { name: 'Unknown', condition: 'customerIncome > 5', action: 'REVIEW', reason: 'x', priority: 10 } }, operator.token)).upsertRiskRule;
    expect(unknown).toMatchObject({ __typename: 'ValidationError', field: 'condition', message: expect.stringContaining('customerIncome') });
    const { rows } = await t.database.pool.query(`select count(*)::int as n from risk_rules where name in ('Broken', 'Unknown')`);
    expect(rows[0].n).toBe(0);
  });

  it('a DENY rule refuses with its public message, never its condition; editing makes version 2; disabling turns it off', async () => {
    const rule = { name: 'No ZELLE over 50.00', condition: 'channel == "ZELLE" && amount > 5000', action: 'DENY' as const, reason: 'test', publicMessage: 'Zelle is limited to 50.00 a payment.', priority: 5, currency: 'USD' };
    expect(dataOf(await t.gql(UpsertRiskRuleDocument, { input: rule }, operator.token)).upsertRiskRule).toMatchObject({ __typename: 'RiskRule', version: 1, enabled: true });
    const customer = await t.user();
    const accountId = await t.account(customer, { opening: '100.00' });
    const refused = dataOf(await t.gql(RiskWithdrawDocument, { input: { accountId, amount: '60.00', channel: 'ZELLE', idempotencyKey: randomUUID() } }, customer.token)).withdraw;
    expect(refused).toEqual({ __typename: 'RiskDeclinedError', code: 'RISK_DECLINED', message: 'Zelle is limited to 50.00 a payment.' });
    expect(dataOf(await t.gql(UpsertRiskRuleDocument, { input: { ...rule, condition: 'channel == "ZELLE" && amount > 7000' } }, operator.token)).upsertRiskRule).toMatchObject({ version: 2 });
    const disabled = dataOf(await t.gql(DisableRiskRuleDocument, { name: rule.name }, operator.token)).disableRiskRule;
    expect(disabled).toMatchObject({ __typename: 'RiskRule', version: 3, enabled: false });
    const passes = dataOf(await t.gql(RiskWithdrawDocument, { input: { accountId, amount: '60.00', channel: 'ZELLE', idempotencyKey: randomUUID() } }, customer.token)).withdraw;
    expect(passes.__typename).toBe('MoneyMovement');
    const rules = dataOf(await t.gql(RiskRulesDocument, {}, operator.token)).riskRules;
    expect(rules.find((listed) => listed.name === rule.name)).toMatchObject({ version: 3, enabled: false });
    expect(rules.filter((listed) => listed.currency === 'USD' || listed.currency === null).length).toBeGreaterThanOrEqual(5);
    expect(dataOf(await t.gql(DisableRiskRuleDocument, { name: 'no such rule' }, operator.token)).disableRiskRule).toMatchObject({ __typename: 'NotFoundError' });
  });
});

describe('two operators saving one rule at once', () => {
  it('one saves the next version, the other is told to read it again (VALIDATION), nothing is lost', async () => {
    const second = await t.user('OPERATOR');
    const rule = { name: 'Card over 900.00', condition: 'channel == "CARD" && amount > 90000', action: 'REVIEW' as const, reason: 'test', priority: 7, currency: 'USD' };
    dataOf(await t.gql(UpsertRiskRuleDocument, { input: rule }, operator.token));
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) => t.gql(UpsertRiskRuleDocument, { input: { ...rule, priority: 8 + index } }, (index % 2 ? second : operator).token)),
    );
    const results = answers.map((answer) => dataOf(answer).upsertRiskRule);
    const saved = results.filter((result) => result.__typename === 'RiskRule');
    expect(saved.length).toBeGreaterThanOrEqual(1);
    expect(results.every((result) => result.__typename === 'RiskRule' || (result.__typename === 'ValidationError' && result.field === 'name'))).toBe(true);
    const { rows } = await t.database.pool.query(`select max(version)::int as latest, count(*)::int as versions from risk_rules where name = $1`, [rule.name]);
    expect(rows[0]).toEqual({ latest: 1 + saved.length, versions: 1 + saved.length });
  });
});
