import { formatMinor } from '../ledger/money.js';
import { holdById } from '../ledger/queries/holds.js';
import { REVIEW_STATUSES, reviewIdsOfTransactions, type ReviewEdge, type ReviewPage, type ReviewStatus, type ReviewView } from '../ledger/queries/reviews.js';
import { RISK_ACTIONS, type StoredRiskRule } from '../ledger/risk/rule.js';
import {
  featuresOf,
  hitsOf,
  REVIEW_ERROR_CLASSES,
  resolveDisableRiskRule,
  resolveReviews,
  resolveReviewStep,
  resolveRiskRules,
  resolveUpsertRiskRule,
  visibleReview,
  type ReviewDecisionView,
  type RuleHitView,
} from '../resolvers/reviews.js';
import { NotFoundError, ValidationError } from '../ledger/errors.js';
import { MAX_REVIEW_NOTE_LENGTH } from '../ledger/decide/decide-review.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../ledger/limits.js';
import { MAX_RISK_RULES_LISTED } from '../ledger/risk/risk-limits.js';
import { PageInfoType } from './page-info.js';
import './errors.js';
import type { MovementInReviewView } from '../resolvers/views.js';
import { MAX_CUSTOMER_ACCOUNTS_PER_TRANSACTION } from '../ledger/limits.js';
import { BalanceType } from './balance.js';
import { builder } from './builder.js';
import { ChannelEnum, TransactionKindEnum } from './enums.js';
import { HoldType } from './hold.js';
import { listBound } from './list-bounds.js';
import { TransactionType } from './transaction.js';

/** Hits a review shows: the query cost model prices a page of reviews by this bound. */
const MAX_HITS_SHOWN = 5;

const REVIEW_STATUS_DESCRIPTIONS: Record<ReviewStatus, string> = {
  PENDING: 'Waiting for an operator; the money is held (a deposit: not yet credited).',
  APPROVED: 'An operator approved it: the movement is posted (`transaction`).',
  DECLINED: 'An operator declined it: the hold was released, nothing moved (RISK_DECLINED under the request\'s key).',
  EXPIRED: 'Nobody decided it in time (REVIEW_TIMEOUT): the system declined it, released the hold, and nothing moved.',
};

export const ReviewStatusEnum = builder.enumType('ReviewStatus', {
  description: 'Where a risk review stands. It leaves PENDING once, for good.',
  values: Object.fromEntries(REVIEW_STATUSES.map((status) => [status, { description: REVIEW_STATUS_DESCRIPTIONS[status] }])) as Record<ReviewStatus, { description: string }>,
});

export const RiskActionEnum = builder.enumType('RiskAction', {
  description: 'What a risk rule asks for when its condition holds. DENY beats REVIEW beats ALLOW, whatever the priorities.',
  values: {
    ALLOW: { description: 'Let the movement through (never overrides another rule\'s REVIEW or DENY).' },
    REVIEW: { description: 'Hold the money and ask an operator (approveReview / declineReview).' },
    DENY: { description: 'Refuse it with RISK_DECLINED and the rule\'s public message.' },
  } satisfies Record<(typeof RISK_ACTIONS)[number], { description: string }>,
});

export const RiskRuleType = builder.objectRef<StoredRiskRule>('RiskRule').implement({
  description: 'One version of a risk rule (operators only). Saving a rule makes a new version; versions never change, so every decision names the ones it ran.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'condition' in value && 'version' in value,
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The rule\'s slug, the same across its versions, e.g. "wire-over-5000".' }),
    name: t.exposeString('name', { description: 'What the rule is, for people.' }),
    version: t.exposeInt('version', { description: 'Which save of the rule this is: 1, 2, …' }),
    condition: t.exposeString('condition', { description: 'The CEL condition over the movement\'s features (see README "Risk rules") that makes the rule apply.' }),
    action: t.field({ type: RiskActionEnum, description: 'What the rule asks for when its condition holds.', resolve: (rule) => rule.action }),
    reason: t.exposeString('reason', { description: 'Why the rule exists, for operators reviewing what it caught.' }),
    publicMessage: t.exposeString('publicMessage', { nullable: true, description: 'What a DENY tells the customer instead of the condition.' }),
    priority: t.exposeInt('priority', { description: 'Lower runs first; among rules of the winning action the lowest is reported.' }),
    enabled: t.exposeBoolean('enabled', { description: 'False: the rule does not run (disableRiskRule).' }),
    currency: t.exposeString('currency', { nullable: true, description: 'The currency its amounts are written in: it runs only on movements in it. Null: every movement.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When this version was saved.', resolve: (rule) => rule.createdAt }),
  }),
});

