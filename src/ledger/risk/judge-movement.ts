import type { BankCalendar } from '../calendar/business-days.js';
import { RiskDeclinedError } from '../errors.js';
import type { CompiledRule } from './compile-rule.js';
import { decideRisk, type RiskDecision } from './decide-risk.js';
import { movementFeatures, type JudgedMovement } from './movement-features.js';
import type { RiskFacts } from './risk-facts.js';

/** What the risk step allows: the movement as planned (ALLOW) or held for a person (REVIEW), with the decision to store. */
export interface RiskJudgement {
  readonly action: 'ALLOW' | 'REVIEW';
  readonly decision: RiskDecision;
}

/** The risk inputs a unit loaded: the current rules, compiled, and the facts of each asked account. */
export interface RiskInputs {
  readonly rules: readonly CompiledRule[];
  readonly facts: RiskFacts | undefined;
}

/**
 * The risk step of a movement's decide, run after the command's own checks passed (so a refused
 * movement is never judged) and before its plan is returned. Pure. Undefined when the unit loaded
 * no rules (risk off: RISK_RULES=off). DENY answers RISK_DECLINED with the public message of the
 * rule that decided, carrying the decision so the refusing unit stores it.
 */
export function judgeMovement(movement: JudgedMovement, inputs: RiskInputs | undefined, now: Date): RiskJudgement | RiskDeclinedError | undefined {
  if (!inputs) return undefined;
  // Rules were loaded for this command, so its facts were too: a miss is a bug, not a pass.
  if (!inputs.facts) throw new Error(`the risk facts of account ${movement.account.id} were not read`);
  const decision = decideRisk(inputs.rules, movementFeatures(movement, inputs.facts, now));
  if (decision.action === 'DENY') return new RiskDeclinedError(decision.decidedBy?.publicMessage ?? undefined, decision);
  return { action: decision.action, decision };
}

/** Risk settings a movement command is built with. Absent: risk off (RISK_RULES=off). */
export interface RiskCheck {
  /** The banking day of "cash today" (the availability policy's calendar). */
  readonly calendar: BankCalendar;
  /** How long a review waits for a person before the system declines it (REVIEW_TIMEOUT, default 3 days). */
  readonly reviewTimeoutMs: number;
}

export const DEFAULT_REVIEW_TIMEOUT_MS = 3 * 24 * 60 * 60_000;
