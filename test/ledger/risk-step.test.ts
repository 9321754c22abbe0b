import { describe, expect, it } from 'vitest';
import { withdrawCommand } from '../../src/ledger/commands/withdraw.js';
import { transferCommand } from '../../src/ledger/commands/transfer.js';
import { depositCommand } from '../../src/ledger/commands/deposit.js';
import { DEFAULT_AVAILABILITY_POLICY } from '../../src/ledger/decide/availability-policy.js';
import { LedgerError, RiskDeclinedError } from '../../src/ledger/errors.js';
import { DEFAULT_REVIEW_TIMEOUT_MS, type RiskCheck, type RiskInputs } from '../../src/ledger/risk/judge-movement.js';
import type { RiskFacts } from '../../src/ledger/risk/risk-facts.js';
import type { AccountSnapshot } from '../../src/ledger/types.js';
import { compiled, ruleOf } from './risk-fixtures.js';
import { ACTOR_ID, TEST_NOW, snapshotsOf } from './snapshots.js';

/**
 * The risk step's place in each movement's decide (issue 9 §1): last, after every check of the
 * command's own, so a movement refused for its own reasons is never judged, and "risk off" (no
 * inputs loaded) decides exactly as before.
 */
const RISK: RiskCheck = { calendar: DEFAULT_AVAILABILITY_POLICY.calendar, reviewTimeoutMs: DEFAULT_REVIEW_TIMEOUT_MS };
const ACCOUNT = '00000000-0000-4000-8000-000000000001';
const PAYEE = '00000000-0000-4000-8000-000000000002';
const actor = { userId: ACTOR_ID, role: 'CUSTOMER' as const };

function account(overrides: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return { id: ACCOUNT, currency: 'USD', currencyExponent: 2, status: 'OPEN', postedMinor: 5000n, pendingMinor: 0n, overdraftLimitMinor: 0n, version: 3, ownedByActor: true, ...overrides };
}
const facts: RiskFacts = { accountId: ACCOUNT, openedAt: new Date('2025-01-01T00:00:00Z'), lastActivityAt: new Date('2026-11-30T00:00:00Z'), outgoing: [], cashToday: [], payeeKnown: false };
const denyAll = compiled(ruleOf({ id: 'deny-all', condition: 'true', action: 'DENY', publicMessage: 'No.' }));
const reviewAll = compiled(ruleOf({ id: 'review-all', condition: 'true', action: 'REVIEW' }));
const inputs = (rule = denyAll): RiskInputs => ({ rules: [rule], facts });

function answer(decision: unknown): string {
  if (decision instanceof LedgerError) return decision.code;
  const plan = decision as { review?: unknown; judgement?: { action: string } };
  return plan.review ? 'REVIEW' : (plan.judgement?.action ?? 'NOT JUDGED');
}

describe('the risk step comes last', () => {
  it.each([
    ['withdrawal: the funds before the rules', account({ postedMinor: 0n }), inputs(), 'INSUFFICIENT_FUNDS'],
    ['withdrawal: the status before the rules', account({ status: 'FROZEN' }), inputs(), 'ACCOUNT_NOT_OPEN'],
    ["withdrawal: the role's rails before the rules (a customer at an ATM)", account(), inputs(), 'FORBIDDEN', 'ATM'],
    ['withdrawal: a DENY once every own check passed', account(), inputs(), 'RISK_DECLINED'],
    ['withdrawal: a REVIEW', account(), inputs(reviewAll), 'REVIEW'],
    ['withdrawal: no rules loaded (risk off) is not judged', account(), undefined, 'NOT JUDGED'],
  ] as const)('%s', (_name, snapshot, risk, expected, channel: 'ACH' | 'ATM' = 'ACH') => {
    const command = withdrawCommand(actor, { accountId: ACCOUNT, amount: '10.00', channel, idempotencyKey: 'k' }, undefined, RISK);
    expect(answer(command.decide(snapshotsOf([snapshot], risk ? { risk } : {}), TEST_NOW))).toBe(expected);
  });

  it.each([
    ["transfer: the payee's status before the rules", [account(), account({ id: PAYEE, ownedByActor: false, status: 'CLOSED' })], 'ACCOUNT_NOT_OPEN'],
    ['transfer: the funds before the rules', [account({ postedMinor: 0n }), account({ id: PAYEE, ownedByActor: false })], 'INSUFFICIENT_FUNDS'],
    ['transfer: a DENY last', [account(), account({ id: PAYEE, ownedByActor: false })], 'RISK_DECLINED'],
  ] as const)('%s', (_name, accounts, expected) => {
    const command = transferCommand(actor, { fromAccountId: ACCOUNT, toAccountId: PAYEE, amount: '10.00', idempotencyKey: 'k' }, RISK);
    expect(answer(command.decide(snapshotsOf([...accounts], { risk: inputs() }), TEST_NOW))).toBe(expected);
  });

  it('deposit: the role before the rules (a customer posting cash)', () => {
    const command = depositCommand(actor, { accountId: ACCOUNT, amount: '10.00', channel: 'CASH', idempotencyKey: 'k' }, DEFAULT_AVAILABILITY_POLICY, RISK);
    expect(answer(command.decide(snapshotsOf([account()], { risk: inputs() }), TEST_NOW))).toBe('FORBIDDEN');
  });

  it("deposit: the ceiling before the rules, then the rules (the cash service's deposit)", () => {
    const cashService = { userId: ACTOR_ID, role: 'SERVICE' as const, channels: ['CASH' as const] };
    const asService = { role: 'SERVICE' as const, channels: ['CASH' as const], risk: inputs() };
    const command = depositCommand(cashService, { accountId: ACCOUNT, amount: '10.00', channel: 'CASH', idempotencyKey: 'k' }, DEFAULT_AVAILABILITY_POLICY, RISK);
    expect(answer(command.decide(snapshotsOf([account({ postedMinor: 10n ** 17n, ownedByActor: false })], asService), TEST_NOW))).toBe('LIMIT_EXCEEDED');
    const declined = command.decide(snapshotsOf([account({ ownedByActor: false })], asService), TEST_NOW);
    expect(declined).toBeInstanceOf(RiskDeclinedError);
    expect((declined as RiskDeclinedError).message).toBe('No.');
  });

  it('a withdrawal in review holds principal and fee on the PENDING layer and posts nothing', () => {
    const command = withdrawCommand(actor, { accountId: ACCOUNT, amount: '10.00', channel: 'WIRE', idempotencyKey: 'k' }, { wireFee: '25.00' }, RISK);
    const plan = command.decide(snapshotsOf([account()], { risk: inputs(reviewAll) }), TEST_NOW) as unknown as { review: { hold: { entries: unknown[]; changes: unknown[] }; movement: { entries: unknown[] } } };
    expect(plan.review.hold.entries).toEqual([
      { target: { customerAccountId: ACCOUNT }, direction: 'DEBIT', amountMinor: 3500n, layer: 'PENDING' },
      { target: { internalCode: 'RISK_REVIEWS' }, direction: 'CREDIT', amountMinor: 3500n, layer: 'PENDING' },
    ]);
    expect(plan.review.hold.changes).toEqual([{ accountId: ACCOUNT, postedAfterMinor: 5000n, pendingAfterMinor: 3500n, versionBefore: 3, versionAfter: 4 }]);
    expect(plan.review.movement.entries).toHaveLength(3);
  });
});
