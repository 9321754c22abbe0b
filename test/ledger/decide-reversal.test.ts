import { describe, expect, it } from 'vitest';
import { decideReversal, type ReversalOriginal } from '../../src/ledger/decide/decide-reversal.js';
import { ValidationError } from '../../src/ledger/errors.js';
import { Replay, type MovementOutcome } from '../../src/ledger/commands/command.js';
import type { AccountSnapshot, MovementPlan, Role } from '../../src/ledger/types.js';
import { TEST_NOW, snapshotsOf } from './snapshots.js';

const ACCOUNT_ID = '00000000-0000-4000-8000-000000000001';
const ORIGINAL_ID = '00000000-0000-4000-8000-0000000000f1';

function account(overrides: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return { id: ACCOUNT_ID, currency: 'USD', currencyExponent: 2, status: 'OPEN', postedMinor: 500n, pendingMinor: 0n, overdraftLimitMinor: 0n, version: 4, ownedByActor: false, ...overrides };
}
function original(overrides: Partial<ReversalOriginal> = {}): ReversalOriginal {
  return {
    id: ORIGINAL_ID,
    kind: 'DEPOSIT',
    channel: 'CASH',
    amountMinor: 5000n,
    currency: 'USD',
    currencyExponent: 2,
    entries: [
      { target: { customerAccountId: ACCOUNT_ID }, direction: 'CREDIT', amountMinor: 5000n, layer: 'POSTED' },
      { target: { internalCode: 'SETTLEMENT_CASH' }, direction: 'DEBIT', amountMinor: 5000n, layer: 'POSTED' },
    ],
    ...overrides,
  };
}
const STORED: MovementOutcome = { ok: true, transactionId: 'stored', balances: [] };

interface Case {
  readonly name: string;
  readonly reason?: string;
  readonly role?: Role;
  readonly key?: 'malformed' | 'replay' | 'conflict';
  readonly original?: ReversalOriginal | null;
  readonly reversed?: boolean;
  readonly snapshot?: AccountSnapshot;
  readonly expected: string;
}

function decide(c: Case) {
  const key =
    c.key === 'malformed'
      ? { kind: 'malformed' as const, error: new ValidationError('bad key', 'idempotencyKey') }
      : c.key === 'replay'
        ? { kind: 'replay' as const, outcome: STORED }
        : c.key === 'conflict'
          ? { kind: 'conflict' as const }
          : { kind: 'fresh' as const };
  const snapshots = snapshotsOf<MovementOutcome>([c.snapshot ?? account()], { role: c.role ?? 'OPERATOR', key, reversed: new Map([[ORIGINAL_ID, c.reversed ?? false]]) });
  return decideReversal({ transactionId: ORIGINAL_ID, reason: c.reason ?? 'wrong account' }, c.original === null ? undefined : (c.original ?? original()), snapshots, TEST_NOW);
}
function codeOf(result: unknown): string {
  if (result instanceof Replay) return 'REPLAY';
  return result && typeof result === 'object' && 'code' in result ? String(result.code) : 'OK';
}

const hold = original({ kind: 'HOLD', channel: 'CARD', entries: [
  { target: { customerAccountId: ACCOUNT_ID }, direction: 'DEBIT', amountMinor: 100n, layer: 'PENDING' },
  { target: { internalCode: 'SETTLEMENT_CARD' }, direction: 'CREDIT', amountMinor: 100n, layer: 'PENDING' },
] });
const release = original({ kind: 'HOLD_RELEASE', channel: 'CARD', entries: [
  { target: { customerAccountId: ACCOUNT_ID }, direction: 'CREDIT', amountMinor: 100n, layer: 'PENDING' },
  { target: { internalCode: 'SETTLEMENT_CARD' }, direction: 'DEBIT', amountMinor: 100n, layer: 'PENDING' },
] });
/** A final capture of 62.50 of an 80.00 hold: posts 62.50 and releases the whole 80.00. */
const capture = original({ kind: 'HOLD_CAPTURE', channel: 'CARD', amountMinor: 6250n, entries: [
  { target: { customerAccountId: ACCOUNT_ID }, direction: 'DEBIT', amountMinor: 6250n, layer: 'POSTED' },
  { target: { internalCode: 'SETTLEMENT_CARD' }, direction: 'CREDIT', amountMinor: 6250n, layer: 'POSTED' },
  { target: { customerAccountId: ACCOUNT_ID }, direction: 'CREDIT', amountMinor: 8000n, layer: 'PENDING' },
  { target: { internalCode: 'SETTLEMENT_CARD' }, direction: 'DEBIT', amountMinor: 8000n, layer: 'PENDING' },
] });
/** A check deposit carrying an availability hold in the same transaction (returned, never reversed). */
const heldDeposit = original({ kind: 'DEPOSIT', channel: 'CHECK', entries: [
  ...original().entries,
  { target: { customerAccountId: ACCOUNT_ID }, direction: 'DEBIT', amountMinor: 5000n, layer: 'PENDING' },
  { target: { internalCode: 'FUNDS_AVAILABILITY' }, direction: 'CREDIT', amountMinor: 5000n, layer: 'PENDING' },
] });

