import { describe, expect, it } from 'vitest';
import { Replay, type DisputeOutcome, type KeyState } from '../../src/ledger/commands/command.js';
import { decideDisputeStep } from '../../src/ledger/disputes/decide-dispute-step.js';
import { decideOpenDispute } from '../../src/ledger/disputes/decide-open-dispute.js';
import { DEFAULT_DISPUTE_POLICY } from '../../src/ledger/disputes/dispute-policy.js';
import type { DisputeStepPlan, OpenDisputePlan } from '../../src/ledger/disputes/dispute-plans.js';
import type { DisputeSnapshot } from '../../src/ledger/disputes/dispute-snapshot.js';
import { DISPUTE_STATUSES, DISPUTE_STEPS, moneyOf, nextStatus, type DisputeStatus, type DisputeStep } from '../../src/ledger/disputes/dispute-states.js';
import { AccountNotOpenError, IdempotencyConflictError, NotFoundError, ValidationError } from '../../src/ledger/errors.js';
import type { DisputedTransaction } from '../../src/ledger/queries/disputed-transaction.js';
import type { AccountSnapshot, Role } from '../../src/ledger/types.js';
import { snapshotsOf, TEST_NOW } from './snapshots.js';

const ACCOUNT_ID = '00000000-0000-4000-8000-0000000000a1';
const DISPUTE_ID = '00000000-0000-4000-8000-0000000000d1';
const TRANSACTION_ID = '00000000-0000-4000-8000-0000000000f1';
const policy = DEFAULT_DISPUTE_POLICY;

const account = (overrides: Partial<AccountSnapshot> = {}): AccountSnapshot => ({
  id: ACCOUNT_ID, currency: 'USD', currencyExponent: 2, status: 'OPEN', postedMinor: 1_000n, pendingMinor: 0n, overdraftLimitMinor: 0n, version: 3, ownedByActor: true, ...overrides,
});
const dispute = (status: DisputeStatus, overrides: Partial<DisputeSnapshot> = {}): DisputeSnapshot => ({
  id: DISPUTE_ID, transactionId: TRANSACTION_ID, accountId: ACCOUNT_ID, status, amountMinor: 4_250n, currency: 'USD', currencyExponent: 2,
  credited: status === 'PROVISIONALLY_CREDITED' || status === 'RESOLVED_CUSTOMER', reversalNoticedAt: null, reversalNotBefore: null, eventCount: 2, ...overrides,
});
/** Who takes a step in the tables: the owner withdraws, an operator does the rest. */
const roleFor = (step: DisputeStep): Role => (step === 'WITHDRAW' ? 'CUSTOMER' : 'OPERATOR');

/** A credited dispute whose reversal notice has run its five business days, so RESOLVE_BANK reaches the state check. */
const noticedLongAgo = { reversalNoticedAt: new Date('2026-11-01T15:00:00Z'), reversalNotBefore: new Date('2026-11-06T04:00:00Z') };

function stepOn(step: DisputeStep, snapshot: DisputeSnapshot, options: { role?: Role; owned?: boolean; accountStatus?: AccountSnapshot['status']; key?: KeyState<DisputeOutcome>; note?: string | null; now?: Date } = {}) {
  const snapshots = snapshotsOf<DisputeOutcome>([account({ ownedByActor: options.owned ?? true, status: options.accountStatus ?? 'OPEN' })], {
    role: options.role ?? roleFor(step),
    disputes: [snapshot],
    ...(options.key ? { key: options.key } : {}),
  });
  return decideDisputeStep(step, { disputeId: DISPUTE_ID, note: options.note ?? null }, snapshots, options.now ?? TEST_NOW, policy);
}

