import { describe, expect, it } from 'vitest';
import { decideDeposit, decideWithdrawal } from '../../src/ledger/decide/decide-movement.js';
import { decideAuthorization } from '../../src/ledger/decide/decide-authorization.js';
import { decideCapture, decideVoid } from '../../src/ledger/decide/decide-hold-change.js';
import { DEPOSIT_CHANNELS, WITHDRAWAL_CHANNELS } from '../../src/ledger/decide/internal-accounts.js';
import type { HoldOutcome, MovementOutcome } from '../../src/ledger/commands/command.js';
import type { HoldSnapshot } from '../../src/ledger/commands/unit-state.js';
import { CHANNELS, type AccountSnapshot, type Channel, type Role } from '../../src/ledger/types.js';
import { TEST_NOW, snapshotsOf } from './snapshots.js';

/**
 * Who may do what (README "Who may do what"), every role x every channel x deposit, withdraw,
 * authorize, capture and void, through the decide functions themselves. The expected answers are
 * written here from the words, apart from src/ledger/decide/permissions.ts, so a change
 * of the rules there fails here.
 */
const ACCOUNT_ID = '00000000-0000-4000-8000-000000000001';
const HOLD_ID = '00000000-0000-4000-8000-0000000000b1';

function account(ownedByActor: boolean): AccountSnapshot {
  return { id: ACCOUNT_ID, currency: 'USD', currencyExponent: 2, status: 'OPEN', postedMinor: 10_000n, pendingMinor: 1_000n, overdraftLimitMinor: 0n, version: 4, ownedByActor };
}

function hold(channel: Channel): HoldSnapshot {
  return { id: HOLD_ID, accountId: ACCOUNT_ID, reason: 'AUTHORIZATION', status: 'ACTIVE', channel, releaseAt: null, amountMinor: 1_000n, capturedMinor: 0n, expiresAt: null, captureCount: 0 };
}

interface Asker {
  readonly name: string;
  readonly role: Role;
  readonly channels?: readonly Channel[];
  /** Whether the account is the asker's own. */
  readonly owns: boolean;
}

const ASKERS: readonly Asker[] = [
  { name: 'a customer on their own account', role: 'CUSTOMER', owns: true },
  { name: "a customer on another's account", role: 'CUSTOMER', owns: false },
  { name: 'an operator', role: 'OPERATOR', owns: false },
  { name: 'the cash service (CASH, ATM)', role: 'SERVICE', channels: ['CASH', 'ATM'], owns: false },
  { name: 'the card processor (CARD)', role: 'SERVICE', channels: ['CARD'], owns: false },
  { name: 'a service whose channels were all revoked', role: 'SERVICE', channels: [], owns: false },
];

type Operation = 'deposit' | 'withdraw' | 'authorize' | 'capture' | 'void';
const OPERATIONS: readonly Operation[] = ['deposit', 'withdraw', 'authorize', 'capture', 'void'];

const CUSTOMER_DEBITS = ['ACH', 'WIRE', 'ZELLE', 'PAYPAL', 'THIRD_PARTY'];

/** The rule, as the issue states it. */
function expected(asker: Asker, operation: Operation, channel: Channel): string {
  const valid = operation === 'deposit' ? DEPOSIT_CHANNELS.has(channel) : WITHDRAWAL_CHANNELS.has(channel);
  if (!valid) return 'VALIDATION';
  if (asker.role === 'CUSTOMER' && !asker.owns) return 'NOT_FOUND';
  if (asker.role === 'CUSTOMER') return (operation === 'deposit' ? channel === 'CHECK' : CUSTOMER_DEBITS.includes(channel)) ? 'OK' : 'FORBIDDEN';
  if (asker.role === 'OPERATOR') return operation === 'deposit' || operation === 'void' ? 'OK' : 'FORBIDDEN';
  return asker.channels?.includes(channel) ? 'OK' : 'FORBIDDEN';
}

