import type { FeeSchedule } from '../../src/ledger/decide/wire-fee.js';
import { describe, expect, it } from 'vitest';
import { decideDeposit, decideTransfer, decideWithdrawal } from '../../src/ledger/decide/decide-movement.js';
import { availableMinor, canDebit } from '../../src/ledger/decide/funds.js';
import { luhnCheckDigit, newAccountNumber } from '../../src/ledger/account-number.js';
import type { AccountSnapshot, MovementPlan, Role } from '../../src/ledger/types.js';
import { Replay } from '../../src/ledger/commands/command.js';
import { ValidationError } from '../../src/ledger/errors.js';
import { feeMinorUnits } from '../../src/ledger/decide/wire-fee.js';
import { planMovement } from '../../src/ledger/decide/plan-movement.js';
import { decideOpenAccount } from '../../src/ledger/commands/open-account.js';
import type { OpenAccountOutcome } from '../../src/ledger/commands/command.js';
import type { Channel } from '../../src/ledger/types.js';
import { TEST_NOW, snapshotsOf } from './snapshots.js';

/** Table-driven, after TigerBeetle's state_machine_tests: accounts and operations with the expected result. */
function account(overrides: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    currency: 'USD',
    currencyExponent: 2,
    status: 'OPEN',
    postedMinor: 5000n,
    pendingMinor: 0n,
    overdraftLimitMinor: 0n,
    version: 3,
    ownedByActor: true,
    ...overrides,
  };
}
const payee = (overrides: Partial<AccountSnapshot> = {}) =>
  account({ id: '00000000-0000-4000-8000-000000000002', ownedByActor: false, postedMinor: 100n, version: 7, ...overrides });

const ACCOUNT_ID = '00000000-0000-4000-8000-000000000001';

function withdrawal(request: { amount: string; channel: Channel; description?: string }, snapshot: AccountSnapshot | undefined, fees?: FeeSchedule) {
  return decideWithdrawal({ accountId: ACCOUNT_ID, ...request, ...(fees ? { fees } : {}) }, snapshotsOf([snapshot]), TEST_NOW);
}
/** A deposit by the cash service (CASH, ATM, ZELLE) unless another role is given: customers deposit only checks. */
function depositOf(request: { amount: string; channel: Channel }, snapshot: AccountSnapshot | undefined, role: Role = 'SERVICE') {
  return decideDeposit({ accountId: ACCOUNT_ID, ...request }, snapshotsOf([snapshot], { role, channels: ['CASH', 'ATM', 'ZELLE'] }), TEST_NOW);
}
function transferOf(request: { amount: string; sourceAccountId: string; destinationAccountId: string }, source: AccountSnapshot | undefined, destination: AccountSnapshot | undefined) {
  return decideTransfer(request, snapshotsOf(request.sourceAccountId === request.destinationAccountId ? [source] : [source, destination]), TEST_NOW);
}

function codeOf(result: unknown): string {
  return result && typeof result === 'object' && 'code' in result ? String(result.code) : 'OK';
}

describe('funds', () => {
  it.each([
    // posted, pending, overdraft, amount, allowed
    [5000n, 0n, 0n, 5000n, true],
    [5000n, 0n, 0n, 5001n, false],
    [5000n, 1000n, 0n, 4000n, true],
    [5000n, 1000n, 0n, 4001n, false],
    [0n, 0n, 2500n, 2500n, true],
    [0n, 0n, 2500n, 2501n, false],
    [-100n, 0n, 2500n, 2400n, true],
    [-100n, 0n, 2500n, 2401n, false],
  ])('posted %s pending %s overdraft %s: debit %s allowed=%s', (postedMinor, pendingMinor, overdraftLimitMinor, amount, allowed) => {
    expect(canDebit(account({ postedMinor, pendingMinor, overdraftLimitMinor }), amount)).toBe(allowed);
  });

  it('available is posted less pending', () => {
    expect(availableMinor({ postedMinor: 900n, pendingMinor: 150n })).toBe(750n);
  });
});

