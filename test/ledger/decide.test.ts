import { describe, expect, it } from 'vitest';
import { decideDeposit, decideTransfer, decideWithdrawal } from '../../src/ledger/decide/decide-movement.js';
import { availableMinor, canDebit } from '../../src/ledger/decide/funds.js';
import { luhnCheckDigit, newAccountNumber } from '../../src/ledger/account-number.js';
import type { AccountSnapshot } from '../../src/ledger/types.js';

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
    expect(codeOf(decideWithdrawal({ amount, channel: 'ATM' }, snapshot))).toBe(expected);
  });

  it('plans a debit of the customer and a credit of the channel settlement account', () => {
    const plan = decideWithdrawal({ amount: '12.34', channel: 'WIRE' }, account());
    expect(plan).toMatchObject({
      kind: 'WITHDRAWAL',
      channel: 'WIRE',
      amountMinor: 1234n,
      currency: 'USD',
      customerLegs: [{ direction: 'DEBIT', postedAfterMinor: 3766n, versionBefore: 3, versionAfter: 4 }],
      internalLeg: { direction: 'CREDIT', internalCode: 'SETTLEMENT_WIRE' },
    });
  });
});

describe('decideDeposit', () => {
  it.each([
    ['an open account', account(), '10.00', 'OK'],
    ['a frozen account', account({ status: 'FROZEN' }), '10.00', 'ACCOUNT_NOT_OPEN'],
    ["another customer's account", account({ ownedByActor: false }), '10.00', 'NOT_FOUND'],
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
    expect(codeOf(decideDeposit({ amount, channel: 'CASH' }, snapshot))).toBe(expected);
  });

  it('cash goes through the vault, every other channel through its own settlement account', () => {
    expect(decideDeposit({ amount: '1.00', channel: 'CASH' }, account())).toMatchObject({ internalLeg: { direction: 'DEBIT', internalCode: 'CASH_VAULT' } });
    expect(decideDeposit({ amount: '1.00', channel: 'ZELLE' }, account())).toMatchObject({ internalLeg: { internalCode: 'SETTLEMENT_ZELLE' } });
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
    expect(codeOf(decideTransfer(transferRequest, source, destination))).toBe(expected);
  });

  it('debits the source and credits the destination, each at its next version', () => {
    const plan = decideTransfer(request('0.50'), account(), payee());
    expect(plan).toMatchObject({
      kind: 'TRANSFER',
      channel: 'INTERNAL',
      amountMinor: 50n,
      customerLegs: [
        { accountId: account().id, direction: 'DEBIT', postedAfterMinor: 4950n, versionAfter: 4 },
        { accountId: payee().id, direction: 'CREDIT', postedAfterMinor: 150n, versionAfter: 8 },
      ],
    });
    expect(plan).not.toHaveProperty('internalLeg');
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
    ['a deposit of the maximum', () => decideDeposit({ amount: max, channel: 'CASH' }, account({ postedMinor: 0n })), 'OK'],
    ['a deposit past it', () => decideDeposit({ amount: past, channel: 'CASH' }, account({ postedMinor: 0n })), 'LIMIT_EXCEEDED'],
    ['a withdrawal past it', () => decideWithdrawal({ amount: past, channel: 'CASH' }, account({ postedMinor: 10n ** 16n })), 'LIMIT_EXCEEDED'],
    ['a KWD deposit past it (three fraction digits)', () => decideDeposit({ amount: '1000000000000.001', channel: 'CASH' }, account({ currency: 'KWD', currencyExponent: 3, postedMinor: 0n })), 'LIMIT_EXCEEDED'],
  ])('%s', (_name, decide, expected) => {
    expect(codeOf(decide())).toBe(expected);
  });

  it('a payee above 99% of the ceiling refuses every amount alike: one bit, nothing to bisect', () => {
    const source = account({ postedMinor: 10n ** 16n });
    const request = (amount: string) => ({ amount, sourceAccountId: source.id, destinationAccountId: payee().id });
    const headroom = 10n ** 17n - 10n ** 15n;
    expect(codeOf(decideTransfer(request(max), source, payee({ postedMinor: headroom })))).toBe('OK');
    for (const postedMinor of [headroom + 1n, 10n ** 17n - 100n, 10n ** 17n]) {
      const answers = ['0.01', '1.00', max].map((amount) => decideTransfer(request(amount), source, payee({ postedMinor })));
      expect(answers.map((answer) => (answer as { message?: string }).message)).toEqual(Array(3).fill('The destination account cannot receive transfers now.'));
    }
    // Into one's own account the owner knows the balance: the exact ceiling applies.
    expect(codeOf(decideTransfer(request('1.00'), source, payee({ ownedByActor: true, postedMinor: 10n ** 17n - 100n })))).toBe('OK');
    expect(codeOf(decideTransfer(request('1.01'), source, payee({ ownedByActor: true, postedMinor: 10n ** 17n - 100n })))).toBe('LIMIT_EXCEEDED');
  });

  it('a transfer gets the same answer whatever the payee holds, below 99% of the ceiling', () => {
    const source = account({ postedMinor: 10n ** 16n });
    const request = (amount: string) => ({ amount, sourceAccountId: source.id, destinationAccountId: payee().id });
    const poor = payee({ postedMinor: 0n });
    const rich = payee({ postedMinor: 10n ** 17n - 10n ** 15n });
    for (const amount of ['0.01', '1.00', max, past, '999999999999999.99']) {
      const answers = [poor, rich].map((destination) => decideTransfer(request(amount), source, destination));
      expect(answers.map(codeOf), amount).toEqual([codeOf(answers[0]), codeOf(answers[0])]);
      expect((answers[1] as { message?: string }).message).toBe((answers[0] as { message?: string }).message);
    }
  });
});
