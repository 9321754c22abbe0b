import DataLoader from 'dataloader';
import type { Context } from '../context.js';
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../ledger/limits.js';
import { formatMinor } from '../ledger/money.js';
import { DISPUTE_EVENT_STEPS, DISPUTE_REASONS, DISPUTE_STATUSES } from '../ledger/disputes/dispute-states.js';
import { eventsOfDisputes, MAX_DISPUTE_EVENTS, type DisputeEventView, type DisputePage, type DisputeView } from '../ledger/queries/disputes.js';
import { readDispute, readDisputesPage } from '../resolvers/disputes.js';
import { viewerOf } from '../resolvers/viewer.js';
import { builder } from './builder.js';
import { listBound } from './list-bounds.js';
import './errors.js';
import { TransactionType } from './transaction.js';

const STATUS_DESCRIPTIONS: Record<(typeof DISPUTE_STATUSES)[number], string> = {
  OPEN: 'Received from the customer; no operator has started the investigation yet.',
  INVESTIGATING: 'An operator is investigating.',
  PROVISIONALLY_CREDITED: 'The customer was credited the disputed amount while the investigation goes on (by an operator, or by the system when the deadline arrived).',
  RESOLVED_CUSTOMER: 'Decided for the customer: the credit is final.',
  RESOLVED_BANK: 'Decided for the bank: any provisional credit was reversed, after notice.',
  WITHDRAWN: 'The customer withdrew the dispute before any credit.',
};
const REASON_DESCRIPTIONS: Record<(typeof DISPUTE_REASONS)[number], string> = {
  UNAUTHORIZED: 'The customer did not make or allow this debit.',
  WRONG_AMOUNT: 'The debit is for a different amount than agreed.',
  NOT_RECEIVED: 'What was paid for never arrived.',
  DUPLICATE: 'The same payment was debited twice.',
  OTHER: 'Another error; say what in the description.',
};
const STEP_DESCRIPTIONS: Record<(typeof DISPUTE_EVENT_STEPS)[number], string> = {
  OPENED: 'The customer opened the dispute.',
  INVESTIGATION_STARTED: 'An operator started the investigation.',
  PROVISIONALLY_CREDITED: 'The disputed amount was credited provisionally (an ADJUSTMENT against the DISPUTES account).',
  REVERSAL_NOTICED: 'The customer was told the provisional credit will be reversed (not before reversalNotBefore).',
  RESOLVED_CUSTOMER: 'Resolved for the customer; if no provisional credit was given, the credit was posted now.',
  RESOLVED_BANK: 'Resolved for the bank; a provisional credit was reversed (an ADJUSTMENT).',
  WITHDRAWN: 'The customer withdrew the dispute.',
};

const describe = <Value extends string>(values: readonly Value[], descriptions: Record<Value, string>) =>
  Object.fromEntries(values.map((value) => [value, { description: descriptions[value] }])) as Record<Value, { description: string }>;

export const DisputeStatusEnum = builder.enumType('DisputeStatus', { description: 'Where a dispute stands (issue 9 §2 state machine).', values: describe(DISPUTE_STATUSES, STATUS_DESCRIPTIONS) });
export const DisputeReasonEnum = builder.enumType('DisputeReason', { description: 'Why the customer disputes the debit.', values: describe(DISPUTE_REASONS, REASON_DESCRIPTIONS) });
const DisputeStepEnum = builder.enumType('DisputeStep', { description: 'What one step of a dispute did.', values: describe(DISPUTE_EVENT_STEPS, STEP_DESCRIPTIONS) });
export const DisputeOutcomeEnum = builder.enumType('DisputeOutcome', {
  description: 'Whom an investigation finds for.',
  values: {
    CUSTOMER: { description: 'The debit was an error: the customer keeps (or now gets) the credit.' },
    BANK: { description: 'The debit stands: a provisional credit is reversed (after notice and 5 business days).' },
  },
});