describe('decideWithdrawal', () => {
  it.each([
    ['the whole balance', account(), '50.00', 'OK'],
    ['one cent more than the balance', account(), '50.01', 'INSUFFICIENT_FUNDS'],
    ['within the overdraft limit', account({ overdraftLimitMinor: 1000n }), '60.00', 'OK'],
    ['past the overdraft limit', account({ overdraftLimitMinor: 1000n }), '60.01', 'INSUFFICIENT_FUNDS'],
    ['held funds are not available', account({ pendingMinor: 2000n }), '30.01', 'INSUFFICIENT_FUNDS'],
    ['a frozen account', account({ status: 'FROZEN' }), '1.00', 'ACCOUNT_NOT_OPEN'],
    ['a closed account', account({ status: 'CLOSED' }), '1.00', 'ACCOUNT_NOT_OPEN'],
    ["another customer's account", account({ ownedByActor: false }), '1.00', 'NOT_FOUND'],
    ['an unknown account', undefined, '1.00', 'NOT_FOUND'],
    ['too many digits for the currency', account(), '1.001', 'VALIDATION'],
    ['a JPY fraction', account({ currency: 'JPY', currencyExponent: 0 }), '1.5', 'VALIDATION'],
    ['zero', account(), '0.00', 'VALIDATION'],
  ])('%s → %s', (_name, snapshot, amount, expected) => {
    expect(codeOf(withdrawal({ amount, channel: 'ACH' }, snapshot))).toBe(expected);
  });

  it('plans a debit of the customer and a credit of the channel settlement account', () => {
    const plan = withdrawal({ amount: '12.34', channel: 'ACH' }, account());
    expect(plan).toMatchObject({
      kind: 'WITHDRAWAL',
      channel: 'ACH',
      amountMinor: 1234n,
      currency: 'USD',
      entries: [
        { target: { customerAccountId: ACCOUNT_ID }, direction: 'DEBIT', amountMinor: 1234n, layer: 'POSTED' },
        { target: { internalCode: 'SETTLEMENT_ACH' }, direction: 'CREDIT', amountMinor: 1234n, layer: 'POSTED' },
      ],
      changes: [{ accountId: ACCOUNT_ID, postedAfterMinor: 3766n, pendingAfterMinor: 0n, versionBefore: 3, versionAfter: 4 }],
    });
  });
});

describe('decideDeposit', () => {
  it.each([
    ['an open account', account(), '10.00', 'OK'],
    ['a frozen account', account({ status: 'FROZEN' }), '10.00', 'ACCOUNT_NOT_OPEN'],
    ["another customer's account (a service reaches any)", account({ ownedByActor: false }), '10.00', 'OK'],
    ['an unknown account', undefined, '10.00', 'NOT_FOUND'],
    ['a KWD amount with three digits', account({ currency: 'KWD', currencyExponent: 3 }), '1.125', 'OK'],
    ['a KWD amount with four digits', account({ currency: 'KWD', currencyExponent: 3 }), '1.1250', 'VALIDATION'],
    // The account's stored exponent decides, never the currency data of the day.
    ['HUF 100.50 on an account opened under ISO 4217 (2 digits)', account({ currency: 'HUF', currencyExponent: 2 }), '100.50', 'OK'],
    ['HUF 100.501 on an account opened under ISO 4217', account({ currency: 'HUF', currencyExponent: 2 }), '100.501', 'VALIDATION'],
    ['HUF 100.50 on an account opened under ICU (whole forints)', account({ currency: 'HUF', currencyExponent: 0 }), '100.50', 'VALIDATION'],
    ['up to the largest balance', account({ postedMinor: 10n ** 17n - 100n }), '1.00', 'OK'],
    ['past the largest balance', account({ postedMinor: 10n ** 17n - 100n }), '1.01', 'LIMIT_EXCEEDED'],
  ])('%s → %s', (_name, snapshot, amount, expected) => {
    expect(codeOf(depositOf({ amount, channel: 'CASH' }, snapshot))).toBe(expected);
  });

  it('cash goes through the vault, every other channel through its own settlement account', () => {
    expect(depositOf({ amount: '1.00', channel: 'CASH' }, account())).toMatchObject({ entries: [{}, { direction: 'DEBIT', target: { internalCode: 'CASH_VAULT' } }] });
    expect(depositOf({ amount: '1.00', channel: 'ZELLE' }, account())).toMatchObject({ entries: [{}, { target: { internalCode: 'SETTLEMENT_ZELLE' } }] });
  });
});

