import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApproveReviewDocument,
  AuthorizeHoldDocument,
  BalanceDocument,
  CaptureHoldDocument,
  OpenDisputeDocument,
  RiskWithdrawDocument,
  WithdrawDocument,
  type WithdrawInput,
} from '../generated/graphql.js';
import { disputeDeadlines } from '../../src/ledger/disputes/dispute-deadlines.js';
import { DEFAULT_DISPUTE_POLICY } from '../../src/ledger/disputes/dispute-policy.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * Foreign debits (issue 9 §2: resolution by the 90th day for point-of-sale and foreign debits):
 * a withdrawal or card hold may say where it was initiated (originCountry); a capture carries its
 * hold's; a dispute of a debit from another country than BANK_COUNTRY (US here) gets 90 days to
 * be resolved, a domestic one 45. A bad code is VALIDATION and moves nothing.
 */
let t: TestApp;
let alice: TestUser;
let rails: TestUser;
let operator: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [alice, rails, operator] = await Promise.all([t.user(), t.user('SERVICE', { channels: ['CARD', 'ATM', 'CASH'] }), t.user('OPERATOR')]);
});
afterAll(() => t.close());

const originOf = async (table: 'ledger_transactions' | 'holds', id: string) =>
  (await t.database.pool.query(`select origin_country from ${table} where id = $1`, [id])).rows[0]?.origin_country as string | null | undefined;

async function withdrawn(input: Omit<WithdrawInput, 'idempotencyKey'>) {
  const token = input.channel === 'ACH' ? alice.token : rails.token;
  return dataOf(await t.gql(WithdrawDocument, { input: { ...input, idempotencyKey: randomUUID() } }, token)).withdraw;
}

/** The dispute's resolution deadline, and what 45 and 90 days from its opening would be. */
async function disputed(transactionId: string, owner = alice) {
  const result = dataOf(await t.gql(OpenDisputeDocument, { input: { transactionId, reason: 'UNAUTHORIZED', description: 'not me', idempotencyKey: randomUUID() } }, owner.token)).openDispute;
  if (result.__typename !== 'DisputeChange') throw new Error(JSON.stringify(result));
  const openedAt = new Date(String(result.dispute.createdAt));
  const accountOpenedAt = new Date(openedAt.getTime() - 365 * 24 * 60 * 60_000);
  const days = (extendedInvestigation: boolean) => disputeDeadlines({ openedAt, accountOpenedAt, extendedInvestigation }, DEFAULT_DISPUTE_POLICY).resolutionBy.toISOString();
  return { resolutionBy: new Date(String(result.dispute.deadlines.resolutionBy)).toISOString(), fortyFive: days(false), ninety: days(true) };
}

const transactionOf = (change: { transaction?: { id: string } | null }): string => {
  if (!change.transaction) throw new Error('the hold change wrote no transaction');
  return change.transaction.id;
};

/** An account opened long enough ago that it is not new (a new one gets 90 days whatever the origin). */
async function seasonedAccount(opening = '500.00', owner = alice): Promise<string> {
  const accountId = await t.account(owner, { opening });
  await t.database.pool.query(`alter table accounts disable trigger user`);
  try {
    await t.database.pool.query(`update accounts set created_at = created_at - interval '400 days' where id = $1`, [accountId]);
  } finally {
    await t.database.pool.query(`alter table accounts enable trigger user`);
  }
  return accountId;
}