const RiskRuleHitType = builder.objectRef<RuleHitView>('RiskRuleHit').implement({
  description: 'A rule version that matched the movement (or failed to evaluate, which counts as REVIEW).',
  fields: (t) => ({
    rule: t.field({ type: RiskRuleType, description: 'The rule version that ran.', resolve: (hit) => hit.rule }),
    reason: t.exposeString('reason', { description: 'Why it matched: the rule\'s reason, or that it failed to evaluate.' }),
  }),
});

export const ReviewType = builder.objectRef<ReviewView>('Review').implement({
  description:
    'A movement a risk rule sent to an operator. Its money is held meanwhile (a deposit is simply not credited yet); ' +
    'approval posts the movement, decline or the timeout releases the hold. Customers see their own reviews, without the rules.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The review\'s id: approve or decline it by this id.' }),
    status: t.field({ type: ReviewStatusEnum, description: 'Where the review stands.', resolve: (review) => review.status }),
    kind: t.field({ type: TransactionKindEnum, description: 'The movement held back: DEPOSIT, WITHDRAWAL or TRANSFER.', resolve: (review) => review.kind }),
    channel: t.field({ type: ChannelEnum, description: 'The rail of the movement.', resolve: (review) => review.channel }),
    amount: t.field({ type: 'Decimal', description: 'The movement\'s amount (a withdrawal\'s principal, without its fee).', resolve: (review) => formatMinor(review.amountMinor, review.currencyExponent) }),
    currency: t.exposeString('currency', { description: 'ISO 4217 code of the movement.' }),
    accountId: t.exposeID('accountId', { description: 'The account the movement debits (a deposit: credits).' }),
    hits: t.field({
      type: [RiskRuleHitType],
      extensions: listBound(MAX_HITS_SHOWN),
      description: `The rule versions that sent it here, most severe first, at most ${MAX_HITS_SHOWN} (operators only; empty for customers). Every hit is kept in the stored decision.`,
      resolve: async (review, _args, context) => (await hitsOf(context, review)).slice(0, MAX_HITS_SHOWN),
    }),
    features: t.string({ description: 'The feature values the rules saw, as JSON text (ints as decimal strings; outgoingByChannel lists only the channels with a window that is not zero, the others were all zero); operators only, "{}" for customers.', resolve: (review, _args, context) => featuresOf(context, review) }),
    hold: t.field({ type: HoldType, nullable: true, description: 'The RISK_REVIEW hold keeping the money; null for a deposit.', resolve: async (review, _args, context) => (review.holdId ? ((await holdById(context.database, review.holdId)) ?? null) : null) }),
    transaction: t.field({
      type: TransactionType,
      nullable: true,
      description: 'The movement approval posted; null until then (and for ever when declined).',
      resolve: async (review, _args, context) => (review.transactionId ? ((await context.loaders.transactions.load(review.transactionId)) ?? null) : null),
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When the movement was asked for and sent to review.', resolve: (review) => review.createdAt }),
    dueAt: t.field({ type: 'DateTime', description: 'When the system declines it if nobody has decided (REVIEW_TIMEOUT after creation).', resolve: (review) => review.dueAt }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was approved, declined or expired.', resolve: (review) => review.decidedAt }),
    note: t.exposeString('note', { nullable: true, description: 'The deciding operator\'s note.' }),
  }),
});