describe('decideTransfer', () => {
  const request = (amount: string, sameAccount = false) => ({
    amount,
    sourceAccountId: account().id,
    destinationAccountId: sameAccount ? account().id : payee().id,
  });

  it.each([
    ['to a payee', request('50.00'), account(), payee(), 'OK'],
    ['more than the source holds', request('50.01'), account(), payee(), 'INSUFFICIENT_FUNDS'],
    ['to the same account', request('1.00', true), account(), account(), 'VALIDATION'],
    ['from an account that is not yours', request('1.00'), account({ ownedByActor: false }), payee(), 'NOT_FOUND'],
    ['from an unknown account', request('1.00'), undefined, payee(), 'NOT_FOUND'],
    ['to an unknown account', request('1.00'), account(), undefined, 'NOT_FOUND'],
    ['to another currency', request('1.00'), account(), payee({ currency: 'EUR' }), 'CURRENCY_MISMATCH'],
    ['to the same currency counted in other minor units (an account opened under ICU digits)', request('1.00'), account(), payee({ currencyExponent: 0 }), 'CURRENCY_MISMATCH'],
    ['to a closed account', request('1.00'), account(), payee({ status: 'CLOSED' }), 'ACCOUNT_NOT_OPEN'],
    ['from a frozen account', request('1.00'), account({ status: 'FROZEN' }), payee(), 'ACCOUNT_NOT_OPEN'],
    ['with a malformed amount', request('1e3'), account(), payee(), 'VALIDATION'],
    ['past the destination\'s largest balance', request('1.00'), account(), payee({ postedMinor: 10n ** 17n - 1n }), 'LIMIT_EXCEEDED'],
  ])('%s → %s', (_name, transferRequest, source, destination, expected) => {
    expect(codeOf(transferOf(transferRequest, source, destination))).toBe(expected);
  });

  it('debits the source and credits the destination, each at its next version', () => {
    const plan = transferOf(request('0.50'), account(), payee());
    expect(plan).toMatchObject({
      kind: 'TRANSFER',
      channel: 'INTERNAL',
      amountMinor: 50n,
      entries: [
        { target: { customerAccountId: account().id }, direction: 'DEBIT', amountMinor: 50n },
        { target: { customerAccountId: payee().id }, direction: 'CREDIT', amountMinor: 50n },
      ],
      changes: [
        { accountId: account().id, postedAfterMinor: 4950n, versionAfter: 4 },
        { accountId: payee().id, postedAfterMinor: 150n, versionAfter: 8 },
      ],
    });
    expect((plan as unknown as { entries: unknown[] }).entries).toHaveLength(2);
  });
});

describe('account numbers', () => {
  it('computes the Luhn check digit', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
  });

  it('draws 11 digits whose last is the check digit', () => {
    for (let draw = 0; draw < 100; draw += 1) {
      const number = newAccountNumber();
      expect(number).toMatch(/^[1-9]\d{10}$/);
      expect(luhnCheckDigit(number.slice(0, 10))).toBe(Number(number[10]));
    }
  });
});

