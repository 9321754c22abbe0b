import { formatMinor } from '../ledger/money.js';
import { holdById } from '../ledger/queries/holds.js';
import { REVIEW_STATUSES, type ReviewStatus, type ReviewView } from '../ledger/queries/reviews.js';
import { RISK_ACTIONS, type StoredRiskRule } from '../ledger/risk/rule.js';
import { featuresOf, hitsOf, visibleReview, type RuleHitView } from '../resolvers/reviews.js';
import type { MovementInReviewView } from '../resolvers/views.js';
import { MAX_CUSTOMER_ACCOUNTS_PER_TRANSACTION } from '../ledger/limits.js';
import { BalanceType } from './balance.js';
import { builder } from './builder.js';
import { ChannelEnum, TransactionKindEnum } from './enums.js';
import { HoldType } from './hold.js';
import { listBound } from './list-bounds.js';
import { TransactionType } from './transaction.js';

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
      extensions: listBound(100),
      description: 'The rule versions that sent it here, most severe first (operators only; empty for customers).',
      resolve: (review, _args, context) => hitsOf(context, review),
    }),
    features: t.string({ description: 'The feature values the rules saw, as JSON text (ints as decimal strings); operators only, "{}" for customers.', resolve: (review, _args, context) => featuresOf(context, review) }),
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