function decide(asker: Asker, operation: Operation, channel: Channel): unknown {
  const accounts = [account(asker.owns)];
  const options = { role: asker.role, ...(asker.channels ? { channels: asker.channels } : {}) };
  const request = { accountId: ACCOUNT_ID, amount: '1.00', channel };
  switch (operation) {
    case 'deposit':
      return decideDeposit(request, snapshotsOf<MovementOutcome>(accounts, options), TEST_NOW);
    case 'withdraw':
      return decideWithdrawal(request, snapshotsOf<MovementOutcome>(accounts, options), TEST_NOW);
    case 'authorize':
      return decideAuthorization(request, snapshotsOf<HoldOutcome>(accounts, options), TEST_NOW);
    case 'capture':
      return decideCapture({ holdId: HOLD_ID }, snapshotsOf<HoldOutcome>(accounts, { ...options, holds: [hold(channel)] }), TEST_NOW);
    case 'void':
      return decideVoid({ holdId: HOLD_ID }, snapshotsOf<HoldOutcome>(accounts, { ...options, holds: [hold(channel)] }), TEST_NOW);
  }
}

function codeOf(result: unknown): string {
  return result && typeof result === 'object' && 'code' in result ? String(result.code) : 'OK';
}

/** Holds exist only on channels money can leave through: a capture or void of another cannot arise. */
const rows = ASKERS.flatMap((asker) =>
  OPERATIONS.flatMap((operation) =>
    CHANNELS.filter((channel) => !((operation === 'capture' || operation === 'void') && !WITHDRAWAL_CHANNELS.has(channel))).map(
      (channel) => [asker.name, operation, channel, expected(asker, operation, channel), asker] as const,
    ),
  ),
);

describe('who may do what', () => {
  it.each(rows)('%s: %s on %s → %s', (_name, operation, channel, answer, asker) => {
    expect(codeOf(decide(asker, operation, channel))).toBe(answer);
  });

  it.each([
    ['an unknown hold before anything', [], [], 'NOT_FOUND'],
    ["a customer names a stranger's hold: NOT_FOUND before its channel", [account(false)], [hold('CARD')], 'NOT_FOUND'],
    ['a CARD hold on their own account is the card processor\'s: FORBIDDEN before its status', [account(true)], [{ ...hold('CARD'), status: 'CAPTURED' as const }], 'FORBIDDEN'],
    ['their own ACH hold, captured already: HOLD_NOT_ACTIVE', [account(true)], [{ ...hold('ACH'), status: 'CAPTURED' as const }], 'HOLD_NOT_ACTIVE'],
  ] as const)('capture, the order of checks: %s', (_name, accounts, holds, answer) => {
    expect(codeOf(decideCapture({ holdId: HOLD_ID }, snapshotsOf<HoldOutcome>([...accounts], { holds: [...holds] }), TEST_NOW))).toBe(answer);
  });

  it.each([
    ["a customer's CARD hold on their frozen account: FORBIDDEN before ACCOUNT_NOT_OPEN", 'CUSTOMER', 'CARD', 'FORBIDDEN'],
    ['the card processor on the frozen account: ACCOUNT_NOT_OPEN', 'SERVICE', 'CARD', 'ACCOUNT_NOT_OPEN'],
  ] as const)('authorize, the order of checks: %s', (_name, role, channel, answer) => {
    const frozen = { ...account(role === 'CUSTOMER'), status: 'FROZEN' as const };
    const decision = decideAuthorization({ accountId: ACCOUNT_ID, amount: '1.001', channel }, snapshotsOf<HoldOutcome>([frozen], { role, channels: ['CARD'] }), TEST_NOW);
    expect(codeOf(decision)).toBe(answer);
  });

  it('a refusal says who may', () => {
    const cash = decide(ASKERS[0]!, 'deposit', 'CASH') as Error;
    expect(cash.message).toBe('Cash deposits are posted by the cash service (a teller or ATM network), not by customers; customers deposit checks (CHECK).');
    const card = decide(ASKERS[3]!, 'authorize', 'CARD') as Error;
    expect(card.message).toBe('This service moves money only on its channels (CASH, ATM); CARD movements are made by the card processor.');
  });

  it("a service's answers show the balances of the account it moved, never more", () => {
    const plan = decideDeposit({ accountId: ACCOUNT_ID, amount: '1.00', channel: 'CASH' }, snapshotsOf<MovementOutcome>([account(false)], { role: 'SERVICE', channels: ['CASH'] }), TEST_NOW);
    expect(codeOf(plan)).toBe('OK');
    const captured = decideCapture({ holdId: HOLD_ID }, snapshotsOf<HoldOutcome>([account(false)], { role: 'SERVICE', channels: ['CARD'], holds: [hold('CARD')] }), TEST_NOW);
    expect(captured).toMatchObject({ visible: true });
  });
});
