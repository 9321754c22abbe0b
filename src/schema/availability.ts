import { formatMinor } from '../ledger/money.js';
import { MAX_RETURN_REASON_LENGTH } from '../ledger/limits.js';
import { availabilityParts, type AvailabilityView } from '../ledger/queries/deposit-holds.js';
import { resolveReturnDeposit } from '../resolvers/return-deposit.js';
import { builder } from './builder.js';
import { listBound } from './list-bounds.js';
import { movementResult } from './money-movement.js';
import { TransactionType } from './transaction.js';
import { AccountType } from './account.js';
import { MAX_RETURNED_ITEMS_LIST, returnedItemsOf } from '../ledger/queries/returned-items.js';

/** A deposit's parts: at most the immediate one and one per tier of the check schedule (availability-policy.ts). */
const MAX_AVAILABILITY_PARTS = 4;

const AvailabilityType = builder.objectRef<AvailabilityView>('Availability').implement({
  description:
    'One part of a deposit and when it may be spent (funds availability: README "Money that is not final yet"). A check counts in the posted balance at once; ' +
    'each part counts in the available balance from its availableAt.',
  fields: (t) => ({
    amount: t.field({ type: 'Decimal', description: 'How much of the deposit this part is.', resolve: (part) => formatMinor(part.amountMinor, part.currencyExponent) }),
    availableAt: t.field({
      type: 'DateTime',
      description: 'When the part becomes available: the deposit\'s own time for a part available at once, else the business day and hour its hold is released.',
      resolve: (part) => part.availableAt,
    }),
    released: t.exposeBoolean('released', {
      description: 'True once the part is no longer held: available at once, released on schedule or early by an operator, or taken back by a return.',
    }),
  }),
});

// A return and its deposit touch the same account, so whoever may see one may see the other.
builder.objectFields(TransactionType, (t) => ({
  availability: t.field({
    type: [AvailabilityType],
    extensions: listBound(MAX_AVAILABILITY_PARTS),
    description: 'On a DEPOSIT: each part of it and when it becomes available (a check is held on a schedule of business days). Empty for every other kind.',
    resolve: async (transaction, _args, context) =>
      transaction.kind === 'DEPOSIT' ? availabilityParts(transaction, await context.loaders.availabilityHolds.load(transaction.id)) : [],
  }),
  returnReason: t.exposeString('returnReason', {
    nullable: true,
    description:
      'Why an item was returned: on a RETURN and on the deposit it returned, the operator\'s reason; on a check withdrawal refused for insufficient funds (status RETURNED), why it was refused. Null otherwise.',
  }),
  returns: t.field({
    type: TransactionType,
    nullable: true,
    description: 'On a RETURN: the deposit it took back. Null on any other kind.',
    resolve: (transaction, _args, context) => (transaction.returnsTransactionId ? context.loaders.transactions.load(transaction.returnsTransactionId) : null),
  }),
  returnedBy: t.field({
    type: TransactionType,
    nullable: true,
    description: 'The RETURN that took this deposit back (its status is then RETURNED); null while it stands.',
    resolve: (transaction, _args, context) => (transaction.returnedByTransactionId ? context.loaders.transactions.load(transaction.returnedByTransactionId) : null),
  }),
}));

const ReturnDepositInput = builder.inputType('ReturnDepositInput', {
  description: 'An operator returns a deposited item the bank could not collect (a bounced check, a returned ACH credit).',
  fields: (t) => ({
    transactionId: t.id({ required: true, description: 'The DEPOSIT to return (any channel), not yet returned or reversed.' }),
    reason: t.string({
      required: true,
      description: `Why, 1-${MAX_RETURN_REASON_LENGTH} characters without control characters (e.g. "NSF", "Account closed"); shown as returnReason on the return and on the deposit.`,
    }),
    idempotencyKey: t.string({ required: true, description: 'Your unique key for this request (1-128 printable characters). Retry with the same key: money moves at most once.' }),
  }),
});

builder.mutationField('returnDeposit', (t) =>
  t.field({
    type: movementResult('ReturnDepositResult'),
    description:
      'Operators only: posts a RETURN that debits a deposit back from its account and releases what its availability holds still keep, in one change; the deposit then reads RETURNED. ' +
      'A deposit is returned at most once, and a returned deposit cannot be reversed (nor a reversed one returned). The debit is made even if it overdraws the account past its limit ' +
      '(the customer spent money the bank never collected): the account then owes the bank. Customers get NOT_FOUND.',
    args: { input: t.arg({ type: ReturnDepositInput, required: true }) },
    resolve: (_root, { input }, context) => resolveReturnDeposit(context, { ...input, transactionId: String(input.transactionId) }),
  }),
);

// Account.returnedItems: the account is already known to be visible to the caller (it was resolved as theirs).
builder.objectField(AccountType, 'returnedItems', (t) =>
  t.field({
    type: [TransactionType],
    extensions: listBound(MAX_RETURNED_ITEMS_LIST),
    description:
      `Checks drawn on this account that were returned unpaid (status RETURNED, with returnReason), newest first, at most ${MAX_RETURNED_ITEMS_LIST}. ` +
      'They moved no money, so they are not lines of the account\'s history.',
    resolve: (account, _args, context) => returnedItemsOf(context.database, account.id, MAX_RETURNED_ITEMS_LIST),
  }),
);
