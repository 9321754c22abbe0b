import { describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../../src/ledger/risk/built-in-rules.js';
import { decideRisk } from '../../src/ledger/risk/decide-risk.js';
import { emptyWindows, type RiskFeatures } from '../../src/ledger/risk/features.js';
import { compiled, quietFeatures } from './risk-fixtures.js';

/**
 * Each built-in rule at its edge (issue 9 §1): one minor unit, one movement, one day either side
 * of its threshold, decided by all five built-ins together, so a case also proves that no other
 * built-in fires. (The ±1 minute edge of the 10-minute window is where the prefetch counts
 * movements; here the rule is tested on the counts at that edge.)
 */
const BUILT_INS = BUILT_IN_RULES.map((draft) => compiled({ ...draft, version: 1 }));

const windowsWith = (counts: Partial<Record<keyof ReturnType<typeof emptyWindows>, bigint>>) => ({ ...emptyWindows(), ...counts });

interface EdgeCase {
  readonly name: string;
  readonly features: Partial<RiskFeatures>;
  /** The built-in that must decide, or null when the movement must pass. */
  readonly reviewedBy: string | null;
}

const CASH = 'cash-over-10000-per-banking-day';
const WIRE = 'wire-over-5000';
const VELOCITY = 'rapid-outgoing-movements';
const NEW_PAYEE = 'new-payee-over-1000';
const DORMANT = 'dormant-account-over-500';

const cashDeposit = { channel: 'CASH', kind: 'DEPOSIT', leavesCustomer: false } as const;
const cashWithdrawal = { channel: 'CASH', kind: 'WITHDRAWAL', leavesCustomer: true } as const;
const transferToOthers = { channel: 'INTERNAL', kind: 'TRANSFER', leavesCustomer: true } as const;

const CASES: readonly EdgeCase[] = [
  { name: 'the quiet movement passes', features: {}, reviewedBy: null },
  // Cash: over 10,000.00 per banking day, deposits and withdrawals each added up.
  { name: 'cash deposit of exactly 10,000.00 on a fresh day', features: { ...cashDeposit, amount: 1_000_000n }, reviewedBy: null },
  { name: 'cash deposit of 10,000.01', features: { ...cashDeposit, amount: 1_000_001n }, reviewedBy: CASH },
  { name: 'cash deposit reaching exactly 10,000.00 today', features: { ...cashDeposit, amount: 1n, cashDepositedToday: 999_999n }, reviewedBy: null },
  { name: 'cash deposit reaching 10,000.01 today', features: { ...cashDeposit, amount: 2n, cashDepositedToday: 999_999n }, reviewedBy: CASH },
  { name: 'cash withdrawal reaching exactly 10,000.00 today', features: { ...cashWithdrawal, amount: 500_000n, cashWithdrawnToday: 500_000n }, reviewedBy: null },
  { name: 'cash withdrawal reaching 10,000.01 today', features: { ...cashWithdrawal, amount: 500_001n, cashWithdrawnToday: 500_000n }, reviewedBy: CASH },
  { name: "a cash withdrawal does not add up today's deposits", features: { ...cashWithdrawal, amount: 100n, cashDepositedToday: 2_000_000n }, reviewedBy: null },
  { name: 'an ACH deposit of 20,000.00 is not cash', features: { channel: 'ACH', kind: 'DEPOSIT', leavesCustomer: false, amount: 2_000_000n }, reviewedBy: null },
  { name: 'a EUR cash deposit is not judged by the USD rule', features: { ...cashDeposit, currency: 'EUR', amount: 2_000_000n }, reviewedBy: null },
  // Wire: over 5,000.00.
  { name: 'wire out of exactly 5,000.00', features: { channel: 'WIRE', amount: 500_000n }, reviewedBy: null },
  { name: 'wire out of 5,000.01', features: { channel: 'WIRE', amount: 500_001n }, reviewedBy: WIRE },
  { name: 'wire in of 5,000.01', features: { channel: 'WIRE', kind: 'DEPOSIT', leavesCustomer: false, amount: 500_001n }, reviewedBy: WIRE },
  { name: 'ACH out of 5,000.01 is not a wire', features: { channel: 'ACH', amount: 500_001n }, reviewedBy: null },
  { name: 'a EUR wire is not judged by the USD rule', features: { channel: 'WIRE', currency: 'EUR', amount: 900_000n }, reviewedBy: null },
  // Velocity: more than 5 movements leaving the customer in 10 minutes (the features count earlier ones).
  { name: 'the 5th movement out in 10 minutes', features: { outgoing: windowsWith({ count_10m: 4n, count_1h: 4n }) }, reviewedBy: null },
  { name: 'the 6th movement out in 10 minutes', features: { outgoing: windowsWith({ count_10m: 5n, count_1h: 5n }) }, reviewedBy: VELOCITY },
  { name: 'many in the hour but 4 in the last 10 minutes', features: { outgoing: windowsWith({ count_10m: 4n, count_1h: 40n }) }, reviewedBy: null },
  { name: 'between own accounts never counts as leaving', features: { kind: 'TRANSFER', leavesCustomer: false, outgoing: windowsWith({ count_10m: 9n }) }, reviewedBy: null },
  { name: 'the velocity rule runs in every currency', features: { currency: 'EUR', outgoing: windowsWith({ count_10m: 5n }) }, reviewedBy: VELOCITY },
  // New payee: a transfer over 1,000.00 to someone never paid before.
  { name: 'new payee, exactly 1,000.00', features: { ...transferToOthers, amount: 100_000n }, reviewedBy: null },
  { name: 'new payee, 1,000.01', features: { ...transferToOthers, amount: 100_001n }, reviewedBy: NEW_PAYEE },
  { name: 'known payee, 1,000.01', features: { ...transferToOthers, amount: 100_001n, payeeKnown: true }, reviewedBy: null },
  { name: 'own account, 5,000.00', features: { ...transferToOthers, leavesCustomer: false, amount: 500_000n }, reviewedBy: null },
  { name: 'a withdrawal has no payee', features: { amount: 100_001n }, reviewedBy: null },
  // Dormant: no activity for 180 days, moving over 500.00 out.
  { name: '179 days quiet, 500.01 out', features: { daysSinceLastActivity: 179n, amount: 50_001n }, reviewedBy: null },
  { name: '180 days quiet, exactly 500.00 out', features: { daysSinceLastActivity: 180n, amount: 50_000n }, reviewedBy: null },
  { name: '180 days quiet, 500.01 out', features: { daysSinceLastActivity: 180n, amount: 50_001n }, reviewedBy: DORMANT },
  { name: '180 days quiet, 500.01 moved to own account', features: { daysSinceLastActivity: 180n, amount: 50_001n, kind: 'TRANSFER', leavesCustomer: false }, reviewedBy: DORMANT },
  { name: '400 days quiet, 900.00 deposited', features: { daysSinceLastActivity: 400n, amount: 90_000n, kind: 'DEPOSIT', channel: 'ACH', leavesCustomer: false }, reviewedBy: null },
];

describe('the built-in risk rules at their edges', () => {
  it.each(CASES)('$name', ({ features, reviewedBy }) => {
    const decision = decideRisk(BUILT_INS, quietFeatures(features));
    expect(decision.evaluationErrors).toEqual([]);
    expect(decision.action).toBe(reviewedBy === null ? 'ALLOW' : 'REVIEW');
    expect(decision.verdicts.map((verdict) => verdict.ruleId)).toEqual(reviewedBy === null ? [] : [reviewedBy]);
  });

  it('all five are REVIEW rules, on by default, and reported by priority when several match', () => {
    expect(BUILT_IN_RULES.map((rule) => [rule.action, rule.enabled])).toEqual(BUILT_IN_RULES.map(() => ['REVIEW', true]));
    const everything = quietFeatures({ channel: 'WIRE', kind: 'TRANSFER', amount: 600_000n, daysSinceLastActivity: 200n, outgoing: windowsWith({ count_10m: 5n }) });
    const decision = decideRisk(BUILT_INS, everything);
    expect(decision.verdicts.map((verdict) => verdict.ruleId)).toEqual([WIRE, VELOCITY, NEW_PAYEE, DORMANT]);
    expect(decision.decidedBy?.ruleId).toBe(WIRE);
    expect(decision.ruleVersions).toHaveLength(5);
  });
});
