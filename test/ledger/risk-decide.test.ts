import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/ledger/errors.js';
import { BUILT_IN_RULES } from '../../src/ledger/risk/built-in-rules.js';
import { compileCondition, compileRule, compileStoredRules, type CompiledRule } from '../../src/ledger/risk/compile-rule.js';
import { decideRisk } from '../../src/ledger/risk/decide-risk.js';
import { emptyWindows, emptyWindowsByChannel, FEATURE_NAMES, FEATURES, type RiskFeatures } from '../../src/ledger/risk/features.js';
import { RISK_ENVIRONMENT } from '../../src/ledger/risk/risk-environment.js';
import { validateRuleDraft, type RiskRuleDraft } from '../../src/ledger/risk/rule.js';
import { compiled, quietFeatures, ruleOf } from './risk-fixtures.js';

describe('priority: DENY beats REVIEW beats ALLOW', () => {
  const allow = compiled(ruleOf({ id: 'allow-small', condition: 'amount < 5000', action: 'ALLOW', priority: 1 }));
  const reviewFirst = compiled(ruleOf({ id: 'review-atm', condition: 'channel == "ATM"', priority: 10 }));
  const reviewSecond = compiled(ruleOf({ id: 'review-usd', condition: 'currency == "USD"', priority: 20 }));
  const deny = compiled(ruleOf({ id: 'deny-frozen', condition: 'accountStatus == "FROZEN"', action: 'DENY', priority: 900, publicMessage: 'This account cannot send money now.' }));

  const cases: { name: string; rules: CompiledRule[]; features?: Partial<RiskFeatures>; action: string; decidedBy: string | null; verdicts: string[] }[] = [
    { name: 'nothing matches: ALLOW, decided by no rule', rules: [reviewFirst], features: { channel: 'ACH', currency: 'EUR' }, action: 'ALLOW', decidedBy: null, verdicts: [] },
    { name: 'an ALLOW match alone', rules: [allow], action: 'ALLOW', decidedBy: 'allow-small', verdicts: ['allow-small'] },
    { name: 'REVIEW beats an ALLOW of higher priority', rules: [allow, reviewFirst], action: 'REVIEW', decidedBy: 'review-atm', verdicts: ['review-atm', 'allow-small'] },
    {
      name: 'DENY of the lowest priority beats everything',
      rules: [reviewSecond, allow, deny, reviewFirst],
      features: { accountStatus: 'FROZEN' },
      action: 'DENY',
      decidedBy: 'deny-frozen',
      verdicts: ['deny-frozen', 'review-atm', 'review-usd', 'allow-small'],
    },
    { name: 'among REVIEWs the lower priority number is reported, whatever the input order', rules: [reviewSecond, reviewFirst], action: 'REVIEW', decidedBy: 'review-atm', verdicts: ['review-atm', 'review-usd'] },
    { name: 'a disabled rule does not run', rules: [compiled(ruleOf({ id: 'off', condition: 'true', enabled: false }))], action: 'ALLOW', decidedBy: null, verdicts: [] },
  ];

  it.each(cases)('$name', ({ rules, features, action, decidedBy, verdicts }) => {
    const decision = decideRisk(rules, quietFeatures(features));
    expect(decision.action).toBe(action);
    expect(decision.decidedBy?.ruleId ?? null).toBe(decidedBy);
    expect(decision.verdicts.map((verdict) => verdict.ruleId)).toEqual(verdicts);
  });

  it('a DENY carries its public message for the customer; REVIEW and ALLOW carry none', () => {
    const decision = decideRisk([allow, reviewFirst, deny], quietFeatures({ accountStatus: 'FROZEN' }));
    expect(decision.verdicts.map((verdict) => [verdict.action, verdict.publicMessage])).toEqual([
      ['DENY', 'This account cannot send money now.'],
      ['REVIEW', null],
      ['ALLOW', null],
    ]);
  });
});

describe('currency of a rule', () => {
  const usdRule = compiled(ruleOf({ id: 'usd-over-100', condition: 'amount > 10000', currency: 'USD' }));
  it.each([
    { currency: 'USD', action: 'REVIEW', ran: 1 },
    { currency: 'JPY', action: 'ALLOW', ran: 0 },
  ])('a USD rule on a $currency movement: $action', ({ currency, action, ran }) => {
    const decision = decideRisk([usdRule], quietFeatures({ currency, amount: 20_000n }));
    expect(decision.action).toBe(action);
    expect(decision.ruleVersions).toHaveLength(ran);
  });
});