describe('the largest single movement (MAX_MOVEMENT_MINOR, 10^15 minor units)', () => {
  const max = '10000000000000.00';
  const past = '10000000000000.01';
  it.each([
    ['a deposit of the maximum', () => depositOf({ amount: max, channel: 'CASH' }, account({ postedMinor: 0n })), 'OK'],
    ['a deposit past it', () => depositOf({ amount: past, channel: 'CASH' }, account({ postedMinor: 0n })), 'LIMIT_EXCEEDED'],
    ['a withdrawal past it', () => withdrawal({ amount: past, channel: 'ACH' }, account({ postedMinor: 10n ** 16n })), 'LIMIT_EXCEEDED'],
    ['a KWD deposit past it (three fraction digits)', () => depositOf({ amount: '1000000000000.001', channel: 'CASH' }, account({ currency: 'KWD', currencyExponent: 3, postedMinor: 0n })), 'LIMIT_EXCEEDED'],
  ])('%s', (_name, decide, expected) => {
    expect(codeOf(decide())).toBe(expected);
  });

  it('a payee above 99% of the ceiling refuses every amount alike: one bit, nothing to bisect', () => {
    const source = account({ postedMinor: 10n ** 16n });
    const request = (amount: string) => ({ amount, sourceAccountId: source.id, destinationAccountId: payee().id });
    const headroom = 10n ** 17n - 10n ** 15n;
    expect(codeOf(transferOf(request(max), source, payee({ postedMinor: headroom })))).toBe('OK');
    for (const postedMinor of [headroom + 1n, 10n ** 17n - 100n, 10n ** 17n]) {
      const answers = ['0.01', '1.00', max].map((amount) => transferOf(request(amount), source, payee({ postedMinor })));
      expect(answers.map((answer) => (answer as { message?: string }).message)).toEqual(Array(3).fill('The destination account cannot receive transfers now.'));
    }
    // Into one's own account the owner knows the balance: the exact ceiling applies.
    expect(codeOf(transferOf(request('1.00'), source, payee({ ownedByActor: true, postedMinor: 10n ** 17n - 100n })))).toBe('OK');
    expect(codeOf(transferOf(request('1.01'), source, payee({ ownedByActor: true, postedMinor: 10n ** 17n - 100n })))).toBe('LIMIT_EXCEEDED');
  });

  it('a transfer gets the same answer whatever the payee holds, below 99% of the ceiling', () => {
    const source = account({ postedMinor: 10n ** 16n });
    const request = (amount: string) => ({ amount, sourceAccountId: source.id, destinationAccountId: payee().id });
    const poor = payee({ postedMinor: 0n });
    const rich = payee({ postedMinor: 10n ** 17n - 10n ** 15n });
    for (const amount of ['0.01', '1.00', max, past, '999999999999999.99']) {
      const answers = [poor, rich].map((destination) => transferOf(request(amount), source, destination));
      expect(answers.map(codeOf), amount).toEqual([codeOf(answers[0]), codeOf(answers[0])]);
      expect((answers[1] as { message?: string }).message).toBe((answers[0] as { message?: string }).message);
    }
  });
});

/**
 * TigerBeetle's "errors by descending precedence": a request failing several checks reports the
 * first in the decide function's documented order. Each row breaks one more check than the row
 * below it, so each row's answer is the check listed first in the code.
 */
