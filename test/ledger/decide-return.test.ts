import { describe, expect, it } from 'vitest';
import { decideReturn } from '../../src/ledger/decide/decide-return.js';
import { decideAvailableDeposit } from '../../src/ledger/decide/decide-available-deposit.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import type { ReversalOriginal } from '../../src/ledger/decide/decide-reversal.js';
import { ValidationError } from '../../src/ledger/errors.js';
import { Replay, type MovementOutcome } from '../../src/ledger/commands/command.js';
import type { HoldSnapshot } from '../../src/ledger/commands/unit-state.js';
import type { AccountSnapshot, Role } from '../../src/ledger/types.js';
import { TEST_NOW, snapshotsOf } from './snapshots.js';

const ACCOUNT_ID = '00000000-0000-4000-8000-000000000001';
const DEPOSIT_ID = '00000000-0000-4000-8000-0000000000d1';
const HOLD_IDS = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2'];

function account(overrides: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return { id: ACCOUNT_ID, currency: 'USD', currencyExponent: 2, status: 'OPEN', postedMinor: 50000n, pendingMinor: 50000n, overdraftLimitMinor: 0n, version: 1, ownedByActor: true, ...overrides };
}
/** A 500.00 check deposit that held 275.00 and 225.00. */
function deposit(overrides: Partial<ReversalOriginal> = {}): ReversalOriginal {
  return {
    id: DEPOSIT_ID,
    kind: 'DEPOSIT',
    channel: 'CHECK',
    amountMinor: 50000n,
    currency: 'USD',
    currencyExponent: 2,
    entries: [
      { target: { customerAccountId: ACCOUNT_ID }, direction: 'CREDIT', amountMinor: 50000n, layer: 'POSTED' },
      { target: { internalCode: 'SETTLEMENT_CHECK' }, direction: 'DEBIT', amountMinor: 50000n, layer: 'POSTED' },
      { target: { customerAccountId: ACCOUNT_ID }, direction: 'DEBIT', amountMinor: 50000n, layer: 'PENDING' },
      { target: { internalCode: 'FUNDS_AVAILABILITY' }, direction: 'CREDIT', amountMinor: 50000n, layer: 'PENDING' },
    ],
    ...overrides,
  };
}
function hold(id: string, amountMinor: bigint, status: HoldSnapshot['status'] = 'ACTIVE'): HoldSnapshot {
  return { id, accountId: ACCOUNT_ID, status, reason: 'DEPOSIT_AVAILABILITY', channel: 'CHECK', amountMinor, capturedMinor: 0n, expiresAt: null, releaseAt: TEST_NOW, captureCount: 0 };
}
const STORED: MovementOutcome = { ok: true, transactionId: 'stored', balances: [] };

interface Case {
  readonly name: string;
  readonly key?: 'malformed' | 'replay';
  readonly reason?: string;
  readonly role?: Role;
  readonly original?: ReversalOriginal | null;
  readonly returned?: boolean;
  readonly snapshot?: AccountSnapshot;
  readonly expected: string;
}

function decide(c: Case, holds: readonly HoldSnapshot[] = [hold(HOLD_IDS[0]!, 27500n), hold(HOLD_IDS[1]!, 22500n)]) {
  const key = c.key === 'malformed' ? { kind: 'malformed' as const, error: new ValidationError('bad key', 'idempotencyKey') } : c.key === 'replay' ? { kind: 'replay' as const, outcome: STORED } : { kind: 'fresh' as const };
  const snapshots = snapshotsOf<MovementOutcome>([c.snapshot ?? account()], { role: c.role ?? 'OPERATOR', key, reversed: new Map([[DEPOSIT_ID, c.returned ?? false]]), holds });
  return decideReturn({ transactionId: DEPOSIT_ID, reason: c.reason ?? 'NSF' }, c.original === null ? undefined : (c.original ?? deposit()), HOLD_IDS, snapshots, TEST_NOW);
}
function codeOf(result: unknown): string {
  if (result instanceof Replay) return 'REPLAY';
  return result && typeof result === 'object' && 'code' in result ? String(result.code) : 'OK';
}

// Each row fails the check it names and every later one: the first failing check answers (precedence).
const CASES: Case[] = [
  { name: 'a malformed key first', key: 'malformed', reason: '', original: null, expected: 'VALIDATION' },
  { name: 'a replay before anything else', key: 'replay', reason: '', role: 'CUSTOMER', expected: 'REPLAY' },
  { name: 'the reason before the deposit', reason: '', original: null, expected: 'VALIDATION' },
  { name: 'a reason of 201 characters', reason: 'x'.repeat(201), expected: 'VALIDATION' },
  { name: 'a reason with a control character', reason: 'NSF\n', expected: 'VALIDATION' },
  { name: 'a customer gets NOT_FOUND before the kind is looked at', role: 'CUSTOMER', original: deposit({ kind: 'WITHDRAWAL' }), returned: true, expected: 'NOT_FOUND' },
  { name: 'an unknown transaction', original: null, expected: 'NOT_FOUND' },
  { name: 'not a deposit, before the returned check', original: deposit({ kind: 'TRANSFER' }), returned: true, expected: 'VALIDATION' },
  { name: 'already returned or reversed, before the closed account', returned: true, snapshot: account({ status: 'CLOSED' }), expected: 'VALIDATION' },
  { name: 'a closed account', snapshot: account({ status: 'CLOSED' }), expected: 'ACCOUNT_NOT_OPEN' },
  { name: 'a frozen account takes the return', snapshot: account({ status: 'FROZEN' }), expected: 'OK' },
  { name: 'a spent deposit is returned past the overdraft limit', snapshot: account({ postedMinor: 0n, pendingMinor: 0n }), expected: 'OK' },
  { name: 'the 200-character reason is accepted', reason: 'x'.repeat(200), expected: 'OK' },
];