// Each row fails the check it names and every later one: the first failing check answers (precedence).
const CASES: Case[] = [
  { name: 'a malformed key comes first', key: 'malformed', reason: '', original: null, expected: 'VALIDATION' },
  { name: 'a replay answers before anything else', key: 'replay', reason: '', role: 'CUSTOMER', original: null, expected: 'REPLAY' },
  { name: 'a conflict before the reason', key: 'conflict', reason: '', expected: 'IDEMPOTENCY_CONFLICT' },
  { name: 'an empty reason before the original', reason: '', original: null, expected: 'VALIDATION' },
  { name: 'a reason of 501 characters', reason: 'x'.repeat(501), expected: 'VALIDATION' },
  { name: 'a reason of 500 characters is fine', reason: 'x'.repeat(500), expected: 'OK' },
  { name: 'a control character in the reason', reason: 'a\u0007b', role: 'CUSTOMER', expected: 'VALIDATION' },
  { name: 'a customer is answered NOT_FOUND before the kind is looked at', role: 'CUSTOMER', original: original({ kind: 'REVERSAL' }), reversed: true, expected: 'NOT_FOUND' },
  { name: 'an unknown transaction', original: null, expected: 'NOT_FOUND' },
  { name: 'a reversal, before the hold and reversed checks', original: { ...hold, kind: 'REVERSAL' }, reversed: true, expected: 'VALIDATION' },
  { name: 'a hold, before the reversed check', original: hold, reversed: true, expected: 'VALIDATION' },
  { name: "a hold's release, before the reversed check", original: release, reversed: true, expected: 'VALIDATION' },
  { name: 'a deposit with pending entries, before the reversed check', original: heldDeposit, reversed: true, expected: 'VALIDATION' },
  { name: 'a capture passes the pending check, and is then already reversed', original: capture, reversed: true, expected: 'VALIDATION' },
  { name: 'a capture, not reversed yet', original: capture, expected: 'OK' },
  { name: 'already reversed, before the closed account', reversed: true, snapshot: account({ status: 'CLOSED' }), expected: 'VALIDATION' },
  { name: 'a closed account', snapshot: account({ status: 'CLOSED' }), expected: 'ACCOUNT_NOT_OPEN' },
  { name: 'a frozen account takes the correction', snapshot: account({ status: 'FROZEN' }), expected: 'OK' },
  { name: 'a spent deposit is reversed into overdraft, past the limit', snapshot: account({ postedMinor: 100n, overdraftLimitMinor: 0n }), expected: 'OK' },
];

describe('decideReversal: checks in their documented order', () => {
  it.each(CASES)('$name → $expected', (c) => {
    expect(codeOf(decide(c))).toBe(c.expected);
  });

  it('the plan is the original with each entry flipped, one version, into overdraft when the deposit was spent', () => {
    const plan = decide({ name: 'spent', snapshot: account({ postedMinor: 100n }), expected: 'OK' }) as MovementPlan;
    expect(plan.kind).toBe('REVERSAL');
    expect(plan.entries.map((entry) => entry.direction)).toEqual(['DEBIT', 'CREDIT']);
    expect(plan.entries.map((entry) => entry.amountMinor)).toEqual([5000n, 5000n]);
    expect(plan.changes).toEqual([{ accountId: ACCOUNT_ID, postedAfterMinor: -4900n, pendingAfterMinor: 0n, versionBefore: 4, versionAfter: 5 }]);
  });

  it("a capture's reversal flips only its POSTED entries: +62.50 posted back, pending untouched, one version", () => {
    const plan = decide({ name: 'capture', original: capture, snapshot: account({ postedMinor: 1750n, pendingMinor: 0n, version: 3 }), expected: 'OK' }) as MovementPlan;
    expect(plan).toMatchObject({ kind: 'REVERSAL', channel: 'CARD', amountMinor: 6250n });
    expect(plan.entries.map((entry) => [entry.direction, entry.amountMinor, entry.layer])).toEqual([
      ['CREDIT', 6250n, 'POSTED'],
      ['DEBIT', 6250n, 'POSTED'],
    ]);
    expect(plan.changes).toEqual([{ accountId: ACCOUNT_ID, postedAfterMinor: 8000n, pendingAfterMinor: 0n, versionBefore: 3, versionAfter: 4 }]);
  });

  it('each kind of pending transaction is refused with the way to undo it', () => {
    expect(decide({ name: 'hold', original: hold, expected: 'VALIDATION' })).toMatchObject({ field: 'transactionId', message: 'A hold cannot be reversed; void it instead.' });
    expect(decide({ name: 'release', original: release, expected: 'VALIDATION' })).toMatchObject({ message: "A hold's release cannot be reversed: it moved no posted money." });
    expect(decide({ name: 'deposit', original: heldDeposit, expected: 'VALIDATION' })).toMatchObject({ message: 'A deposit under an availability hold cannot be reversed; return it with returnDeposit.' });
  });

  it('a reversal whose reason names a field that is wrong says which', () => {
    expect(decide({ name: 'reason', reason: '', expected: 'VALIDATION' })).toMatchObject({ field: 'reason' });
    expect(decide({ name: 'already', reversed: true, expected: 'VALIDATION' })).toMatchObject({ field: 'transactionId', message: 'This transaction is already reversed or returned.' });
  });
});
