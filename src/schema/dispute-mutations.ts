import { MAX_DESCRIPTION_LENGTH } from '../ledger/limits.js';
import type { DisputeStep } from '../ledger/disputes/dispute-states.js';
import { changedDispute, DISPUTE_ERROR_CLASSES, resolveDisputeStep, resolveOpenDispute, type DisputeChangeView } from '../resolvers/disputes.js';
import { builder } from './builder.js';
import { DisputeOutcomeEnum, DisputeReasonEnum, DisputeType, loadTransaction } from './dispute.js';
import './errors.js';
import { TransactionType } from './transaction.js';

// The dispute mutations (issue 9 §2): opening by the customer, the steps after it, and their results.

const DisputeChangeType = builder.objectRef<DisputeChangeView>('DisputeChange').implement({
  description: 'A dispute opened or moved on: the dispute as it stands now.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'disputeId' in value,
  fields: (t) => ({
    dispute: t.field({ type: DisputeType, description: 'The dispute, as it stands now.', resolve: (change, _args, context) => changedDispute(context, change.disputeId) }),
    transaction: t.field({
      type: TransactionType,
      nullable: true,
      description: 'The ledger transaction this step posted (a credit or its reversal); null for a step that moved no money.',
      resolve: (change, _args, context) => loadTransaction(change.transactionId, context),
    }),
    replayed: t.exposeBoolean('replayed', { description: 'True when this is the stored outcome of an earlier request with the same idempotency key: nothing changed again.' }),
  }),
});

const keyDescription = 'Your unique key for this request (1-128 printable characters). Retry with the same key: it happens at most once.';

const OpenDisputeInput = builder.inputType('OpenDisputeInput', {
  description: 'Disputes a debit of your account.',
  fields: (t) => ({
    transactionId: t.id({
      required: true,
      description: 'A posted CARD, ATM, ACH, THIRD_PARTY, WIRE, ZELLE or PAYPAL withdrawal or capture on your account, at most 60 days old (DISPUTE_WINDOW_DAYS), not already disputed.',
    }),
    reason: t.field({ type: DisputeReasonEnum, required: true, description: 'Why you dispute it.' }),
    description: t.string({ required: false, description: `What happened, at most ${MAX_DESCRIPTION_LENGTH} characters.` }),
    idempotencyKey: t.string({ required: true, description: keyDescription }),
  }),
});

const DisputeStepInput = builder.inputType('DisputeStepInput', {
  description: 'One step of a dispute.',
  fields: (t) => ({
    disputeId: t.id({ required: true, description: 'The dispute.' }),
    note: t.string({ required: false, description: `A note kept in the dispute's history, at most ${MAX_DESCRIPTION_LENGTH} characters.` }),
    idempotencyKey: t.string({ required: true, description: keyDescription }),
  }),
});

const ResolveDisputeInput = builder.inputType('ResolveDisputeInput', {
  description: 'Ends an investigation.',
  fields: (t) => ({
    disputeId: t.id({ required: true, description: 'The dispute (INVESTIGATING or PROVISIONALLY_CREDITED).' }),
    outcome: t.field({ type: DisputeOutcomeEnum, required: true, description: 'Whom the investigation finds for.' }),
    note: t.string({ required: false, description: `The finding, kept in the dispute's history, at most ${MAX_DESCRIPTION_LENGTH} characters.` }),
    idempotencyKey: t.string({ required: true, description: keyDescription }),
  }),
});

const disputeResult = (name: string) => builder.errorUnion(name, { description: 'DisputeChange, or why nothing changed.', types: [DisputeChangeType, ...DISPUTE_ERROR_CLASSES] });

const STEP_MUTATIONS: ReadonlyArray<readonly [string, DisputeStep, string]> = [
  ['withdrawDispute', 'WITHDRAW', 'Withdraws your dispute (OPEN or INVESTIGATING; once credited, the bank resolves it instead). Operators get NOT_FOUND.'],
  ['startInvestigation', 'START_INVESTIGATION', 'Operators: OPEN → INVESTIGATING. Customers get NOT_FOUND.'],
  [
    'creditProvisionally',
    'CREDIT_PROVISIONALLY',
    'Operators: credits the disputed amount provisionally (OPEN or INVESTIGATING → PROVISIONALLY_CREDITED), an ADJUSTMENT debiting DISPUTES. ' +
      'The system does this itself when provisionalCreditBy arrives; either way a dispute is credited once. Customers get NOT_FOUND.',
  ],
  [
    'noticeReversal',
    'NOTICE_REVERSAL',
    'Operators: records that the customer was told the provisional credit will be reversed; sets deadlines.reversalNotBefore (5 business days on). Once per dispute. Customers get NOT_FOUND.',
  ],
];

for (const [field, step, description] of STEP_MUTATIONS) {
  builder.mutationField(field, (t) =>
    t.field({
      type: disputeResult(`${field[0]!.toUpperCase()}${field.slice(1)}Result`),
      description,
      args: { input: t.arg({ type: DisputeStepInput, required: true }) },
      resolve: (_root, { input }, context) =>
        resolveDisputeStep(context, step, { disputeId: String(input.disputeId), note: input.note ?? null, idempotencyKey: input.idempotencyKey }),
    }),
  );
}

builder.mutationField('openDispute', (t) =>
  t.field({
    type: disputeResult('OpenDisputeResult'),
    description: 'Disputes a debit of your account (status OPEN); the deadlines start now. VALIDATION for a debit that cannot be disputed or is disputed already.',
    args: { input: t.arg({ type: OpenDisputeInput, required: true }) },
    resolve: (_root, { input }, context) =>
      resolveOpenDispute(context, { transactionId: String(input.transactionId), reason: input.reason, description: input.description ?? null, idempotencyKey: input.idempotencyKey }),
  }),
);

builder.mutationField('resolveDispute', (t) =>
  t.field({
    type: disputeResult('ResolveDisputeResult'),
    description:
      'Operators: ends an investigation. CUSTOMER: RESOLVED_CUSTOMER, the provisional credit becomes final, or the credit is posted now if none was given. ' +
      'BANK: RESOLVED_BANK; after a provisional credit it needs noticeReversal first and reversalNotBefore to have come (else VALIDATION), then the credit is reversed ' +
      '(an ADJUSTMENT that may take the account below its overdraft limit). Customers get NOT_FOUND.',
    args: { input: t.arg({ type: ResolveDisputeInput, required: true }) },
    resolve: (_root, { input }, context) =>
      resolveDisputeStep(context, input.outcome === 'CUSTOMER' ? 'RESOLVE_CUSTOMER' : 'RESOLVE_BANK', {
        disputeId: String(input.disputeId),
        note: input.note ?? null,
        idempotencyKey: input.idempotencyKey,
      }),
  }),
);