describe('decideReturn: every check in its order', () => {
  it.each(CASES)('$name → $expected', (c) => {
    expect(codeOf(decide(c))).toBe(c.expected);
  });

  it('debits the whole deposit back and releases only what the still-active holds keep, in one change', () => {
    const plan = decide({ name: 'one released', expected: 'OK' }, [hold(HOLD_IDS[0]!, 27500n, 'EXPIRED'), hold(HOLD_IDS[1]!, 22500n)]);
    if (!plan || !('movement' in plan)) throw new Error('expected a plan');
    expect(plan.movement.kind).toBe('RETURN');
    expect(plan.movement.entries).toEqual([
      { target: { customerAccountId: ACCOUNT_ID }, direction: 'DEBIT', amountMinor: 50000n, layer: 'POSTED' },
      { target: { internalCode: 'SETTLEMENT_CHECK' }, direction: 'CREDIT', amountMinor: 50000n, layer: 'POSTED' },
      { target: { customerAccountId: ACCOUNT_ID }, direction: 'CREDIT', amountMinor: 22500n, layer: 'PENDING' },
      { target: { internalCode: 'FUNDS_AVAILABILITY' }, direction: 'DEBIT', amountMinor: 22500n, layer: 'PENDING' },
    ]);
    expect(plan.movement.changes).toEqual([{ accountId: ACCOUNT_ID, postedAfterMinor: 0n, pendingAfterMinor: 27500n, versionBefore: 1, versionAfter: 2 }]);
    expect(plan.releasedHolds.map((released) => [released.id, released.status])).toEqual([[HOLD_IDS[1], 'VOIDED']]);
  });
});

describe('decideAvailableDeposit', () => {
  const fresh = account({ postedMinor: 0n, pendingMinor: 0n, version: 0 });
  const facts = new Map([[ACCOUNT_ID, { openedAt: new Date(TEST_NOW.getTime() - 90 * 86_400_000), sameBankingDayMinor: 0n }]]);

  it('a check posts whole and holds every part not available now in one PENDING pair against FUNDS_AVAILABILITY: one change', () => {
    const plan = decideAvailableDeposit({ accountId: ACCOUNT_ID, amount: '1000.00', channel: 'CHECK' }, snapshotsOf<MovementOutcome>([fresh], { checkDeposits: facts }), TEST_NOW, DEFAULT_AVAILABILITY_POLICY);
    if (!plan || !('movement' in plan)) throw new Error('expected a plan');
    expect(plan.heldParts.map((part) => [part.amountMinor, part.reason])).toEqual([[27500n, 'NEXT_BUSINESS_DAY'], [72500n, 'SECOND_BUSINESS_DAY']]);
    expect(plan.movement.entries.slice(2)).toEqual([
      { target: { customerAccountId: ACCOUNT_ID }, direction: 'DEBIT', amountMinor: 100000n, layer: 'PENDING' },
      { target: { internalCode: 'FUNDS_AVAILABILITY' }, direction: 'CREDIT', amountMinor: 100000n, layer: 'PENDING' },
    ]);
    expect(plan.movement.changes).toEqual([{ accountId: ACCOUNT_ID, postedAfterMinor: 100000n, pendingAfterMinor: 100000n, versionBefore: 0, versionAfter: 1 }]);
  });

  it('cash holds nothing by default; a refused deposit stays refused; a check without its facts is a bug, not a guess', () => {
    // Cash is posted by the cash service (a customer's cash deposit is FORBIDDEN before any policy applies).
    const cash = decideAvailableDeposit({ accountId: ACCOUNT_ID, amount: '10.00', channel: 'CASH' }, snapshotsOf<MovementOutcome>([fresh], { role: 'SERVICE', channels: ['CASH'] }), TEST_NOW, DEFAULT_AVAILABILITY_POLICY);
    expect(cash).toMatchObject({ heldParts: [], movement: { entries: [expect.anything(), expect.anything()] } });
    const closed = decideAvailableDeposit({ accountId: ACCOUNT_ID, amount: '10.00', channel: 'CHECK' }, snapshotsOf<MovementOutcome>([account({ status: 'CLOSED' })], { checkDeposits: facts }), TEST_NOW, DEFAULT_AVAILABILITY_POLICY);
    expect(codeOf(closed)).toBe('ACCOUNT_NOT_OPEN');
    expect(() => decideAvailableDeposit({ accountId: ACCOUNT_ID, amount: '10.00', channel: 'CHECK' }, snapshotsOf<MovementOutcome>([fresh]), TEST_NOW, DEFAULT_AVAILABILITY_POLICY)).toThrow(/were not read/);
  });
});