export const MovementInReviewType = builder.objectRef<MovementInReviewView>('MovementInReview').implement({
  description: 'A risk rule sent the movement to an operator: its money is held (your available balance dropped), nothing is posted yet.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'reviewId' in value,
  fields: (t) => ({
    review: t.field({
      type: ReviewType,
      description: 'The review; watch its status (or balanceUpdated) for the outcome.',
      resolve: async (movement, _args, context) => {
        const review = await visibleReview(context, movement.reviewId);
        if (!review) throw new Error(`review ${movement.reviewId} of a stored outcome is missing`);
        return review;
      },
    }),
    balances: t.field({
      type: [BalanceType],
      extensions: listBound(MAX_CUSTOMER_ACCOUNTS_PER_TRANSACTION),
      description: 'Your account it touched, right after the hold (a deposit: unchanged).',
      resolve: (movement) => movement.balances,
    }),
    replayed: t.exposeBoolean('replayed', { description: 'True when this is the stored outcome of an earlier request with the same key.' }),
  }),
});

builder.objectFields(TransactionType, (t) => ({
  review: t.field({
    type: ReviewType,
    nullable: true,
    description:
      'The risk review this transaction belongs to: the hold of a movement in review, or the movement its approval posted. ' +
      'Null otherwise, and for a payee (a review is its requester\'s).',
    resolve: async (transaction, _args, context) => {
      const reviewId = (await reviewIdsOfTransactions(context.database, [transaction.id])).get(transaction.id);
      return reviewId ? visibleReview(context, reviewId) : null;
    },
  }),
}));

const ReviewEdgeType = builder.objectRef<ReviewEdge>('ReviewEdge').implement({
  description: 'A review with its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque; pass it as `after` for the reviews created before this one.' }),
    node: t.field({ type: ReviewType, description: 'The review.', resolve: (edge) => edge.review }),
  }),
});

const ReviewConnectionType = builder.objectRef<ReviewPage>('ReviewConnection').implement({
  description: `The operators' review queue, newest first; at most ${MAX_PAGE_SIZE} a page (default ${DEFAULT_PAGE_SIZE}).`,
  fields: (t) => ({
    edges: t.field({ type: [ReviewEdgeType], extensions: listBound('page'), description: 'The reviews of this page, newest first.', resolve: (page) => page.lines }),
    pageInfo: t.field({ type: PageInfoType, description: 'Where this page sits.', resolve: (page) => page }),
  }),
});

builder.queryField('riskRules', (t) =>
  t.field({
    type: [RiskRuleType],
    extensions: listBound(MAX_RISK_RULES_LISTED),
    description: 'Operators only (FORBIDDEN for customers), audited: the current version of every risk rule, enabled or not, by priority.',
    resolve: (_root, _args, context) => resolveRiskRules(context),
  }),
);

builder.queryField('reviews', (t) =>
  t.field({
    type: ReviewConnectionType,
    description: 'Operators only (FORBIDDEN for customers), audited: the risk review queue, newest first, a page at a time.',
    args: {
      status: t.arg({ type: [ReviewStatusEnum], required: false, description: 'Only reviews in these statuses (an empty list matches none); all when absent.' }),
      first: t.arg.int({ description: `Reviews from the newest (or after \`after\`), 0 to ${MAX_PAGE_SIZE}; default ${DEFAULT_PAGE_SIZE}.` }),
      after: t.arg.string({ description: 'A cursor from an earlier page: continue with the reviews created before it.' }),
    },
    resolve: (_root, { status, first, after }, context) => resolveReviews(context, { first: first ?? null, after: after ?? null, statuses: status ?? null }),
  }),
);

const UpsertRiskRuleInput = builder.inputType('UpsertRiskRuleInput', {
  description: 'A risk rule to save as its next version (a new rule: version 1). Earlier versions stay, so past decisions still name what they ran.',
  fields: (t) => ({
    id: t.string({ required: false, description: 'The rule to save a version of, by its slug. Absent: the current rule of this name, else a new rule with a slug made from the name.' }),
    name: t.string({ required: true, description: 'What the rule is, for people (1-100 characters).' }),
    condition: t.string({ required: true, description: 'A CEL condition over the movement\'s features (README "Risk rules"); refused with the compiler\'s message when it does not compile, reads an unknown feature or is not a bool.' }),
    action: t.field({ type: RiskActionEnum, required: true, description: 'What the rule asks for when its condition holds.' }),
    reason: t.string({ required: true, description: 'Why the rule exists, for operators (1-500 characters).' }),
    publicMessage: t.string({ required: false, description: 'What a DENY tells the customer (required for DENY; 1-200 characters).' }),
    priority: t.int({ required: true, description: 'Lower runs first, 0 to 10000.' }),
    enabled: t.boolean({ required: false, defaultValue: true, description: 'False saves it switched off.' }),
    currency: t.string({ required: false, description: 'The ISO 4217 currency its amounts are written in (it runs only on movements in it); absent: every movement (then compare no amounts).' }),
  }),
});

