import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { withdraw } from '../../src/ledger/commands/withdraw.js';
import { transfer } from '../../src/ledger/commands/transfer.js';
import { deposit } from '../../src/ledger/commands/deposit.js';
import { reverseTransaction } from '../../src/ledger/commands/reverse-transaction.js';
import { approveReview, declineReview, expireReviewCommand, readReviewLocks } from '../../src/ledger/commands/decide-review.js';
import { runSystemCommands } from '../../src/ledger/system/run-system-commands.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { DEFAULT_REVIEW_TIMEOUT_MS, type RiskCheck } from '../../src/ledger/risk/judge-movement.js';
import { disableRiskRule, upsertRiskRule } from '../../src/ledger/risk/rule-store.js';
import { replayRiskDecision } from '../../src/ledger/risk/replay-decision.js';
import { SYSTEM_USER_ID } from '../../src/ledger/system/system-actor.js';
import type { Actor } from '../../src/ledger/types.js';
import { HoldExpiry } from '../../src/ledger/system/hold-expiry.js';
import { createLogger } from '../../src/logger.js';
import { returnDeposit } from '../../src/ledger/commands/return-deposit.js';
import { disputeStep, openDispute } from '../../src/ledger/commands/dispute-commands.js';
import { DEFAULT_DISPUTE_POLICY } from '../../src/ledger/disputes/dispute-policy.js';

/**
 * The risk step on real PostgreSQL (issue 9 §1): rules judge every withdrawal and transfer, a DENY
 * moves nothing, a REVIEW holds the money until an operator or the timeout decides, exactly once.
 * The built-in rules are on, as in production.
 */
let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let operator: TestUser;
const RISK: RiskCheck = { calendar: DEFAULT_AVAILABILITY_POLICY.calendar, reviewTimeoutMs: DEFAULT_REVIEW_TIMEOUT_MS };

beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, operator] = await Promise.all([t.user(), t.user(), t.user('OPERATOR')]);
});
afterAll(() => t.close());

const actorOf = (user: TestUser, role: Actor['role'] = 'CUSTOMER'): Actor => ({ userId: user.id, role });
/** Whose account each wire test uses: a fresh customer, so that cash deposited by other tests today is not theirs. */
const owners = new Map<string, TestUser>();
async function wiringAccount(opening: string): Promise<string> {
  const customer = await t.user();
  const accountId = await t.account(customer, { opening });
  owners.set(accountId, customer);
  return accountId;
}
const wire = (accountId: string, amount: string, key = randomUUID()) =>
  withdraw(t.app.orm, actorOf(owners.get(accountId) ?? alice), { accountId, amount, channel: 'WIRE', idempotencyKey: key }, { risk: RISK });
const balanceOf = async (accountId: string) =>
  (await t.database.pool.query('select posted_minor::text as posted, pending_minor::text as pending, version from accounts where id = $1', [accountId])).rows[0] as { posted: string; pending: string; version: number };
const reviewOf = async (reviewId: string) => (await t.database.pool.query('select r.*, h.status as hold_status from reviews r left join holds h on h.id = r.hold_id where r.id = $1', [reviewId])).rows[0];
const reviewIdOf = (outcome: unknown): string => {
  const candidate = outcome as { reviewId?: string };
  if (!candidate.reviewId) throw new Error(`not in review: ${JSON.stringify(outcome)}`);
  return candidate.reviewId;
};
const approve = (reviewId: string, key = randomUUID()) => approveReview(t.app.orm, actorOf(operator, 'OPERATOR'), { reviewId, idempotencyKey: key, note: 'called the customer' });
const decline = (reviewId: string, key = randomUUID()) => declineReview(t.app.orm, actorOf(operator, 'OPERATOR'), { reviewId, idempotencyKey: key });