describe('the order of checks, first failure wins', () => {
  const replayed = { ok: true as const, transactionId: '00000000-0000-4000-8000-0000000000ff', balances: [] };
  const keys = {
    malformed: { kind: 'malformed' as const, error: new ValidationError('idempotencyKey is malformed.', 'idempotencyKey') },
    replay: { kind: 'replay' as const, outcome: replayed },
    conflict: { kind: 'conflict' as const },
    fresh: { kind: 'fresh' as const },
  };
  const closedStranger = account({ status: 'CLOSED', ownedByActor: false, postedMinor: 0n });
  const frozenEmpty = account({ status: 'FROZEN', postedMinor: 0n });

  it.each([
    ['a malformed key before everything', keys.malformed, 'INTERNAL', 'x', closedStranger, 'VALIDATION:idempotencyKey'],
    ['a replay before every other check', keys.replay, 'INTERNAL', 'x', closedStranger, 'REPLAY'],
    ['a conflict before every other check', keys.conflict, 'INTERNAL', 'x', closedStranger, 'IDEMPOTENCY_CONFLICT'],
    ['the channel before the amount', keys.fresh, 'INTERNAL', 'x', closedStranger, 'VALIDATION:channel'],
    ["the amount's shape before the account", keys.fresh, 'ATM', 'x', closedStranger, 'VALIDATION:amount'],
    ["another's account before the role's channels", keys.fresh, 'ATM', '1.00', closedStranger, 'NOT_FOUND'],
    ["the role's channels (ATM is the ATM network's) before the status", keys.fresh, 'ATM', '1.00', frozenEmpty, 'FORBIDDEN'],
    ['the status before the funds', keys.fresh, 'ACH', '1.00', frozenEmpty, 'ACCOUNT_NOT_OPEN'],
    ["the amount's digits before the funds", keys.fresh, 'ACH', '1.001', account({ postedMinor: 0n }), 'VALIDATION:amount'],
    ['the funds last', keys.fresh, 'ACH', '1.00', account({ postedMinor: 0n }), 'INSUFFICIENT_FUNDS'],
  ] as const)('withdrawal: %s', (_name, key, channel, amount, snapshot, expected) => {
    const decision = decideWithdrawal({ accountId: snapshot.id, amount, channel: channel as Channel }, snapshotsOf([snapshot], { key }), TEST_NOW);
    expect(answerOf(decision)).toBe(expected);
  });

  // The cash service (CASH) past the customer rows: a service reaches any customer's account.
  const customer = { role: 'CUSTOMER' as const };
  const cashService = { role: 'SERVICE' as const, channels: ['CASH'] as const };
  const closedStrangerDeposit = account({ status: 'CLOSED', ownedByActor: false, postedMinor: 10n ** 17n });
  it.each([
    ['a replay first', keys.replay, customer, 'INTERNAL', 'x', closedStrangerDeposit, 'REPLAY'],
    ['the channel', keys.fresh, customer, 'INTERNAL', 'x', closedStrangerDeposit, 'VALIDATION:channel'],
    ["the amount's shape", keys.fresh, customer, 'CASH', 'x', closedStrangerDeposit, 'VALIDATION:amount'],
    ["a stranger account before the role's channels", keys.fresh, customer, 'CASH', '1.001', closedStrangerDeposit, 'NOT_FOUND'],
    ["a customer's cash (the cash service's) before the status", keys.fresh, customer, 'CASH', '1.001', account({ status: 'CLOSED', postedMinor: 10n ** 17n }), 'FORBIDDEN'],
    ["a service outside its channels before the status", keys.fresh, cashService, 'ATM', '1.001', closedStrangerDeposit, 'FORBIDDEN'],
    ['a closed account', keys.fresh, cashService, 'CASH', '1.001', closedStrangerDeposit, 'ACCOUNT_NOT_OPEN'],
    ["the amount's digits", keys.fresh, cashService, 'CASH', '1.001', account({ ownedByActor: false, postedMinor: 10n ** 17n }), 'VALIDATION:amount'],
    ['the ceiling last', keys.fresh, cashService, 'CASH', '1.00', account({ ownedByActor: false, postedMinor: 10n ** 17n }), 'LIMIT_EXCEEDED'],
  ] as const)('deposit: %s', (_name, key, actor, channel, amount, snapshot, expected) => {
    const decision = decideDeposit({ accountId: snapshot.id, amount, channel: channel as Channel }, snapshotsOf([snapshot], { key, ...actor }), TEST_NOW);
    expect(answerOf(decision)).toBe(expected);
  });

  const source = account();
  const other = payee();
  it.each([
    ['a replay first', keys.replay, source.id, 'x', [account({ ownedByActor: false })], 'REPLAY'],
    ['the same account twice', keys.fresh, source.id, 'x', [account({ ownedByActor: false })], 'VALIDATION:toAccountId'],
    ["the amount's shape", keys.fresh, other.id, 'x', [account({ ownedByActor: false })], 'VALIDATION:amount'],
    ['a source that is not yours', keys.fresh, other.id, '1.00', [account({ ownedByActor: false })], 'NOT_FOUND'],
    ['an unknown destination', keys.fresh, other.id, '1.00', [account({ status: 'FROZEN' })], 'NOT_FOUND'],
    ['a frozen source', keys.fresh, other.id, '1.00', [account({ status: 'FROZEN' }), payee({ currency: 'EUR' })], 'ACCOUNT_NOT_OPEN'],
    ['another currency', keys.fresh, other.id, '1.001', [account({ postedMinor: 0n }), payee({ currency: 'EUR' })], 'CURRENCY_MISMATCH'],
    ["the amount's digits", keys.fresh, other.id, '1.001', [account({ postedMinor: 0n }), payee()], 'VALIDATION:amount'],
    ['the funds', keys.fresh, other.id, '1.00', [account({ postedMinor: 0n }), payee({ postedMinor: 10n ** 17n })], 'INSUFFICIENT_FUNDS'],
    ["the payee's headroom last", keys.fresh, other.id, '1.00', [account(), payee({ postedMinor: 10n ** 17n })], 'LIMIT_EXCEEDED'],
  ] as const)('transfer: %s', (_name, key, destinationAccountId, amount, accounts, expected) => {
    const decision = decideTransfer({ amount, sourceAccountId: source.id, destinationAccountId }, snapshotsOf([...accounts], { key }), TEST_NOW);
    expect(answerOf(decision)).toBe(expected);
  });

  it.each([
    ['an unknown source is NOT_FOUND for a service too', 'SERVICE', [], 'NOT_FOUND'],
    ['a service names an existing source: FORBIDDEN before the destination', 'SERVICE', [account({ ownedByActor: false, status: 'FROZEN' })], 'FORBIDDEN'],
    ['an operator likewise', 'OPERATOR', [account({ ownedByActor: false, status: 'FROZEN' })], 'FORBIDDEN'],
  ] as const)('transfer: %s', (_name, role, accounts, expected) => {
    const decision = decideTransfer({ amount: '1.00', sourceAccountId: source.id, destinationAccountId: other.id }, snapshotsOf([...accounts], { role, channels: ['CASH'] }), TEST_NOW);
    expect(answerOf(decision)).toBe(expected);
  });
});

