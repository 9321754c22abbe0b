import { BATCH_ERROR_CLASSES, BatchAbortedError, HOLD_ERROR_CLASSES } from '../ledger/errors.js';
import { MAX_BATCH_ITEMS } from '../ledger/limits.js';
import { resolvePostMovements, type BatchResultView } from '../resolvers/batch.js';
import { builder } from './builder.js';
import './errors.js';
import { AuthorizeHoldInput, CaptureHoldInput, HoldChangeType, VoidHoldInput } from './hold.js';
import { listBound } from './list-bounds.js';
import { DepositInput, MoneyMovementType, TransferInput, WithdrawInput } from './money-movement.js';
import { MovementInReviewType } from './review.js';

const MovementItemInput = builder.inputType('MovementItemInput', {
  description: 'One movement of a batch: give exactly one of the fields. Each carries its own idempotency key and is allowed exactly when its single mutation would be.',
  fields: (t) => ({
    deposit: t.field({ type: DepositInput, required: false, description: 'A deposit, as the deposit mutation takes it.' }),
    withdraw: t.field({ type: WithdrawInput, required: false, description: 'A withdrawal, as the withdraw mutation takes it.' }),
    transfer: t.field({ type: TransferInput, required: false, description: 'A transfer, as the transfer mutation takes it.' }),
    authorizeHold: t.field({ type: AuthorizeHoldInput, required: false, description: 'A hold to place, as the authorizeHold mutation takes it.' }),
    captureHold: t.field({ type: CaptureHoldInput, required: false, description: 'A capture of a hold, as the captureHold mutation takes it.' }),
    voidHold: t.field({ type: VoidHoldInput, required: false, description: 'A void of a hold, as the voidHold mutation takes it.' }),
  }),
});

const PostMovementsInput = builder.inputType('PostMovementsInput', {
  description: `Up to ${MAX_BATCH_ITEMS} movements posted in one database transaction, answered in input order (a payroll or settlement file).`,
  fields: (t) => ({
    items: t.field({ type: [MovementItemInput], required: true, description: `1 to ${MAX_BATCH_ITEMS} items, each exactly one movement with its own idempotency key. One malformed item (none or two kinds) refuses the batch with VALIDATION.` }),
    atomic: t.boolean({
      required: false,
      defaultValue: false,
      description: 'True: all items commit or none does; the first failing item rolls the batch back and every other item answers BatchAbortedError. False (default): each item commits or fails on its own.',
    }),
    idempotencyKey: t.string({
      required: true,
      description:
        'Your unique key for the whole batch (1-128 printable characters). The same key with the same items replays the batch (replayed: true, each item its stored outcome); with other items it is IDEMPOTENCY_CONFLICT and nothing runs. Item keys share your key space: an item may not reuse the batch key.',
    }),
  }),
});

const MovementItemOutcome = builder.errorUnion('MovementItemOutcome', {
  description: "What one item of a batch answers: what its single mutation would (MoneyMovement, MovementInReview, HoldChange, or the error), or BatchAbortedError when another item of an atomic batch failed.",
  types: [MoneyMovementType, MovementInReviewType, HoldChangeType, BatchAbortedError, ...HOLD_ERROR_CLASSES],
});

const MovementItemResultType = builder.objectRef<BatchResultView['items'][number]>('MovementItemResult').implement({
  description: 'One item of a batch and its outcome.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'The item\'s position in the input, from 0.' }),
    result: t.field({ type: MovementItemOutcome, description: 'The item\'s outcome.', resolve: (item) => item.result }),
  }),
});

const BatchResultType = builder.objectRef<BatchResultView>('BatchResult').implement({
  description: 'The outcome of every item of a batch, in input order.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'committed' in value,
  fields: (t) => ({
    items: t.field({
      type: [MovementItemResultType],
      // The query cost counts what is selected here once per item sent, up to the 1,000 allowed.
      extensions: listBound({ sizedBy: 'input.items', max: MAX_BATCH_ITEMS }),
      description: 'One per input item, in input order. The query cost counts each item\'s selection once per item sent: select little per item in a batch of many (`index result { __typename ... on Error { code } }` fits 1,000).',
      resolve: (batch) => batch.items,
    }),
    committed: t.exposeInt('committed', { description: 'How many items succeeded (posted, in review, or replayed as a success).' }),
    failed: t.exposeInt('failed', { description: 'How many items did not (their own error, or BatchAbortedError). In an atomic batch this is 0 or all.' }),
    replayed: t.exposeBoolean('replayed', { description: 'True when the batch key was already used for this same batch: every item is its stored outcome, nothing moved again.' }),
  }),
});

builder.mutationField('postMovements', (t) =>
  t.field({
    type: builder.errorUnion('PostMovementsResult', {
      description: 'BatchResult, or why the batch was refused as a whole (nothing ran).',
      types: [BatchResultType, ...BATCH_ERROR_CLASSES],
    }),
    description:
      'Posts up to 1,000 deposits, withdrawals, transfers and hold changes in one database transaction, each under its own idempotency key and permission rules; `atomic: true` commits all or none. Results in input order. POST /v1/batches takes the same items as JSON lines or CSV.',
    args: { input: t.arg({ type: PostMovementsInput, required: true }) },
    resolve: (_root, { input }, context) => resolvePostMovements(context, { items: input.items, atomic: input.atomic ?? false, idempotencyKey: input.idempotencyKey }),
  }),
);
