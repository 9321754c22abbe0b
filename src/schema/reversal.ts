import { MAX_REVERSAL_REASON_LENGTH } from '../ledger/limits.js';
import { resolveReverseTransaction } from '../resolvers/reversal.js';
import { builder } from './builder.js';
import { movementResult } from './money-movement.js';
import { TransactionType } from './transaction.js';

// The reversal and its original touch the same accounts, so whoever may see one may see the
// other: the links load through the batched transaction loader, no second visibility check.
builder.objectFields(TransactionType, (t) => ({
  reverses: t.field({
    type: TransactionType,
    nullable: true,
    description: 'On a REVERSAL: the transaction it undid. Null on any other kind (a RETURN names its deposit in returns).',
    resolve: (transaction, _args, context) => (transaction.reversesTransactionId ? context.loaders.transactions.load(transaction.reversesTransactionId) : null),
  }),
  reversedBy: t.field({
    type: TransactionType,
    nullable: true,
    description: 'The REVERSAL that undid this transaction (its status is then REVERSED); null while it stands.',
    resolve: (transaction, _args, context) => (transaction.reversedByTransactionId ? context.loaders.transactions.load(transaction.reversedByTransactionId) : null),
  }),
}));

const ReverseTransactionInput = builder.inputType('ReverseTransactionInput', {
  description: 'An operator undoes a posted transaction with a new REVERSAL transaction of the exact opposite of its POSTED entries.',
  fields: (t) => ({
    transactionId: t.id({
      required: true,
      description:
        "The transaction to reverse: a posted deposit, withdrawal or transfer, or a hold's capture (its captured amount is refunded; the hold stays as the capture left it). " +
        "Not a hold (void it), a hold's release, a deposit under an availability hold, or a reversal: those are VALIDATION.",
    }),
    reason: t.string({
      required: true,
      description: `Why, 1-${MAX_REVERSAL_REASON_LENGTH} characters without control characters; it becomes the REVERSAL transaction's description, shown in history.`,
    }),
    idempotencyKey: t.string({ required: true, description: 'Your unique key for this request (1-128 printable characters). Retry with the same key: money moves at most once.' }),
  }),
});

builder.mutationField('reverseTransaction', (t) =>
  t.field({
    type: movementResult('ReverseTransactionResult'),
    description:
      'Operators only: posts a REVERSAL with the exact opposite POSTED entries of a transaction (of a capture: only what it posted, not its release of the hold), linked both ways; the original then reads REVERSED. ' +
      'A transaction is reversed at most once. A reversal may take an account below its overdraft limit (a spent deposit): the account then owes the bank. ' +
      'Customers get NOT_FOUND.',
    args: { input: t.arg({ type: ReverseTransactionInput, required: true }) },
    resolve: (_root, { input }, context) => resolveReverseTransaction(context, { ...input, transactionId: String(input.transactionId) }),
  }),
);