const DisputeDeadlinesType = builder.objectRef<DisputeView>('DisputeDeadlines').implement({
  description: "Regulation E's deadlines, in the bank's time zone; each is the instant its day begins.",
  fields: (t) => ({
    provisionalCreditBy: t.field({
      type: 'DateTime',
      description: 'The start of the 10th business day after the notice (20th for an account younger than 30 days): the system credits then if the dispute is still unresolved.',
      resolve: (dispute) => dispute.provisionalCreditBy,
    }),
    resolutionBy: t.field({
      type: 'DateTime',
      description: 'The end of the 45th calendar day after the notice (90th for a new account or a point-of-sale card debit).',
      resolve: (dispute) => dispute.resolutionBy,
    }),
    reversalNotBefore: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Once the customer was told of a reversal: the start of the 5th business day after, before which the provisional credit cannot be reversed.',
      resolve: (dispute) => dispute.reversalNotBefore,
    }),
  }),
});

const DisputeEventType = builder.objectRef<DisputeEventView>('DisputeEvent').implement({
  description: "One step in a dispute's history, oldest first.",
  fields: (t) => ({
    step: t.field({ type: DisputeStepEnum, description: 'What the step did.', resolve: (event) => event.step }),
    status: t.field({ type: DisputeStatusEnum, description: 'The status right after the step.', resolve: (event) => event.status }),
    at: t.field({ type: 'DateTime', description: 'When the step happened.', resolve: (event) => event.at }),
    actor: t.string({
      description: 'Who took the step: "@system" for the scheduler; to a customer, "operator" for any operator, their own username for their own steps.',
      resolve: (event, _args, context) => {
        const viewer = viewerOf(context);
        if (event.actorUsername === '@system' || viewer.role === 'OPERATOR' || event.actorId === viewer.userId) return event.actorUsername;
        return 'operator';
      },
    }),
    note: t.exposeString('note', { nullable: true, description: "The step's note, if one was given." }),
    transaction: t.field({
      type: TransactionType,
      nullable: true,
      description: 'The ledger transaction of a money step (an ADJUSTMENT): a credit, or its reversal.',
      resolve: (event, _args, context) => (event.transactionId ? context.loaders.transactions.load(event.transactionId) : null),
    }),
  }),
});

// The events of every dispute in one response are read in one query (a page of disputes is not one query per dispute).
const eventLoaders = new WeakMap<Context, DataLoader<string, DisputeEventView[]>>();
function eventsOf(context: Context, disputeId: string): Promise<DisputeEventView[]> {
  let loader = eventLoaders.get(context);
  if (!loader) {
    const created = new DataLoader<string, DisputeEventView[]>(async (ids) => {
      const found = await eventsOfDisputes(context.database, ids);
      return ids.map((id) => found.get(id) ?? []);
    }, { cache: false });
    eventLoaders.set(context, (loader = created));
  }
  return loader.load(disputeId);
}

export const loadTransaction = (id: string | null, context: Parameters<typeof viewerOf>[0]) => (id ? context.loaders.transactions.load(id) : null);