describe('REVIEW: the money is held, nothing posts, until decided', () => {
  it('a wire over 5,000.00 is held whole (principal and fee), answered in review, and its replay says the same', async () => {
    const accountId = await wiringAccount('9000.00');
    const key = randomUUID();
    const first = await wire(accountId, '6000.00', key);
    const reviewId = reviewIdOf(first.outcome);
    expect(first.outcome).toMatchObject({ ok: true, balances: [{ accountId, postedMinor: '900000', version: 2 }] });
    const { pending } = await balanceOf(accountId);
    expect(BigInt(pending)).toBeGreaterThanOrEqual(600000n);
    const review = await reviewOf(reviewId);
    expect(review).toMatchObject({ status: 'PENDING', kind: 'WITHDRAWAL', channel: 'WIRE', amount_minor: '600000', hold_status: 'ACTIVE' });
    const replay = await wire(accountId, '6000.00', key);
    expect(replay).toMatchObject({ replayed: true, outcome: { reviewId } });
    // The decision names the rule and replays to the same action from its stored versions and features.
    const replayed = await replayRiskDecision(t.app.orm.em.fork(), review.decision_id);
    expect(replayed?.stored.action).toBe('REVIEW');
    expect(replayed?.replayed.action).toBe('REVIEW');
    expect(replayed?.stored.verdicts.map((verdict) => verdict.ruleId)).toContain('wire-over-5000');
  });

  it('approval posts the withdrawal once, the requester\'s key then answers the movement, a second approval is VALIDATION', async () => {
    const accountId = await wiringAccount('9000.00');
    const key = randomUUID();
    const reviewId = reviewIdOf((await wire(accountId, '6000.00', key)).outcome);
    const approved = await approve(reviewId);
    expect(approved.outcome).toMatchObject({ ok: true, reviewId });
    const after = await balanceOf(accountId);
    expect(after).toMatchObject({ pending: '0', version: 3 });
    expect(BigInt(after.posted)).toBeLessThanOrEqual(300000n);
    expect(await reviewOf(reviewId)).toMatchObject({ status: 'APPROVED', hold_status: 'CAPTURED', note: 'called the customer' });
    const replay = await wire(accountId, '6000.00', key);
    expect(replay.outcome).toMatchObject({ ok: true, transactionId: (approved.outcome as { transactionId: string }).transactionId });
    expect((await approve(reviewId)).outcome).toMatchObject({ ok: false, code: 'VALIDATION' });
    expect((await decline(reviewId)).outcome).toMatchObject({ ok: false, code: 'VALIDATION' });
    expect(await balanceOf(accountId)).toMatchObject({ version: 3 });
  });

  it('decline releases the hold and the requester\'s key answers RISK_DECLINED; approving it after is VALIDATION', async () => {
    const accountId = await wiringAccount('9000.00');
    const key = randomUUID();
    const reviewId = reviewIdOf((await wire(accountId, '6000.00', key)).outcome);
    expect((await decline(reviewId)).outcome).toMatchObject({ ok: true, reviewId, transactionId: null });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '900000', pending: '0', version: 3 });
    expect(await reviewOf(reviewId)).toMatchObject({ status: 'DECLINED', hold_status: 'VOIDED' });
    expect((await wire(accountId, '6000.00', key)).outcome).toMatchObject({ ok: false, code: 'RISK_DECLINED' });
    expect((await approve(reviewId)).outcome).toMatchObject({ ok: false, code: 'VALIDATION' });
  });

  it('a transfer of over 1,000.00 to a new payee is reviewed; approved, it credits the payee in one transaction', async () => {
    const from = await t.account(alice, { opening: '3000.00' });
    const to = await t.account(bob);
    const sent = await transfer(t.app.orm, actorOf(alice), { fromAccountId: from, toAccountId: to, amount: '1500.00', idempotencyKey: randomUUID() }, { risk: RISK });
    const reviewId = reviewIdOf(sent.outcome);
    // The payee's balance is never in the payer's answer.
    expect((sent.outcome as unknown as { balances: { accountId: string }[] }).balances.map((balance) => balance.accountId)).toEqual([from]);
    expect(await balanceOf(to)).toMatchObject({ posted: '0', version: 0 });
    await approve(reviewId);
    expect(await balanceOf(to)).toMatchObject({ posted: '150000', version: 1 });
    expect(await balanceOf(from)).toMatchObject({ posted: '150000', pending: '0', version: 3 });
    // The approved transfer left the customer: it counts in the velocity features, though its
    // transaction also credits the payer (the PENDING release of the review's hold).
    const { rows } = await t.database.pool.query(`select tally_risk_facts($1::uuid, null, now(), now() - interval '1 day', now()) as facts`, [from]);
    const facts = (typeof rows[0].facts === 'string' ? JSON.parse(rows[0].facts) : rows[0].facts) as { outgoing: { channel: string; count_10m: string; sum_10m: string }[] };
    expect(facts.outgoing).toEqual([expect.objectContaining({ channel: 'INTERNAL', count_10m: '1', sum_10m: '150000' })]);
    // Paid once, the payee is known: the next transfer to it passes.
    const again = await transfer(t.app.orm, actorOf(alice), { fromAccountId: from, toAccountId: to, amount: '1100.00', idempotencyKey: randomUUID() }, { risk: RISK });
    expect(again.outcome).toMatchObject({ ok: true, transactionId: expect.any(String) });
  });

  it('the sixth outgoing movement in 10 minutes goes to review', async () => {
    const customer = await t.user();
    const accountId = await t.account(customer, { opening: '100.00' });
    const ach = () => withdraw(t.app.orm, actorOf(customer), { accountId, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() }, { risk: RISK });
    for (let index = 0; index < 5; index += 1) expect((await ach()).outcome).toMatchObject({ ok: true, transactionId: expect.any(String) });
    reviewIdOf((await ach()).outcome);
  });
});