describe('decideDisputeStep: every step from every status', () => {
  const pairs = DISPUTE_STEPS.flatMap((step) => DISPUTE_STATUSES.map((status) => [step, status] as const));
  it.each(pairs)('%s from %s', (step, status) => {
    const decision = stepOn(step, dispute(status, step === 'RESOLVE_BANK' ? noticedLongAgo : {}));
    const to = nextStatus(step, status);
    if (!to) {
      expect(decision).toBeInstanceOf(ValidationError);
      expect(decision).toMatchObject({ field: 'disputeId', message: expect.stringContaining(`The dispute is ${status}`) });
      return;
    }
    const plan = decision as DisputeStepPlan;
    expect(plan.after).toMatchObject({ status: to, eventCount: 3 });
    const money = moneyOf(step, status);
    expect(plan.money).toBe(money);
    if (!money) {
      expect(plan.movement).toBeUndefined();
      return;
    }
    const customerEntry = plan.movement?.entries.find((entry) => 'customerAccountId' in entry.target);
    const disputesEntry = plan.movement?.entries.find((entry) => 'internalCode' in entry.target);
    expect(plan.movement).toMatchObject({ kind: 'ADJUSTMENT', amountMinor: 4_250n });
    expect(plan.movement?.correction === true).toBe(money === 'REVERSE_CREDIT');
    expect(customerEntry).toMatchObject({ direction: money === 'CREDIT' ? 'CREDIT' : 'DEBIT', amountMinor: 4_250n, layer: 'POSTED' });
    expect(disputesEntry).toMatchObject({ target: { internalCode: 'DISPUTES' }, direction: money === 'CREDIT' ? 'DEBIT' : 'CREDIT' });
    expect(plan.movement?.changes).toEqual([expect.objectContaining({ accountId: ACCOUNT_ID, postedAfterMinor: money === 'CREDIT' ? 5_250n : -3_250n, versionAfter: 4 })]);
  });
});

describe('decideDisputeStep: checks in order', () => {
  it('1 the key: a replay answers before anything else, a conflict too', () => {
    const outcome: DisputeOutcome = { ok: true, disputeId: DISPUTE_ID, balances: [] };
    expect(stepOn('WITHDRAW', dispute('RESOLVED_BANK'), { key: { kind: 'replay', outcome }, role: 'OPERATOR', note: '\u0000' })).toBeInstanceOf(Replay);
    expect(stepOn('WITHDRAW', dispute('OPEN'), { key: { kind: 'conflict' } })).toBeInstanceOf(IdempotencyConflictError);
  });
  it('2 the note, before the actor', () => {
    expect(stepOn('START_INVESTIGATION', dispute('OPEN'), { role: 'CUSTOMER', note: 'x'.repeat(501) })).toMatchObject({ field: 'note' });
  });
  it('3 who: customers cannot take operator steps, operators and strangers cannot withdraw', () => {
    expect(stepOn('START_INVESTIGATION', dispute('OPEN'), { role: 'CUSTOMER' })).toBeInstanceOf(NotFoundError);
    expect(stepOn('CREDIT_PROVISIONALLY', dispute('RESOLVED_BANK'), { role: 'CUSTOMER' })).toBeInstanceOf(NotFoundError);
    expect(stepOn('WITHDRAW', dispute('OPEN'), { role: 'OPERATOR' })).toBeInstanceOf(NotFoundError);
    expect(stepOn('WITHDRAW', dispute('OPEN'), { owned: false })).toBeInstanceOf(NotFoundError);
    const none = snapshotsOf<DisputeOutcome>([account()], { role: 'OPERATOR' });
    expect(decideDisputeStep('START_INVESTIGATION', { disputeId: DISPUTE_ID, note: null }, none, TEST_NOW, policy)).toBeInstanceOf(NotFoundError);
  });
  it('5 the notice once; 6 a reversal needs the notice and its five business days', () => {
    expect(stepOn('NOTICE_REVERSAL', dispute('PROVISIONALLY_CREDITED', noticedLongAgo))).toMatchObject({ message: expect.stringContaining('already') });
    expect(stepOn('RESOLVE_BANK', dispute('PROVISIONALLY_CREDITED'))).toMatchObject({ message: expect.stringContaining('noticeReversal') });
    const notBefore = new Date('2026-12-08T05:00:00Z');
    const noticed = dispute('PROVISIONALLY_CREDITED', { reversalNoticedAt: TEST_NOW, reversalNotBefore: notBefore });
    expect(stepOn('RESOLVE_BANK', noticed, { now: new Date(notBefore.getTime() - 1) })).toMatchObject({ message: expect.stringContaining('reversalNotBefore, 2026-12-08T05:00:00.000Z') });
    expect(stepOn('RESOLVE_BANK', noticed, { now: notBefore })).toMatchObject({ money: 'REVERSE_CREDIT' });
    const plan = stepOn('NOTICE_REVERSAL', dispute('PROVISIONALLY_CREDITED')) as DisputeStepPlan;
    expect(plan.after.reversalNotBefore?.toISOString()).toBe('2026-12-08T05:00:00.000Z');
  });
  it('7 a money step on a closed account is ACCOUNT_NOT_OPEN; a step that moves nothing is not refused for it', () => {
    expect(stepOn('CREDIT_PROVISIONALLY', dispute('OPEN'), { accountStatus: 'CLOSED' })).toBeInstanceOf(AccountNotOpenError);
    expect(stepOn('CREDIT_PROVISIONALLY', dispute('OPEN'), { accountStatus: 'FROZEN' })).toMatchObject({ money: 'CREDIT' });
    expect(stepOn('START_INVESTIGATION', dispute('OPEN'), { accountStatus: 'CLOSED' })).toMatchObject({ after: { status: 'INVESTIGATING' } });
  });
});