describe('a rule that fails at run time sends the movement to REVIEW, never through and never a crash', () => {
  const byChannelWithoutWire = Object.fromEntries(Object.entries(emptyWindowsByChannel()).filter(([channel]) => channel !== 'WIRE'));
  const cases: { name: string; condition: string; action?: 'ALLOW' | 'REVIEW'; features: Partial<RiskFeatures> | Record<string, unknown>; message: RegExp }[] = [
    { name: 'division by zero on a customer with no history', condition: 'amount / outgoing.count_24h > 100', features: {}, message: /division by zero/ },
    { name: 'a float where an int belongs', condition: 'amount > 100', features: { amount: 1.5 }, message: /not of type 'int'/ },
    { name: 'text where an int belongs', condition: 'amount > 100', features: { amount: '500' }, message: /not of type 'int'/ },
    { name: 'a missing channel record', condition: 'outgoingByChannel.WIRE.sum_1h > 0', features: { outgoingByChannel: byChannelWithoutWire }, message: /No such key: WIRE/ },
    { name: 'a window field of the wrong type', condition: 'outgoing.sum_7d > 0', features: { outgoing: { ...emptyWindows(), sum_7d: 3.25 } }, message: /not of type 'int'/ },
    { name: '64-bit overflow', condition: 'amount * amount * amount > 0', features: { amount: 10_000_000n }, message: /overflow/ },
    { name: 'an ALLOW rule failing still reviews', condition: 'amount / outgoing.count_1h > 1', action: 'ALLOW', features: {}, message: /division by zero/ },
  ];

  it.each(cases)('$name', ({ condition, action, features, message }) => {
    const rule = compiled(ruleOf({ id: 'fragile', condition, action: action ?? 'REVIEW', priority: 5 }));
    const decision = decideRisk([rule], quietFeatures(features as Partial<RiskFeatures>));
    expect(decision.action).toBe('REVIEW');
    expect(decision.decidedBy).toMatchObject({ ruleId: 'fragile', failed: true, reason: 'rule fragile failed to evaluate' });
    expect(decision.evaluationErrors).toEqual([{ ruleId: 'fragile', version: 1, message: expect.stringMatching(message) }]);
  });

  it('a DENY still beats a failure, and the failure is still recorded', () => {
    const fragile = compiled(ruleOf({ id: 'fragile', condition: 'amount / outgoing.count_24h > 1' }));
    const deny = compiled(ruleOf({ id: 'deny-all', condition: 'true', action: 'DENY', publicMessage: 'No.' }));
    const decision = decideRisk([fragile, deny], quietFeatures());
    expect([decision.action, decision.decidedBy?.ruleId, decision.evaluationErrors.length]).toEqual(['DENY', 'deny-all', 1]);
  });

  it('a program that throws anything at all, or yields a non-bool, is a failure too', () => {
    const rule = ruleOf({ id: 'weird', condition: 'true' });
    const throwsText: CompiledRule = {
      rule,
      evaluate: () => {
        throw 'not an Error';
      },
    };
    const yieldsNumber: CompiledRule = { rule: { ...rule, id: 'weirder' }, evaluate: () => 1n };
    const decision = decideRisk([throwsText, yieldsNumber], quietFeatures());
    expect(decision.action).toBe('REVIEW');
    expect(decision.evaluationErrors.map((failure) => failure.message)).toEqual(['not an Error', 'the condition yielded bigint, not a bool']);
  });

  it('a stored rule that no longer compiles fails on every movement instead of vanishing', () => {
    const [broken] = compileStoredRules([ruleOf({ id: 'stale', condition: 'riskScore > 10' })]);
    const decision = decideRisk([broken!], quietFeatures());
    expect(decision.action).toBe('REVIEW');
    expect(decision.evaluationErrors[0]?.message).toMatch(/no longer compiles: Unknown variable: riskScore/);
  });
});