/** The cash service of this file's deposits (the rail posts cash, not the customer). */
const cashService = async (): Promise<Actor> => ({ userId: (await t.cashier()).id, role: 'SERVICE', channels: ['CASH', 'ATM'] });
const cashDeposit = async (accountId: string, amount: string, key = randomUUID()) =>
  deposit(t.app.orm, await cashService(), { accountId, amount, channel: 'CASH', idempotencyKey: key }, { risk: RISK });

describe('REVIEW of a deposit, and corrections of approved movements', () => {
  it("cash over 10,000.00 in a banking day: the cash service's deposit is not credited until approved, then posts whole and its key answers it", async () => {
    const customer = await t.user();
    const accountId = await t.account(customer, { opening: '100.00' });
    const key = randomUUID();
    const sent = await cashDeposit(accountId, '10000.00', key);
    const reviewId = reviewIdOf(sent.outcome);
    // The service sees the account it moved (mayShowBalances), unchanged while in review.
    expect(sent.outcome).toMatchObject({ balances: [{ postedMinor: '10000', pendingMinor: '0', version: 1 }] });
    expect(await reviewOf(reviewId)).toMatchObject({ status: 'PENDING', kind: 'DEPOSIT', hold_id: null, requested_by: (await t.cashier()).id });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '10000', version: 1 });
    const approved = await approve(reviewId);
    expect(approved.outcome).toMatchObject({ ok: true, transactionId: expect.any(String) });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '1010000', pending: '0', version: 2 });
    expect(await reviewOf(reviewId)).toMatchObject({ status: 'APPROVED' });
    const replay = await cashDeposit(accountId, '10000.00', key);
    expect(replay).toMatchObject({ replayed: true, outcome: { ok: true, transactionId: (approved.outcome as { transactionId: string }).transactionId, balances: [{ postedMinor: '1010000' }] } });
  });

  it('an approved withdrawal can be reversed: what it posted is refunded, its review hold stays captured', async () => {
    const accountId = await wiringAccount('9000.00');
    const reviewId = reviewIdOf((await wire(accountId, '6000.00')).outcome);
    const approved = await approve(reviewId);
    const transactionId = (approved.outcome as { transactionId: string }).transactionId;
    const reversed = await reverseTransaction(t.app.orm, actorOf(operator, 'OPERATOR'), { transactionId, reason: 'sent in error', idempotencyKey: randomUUID() });
    expect(reversed.outcome).toMatchObject({ ok: true });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '900000', pending: '0', version: 4 });
    expect(await reviewOf(reviewId)).toMatchObject({ status: 'APPROVED', hold_status: 'CAPTURED' });
  });
});