describe('decideOpenDispute: checks in order', () => {
  const card: DisputedTransaction = {
    id: TRANSACTION_ID, kind: 'WITHDRAWAL', channel: 'CARD', status: 'POSTED', amountMinor: 4_250n, currency: 'USD', currencyExponent: 2,
    postedAt: new Date('2026-11-20T15:00:00Z'), debitedAccountId: ACCOUNT_ID, accountOpenedAt: new Date('2025-01-01T15:00:00Z'), originCountry: null,
  };
  const decide = (original: DisputedTransaction | undefined, options: { role?: Role; owned?: boolean; reversed?: boolean; disputed?: boolean; status?: AccountSnapshot['status']; reason?: string; description?: string | null } = {}) =>
    decideOpenDispute(
      { transactionId: TRANSACTION_ID, reason: (options.reason ?? 'UNAUTHORIZED') as 'UNAUTHORIZED', description: options.description ?? null },
      original,
      snapshotsOf<DisputeOutcome>([account({ ownedByActor: options.owned ?? true, status: options.status ?? 'OPEN' })], {
        role: options.role ?? 'CUSTOMER',
        reversed: new Map([[TRANSACTION_ID, options.reversed ?? false]]),
        disputed: new Map([[TRANSACTION_ID, options.disputed ?? false]]),
      }),
      TEST_NOW,
      { policy, newId: DISPUTE_ID },
    );

  it('plans the dispute with its deadlines; a card debit gets 90 days to resolve', () => {
    const plan = decide(card) as OpenDisputePlan;
    expect(plan).toMatchObject({ id: DISPUTE_ID, accountId: ACCOUNT_ID, amountMinor: 4_250n, reason: 'UNAUTHORIZED' });
    expect(plan.provisionalCreditBy.toISOString()).toBe('2026-12-15T05:00:00.000Z');
    expect(plan.resolutionBy.toISOString()).toBe('2027-03-02T05:00:00.000Z');
    expect((decide({ ...card, channel: 'ACH' }) as OpenDisputePlan).resolutionBy.toISOString()).toBe('2027-01-16T05:00:00.000Z');
  });
  // Regulation E 1005.11(c): 45 days to resolve, 90 for a new account, a point-of-sale debit or a
  // foreign-initiated one (origin country not the bank's); 10 business days to credit, 20 for a new account.
  const FORTY_FIVE = '2027-01-16T05:00:00.000Z';
  const NINETY = '2027-03-02T05:00:00.000Z';
  const TEN_BUSINESS_DAYS = '2026-12-15T05:00:00.000Z';
  const TWENTY_BUSINESS_DAYS = '2026-12-30T05:00:00.000Z';
  const newAccount = new Date('2026-11-15T15:00:00Z');
  it.each([
    ['a domestic ACH debit that names no country', { channel: 'ACH', originCountry: null }, 'US', TEN_BUSINESS_DAYS, FORTY_FIVE],
    ['an ACH debit initiated in the bank\'s own country', { channel: 'ACH', originCountry: 'US' }, 'US', TEN_BUSINESS_DAYS, FORTY_FIVE],
    ['a foreign ATM withdrawal (DE, bank in US)', { channel: 'ATM', originCountry: 'DE' }, 'US', TEN_BUSINESS_DAYS, NINETY],
    ['a foreign wire (MX, bank in US)', { channel: 'WIRE', originCountry: 'MX' }, 'US', TEN_BUSINESS_DAYS, NINETY],
    ['the same DE withdrawal at a bank in DE is domestic', { channel: 'ATM', originCountry: 'DE' }, 'DE', TEN_BUSINESS_DAYS, FORTY_FIVE],
    ['a US withdrawal at a bank in DE is foreign', { channel: 'ATM', originCountry: 'US' }, 'DE', TEN_BUSINESS_DAYS, NINETY],
    ['a point-of-sale card capture, domestic', { channel: 'CARD', originCountry: null }, 'US', TEN_BUSINESS_DAYS, NINETY],
    ['a point-of-sale card capture, foreign', { channel: 'CARD', originCountry: 'FR' }, 'US', TEN_BUSINESS_DAYS, NINETY],
    ['a new account, domestic ACH', { channel: 'ACH', originCountry: null, accountOpenedAt: newAccount }, 'US', TWENTY_BUSINESS_DAYS, NINETY],
    ['a new account, foreign ATM', { channel: 'ATM', originCountry: 'JP', accountOpenedAt: newAccount }, 'US', TWENTY_BUSINESS_DAYS, NINETY],
  ] as const)('%s: credit by %s, resolution by %s', (_why, overrides, bankCountry, creditBy, resolutionBy) => {
    const plan = decideOpenDisputeAt({ ...card, ...overrides }, { ...policy, bankCountry });
    expect(plan.provisionalCreditBy.toISOString()).toBe(creditBy);
    expect(plan.resolutionBy.toISOString()).toBe(resolutionBy);
  });
  const decideOpenDisputeAt = (original: DisputedTransaction, withPolicy: typeof policy) =>
    decideOpenDispute(
      { transactionId: TRANSACTION_ID, reason: 'UNAUTHORIZED', description: null },
      original,
      snapshotsOf<DisputeOutcome>([account({ ownedByActor: true, status: 'OPEN' })], {
        role: 'CUSTOMER',
        reversed: new Map([[TRANSACTION_ID, false]]),
        disputed: new Map([[TRANSACTION_ID, false]]),
      }),
      TEST_NOW,
      { policy: withPolicy, newId: DISPUTE_ID },
    ) as OpenDisputePlan;

  it.each([
    ['2 the reason', card, { reason: 'BORED' }, ValidationError, 'reason'],
    ['2 the description', card, { description: 'a\u0007' }, ValidationError, 'description'],
    ['3 unknown', undefined, {}, NotFoundError, undefined],
    ['3 not the actor’s', card, { owned: false }, NotFoundError, undefined],
    ['3 an operator', card, { role: 'OPERATOR' as Role }, NotFoundError, undefined],
    ['4 a cash withdrawal', { ...card, channel: 'CASH' as const }, {}, ValidationError, 'transactionId'],
    ['4 a transfer', { ...card, kind: 'TRANSFER' as const }, {}, ValidationError, 'transactionId'],
    ['5 reversed', card, { reversed: true }, ValidationError, 'transactionId'],
    ['6 older than 60 days', { ...card, postedAt: new Date('2026-09-30T15:00:00Z') }, {}, ValidationError, 'transactionId'],
    ['7 disputed already', card, { disputed: true }, ValidationError, 'transactionId'],
    ['8 a closed account', card, { status: 'CLOSED' as const }, AccountNotOpenError, undefined],
  ] as const)('%s', (_label, original, options, errorClass, field) => {
    const decision = decide(original, options);
    expect(decision).toBeInstanceOf(errorClass);
    if (field) expect(decision).toMatchObject({ field });
  });
  it('earlier checks win: a reversed debit that is also too old says reversed', () => {
    expect(decide({ ...card, postedAt: new Date('2026-09-01T15:00:00Z') }, { reversed: true, disputed: true })).toMatchObject({ message: expect.stringContaining('reversed') });
  });
});
