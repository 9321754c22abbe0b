import type { ParseResult } from '@marcbachmann/cel-js';
import { LRUCache } from 'lru-cache';
import { ValidationError } from '../errors.js';
import type { RiskFeatures } from './features.js';
import { RISK_ENVIRONMENT } from './risk-environment.js';
import { MAX_COMPILED_RULES_CACHED } from './risk-limits.js';
import type { RiskRule } from './rule.js';

/** A rule version with its condition compiled: evaluating it is a function call, microseconds. */
export interface CompiledRule {
  readonly rule: RiskRule;
  /** Runs the condition on one movement's features; throws when evaluation fails (decide-risk catches). */
  readonly evaluate: (features: RiskFeatures) => unknown;
}

/**
 * Compiles a condition in the risk environment, or says why not with the compiler's own message
 * (on field `condition`): bad syntax, a name that is not a feature, a field that does not exist,
 * an operator on the wrong types, or a condition that is not a `bool`. Nothing is evaluated.
 */
export function compileCondition(condition: string): ParseResult | ValidationError {
  const checked = RISK_ENVIRONMENT.check(condition);
  if (!checked.valid) return new ValidationError(checked.error?.message ?? 'the condition does not compile', 'condition');
  if (checked.type !== 'bool') return new ValidationError(`the condition must be a bool, but it is ${checked.type ?? 'unknown'}`, 'condition');
  return RISK_ENVIRONMENT.parse(condition);
}

/**
 * Compiled programs by rule version. A version never changes once stored, so `id@version` names
 * one program; the condition is still compared, so that an unsaved draft or another database's
 * rule of the same name and version can never run a stale program.
 */
const compiledByVersion = new LRUCache<string, CompiledRule>({ max: MAX_COMPILED_RULES_CACHED });

/** Compiles a rule version once per process; later calls for the same version return the same program. */
export function compileRule(rule: RiskRule): CompiledRule | ValidationError {
  const cacheKey = `${rule.id}@${rule.version}`;
  const cached = compiledByVersion.get(cacheKey);
  if (cached && cached.rule.condition === rule.condition) return cached.rule === rule ? cached : { rule, evaluate: cached.evaluate };
  const program = compileCondition(rule.condition);
  if (program instanceof ValidationError) return program;
  const compiled: CompiledRule = { rule, evaluate: (features) => program(features) };
  compiledByVersion.set(cacheKey, compiled);
  return compiled;
}

/**
 * Compiles stored rules for deciding. A stored rule that no longer compiles (the feature list
 * shrank under it) is not dropped silently: it becomes a rule that always fails to evaluate, so
 * decide-risk sends the movement to REVIEW and names the rule, until an operator fixes it.
 */
export function compileStoredRules(rules: readonly RiskRule[]): CompiledRule[] {
  return rules.map((rule) => {
    const compiled = compileRule(rule);
    if (!(compiled instanceof ValidationError)) return compiled;
    return {
      rule,
      evaluate: () => {
        throw new Error(`the stored condition no longer compiles: ${compiled.message}`);
      },
    };
  });
}