/** The answer of a decision as one word: the plan, the replay, or the error's code (and field). */
function answerOf(decision: unknown): string {
  if (decision instanceof Replay) return 'REPLAY';
  if (decision instanceof ValidationError) return `VALIDATION:${decision.field}`;
  return codeOf(decision);
}

describe('the wire fee', () => {
  // balance, amount, configured fee, expected answer, the customer's debit, the fee income's credit
  it.each([
    ['fee 0: nothing charged', 5000n, '50.00', '0', 'OK', 5000n, undefined],
    ['the default 25.00 on top of the principal', 7500n, '50.00', '25.00', 'OK', 7500n, 2500n],
    ['principal + fee leaving exactly 0', 3000n, '5.00', '25.00', 'OK', 3000n, 2500n],
    ['one cent short of principal + fee', 2999n, '5.00', '25.00', 'INSUFFICIENT_FUNDS', undefined, undefined],
    ['the principal alone is covered, not its fee', 5000n, '50.00', '0.01', 'INSUFFICIENT_FUNDS', undefined, undefined],
  ])('%s', (_name, postedMinor, amount, wireFee, expected, debitMinor, feeMinor) => {
    const decision = withdrawal({ amount, channel: 'WIRE' }, account({ postedMinor }), { wireFee });
    expect(codeOf(decision)).toBe(expected);
    if (expected !== 'OK') return;
    const plan = decision as MovementPlan;
    expect(plan.amountMinor).toBe(BigInt(amount.replace('.', '')));
    expect(plan.entries[0]).toMatchObject({ target: { customerAccountId: ACCOUNT_ID }, direction: 'DEBIT', amountMinor: debitMinor });
    expect(plan.entries[1]).toMatchObject({ target: { internalCode: 'SETTLEMENT_WIRE' }, direction: 'CREDIT', amountMinor: plan.amountMinor });
    expect(plan.entries[2]).toEqual(feeMinor === undefined ? undefined : { target: { internalCode: 'FEE_INCOME' }, direction: 'CREDIT', amountMinor: feeMinor, layer: 'POSTED' });
    expect(plan.changes[0]?.postedAfterMinor).toBe(postedMinor - debitMinor!);
  });

  it.each([
    ['25.00', 2, 2500n],
    ['25.00', 0, 25n],
    ['2.50', 0, 2n],
    ['25.125', 3, 25125n],
    ['0', 2, 0n],
  ])('fee %s in a currency of %i digits is %s minor units (rounded down for the customer)', (fee, exponent, expected) => {
    expect(feeMinorUnits(fee, { currency: 'XXX', exponent })).toBe(expected);
  });

  it("a currency's own fee replaces the default for its accounts only (the bank's USD-equivalent: 3,500 yen)", () => {
    const fees: FeeSchedule = { wireFee: '25.00', wireFeeByCurrency: { JPY: '3500' } };
    const yen = withdrawal({ amount: '10000', channel: 'WIRE' }, account({ currency: 'JPY', currencyExponent: 0, postedMinor: 20_000n }), fees);
    expect((yen as MovementPlan).entries[2]).toMatchObject({ target: { internalCode: 'FEE_INCOME' }, amountMinor: 3500n });
    const dollars = withdrawal({ amount: '100.00', channel: 'WIRE' }, account({ postedMinor: 20_000n }), fees);
    expect((dollars as MovementPlan).entries[2]).toMatchObject({ target: { internalCode: 'FEE_INCOME' }, amountMinor: 2500n });
    expect(codeOf(withdrawal({ amount: '16501', channel: 'WIRE' }, account({ currency: 'JPY', currencyExponent: 0, postedMinor: 20_000n }), fees))).toBe('INSUFFICIENT_FUNDS');
  });

  it('only wires carry the fee', () => {
    expect(withdrawal({ amount: '50.00', channel: 'ACH' }, account(), { wireFee: '25.00' })).toMatchObject({ entries: [{ amountMinor: 5000n }, {}] });
  });
});