describe('compiling a condition', () => {
  it.each([
    { name: 'bad syntax', condition: 'amount >', message: /Unexpected token/ },
    { name: 'an unknown feature', condition: 'amonut > 100', message: /Unknown variable: amonut/ },
    { name: 'an unknown window', condition: 'outgoing.count_5m > 1', message: /No such key: count_5m/ },
    { name: 'an unknown channel', condition: 'outgoingByChannel.VENMO.sum_1h > 1', message: /No such key: VENMO/ },
    { name: 'a type error', condition: 'amount + "cents" == "x"', message: /no such overload/ },
    { name: 'a condition nested past the limit', condition: `${'('.repeat(40)}true${')'.repeat(40)}`, message: /Exceeded maxDepth \(32\)/ },
  ])('refuses $name with the compiler’s message, on field condition', ({ condition, message }) => {
    const refused = compileCondition(condition);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({ field: 'condition', message: RISK_ENVIRONMENT.check(condition).error?.message });
    expect((refused as ValidationError).message).toMatch(message);
  });

  it('refuses a condition that is not a bool', () => {
    expect(compileCondition('amount + 1')).toMatchObject({ field: 'condition', message: 'the condition must be a bool, but it is int' });
  });

  it('every feature is declared with its type, and the fixture feeds them all', () => {
    for (const name of FEATURE_NAMES) expect(RISK_ENVIRONMENT.check(name)).toMatchObject({ valid: true, type: FEATURES[name].type });
    expect(Object.keys(quietFeatures()).sort()).toEqual([...FEATURE_NAMES].sort());
  });

  it('compiles a rule version once and reuses the program; a changed condition under the same version compiles anew', () => {
    const rule = ruleOf({ id: 'cached', version: 7, condition: 'amount > 1' });
    const first = compileRule(rule) as CompiledRule;
    const second = compileRule({ ...rule }) as CompiledRule;
    expect(second.evaluate).toBe(first.evaluate);
    const edited = compileRule({ ...rule, condition: 'amount > 100000' }) as CompiledRule;
    expect(edited.evaluate).not.toBe(first.evaluate);
    expect(decideRisk([edited], quietFeatures()).action).toBe('ALLOW');
  });
});

describe('the fields of a rule draft', () => {
  const draft: RiskRuleDraft = { ...BUILT_IN_RULES[1]!, id: 'wire-copy' };
  it.each([
    { name: 'a fine draft', change: {}, field: undefined },
    { name: 'an id that is not a slug', change: { id: 'Wire Rule' }, field: 'id' },
    { name: 'an empty name', change: { name: '  ' }, field: 'name' },
    { name: 'an empty condition', change: { condition: '' }, field: 'condition' },
    { name: 'an unknown action', change: { action: 'BLOCK' as never }, field: 'action' },
    { name: 'a DENY with nothing to tell the customer', change: { action: 'DENY' as const }, field: 'publicMessage' },
    { name: 'a priority below 0', change: { priority: -1 }, field: 'priority' },
    { name: 'a fractional priority', change: { priority: 1.5 }, field: 'priority' },
    { name: 'a lower-case currency', change: { currency: 'usd' }, field: 'currency' },
  ])('$name', ({ change, field }) => {
    expect(validateRuleDraft({ ...draft, ...change })?.field).toBe(field);
  });
});

describe('speed of the risk step', () => {
  it('prints evaluations per second of the five built-ins (measured, not asserted)', () => {
    const builtIns = BUILT_IN_RULES.map((rule) => compiled({ ...rule, version: 1 }));
    const features = quietFeatures({ channel: 'WIRE', amount: 400_000n });
    const rounds = 20_000;
    for (let round = 0; round < 2_000; round += 1) decideRisk(builtIns, features);
    const started = process.hrtime.bigint();
    let allowed = 0;
    for (let round = 0; round < rounds; round += 1) if (decideRisk(builtIns, features).action === 'ALLOW') allowed += 1;
    const elapsedNs = Number(process.hrtime.bigint() - started);
    const perDecisionMicros = elapsedNs / rounds / 1_000;
    console.log(
      `risk step: ${perDecisionMicros.toFixed(2)} µs per decision of 5 built-ins, ` +
        `${Math.round((rounds * 5) / (elapsedNs / 1e9)).toLocaleString('en-US')} rule evaluations per second`,
    );
    expect(allowed).toBe(rounds);
  });
});
