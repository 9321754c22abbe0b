import { compileRule, type CompiledRule } from '../../src/ledger/risk/compile-rule.js';
import { emptyWindows, emptyWindowsByChannel, type RiskFeatures } from '../../src/ledger/risk/features.js';
import { ValidationError } from '../../src/ledger/errors.js';
import type { RiskRule, RiskRuleDraft } from '../../src/ledger/risk/rule.js';

/**
 * A movement no built-in rule cares about: a 20.00 ATM withdrawal from a year-old, recently used
 * account with a healthy balance and no recent outgoing history. Cases change one thing at a time.
 */
export function quietFeatures(overrides: Partial<RiskFeatures> = {}): RiskFeatures {
  return {
    amount: 2_000n,
    currency: 'USD',
    channel: 'ATM',
    kind: 'WITHDRAWAL',
    leavesCustomer: true,
    accountAgeDays: 400n,
    balance: 100_000n,
    accountStatus: 'OPEN',
    outgoing: emptyWindows(),
    outgoingByChannel: emptyWindowsByChannel(),
    cashDepositedToday: 0n,
    cashWithdrawnToday: 0n,
    payeeKnown: false,
    daysSinceLastActivity: 1n,
    ...overrides,
  };
}

/** A rule version for tests: version 1 of a REVIEW rule in any currency, unless told otherwise. */
export function ruleOf(overrides: Partial<RiskRule> & Pick<RiskRuleDraft, 'id' | 'condition'>): RiskRule {
  return { version: 1, name: overrides.id, action: 'REVIEW', reason: `because ${overrides.id}`, publicMessage: null, priority: 100, enabled: true, currency: null, ...overrides };
}

/** Compiles or fails the test: a fixture rule that does not compile is a broken test. */
export function compiled(rule: RiskRule): CompiledRule {
  const result = compileRule(rule);
  if (result instanceof ValidationError) throw new Error(`fixture rule ${rule.id} does not compile: ${result.message}`);
  return result;
}
