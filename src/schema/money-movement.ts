import { MAX_DESCRIPTION_LENGTH, MAX_CUSTOMER_ACCOUNTS_PER_TRANSACTION, MAX_EXTERNAL_REF_LENGTH } from '../ledger/limits.js';
import { resolveDeposit, resolveTransfer, resolveWithdraw } from '../resolvers/money-movement.js';
import type { MoneyMovementView } from '../resolvers/views.js';
import { BalanceType } from './balance.js';
import { builder } from './builder.js';
import { listBound } from './list-bounds.js';
import { ChannelEnum } from './enums.js';
import { MOVEMENT_ERROR_CLASSES } from '../ledger/errors.js';
import './errors.js';
import { TransactionType } from './transaction.js';
import { MovementInReviewType } from './review.js';

export const MoneyMovementType = builder.objectRef<MoneyMovementView>('MoneyMovement').implement({
  description: 'Money moved: the transaction, and your balances right after it. Final when you receive it.',
  // A HoldChange has a transactionId too: in a batch's union the two must not be taken for each other.
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'transactionId' in value && !('holdId' in value),
  fields: (t) => ({
    transaction: t.field({
      type: TransactionType,
      description: 'The transaction that moved the money.',
      resolve: async (movement, _args, context) => {
        const transaction = await context.loaders.transactions.load(movement.transactionId);
        if (!transaction) throw new Error(`transaction ${movement.transactionId} of a stored outcome is missing`);
        return transaction;
      },
    }),
    balances: t.field({
      type: [BalanceType],
      // One per customer account the transaction changed.
      extensions: listBound(MAX_CUSTOMER_ACCOUNTS_PER_TRANSACTION),
      description: 'Your accounts it touched, right after the change (a payee\'s balance is never shown).',
      resolve: (movement) => movement.balances,
    }),
    replayed: t.exposeBoolean('replayed', {
      description: 'True when this is the stored outcome of an earlier request with the same idempotency key: nothing moved again.',
    }),
  }),
});

const idempotencyKeyDescription = 'Your unique key for this request (1-128 printable characters). Retry with the same key: money moves at most once.';
const originCountryDescription =
  'Where the debit was initiated: an ISO 3166-1 alpha-2 country code in upper case ("DE"). A debit from another country than the bank\'s (BANK_COUNTRY, default US) is foreign: a dispute of it gets 90 days to be resolved instead of 45. Omit it for a domestic debit.';
const descriptionDescription = `Free text shown in history, at most ${MAX_DESCRIPTION_LENGTH} characters.`;

export const DepositInput = builder.inputType('DepositInput', {
  description: 'Money arriving into one of your accounts from outside the bank.',
  fields: (t) => ({
    accountId: t.id({ required: true, description: 'The account to credit.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Greater than zero, in the account\'s currency.' }),
    channel: t.field({ type: ChannelEnum, required: true, description: 'The rail it arrives on (not INTERNAL).' }),
    description: t.string({ required: false, description: descriptionDescription }),
    externalRef: t.string({ required: false, description: `The rail's reference, at most ${MAX_EXTERNAL_REF_LENGTH} characters.` }),
    idempotencyKey: t.string({ required: true, description: idempotencyKeyDescription }),
  }),
});

export const WithdrawInput = builder.inputType('WithdrawInput', {
  description: 'Money leaving one of your accounts to outside the bank.',
  fields: (t) => ({
    accountId: t.id({ required: true, description: 'The account to debit.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Greater than zero, in the account\'s currency.' }),
    channel: t.field({ type: ChannelEnum, required: true, description: 'The rail it leaves on (not INTERNAL or DIRECT_DEPOSIT).' }),
    description: t.string({ required: false, description: descriptionDescription }),
    externalRef: t.string({ required: false, description: `The rail's reference, at most ${MAX_EXTERNAL_REF_LENGTH} characters.` }),
    originCountry: t.string({ required: false, description: originCountryDescription }),
    idempotencyKey: t.string({ required: true, description: idempotencyKeyDescription }),
  }),
});

export const TransferInput = builder.inputType('TransferInput', {
  description: 'Money from one of your accounts to any open account of the same currency.',
  fields: (t) => ({
    fromAccountId: t.id({ required: true, description: 'Your account to debit.' }),
    toAccountId: t.id({ required: true, description: 'The account to credit: yours or a payee\'s.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Greater than zero, in the accounts\' currency.' }),
    description: t.string({ required: false, description: descriptionDescription }),
    idempotencyKey: t.string({ required: true, description: idempotencyKeyDescription }),
  }),
});

export function movementResult(name: string) {
  return builder.errorUnion(name, {
    description: 'MoneyMovement, or why no money moved.',
    types: [MoneyMovementType, ...MOVEMENT_ERROR_CLASSES],
  });
}
/** A movement the risk step judges: it may also answer MovementInReview. */
function judgedMovementResult(name: string) {
  return builder.errorUnion(name, {
    description: 'MoneyMovement, MovementInReview (held for an operator), or why no money moved.',
    types: [MoneyMovementType, MovementInReviewType, ...MOVEMENT_ERROR_CLASSES],
  });
}
const DepositResult = judgedMovementResult('DepositResult');
const WithdrawResult = judgedMovementResult('WithdrawResult');
const TransferResult = judgedMovementResult('TransferResult');

builder.mutationField('deposit', (t) =>
  t.field({
    type: DepositResult,
    description: 'Credits one of your accounts with money arriving on a channel; the channel\'s settlement account takes the other side.',
    args: { input: t.arg({ type: DepositInput, required: true }) },
    resolve: (_root, { input }, context) => resolveDeposit(context, { ...input, accountId: String(input.accountId) }),
  }),
);

builder.mutationField('withdraw', (t) =>
  t.field({
    type: WithdrawResult,
    description: 'Debits one of your accounts for money leaving on a channel. Refused with INSUFFICIENT_FUNDS past the available balance.',
    args: { input: t.arg({ type: WithdrawInput, required: true }) },
    resolve: (_root, { input }, context) => resolveWithdraw(context, { ...input, accountId: String(input.accountId) }),
  }),
);

builder.mutationField('transfer', (t) =>
  t.field({
    type: TransferResult,
    description: 'Moves money from your account to another open account of the same currency, atomically.',
    args: { input: t.arg({ type: TransferInput, required: true }) },
    resolve: (_root, { input }, context) =>
      resolveTransfer(context, { ...input, fromAccountId: String(input.fromAccountId), toAccountId: String(input.toAccountId) }),
  }),
);
