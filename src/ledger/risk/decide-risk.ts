import type { CompiledRule } from './compile-rule.js';
import type { RiskFeatures } from './features.js';
import { ACTION_SEVERITY, type RiskAction, type RiskRule, type RuleVersionRef } from './rule.js';

/** One rule that had something to say about a movement: its condition held, or it failed to run. */
export interface RuleVerdict {
  readonly ruleId: string;
  readonly version: number;
  readonly name: string;
  /** The rule's action when it matched; REVIEW when it failed to evaluate. */
  readonly action: RiskAction;
  /** For operators: the rule's reason, or "rule <id> failed to evaluate". */
  readonly reason: string;
  /** For the customer, on a DENY; null otherwise. */
  readonly publicMessage: string | null;
  readonly priority: number;
  readonly failed: boolean;
}

export interface EvaluationFailure {
  readonly ruleId: string;
  readonly version: number;
  /** The evaluator's message, e.g. "division by zero". */
  readonly message: string;
}

/** What the risk step decided, with everything needed to replay it. */
export interface RiskDecision {
  readonly action: RiskAction;
  /** The verdict that set the action (first of the winning action); null when nothing matched. */
  readonly decidedBy: RuleVerdict | null;
  /** Every matched or failed rule, most severe first, then by priority, then by id. */
  readonly verdicts: readonly RuleVerdict[];
  /** Every rule version that ran, in the order it ran: what a replay loads. */
  readonly ruleVersions: readonly RuleVersionRef[];
  /** The feature values the rules saw. */
  readonly features: RiskFeatures;
  readonly evaluationErrors: readonly EvaluationFailure[];
}

/** A rule runs on a movement when it is enabled and written for its currency, or for any. */
function appliesTo(rule: RiskRule, currency: string): boolean {
  return rule.enabled && (rule.currency === null || rule.currency === currency);
}

/** The rules that run on a movement of one currency, in priority order, and the versions a decision names. */
interface RunningRules {
  readonly running: readonly CompiledRule[];
  readonly ruleVersions: readonly RuleVersionRef[];
}

/**
 * Steps (1) and (2)'s order, found once per rule set and currency: the same for every movement a
 * rule set judges (current-rules.ts keeps one array per saved version), so a movement neither
 * filters, sorts nor lists the rules again. Frozen: every decision of the set shares them.
 */
const runningByRules = new WeakMap<readonly CompiledRule[], Map<string, RunningRules>>();
/** Currencies kept per rule set: ISO 4217 has under 200; a replay of odd stored data is not kept past it. */
const MAX_CURRENCIES_KEPT = 256;

function runningRulesOf(rules: readonly CompiledRule[], currency: string): RunningRules {
  let byCurrency = runningByRules.get(rules);
  if (!byCurrency) runningByRules.set(rules, (byCurrency = new Map()));
  const kept = byCurrency.get(currency);
  if (kept) return kept;
  const running = Object.freeze(rules.filter((compiled) => appliesTo(compiled.rule, currency)).sort((left, right) => byPriority(left.rule, right.rule)));
  const found: RunningRules = { running, ruleVersions: Object.freeze(running.map(({ rule }) => Object.freeze({ id: rule.id, version: rule.version }))) };
  if (byCurrency.size < MAX_CURRENCIES_KEPT) byCurrency.set(currency, found);
  return found;
}

function byPriority(left: RiskRule, right: RiskRule): number {
  return left.priority - right.priority || (left.id < right.id ? -1 : left.id > right.id ? 1 : left.version - right.version);
}

function verdictOf(rule: RiskRule, action: RiskAction, failed: boolean): RuleVerdict {
  return {
    ruleId: rule.id,
    version: rule.version,
    name: rule.name,
    action,
    reason: failed ? `rule ${rule.id} failed to evaluate` : rule.reason,
    publicMessage: failed || action !== 'DENY' ? null : rule.publicMessage,
    priority: rule.priority,
    failed,
  };
}

/**
 * Decides a movement's risk from its prefetched features, purely: no I/O, no clock, the same
 * answer for the same rules and features (which is what makes a stored decision replayable).
 * Order: (1) skip rules that are disabled or written for another currency; (2) run the others in
 * priority order, every one of them (the record names each rule that matched, not just the
 * first); (3) a rule whose evaluation throws, or yields anything but a bool, counts as a REVIEW
 * naming it: odd data never lets a movement through unchecked, and never crashes the command;
 * (4) the action is the most severe verdict's, DENY over REVIEW over ALLOW, ALLOW when none.
 */
export function decideRisk(rules: readonly CompiledRule[], features: RiskFeatures): RiskDecision {
  const { running, ruleVersions } = runningRulesOf(rules, features.currency);
  const verdicts: RuleVerdict[] = [];
  const evaluationErrors: EvaluationFailure[] = [];
  for (const { rule, evaluate } of running) {
    let result: unknown;
    try {
      result = evaluate(features);
    } catch (error) {
      result = error instanceof Error ? error : new Error(String(error));
    }
    if (result === true) verdicts.push(verdictOf(rule, rule.action, false));
    else if (result !== false) {
      const message = result instanceof Error ? result.message : `the condition yielded ${typeof result}, not a bool`;
      evaluationErrors.push({ ruleId: rule.id, version: rule.version, message });
      verdicts.push(verdictOf(rule, 'REVIEW', true));
    }
  }
  // A stable sort keeps the priority order among verdicts of equal severity.
  verdicts.sort((left, right) => ACTION_SEVERITY[right.action] - ACTION_SEVERITY[left.action]);
  const decidedBy = verdicts[0] ?? null;
  return {
    action: decidedBy?.action ?? 'ALLOW',
    decidedBy,
    verdicts,
    ruleVersions,
    features,
    evaluationErrors,
  };
}
