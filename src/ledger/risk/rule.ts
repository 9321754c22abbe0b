import { ValidationError } from '../errors.js';
import { MAX_CONDITION_LENGTH, MAX_PUBLIC_MESSAGE_LENGTH, MAX_RULE_NAME_LENGTH, MAX_RULE_PRIORITY, MAX_RULE_REASON_LENGTH, RULE_ID_SHAPE } from './risk-limits.js';

/**
 * What a rule asks for when its condition holds. Severity orders them: DENY beats REVIEW beats
 * ALLOW, whatever the priorities (a matching ALLOW never lets through what another rule stops).
 */
export const RISK_ACTIONS = ['ALLOW', 'REVIEW', 'DENY'] as const;
export type RiskAction = (typeof RISK_ACTIONS)[number];

export const ACTION_SEVERITY: Readonly<Record<RiskAction, number>> = { ALLOW: 0, REVIEW: 1, DENY: 2 };

/** Which edition of which rule: what a decision records for every rule it ran. */
export interface RuleVersionRef {
  readonly id: string;
  readonly version: number;
}

/**
 * What an operator writes. Saving it makes a new version of the rule `id` (the first is 1);
 * versions are never changed, so every decision can name the exact rules it ran.
 */
export interface RiskRuleDraft {
  /** A slug naming the rule across its versions: `wire-over-5000`. */
  readonly id: string;
  readonly name: string;
  /** A CEL expression over the features (features.ts) that is true when the rule applies. */
  readonly condition: string;
  readonly action: RiskAction;
  /** Why the rule exists, for operators reviewing what it caught. */
  readonly reason: string;
  /** What a DENY tells the customer, instead of the condition (which would teach evasion). */
  readonly publicMessage: string | null;
  /** Lower runs first; among rules of the winning action, the lowest is the one reported. */
  readonly priority: number;
  readonly enabled: boolean;
  /**
   * The currency the rule's amounts are written in (minor units of it): the rule runs only on
   * movements in that currency. Null: the rule runs on every movement (it should not compare amounts).
   */
  readonly currency: string | null;
}

/** One version of a rule: what compiling and deciding need. */
export interface RiskRule extends RiskRuleDraft, RuleVersionRef {}

/** One version as stored (risk_rules), with who saved it and when. */
export interface StoredRiskRule extends RiskRule {
  readonly createdAt: Date;
  readonly createdBy: string;
}

const CURRENCY_CODE = /^[A-Z]{3}$/;

function checkText(value: string, field: string, maxLength: number): ValidationError | undefined {
  if (value.trim().length === 0) return new ValidationError(`${field} must not be empty`, field);
  if (value.length > maxLength) return new ValidationError(`${field} must be at most ${maxLength} characters`, field);
  return undefined;
}

/**
 * Checks every field of a draft except what its condition means (compile-rule.ts does that), in
 * the order of the draft's fields; the first failure is returned.
 */
export function validateRuleDraft(draft: RiskRuleDraft): ValidationError | undefined {
  if (!RULE_ID_SHAPE.test(draft.id)) return new ValidationError('id must be 2-64 lower-case letters, digits and dashes, starting with a letter', 'id');
  const textFailure =
    checkText(draft.name, 'name', MAX_RULE_NAME_LENGTH) ??
    checkText(draft.condition, 'condition', MAX_CONDITION_LENGTH) ??
    (RISK_ACTIONS.includes(draft.action) ? undefined : new ValidationError(`action must be one of ${RISK_ACTIONS.join(', ')}`, 'action')) ??
    checkText(draft.reason, 'reason', MAX_RULE_REASON_LENGTH);
  if (textFailure) return textFailure;
  if (draft.publicMessage !== null) {
    const failure = checkText(draft.publicMessage, 'publicMessage', MAX_PUBLIC_MESSAGE_LENGTH);
    if (failure) return failure;
  } else if (draft.action === 'DENY') {
    return new ValidationError('a DENY rule needs a publicMessage: the customer is told why, never the condition', 'publicMessage');
  }
  if (!Number.isInteger(draft.priority) || draft.priority < 0 || draft.priority > MAX_RULE_PRIORITY) {
    return new ValidationError(`priority must be a whole number from 0 to ${MAX_RULE_PRIORITY}`, 'priority');
  }
  if (draft.currency !== null && !CURRENCY_CODE.test(draft.currency)) return new ValidationError('currency must be an ISO 4217 code such as USD, or null for any', 'currency');
  return undefined;
}