builder.mutationField('upsertRiskRule', (t) =>
  t.field({
    type: builder.errorUnion('UpsertRiskRuleResult', { description: 'The saved rule version, or why it was refused.', types: [RiskRuleType, ValidationError] }),
    description: 'Operators only (FORBIDDEN for customers), audited: saves a risk rule as its next version; it applies to every movement from the next one on.',
    args: { input: t.arg({ type: UpsertRiskRuleInput, required: true }) },
    resolve: (_root, { input }, context) => resolveUpsertRiskRule(context, input),
  }),
);

builder.mutationField('disableRiskRule', (t) =>
  t.field({
    type: builder.errorUnion('DisableRiskRuleResult', { description: 'The rule\'s version that switched it off (or its current one, when already off), or NOT_FOUND.', types: [RiskRuleType, NotFoundError] }),
    description: 'Operators only (FORBIDDEN for customers), audited: switches a rule off by saving a version with enabled false. Every rule can be switched off.',
    args: { name: t.arg.string({ required: true, description: 'The rule\'s name (or its slug id).' }) },
    resolve: (_root, { name }, context) => resolveDisableRiskRule(context, name),
  }),
);

const DecideReviewInput = builder.inputType('DecideReviewInput', {
  description: 'An operator\'s decision on a pending review.',
  fields: (t) => ({
    reviewId: t.id({ required: true, description: 'The review to decide.' }),
    note: t.string({ required: false, description: `Why, for the record (at most ${MAX_REVIEW_NOTE_LENGTH} characters).` }),
    idempotencyKey: t.string({ required: true, description: 'Your unique key for this decision (1-128 printable characters); a retry with it replays the answer.' }),
  }),
});

const ReviewDecisionType = builder.objectRef<ReviewDecisionView>('ReviewDecision').implement({
  description: 'A review decided: approved (the movement posted) or declined (its hold released, nothing moved).',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'reviewId' in value && 'transactionId' in value,
  fields: (t) => ({
    review: t.field({
      type: ReviewType,
      description: 'The review, as it stands now.',
      resolve: async (decision, _args, context) => {
        const review = await visibleReview(context, decision.reviewId);
        if (!review) throw new Error(`review ${decision.reviewId} of a stored outcome is missing`);
        return review;
      },
    }),
    transaction: t.field({
      type: TransactionType,
      nullable: true,
      description: 'The movement approval posted; null for a decline.',
      resolve: async (decision, _args, context) => (decision.transactionId ? ((await context.loaders.transactions.load(decision.transactionId)) ?? null) : null),
    }),
    replayed: t.exposeBoolean('replayed', { description: 'True when this is the stored answer of an earlier request with the same key: nothing was decided again.' }),
  }),
});

for (const [field, step, description] of [
  ['approveReview', 'approve', 'posts the movement (its hold captured into it, in one transaction); the requester\'s idempotency key then answers that MoneyMovement'],
  ['declineReview', 'decline', 'releases its hold, nothing moves; the requester\'s idempotency key then answers RISK_DECLINED'],
] as const) {
  builder.mutationField(field, (t) =>
    t.field({
      type: builder.errorUnion(`${field[0]!.toUpperCase()}${field.slice(1)}Result`, { description: 'The decision, or why it was refused.', types: [ReviewDecisionType, ...REVIEW_ERROR_CLASSES] }),
      description: `Operators only (FORBIDDEN for customers), audited: ${description}. A review already decided (twice, or approved after a decline) is VALIDATION and moves nothing.`,
      args: { input: t.arg({ type: DecideReviewInput, required: true }) },
      resolve: (_root, { input }, context) => resolveReviewStep(context, step, { reviewId: String(input.reviewId), note: input.note ?? null, idempotencyKey: input.idempotencyKey }),
    }),
  );
}