describe('a debit says where it was initiated; a foreign one gets 90 days to resolve a dispute', () => {
  it.each([
    ['ACH naming no country', 'ACH', undefined, 'fortyFive'],
    ['ACH initiated in the US (the bank\'s country)', 'ACH', 'US', 'fortyFive'],
    ['ACH initiated in Canada', 'ACH', 'CA', 'ninety'],
    ['an ATM withdrawal in Germany', 'ATM', 'DE', 'ninety'],
  ] as const)('%s', async (_why, channel, originCountry, expected) => {
    const accountId = await seasonedAccount();
    const result = await withdrawn({ accountId, amount: '12.00', channel, ...(originCountry ? { originCountry } : {}) });
    if (result.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(result));
    expect(await originOf('ledger_transactions', result.transaction.id)).toBe(originCountry ?? null);
    expect(result.transaction.originCountry, 'the API shows where it was initiated').toBe(originCountry ?? null);
    const deadlines = await disputed(result.transaction.id);
    expect(deadlines.resolutionBy).toBe(deadlines[expected]);
    expect(deadlines.fortyFive).not.toBe(deadlines.ninety);
  });

  it('a card hold keeps its origin and its capture carries it', async () => {
    const accountId = await seasonedAccount();
    const held = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '30.00', channel: 'CARD', originCountry: 'FR', idempotencyKey: randomUUID() } }, rails.token)).authorizeHold;
    if (held.__typename !== 'HoldChange') throw new Error(JSON.stringify(held));
    expect(await originOf('holds', held.hold.id)).toBe('FR');
    expect([held.hold.originCountry, held.transaction?.originCountry], 'the API shows the hold\'s origin').toEqual(['FR', 'FR']);
    expect(await originOf('ledger_transactions', transactionOf(held))).toBe('FR');
    const captured = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: held.hold.id, amount: '25.00', idempotencyKey: randomUUID() } }, rails.token)).captureHold;
    if (captured.__typename !== 'HoldChange') throw new Error(JSON.stringify(captured));
    expect(await originOf('ledger_transactions', transactionOf(captured))).toBe('FR');
    expect(captured.transaction?.originCountry).toBe('FR');
    // A hold's origin is as immutable as the rest of it.
    await expect(t.database.pool.query(`update holds set origin_country = 'US' where id = $1`, [held.hold.id])).rejects.toThrow(/hold .* is CAPTURED|may change/);
    const deadlines = await disputed(transactionOf(captured));
    expect(deadlines.resolutionBy).toBe(deadlines.ninety);
  });

  it('a foreign wire sent to review keeps its origin through the review: approved, it posts with it', async () => {
    // Their own customer: alice's other openings today would put 9,000.00 of cash over the cash rule.
    const bea = await t.user();
    const accountId = await seasonedAccount('9000.00', bea);
    const sent = dataOf(await t.gql(RiskWithdrawDocument, { input: { accountId, amount: '6000.00', channel: 'WIRE', originCountry: 'GB', idempotencyKey: randomUUID() } }, bea.token)).withdraw;
    if (sent.__typename !== 'MovementInReview') throw new Error(JSON.stringify(sent));
    const { rows } = await t.database.pool.query(`select origin_country from reviews where id = $1`, [sent.review.id]);
    expect(rows).toEqual([{ origin_country: 'GB' }]);
    const approved = dataOf(await t.gql(ApproveReviewDocument, { input: { reviewId: sent.review.id, note: 'called them', idempotencyKey: randomUUID() } }, operator.token)).approveReview;
    if (approved.__typename !== 'ReviewDecision' || !approved.transaction) throw new Error(JSON.stringify(approved));
    expect(await originOf('ledger_transactions', approved.transaction.id)).toBe('GB');
    const deadlines = await disputed(approved.transaction.id, bea);
    expect(deadlines.resolutionBy).toBe(deadlines.ninety);
  });

  it.each([['XX', 'not assigned'], ['de', 'lower case'], ['DEU', 'alpha-3'], ['', 'empty']])('originCountry "%s" (%s) is VALIDATION and moves nothing', async (originCountry) => {
    const accountId = await t.account(alice, { opening: '50.00' });
    const result = await withdrawn({ accountId, amount: '5.00', channel: 'ACH', originCountry });
    expect(result).toMatchObject({ __typename: 'ValidationError', field: 'originCountry' });
    const hold = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '5.00', channel: 'CARD', originCountry, idempotencyKey: randomUUID() } }, rails.token)).authorizeHold;
    expect(hold).toMatchObject({ __typename: 'ValidationError', field: 'originCountry' });
    expect(dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance).toMatchObject({ posted: '50.00', available: '50.00' });
  });
});
