import { describe, expect, it } from 'vitest';
import { DISPUTE_STATUSES, DISPUTE_STEPS, isUnresolved, moneyOf, nextStatus, type DisputeStatus, type DisputeStep } from '../../src/ledger/disputes/dispute-states.js';

/**
 * Every (step, from) pair of the dispute state machine: the allowed ones with where they lead and
 * the money they move, and every other pair refused. The table is the specification; a pair the
 * code allows that is not listed here fails the "refused" half.
 */
const ALLOWED: ReadonlyArray<readonly [DisputeStep, DisputeStatus, DisputeStatus, ReturnType<typeof moneyOf>]> = [
  ['START_INVESTIGATION', 'OPEN', 'INVESTIGATING', undefined],
  ['CREDIT_PROVISIONALLY', 'OPEN', 'PROVISIONALLY_CREDITED', 'CREDIT'],
  ['CREDIT_PROVISIONALLY', 'INVESTIGATING', 'PROVISIONALLY_CREDITED', 'CREDIT'],
  ['NOTICE_REVERSAL', 'PROVISIONALLY_CREDITED', 'PROVISIONALLY_CREDITED', undefined],
  ['RESOLVE_CUSTOMER', 'INVESTIGATING', 'RESOLVED_CUSTOMER', 'CREDIT'],
  ['RESOLVE_CUSTOMER', 'PROVISIONALLY_CREDITED', 'RESOLVED_CUSTOMER', undefined],
  ['RESOLVE_BANK', 'INVESTIGATING', 'RESOLVED_BANK', undefined],
  ['RESOLVE_BANK', 'PROVISIONALLY_CREDITED', 'RESOLVED_BANK', 'REVERSE_CREDIT'],
  ['WITHDRAW', 'OPEN', 'WITHDRAWN', undefined],
  ['WITHDRAW', 'INVESTIGATING', 'WITHDRAWN', undefined],
];

const allowedKey = new Set(ALLOWED.map(([step, from]) => `${step}:${from}`));
const REFUSED = DISPUTE_STEPS.flatMap((step) => DISPUTE_STATUSES.filter((from) => !allowedKey.has(`${step}:${from}`)).map((from) => [step, from] as const));

describe('the dispute state machine', () => {
  it.each(ALLOWED)('%s from %s leads to %s (money: %s)', (step, from, to, money) => {
    expect(nextStatus(step, from)).toBe(to);
    expect(moneyOf(step, from)).toBe(money);
  });

  it.each(REFUSED)('%s from %s is refused', (step, from) => {
    expect(nextStatus(step, from)).toBeUndefined();
  });

  it('covers every pair: allowed plus refused is every step times every status', () => {
    expect(ALLOWED.length + REFUSED.length).toBe(DISPUTE_STEPS.length * DISPUTE_STATUSES.length);
    expect(REFUSED.length).toBe(26);
  });

  it('the three final statuses refuse every step', () => {
    for (const from of ['RESOLVED_CUSTOMER', 'RESOLVED_BANK', 'WITHDRAWN'] as const) {
      expect(DISPUTE_STEPS.map((step) => nextStatus(step, from))).toEqual(DISPUTE_STEPS.map(() => undefined));
      expect(isUnresolved(from)).toBe(false);
    }
    expect(['OPEN', 'INVESTIGATING', 'PROVISIONALLY_CREDITED'].every((status) => isUnresolved(status as DisputeStatus))).toBe(true);
  });
});
