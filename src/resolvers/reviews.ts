import { CheckConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import type { Context } from '../context.js';
import { isOperator } from '../auth/access.js';
import { recordAudit } from '../auth/audit.js';
import { approveReview, declineReview, type DecideReviewInput } from '../ledger/commands/decide-review.js';
import { failureOf } from '../ledger/commands/run-command.js';
import { AccountNotOpenError, expectErrorOf, IdempotencyConflictError, NotFoundError, ValidationError } from '../ledger/errors.js';
import { canonicalId } from '../ledger/persistence/database.js';
import { disableRiskRule, listCurrentRules, loadRuleVersions, upsertRiskRule } from '../ledger/risk/rule-store.js';
import type { RiskAction, StoredRiskRule } from '../ledger/risk/rule.js';
import { MAX_RISK_RULES_LISTED } from '../ledger/risk/risk-limits.js';
import { reviewsByIds, reviewsPage, type ReviewPage, type ReviewStatus, type ReviewView } from '../ledger/queries/reviews.js';
import type { Actor } from '../ledger/types.js';
import { viewerOf } from './viewer.js';

/**
 * A review the viewer may see: any for an operator; the one of a movement they asked for (a
 * service's deposit: a service owns no account, yet its in-review answer names its review); for a
 * customer a review of their own account (another's looks the same as none: null).
 */
export async function visibleReview(context: Context, reviewId: string): Promise<ReviewView | null> {
  const viewer = viewerOf(context);
  const review = (await reviewsByIds(context.database, [reviewId])).get(reviewId);
  if (!review) return null;
  if (isOperator(viewer) || review.requestedBy === viewer.userId) return review;
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

/** Operators only: a customer is refused before anything is read (rules and the queue are never shown to them). */
export function operatorOf(context: Context): Actor {
  const viewer = viewerOf(context);
  if (!isOperator(viewer)) throw new GraphQLError('Only operators may do this.', { extensions: { code: 'FORBIDDEN' } });
  return viewer;
}

/** The current version of every rule, enabled or not, by priority; audited like the queue (what the desk looked at is on record). */
export async function resolveRiskRules(context: Context): Promise<StoredRiskRule[]> {
  const viewer = operatorOf(context);
  const rules = await listCurrentRules(context.database);
  await recordAudit(context.orm.em.fork(), context, { action: 'operator.read_risk_rules', outcome: 'OK', actorUserId: viewer.userId, target: null, details: { rulesListed: rules.length } });
  return rules;
}

export async function resolveReviews(context: Context, request: { first: number | null; after: string | null; statuses: readonly ReviewStatus[] | null }): Promise<ReviewPage> {
  const viewer = operatorOf(context);
  const page = await reviewsPage(context.database, request);
  await recordAudit(context.orm.em.fork(), context, { action: 'operator.read_reviews', outcome: 'OK', actorUserId: viewer.userId, target: null, details: { first: request.first, after: request.after, statuses: request.statuses } });
  return page;
}

/** A rule's slug from its name, for a rule saved for the first time: "Wire over 5,000.00" → "wire-over-5-000-00". */
export function slugOf(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '');
  return /^[a-z]/.test(slug) && slug.length >= 2 ? slug : `rule-${slug}`.replace(/-+$/, '');
}

export interface UpsertRiskRuleArgs {
  readonly id?: string | null;
  readonly name: string;
  readonly condition: string;
  readonly action: RiskAction;
  readonly reason: string;
  readonly publicMessage?: string | null;
  readonly priority: number;
  readonly enabled?: boolean | null;
  readonly currency?: string | null;
}

/**
 * Saves a rule as its next version, audited in the same unit. The rule is the one given by `id`,
 * else the current rule of that name, else a new rule whose id is made from the name. Refused with
 * the compiler's message (VALIDATION on `condition`) when the condition does not compile or reads
 * an unknown feature.
 */
export async function resolveUpsertRiskRule(context: Context, input: UpsertRiskRuleArgs): Promise<StoredRiskRule | ValidationError> {
  try {
    return await saveRiskRule(context, operatorOf(context), input);
  } catch (error) {
    // Two operators saving the same rule at once compute the same next version: the table refuses
    // the second (risk_rules_pkey, or the version trigger when it already sees the first), and
    // nothing of it was stored.
    if (error instanceof UniqueConstraintViolationException || (error instanceof CheckConstraintViolationException && /must be saved as version/.test(error.message))) {
      return new ValidationError('Another operator saved this rule at the same moment; read it again and save your change.', 'name');
    }
    throw error;
  }
}

function saveRiskRule(context: Context, viewer: Actor, input: UpsertRiskRuleArgs): Promise<StoredRiskRule | ValidationError> {
  return context.orm.em.fork().transactional(async (database) => {
    const current = await listCurrentRules(database);
    const id = input.id ?? current.find((rule) => rule.name === input.name)?.id ?? slugOf(input.name);
    // Every rule runs on every movement, and riskRules lists them all: their number is bounded.
    if (!current.some((rule) => rule.id === id) && current.length >= MAX_RISK_RULES_LISTED) {
      return new ValidationError(`A bank keeps at most ${MAX_RISK_RULES_LISTED} risk rules; edit or reuse one instead.`, 'name');
    }
    const draft = {
      id,
      name: input.name,
      condition: input.condition,
      action: input.action,
      reason: input.reason,
      publicMessage: input.publicMessage ?? null,
      priority: input.priority,
      enabled: input.enabled ?? true,
      currency: input.currency ?? null,
    };
    const saved = await upsertRiskRule(database, draft, viewer.userId, new Date());
    const ok = !(saved instanceof ValidationError);
    await recordAudit(database, context, { action: 'operator.upsert_risk_rule', outcome: ok ? 'OK' : 'DENIED', actorUserId: viewer.userId, target: id, details: { ...draft, ...(ok ? { version: saved.version } : { refusal: saved.message }) } });
    return saved;
  });
}

/** Turns a rule off (a new version with enabled false), by its name or its id; audited in the same unit. */
export async function resolveDisableRiskRule(context: Context, name: string): Promise<StoredRiskRule | NotFoundError> {
  const viewer = operatorOf(context);
  return context.orm.em.fork().transactional(async (database) => {
    const current = await listCurrentRules(database);
    const rule = current.find((candidate) => candidate.name === name) ?? current.find((candidate) => candidate.id === name);
    const disabled = rule ? await disableRiskRule(database, rule.id, viewer.userId, new Date()) : new NotFoundError(`No risk rule is named "${name}".`);
    const ok = !(disabled instanceof NotFoundError);
    await recordAudit(database, context, { action: 'operator.disable_risk_rule', outcome: ok ? 'OK' : 'DENIED', actorUserId: viewer.userId, target: rule?.id ?? name, details: ok ? { version: disabled.version } : {} });
    return disabled;
  });
}

/** What approveReview and declineReview answer. */
export interface ReviewDecisionView {
  readonly reviewId: string;
  readonly transactionId: string | null;
  readonly replayed: boolean;
}

export type ReviewDecisionResult = ReviewDecisionView | InstanceType<(typeof REVIEW_ERROR_CLASSES)[number]>;

export const REVIEW_ERROR_CLASSES = [ValidationError, NotFoundError, AccountNotOpenError, IdempotencyConflictError] as const;

/** Approves or declines a review as the operator, audited in the deciding unit. */
export async function resolveReviewStep(context: Context, step: 'approve' | 'decline', input: DecideReviewInput): Promise<ReviewDecisionResult> {
  const viewer = operatorOf(context);
  const run = step === 'approve' ? approveReview : declineReview;
  const result = await run(context.orm, viewer, input, {
    withinUnit: (database, [decided]) =>
      recordAudit(database, context, {
        action: step === 'approve' ? 'operator.approve_review' : 'operator.decline_review',
        outcome: decided?.outcome.ok ? 'OK' : 'DENIED',
        actorUserId: viewer.userId,
        target: canonicalId(input.reviewId),
        details: { idempotencyKey: input.idempotencyKey, note: input.note ?? null, replayed: decided?.replayed ?? false },
      }),
  });
  if (!result.replayed && result.outcome.ok) context.live.relay.kick();
  if (result.written) context.loaders.transactions.prime(result.written.id, result.written);
  const failure = failureOf(result.outcome);
  if (failure) return expectErrorOf(REVIEW_ERROR_CLASSES, failure);
  if (!result.outcome.ok) throw new Error('unreachable: a failure without its error');
  return { reviewId: result.outcome.reviewId, transactionId: result.outcome.transactionId, replayed: result.replayed };
}
