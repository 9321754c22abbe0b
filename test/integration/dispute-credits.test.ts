import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorizeHoldDocument,
  BalanceDocument,
  CaptureHoldDocument,
  CreditProvisionallyDocument,
  DisputeDocument,
  OpenDisputeDocument,
  WithdrawDisputeDocument,
  WithdrawDocument,
} from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { createLogger } from '../../src/logger.js';
import { DisputeCredits } from '../../src/ledger/system/dispute-credits.js';
import { auditSystemDisputeCredit } from '../../src/resolvers/disputes.js';
import { DEFAULT_DISPUTE_POLICY } from '../../src/ledger/disputes/dispute-policy.js';
import { disputeStep } from '../../src/ledger/commands/dispute-commands.js';
import { SYSTEM_ACTOR } from '../../src/ledger/system/system-actor.js';

let t: TestApp;
let alice: TestUser;
let teller: TestUser;
/** The card processor and ATM network: card and ATM debits are the rails' to post. */
let rails: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  [alice, teller, rails] = await Promise.all([t.user(), t.user('OPERATOR'), t.user('SERVICE', { channels: ['CARD', 'ATM'] })]);
});
afterAll(() => t.close());

const logger = createLogger('silent');
const schedulerAt = (at: Date, changed?: (ids: readonly string[]) => Promise<void>) => new DisputeCredits(t.app.orm, logger, DEFAULT_DISPUTE_POLICY, { audit: auditSystemDisputeCredit, ...(changed ? { changed } : {}) }, 1_000, () => at);

async function disputedCardCapture(amount = '30.00') {
  const accountId = await t.account(alice, { opening: '100.00' });
  const held = dataOf(await t.gql(AuthorizeHoldDocument, { input: { accountId, amount: '80.00', channel: 'CARD', idempotencyKey: randomUUID() } }, rails.token)).authorizeHold;
  if (held.__typename !== 'HoldChange') throw new Error(JSON.stringify(held));
  const capture = dataOf(await t.gql(CaptureHoldDocument, { input: { holdId: held.hold.id, amount, idempotencyKey: randomUUID() } }, rails.token)).captureHold;
  if (capture.__typename !== 'HoldChange' || !capture.transaction) throw new Error(JSON.stringify(capture));
  const opened = dataOf(await t.gql(OpenDisputeDocument, { input: { transactionId: capture.transaction.id, reason: 'NOT_RECEIVED', idempotencyKey: randomUUID() } }, alice.token)).openDispute;
  if (opened.__typename !== 'DisputeChange') throw new Error(JSON.stringify(opened));
  return { accountId, dispute: opened.dispute, creditBy: new Date(opened.dispute.deadlines.provisionalCreditBy) };
}
const postedOf = async (accountId: string) => dataOf(await t.gql(BalanceDocument, { accountId }, alice.token)).balance?.posted;
const disputeOf = async (id: string) => dataOf(await t.gql(DisputeDocument, { id }, alice.token)).dispute;