describe('corrections are never judged', () => {
  it("with a rule that reviews every movement, a reversal, a check's return and a dispute's credit (ADJUSTMENT) still post, and none is judged", async () => {
    const customer = await t.user();
    const accountId = await t.account(customer, { opening: '100.00' });
    const cardProcessor: Actor = { userId: (await t.user('SERVICE', { channels: ['CARD'] })).id, role: 'SERVICE', channels: ['CARD'] };
    const posted = (outcome: unknown): string => {
      const { transactionId } = outcome as { transactionId?: string };
      if (!transactionId) throw new Error(`not posted: ${JSON.stringify(outcome)}`);
      return transactionId;
    };
    const card = posted((await withdraw(t.app.orm, cardProcessor, { accountId, amount: '10.00', channel: 'CARD', idempotencyKey: randomUUID() }, { risk: RISK })).outcome);
    const ach = posted((await withdraw(t.app.orm, actorOf(customer), { accountId, amount: '5.00', channel: 'ACH', idempotencyKey: randomUUID() }, { risk: RISK })).outcome);
    const check = posted((await deposit(t.app.orm, actorOf(customer), { accountId, amount: '50.00', channel: 'CHECK', idempotencyKey: randomUUID() }, { risk: RISK })).outcome);
    const database = t.app.orm.em.fork();
    await upsertRiskRule(database, {
      id: 'review-everything', name: 'Review everything', condition: 'true', action: 'REVIEW',
      reason: 'test rule', publicMessage: null, priority: 1, enabled: true, currency: null,
    }, SYSTEM_USER_ID, new Date());
    try {
      // The rule is live: a movement is sent to review.
      const heldId = reviewIdOf((await withdraw(t.app.orm, actorOf(customer), { accountId, amount: '1.00', channel: 'ACH', idempotencyKey: randomUUID() }, { risk: RISK })).outcome);
      const keys = [randomUUID(), randomUUID(), randomUUID(), randomUUID()] as const;
      const reversal = await reverseTransaction(t.app.orm, actorOf(operator, 'OPERATOR'), { transactionId: ach, reason: 'sent in error', idempotencyKey: keys[0] });
      const returned = await returnDeposit(t.app.orm, actorOf(operator, 'OPERATOR'), { transactionId: check, reason: 'NSF', idempotencyKey: keys[1] });
      const dispute = await openDispute(t.app.orm, actorOf(customer), { transactionId: card, reason: 'UNAUTHORIZED', description: null, idempotencyKey: randomUUID() }, DEFAULT_DISPUTE_POLICY);
      const disputeId = (dispute.outcome as { disputeId: string }).disputeId;
      await disputeStep(t.app.orm, 'START_INVESTIGATION', actorOf(operator, 'OPERATOR'), { disputeId, note: null, idempotencyKey: keys[2] }, DEFAULT_DISPUTE_POLICY);
      const credit = await disputeStep(t.app.orm, 'CREDIT_PROVISIONALLY', actorOf(operator, 'OPERATOR'), { disputeId, note: null, idempotencyKey: keys[3] }, DEFAULT_DISPUTE_POLICY);
      const corrections = [posted(reversal.outcome), posted(returned.outcome), posted(credit.outcome)];
      const { rows } = await t.database.pool.query('select kind from ledger_transactions where id = any($1::uuid[]) order by kind', [corrections]);
      expect(rows.map((row: { kind: string }) => row.kind)).toEqual(['ADJUSTMENT', 'RETURN', 'REVERSAL']);
      const judged = await t.database.pool.query('select count(*)::int as count from risk_decision_records where idempotency_key = any($1::text[])', [[...keys]]);
      expect(judged.rows).toEqual([{ count: 0 }]);
      await decline(heldId);
    } finally {
      await disableRiskRule(t.app.orm.em.fork(), 'review-everything', SYSTEM_USER_ID, new Date());
    }
  });
});

describe('DENY', () => {
  it('answers RISK_DECLINED with the public message, moves nothing, stores the decision under the key', async () => {
    const database = t.app.orm.em.fork();
    const saved = await upsertRiskRule(database, {
      id: 'deny-zelle-over-900', name: 'No Zelle over 900.00', condition: 'channel == "ZELLE" && amount > 90000', action: 'DENY',
      reason: 'test rule', publicMessage: 'Zelle payments are limited to 900.00.', priority: 50, enabled: true, currency: 'USD',
    }, SYSTEM_USER_ID, new Date());
    expect(saved).toMatchObject({ version: 1 });
    try {
      const accountId = await t.account(alice, { opening: '2000.00' });
      const key = randomUUID();
      const refused = await withdraw(t.app.orm, actorOf(alice), { accountId, amount: '901.00', channel: 'ZELLE', idempotencyKey: key }, { risk: RISK });
      expect(refused.outcome).toEqual({ ok: false, code: 'RISK_DECLINED', message: 'Zelle payments are limited to 900.00.' });
      expect(await balanceOf(accountId)).toMatchObject({ posted: '200000', pending: '0', version: 1 });
      const { rows } = await t.database.pool.query('select action from risk_decision_records where user_id = $1 and idempotency_key = $2', [alice.id, key]);
      expect(rows).toEqual([{ action: 'DENY' }]);
      const replay = await withdraw(t.app.orm, actorOf(alice), { accountId, amount: '901.00', channel: 'ZELLE', idempotencyKey: key }, { risk: RISK });
      expect(replay).toMatchObject({ replayed: true, outcome: { code: 'RISK_DECLINED' } });
    } finally {
      await disableRiskRule(t.app.orm.em.fork(), 'deny-zelle-over-900', SYSTEM_USER_ID, new Date());
    }
  });
});

