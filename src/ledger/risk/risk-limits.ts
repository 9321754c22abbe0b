/**
 * Bounds on risk rules, each with its reason (TigerStyle: limits on everything). A rule runs on
 * every movement, so its size bounds the risk step's time; the text bounds keep operator screens
 * and stored decisions small.
 */

/** Characters of a condition: the built-ins are under 200; a page of CEL is plenty for one rule. */
export const MAX_CONDITION_LENGTH = 2_000;

/** Parser limits (cel-js `limits`): a condition of 2,000 characters never needs more. */
export const RISK_CONDITION_LIMITS = {
  maxAstNodes: 500,
  maxDepth: 32,
  maxListElements: 100,
  maxMapEntries: 100,
  maxCallArguments: 8,
} as const;

export const MAX_RULE_NAME_LENGTH = 100;
/** What operators read beside a decision. */
export const MAX_RULE_REASON_LENGTH = 500;
/** What a DENY tells the customer: one sentence. */
export const MAX_PUBLIC_MESSAGE_LENGTH = 200;

/** Priorities run 0 (first) to this; gaps leave room to slot a rule in between. */
export const MAX_RULE_PRIORITY = 10_000;

/** Rule ids are short slugs operators can read in a decision: `wire-over-5000`. */
export const RULE_ID_SHAPE = /^[a-z][a-z0-9-]{0,62}[a-z0-9]$/;

/** How many compiled rule versions a process keeps; far more than any bank's live rule set. */
export const MAX_COMPILED_RULES_CACHED = 1_000;

/** Rules `riskRules` lists (every current rule): every one runs on every movement, so a bank keeps them few. */
export const MAX_RISK_RULES_LISTED = 200;
