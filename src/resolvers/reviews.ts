import type { Context } from '../context.js';
import { isOperator } from '../auth/access.js';
import { loadRuleVersions } from '../ledger/risk/rule-store.js';
import type { StoredRiskRule } from '../ledger/risk/rule.js';
import { reviewsByIds, type ReviewView } from '../ledger/queries/reviews.js';
import { viewerOf } from './viewer.js';

/**
 * A review the viewer may see: any for an operator; for a customer only a review of their own
 * account (another's looks the same as none: null).
 */
export async function visibleReview(context: Context, reviewId: string): Promise<ReviewView | null> {
  const viewer = viewerOf(context);
  const review = (await reviewsByIds(context.database, [reviewId])).get(reviewId);
  if (!review) return null;
  if (isOperator(viewer)) return review;
  return (await context.loaders.ownedAccountIds()).has(review.accountId) ? review : null;
}

/** A rule hit of a review: what the rule version said. Rules are never shown to customers. */
export interface RuleHitView {
  readonly rule: StoredRiskRule;
  readonly reason: string;
}

export async function hitsOf(context: Context, review: ReviewView): Promise<RuleHitView[]> {
  if (!isOperator(viewerOf(context))) return [];
  const rules = await loadRuleVersions(context.database, review.verdicts.map((verdict) => ({ id: verdict.ruleId, version: verdict.version })));
  const byVersion = new Map(rules.map((rule) => [`${rule.id}@${rule.version}`, rule]));
  return review.verdicts.flatMap((verdict) => {
    const rule = byVersion.get(`${verdict.ruleId}@${verdict.version}`);
    return rule ? [{ rule, reason: verdict.reason }] : [];
  });
}

/** The features a review's decision saw, as JSON text; "{}" for customers (they would teach the rules). */
export function featuresOf(context: Context, review: ReviewView): string {
  return isOperator(viewerOf(context)) ? JSON.stringify(review.features) : '{}';
}