describe('the timeout, and races', () => {
  it('a review past REVIEW_TIMEOUT is declined by the system: EXPIRED, hold released', async () => {
    const accountId = await wiringAccount('9000.00');
    const key = randomUUID();
    const reviewId = reviewIdOf((await wire(accountId, '6000.00', key)).outcome);
    const later = new Date(Date.now() + DEFAULT_REVIEW_TIMEOUT_MS + 60_000);
    const locks = await readReviewLocks(t.app.orm.em.fork(), reviewId);
    const [expired] = await runSystemCommands(t.app.orm, [expireReviewCommand(reviewId, locks)], { clock: () => later });
    expect(expired.outcome).toMatchObject({ ok: true, reviewId });
    expect(await reviewOf(reviewId)).toMatchObject({ status: 'EXPIRED', hold_status: 'EXPIRED' });
    expect(await balanceOf(accountId)).toMatchObject({ posted: '900000', pending: '0' });
    expect((await wire(accountId, '6000.00', key)).outcome).toMatchObject({ ok: false, code: 'RISK_DECLINED' });
  });

  it("the scheduler's round declines every review past its due time, and only those", async () => {
    const dueAccount = await wiringAccount('9000.00');
    const dueReview = reviewIdOf((await wire(dueAccount, '6000.00')).outcome);
    const later = new Date(Date.now() + DEFAULT_REVIEW_TIMEOUT_MS + 60_000);
    const freshAccount = await wiringAccount('9000.00');
    const freshReview = reviewIdOf((await withdraw(t.app.orm, actorOf(owners.get(freshAccount)!), { accountId: freshAccount, amount: '6000.00', channel: 'WIRE', idempotencyKey: randomUUID() }, { risk: RISK, clock: () => later })).outcome);
    await new HoldExpiry(t.app.orm, createLogger('silent'), 1_000, () => new Date(later.getTime() + 1_000)).round();
    expect(await reviewOf(dueReview)).toMatchObject({ status: 'EXPIRED', hold_status: 'EXPIRED' });
    expect(await reviewOf(freshReview)).toMatchObject({ status: 'PENDING', hold_status: 'ACTIVE' });
    const { rows } = await t.database.pool.query(`select initiated_by from ledger_transactions where id = (select transaction_id from hold_transactions where hold_id = $1)`, [(await reviewOf(dueReview)).hold_id]);
    expect(rows).toEqual([{ initiated_by: SYSTEM_USER_ID }]);
    await decline(freshReview);
  });

  it('20 concurrent approvals of one review post once', async () => {
    const accountId = await wiringAccount('9000.00');
    const reviewId = reviewIdOf((await wire(accountId, '6000.00')).outcome);
    const results = await Promise.all(Array.from({ length: 20 }, () => approve(reviewId)));
    expect(results.filter((result) => result.outcome.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.outcome.ok).every((result) => !result.outcome.ok && result.outcome.code === 'VALIDATION')).toBe(true);
    const { rows } = await t.database.pool.query(`select count(distinct t.id)::int as n from ledger_transactions t join entries e on e.transaction_id = t.id where e.account_id = $1 and t.kind = 'WITHDRAWAL'`, [accountId]);
    expect(rows[0].n).toBe(1);
  });

  it('approval racing the system timeout: exactly one outcome', async () => {
    for (let round = 0; round < 5; round += 1) {
      const accountId = await wiringAccount('9000.00');
      const reviewId = reviewIdOf((await wire(accountId, '6000.00')).outcome);
      const locks = await readReviewLocks(t.app.orm.em.fork(), reviewId);
      const later = new Date(Date.now() + DEFAULT_REVIEW_TIMEOUT_MS + 60_000);
      const [approved, [expired]] = await Promise.all([approve(reviewId), runSystemCommands(t.app.orm, [expireReviewCommand(reviewId, locks)], { clock: () => later })]);
      expect([approved.outcome.ok, expired.outcome.ok].filter(Boolean)).toHaveLength(1);
      const review = await reviewOf(reviewId);
      expect(review.status).toBe(approved.outcome.ok ? 'APPROVED' : 'EXPIRED');
      expect(await balanceOf(accountId)).toMatchObject({ pending: '0', version: 3 });
    }
  });
});