describe('plans per layer (the shapes holds will use)', () => {
  const held = account({ postedMinor: 5000n, pendingMinor: 0n, version: 3 });
  const entry = (target: { customerAccountId: string } | { internalCode: string }, direction: 'DEBIT' | 'CREDIT', amountMinor: bigint, layer: 'POSTED' | 'PENDING') => ({
    target,
    direction,
    amountMinor,
    layer,
  });
  const header = { kind: 'WITHDRAWAL' as const, channel: 'CARD' as const, amountMinor: 1000n, currency: 'USD', currencyExponent: 2 };

  it('a PENDING debit of the customer raises pending, leaves posted, and is one version', () => {
    const plan = planMovement(header, [entry({ customerAccountId: held.id }, 'DEBIT', 1000n, 'PENDING'), entry({ internalCode: 'SETTLEMENT_CARD' }, 'CREDIT', 1000n, 'PENDING')], [held]);
    expect(plan.changes).toEqual([{ accountId: held.id, postedAfterMinor: 5000n, pendingAfterMinor: 1000n, versionBefore: 3, versionAfter: 4 }]);
  });

  it('a release and a posting on one account in one transaction are still one version', () => {
    const holding = account({ postedMinor: 5000n, pendingMinor: 1000n, version: 4 });
    const plan = planMovement(
      header,
      [
        entry({ customerAccountId: holding.id }, 'DEBIT', 800n, 'POSTED'),
        entry({ internalCode: 'SETTLEMENT_CARD' }, 'CREDIT', 800n, 'POSTED'),
        entry({ customerAccountId: holding.id }, 'CREDIT', 1000n, 'PENDING'),
        entry({ internalCode: 'SETTLEMENT_CARD' }, 'DEBIT', 1000n, 'PENDING'),
      ],
      [holding],
    );
    expect(plan.changes).toEqual([{ accountId: holding.id, postedAfterMinor: 4200n, pendingAfterMinor: 0n, versionBefore: 4, versionAfter: 5 }]);
  });

  it('refuses a plan whose layers do not each balance', () => {
    expect(() =>
      planMovement(header, [entry({ customerAccountId: held.id }, 'DEBIT', 1000n, 'PENDING'), entry({ internalCode: 'SETTLEMENT_CARD' }, 'CREDIT', 1000n, 'POSTED')], [held]),
    ).toThrow(/balance/);
  });
});

describe('the order of checks when opening an account', () => {
  const replay = { kind: 'replay' as const, outcome: { ok: true as const, accountId: '00000000-0000-4000-8000-0000000000ee' } };
  const fresh = { kind: 'fresh' as const };
  it.each([
    ['a replay before everything', replay, 'SHARES', 'usd', 'x\n', 100, 'REPLAY'],
    ['the type', fresh, 'SHARES', 'usd', 'x\n', 100, 'VALIDATION:type'],
    ['the currency', fresh, 'CHECKING', 'usd', 'x\n', 100, 'VALIDATION:currency'],
    ['the nickname', fresh, 'CHECKING', 'USD', 'x\n', 100, 'VALIDATION:nickname'],
    ['a service holds no accounts', fresh, 'CHECKING', 'USD', 'Everyday', 100, 'FORBIDDEN'],
    ['the number of accounts last', fresh, 'CHECKING', 'USD', 'Everyday', 100, 'LIMIT_EXCEEDED'],
    ['all well', fresh, 'CHECKING', 'USD', 'Everyday', 99, 'OK'],
  ] as const)('%s', (name, key, type, currency, nickname, ownedAccounts, expected) => {
    const role = name.startsWith('a service') ? 'SERVICE' : 'CUSTOMER';
    const decision = decideOpenAccount({ type: type as 'CHECKING', currency, nickname }, snapshotsOf<OpenAccountOutcome>([], { key, ownedAccounts, role }));
    expect(answerOf(decision)).toBe(expected);
  });
});