describe('the scheduler gives the provisional credit when its deadline arrives', () => {
  it('credits a disputed card capture once, as @system under provisional-credit:<id>, and tells who listens', async () => {
    const { accountId, dispute, creditBy } = await disputedCardCapture();
    expect(await postedOf(accountId)).toBe('70.00');
    // A moment before the deadline: not yet.
    expect(await schedulerAt(new Date(creditBy.getTime() - 1)).round()).toBe(0);
    const told: string[] = [];
    const scheduler = schedulerAt(creditBy, async (ids) => void told.push(...ids));
    expect(await scheduler.round()).toBeGreaterThanOrEqual(1);
    expect(told).toContain(dispute.id);
    expect(await postedOf(accountId)).toBe('100.00');
    const after = await disputeOf(dispute.id);
    expect(after).toMatchObject({ status: 'PROVISIONALLY_CREDITED', provisionalCredit: { kind: 'ADJUSTMENT', amount: '30.00' } });
    expect(after?.events.at(-1)).toMatchObject({ step: 'PROVISIONALLY_CREDITED', actor: '@system', note: 'Provisional credit deadline reached', transaction: { kind: 'ADJUSTMENT' } });
    const { rows } = await t.database.pool.query(`select initiated_by, idempotency_key from ledger_transactions where kind = 'ADJUSTMENT' and id = $1`, [after?.provisionalCredit?.id]);
    expect(rows).toEqual([{ initiated_by: SYSTEM_ACTOR.userId, idempotency_key: `provisional-credit:${dispute.id}` }]);
    const audits = await t.database.pool.query(`select actor_user_id, outcome, details from audit_events where action = 'dispute.step' and target = $1`, [dispute.id]);
    expect(audits.rows).toEqual([
      { actor_user_id: SYSTEM_ACTOR.userId, outcome: 'OK', details: { step: 'CREDIT_PROVISIONALLY', idempotencyKey: `provisional-credit:${dispute.id}`, replayed: false } },
    ]);

    // Later rounds find nothing due; the same key replays rather than credits twice.
    expect(await schedulerAt(new Date(creditBy.getTime() + 86_400_000)).round()).toBe(0);
    const replay = await disputeStep(t.app.orm, 'CREDIT_PROVISIONALLY', SYSTEM_ACTOR, { disputeId: dispute.id, note: 'Provisional credit deadline reached', idempotencyKey: `provisional-credit:${dispute.id}` }, DEFAULT_DISPUTE_POLICY);
    expect(replay).toMatchObject({ replayed: true, outcome: { ok: true, disputeId: dispute.id } });
    expect(await postedOf(accountId)).toBe('100.00');
  });

  it('leaves alone a dispute an operator credited early, and one the customer withdrew', async () => {
    const early = await disputedCardCapture('10.00');
    const credited = dataOf(await t.gql(CreditProvisionallyDocument, { input: { disputeId: early.dispute.id, idempotencyKey: randomUUID() } }, teller.token)).creditProvisionally;
    expect(credited).toMatchObject({ __typename: 'DisputeChange' });
    const withdrawn = await disputedCardCapture('12.00');
    expect(dataOf(await t.gql(WithdrawDisputeDocument, { input: { disputeId: withdrawn.dispute.id, idempotencyKey: randomUUID() } }, alice.token)).withdrawDispute).toMatchObject({ __typename: 'DisputeChange' });
    await schedulerAt(new Date(Math.max(early.creditBy.getTime(), withdrawn.creditBy.getTime()))).round();
    expect(await postedOf(early.accountId)).toBe('100.00');
    expect(await postedOf(withdrawn.accountId)).toBe('88.00');
    expect(await disputeOf(withdrawn.dispute.id)).toMatchObject({ status: 'WITHDRAWN', credit: null });
  });

  it('two schedulers racing credit each dispute once', async () => {
    const disputes = await Promise.all([disputedCardCapture('5.00'), disputedCardCapture('6.00'), disputedCardCapture('7.00')]);
    const at = new Date(Math.max(...disputes.map((one) => one.creditBy.getTime())));
    await Promise.all([schedulerAt(at).round(), schedulerAt(at).round(), schedulerAt(at).round()]);
    for (const { accountId, dispute } of disputes) {
      expect(await postedOf(accountId)).toBe('100.00');
      expect((await disputeOf(dispute.id))?.events.filter((event) => event.step === 'PROVISIONALLY_CREDITED')).toHaveLength(1);
    }
  });

  it('a plain card withdrawal is credited the same way', async () => {
    const accountId = await t.account(alice, { opening: '100.00' });
    const spent = dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount: '15.00', channel: 'ATM', idempotencyKey: randomUUID() } }, rails.token)).withdraw;
    if (spent.__typename !== 'MoneyMovement') throw new Error(JSON.stringify(spent));
    const opened = dataOf(await t.gql(OpenDisputeDocument, { input: { transactionId: spent.transaction.id, reason: 'UNAUTHORIZED', idempotencyKey: randomUUID() } }, alice.token)).openDispute;
    if (opened.__typename !== 'DisputeChange') throw new Error(JSON.stringify(opened));
    await schedulerAt(new Date(opened.dispute.deadlines.provisionalCreditBy)).round();
    expect(await postedOf(accountId)).toBe('100.00');
  });
});