export const DisputeType = builder.objectRef<DisputeView>('Dispute').implement({
  description: 'A customer dispute of a debit (Regulation E). Every step is in `events`; every money step is an ADJUSTMENT against the bank\'s DISPUTES account.',
  fields: (t) => ({
    id: t.exposeID('id', { description: "The dispute's id." }),
    transaction: t.field({
      type: TransactionType,
      description: 'The disputed debit.',
      resolve: async (dispute, _args, context) => {
        const transaction = await context.loaders.transactions.load(dispute.transactionId);
        if (!transaction) throw new Error(`the disputed transaction ${dispute.transactionId} is missing`);
        return transaction;
      },
    }),
    accountId: t.exposeID('accountId', { description: 'The account the debit was taken from, and any credit goes to.' }),
    status: t.field({ type: DisputeStatusEnum, description: 'Where the dispute stands.', resolve: (dispute) => dispute.status }),
    reason: t.field({ type: DisputeReasonEnum, description: 'Why the customer disputes it.', resolve: (dispute) => dispute.reason }),
    description: t.exposeString('description', { nullable: true, description: "The customer's own words." }),
    amount: t.field({ type: 'Decimal', description: 'The disputed amount: what the debit posted, in the account\'s currency.', resolve: (dispute) => formatMinor(dispute.amountMinor, dispute.currencyExponent) }),
    currency: t.exposeString('currency', { description: 'ISO 4217 code of the amount.' }),
    deadlines: t.field({ type: DisputeDeadlinesType, description: "The bank's deadlines for this dispute.", resolve: (dispute) => dispute }),
    nextDeadline: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The nearest deadline still ahead of the bank: the provisional credit while it is due, then the resolution; null once resolved or withdrawn.',
      resolve: (dispute) => dispute.nextDeadline,
    }),
    overdue: t.boolean({
      description: 'True when nextDeadline has passed: the bank is late.',
      resolve: (dispute) => dispute.nextDeadline !== null && dispute.nextDeadline.getTime() <= Date.now(),
    }),
    events: t.field({
      type: [DisputeEventType],
      extensions: listBound(MAX_DISPUTE_EVENTS),
      description: `Every step, oldest first (at most ${MAX_DISPUTE_EVENTS}).`,
      resolve: (dispute, _args, context) => eventsOf(context, dispute.id),
    }),
    provisionalCredit: t.field({
      type: TransactionType,
      nullable: true,
      description: 'The provisional credit (an ADJUSTMENT), if one was given before the outcome; it stays even when later reversed (see creditReversal).',
      resolve: (dispute, _args, context) => (dispute.creditWasProvisional ? loadTransaction(dispute.creditTransactionId, context) : null),
    }),
    credit: t.field({
      type: TransactionType,
      nullable: true,
      description: "The customer's credit, provisional or final at a resolution for the customer; null while none was given.",
      resolve: (dispute, _args, context) => loadTransaction(dispute.creditTransactionId, context),
    }),
    creditReversal: t.field({
      type: TransactionType,
      nullable: true,
      description: 'The reversal of the provisional credit (an ADJUSTMENT debiting the customer), after a resolution for the bank.',
      resolve: (dispute, _args, context) => loadTransaction(dispute.creditReversalTransactionId, context),
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When the customer opened it: the day the bank received the notice, from which deadlines count.', resolve: (dispute) => dispute.createdAt }),
  }),
});

type DisputeEdge = DisputePage['disputes'][number];
const DisputeEdgeType = builder.objectRef<DisputeEdge>('DisputeEdge').implement({
  description: 'One dispute in a list.',
  fields: (t) => ({
    node: t.field({ type: DisputeType, description: 'The dispute.', resolve: (edge) => edge }),
    cursor: t.exposeString('cursor', { description: 'Pass as `after` to continue after this dispute.' }),
  }),
});
const DisputePageInfoType = builder.objectRef<DisputePage>('DisputePageInfo').implement({
  description: 'Where a page of disputes sits.',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage', { description: 'More disputes follow.' }),
    endCursor: t.string({ nullable: true, description: 'Cursor of the last edge.', resolve: (page) => page.disputes.at(-1)?.cursor ?? null }),
  }),
});
const DisputeConnectionType = builder.objectRef<DisputePage>('DisputeConnection').implement({
  description: 'Disputes, nearest deadline first: overdue ones lead, resolved and withdrawn ones come last.',
  fields: (t) => ({
    edges: t.field({ type: [DisputeEdgeType], extensions: listBound('page'), description: 'The disputes of this page.', resolve: (page) => page.disputes }),
    pageInfo: t.field({ type: DisputePageInfoType, description: 'Where this page sits.', resolve: (page) => page }),
  }),
});

builder.queryField('disputes', (t) =>
  t.field({
    type: DisputeConnectionType,
    description:
      'Your disputes (operators: every dispute), nearest deadline first, so overdue disputes lead; resolved and withdrawn ones last. ' +
      'The cursor is the position in that order (next deadline, id).',
    args: {
      status: t.arg({ type: [DisputeStatusEnum], required: false, description: 'Only disputes in these statuses; default all.' }),
      first: t.arg.int({ description: `How many, 1-${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).` }),
      after: t.arg.string({ description: 'A cursor from a previous page: continue after it.' }),
    },
    resolve: async (_root, args, context) => {
      const page = await readDisputesPage(context, { statuses: args.status ?? null, first: args.first ?? null, after: args.after ?? null });
      if (page instanceof Error) throw page;
      return page;
    },
  }),
);

builder.queryField('dispute', (t) =>
  t.field({
    type: DisputeType,
    nullable: true,
    description: 'One dispute: yours, or any for operators; null otherwise.',
    args: { id: t.arg.id({ required: true, description: "The dispute's id." }) },
    resolve: async (_root, { id }, context) => (await readDispute(context, String(id))) ?? null,
  }),
);
