import { formatMinor } from '../ledger/money.js';
import type { HistoryLineView, HistoryPageView } from '../resolvers/views.js';
import { CHANNELS, TRANSACTION_KINDS } from '../ledger/types.js';
import { resolveHistoryOfAccount } from '../resolvers/transactions.js';
import { builder } from './builder.js';
import { listBound } from './list-bounds.js';
import { ChannelEnum, LayerEnum, TransactionKindEnum } from './enums.js';
import { TransactionType } from './transaction.js';
import { PageInfoType } from './page-info.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../ledger/limits.js';

export const AccountTransactionType = builder.objectRef<HistoryLineView>('AccountTransaction').implement({
  description: 'One line of an account\'s history, seen from that account.',
  fields: (t) => ({
    transaction: t.field({ type: TransactionType, description: 'The transaction behind the line.', resolve: (line) => line.transaction }),
    amount: t.field({
      type: 'Decimal',
      description: 'Signed: positive for money into this account, negative for money out; the account\'s net change (a wire shows its principal and fee together).',
      resolve: (line) => formatMinor(line.amountMinor, line.accountCurrencyExponent),
    }),
    balanceAfter: t.field({
      type: 'Decimal',
      description: 'The account\'s posted balance right after this line.',
      resolve: (line) => formatMinor(line.balanceAfterMinor, line.accountCurrencyExponent),
    }),
    layer: t.field({
      type: LayerEnum,
      description: 'Where `amount` lands: POSTED, or PENDING for a hold (a capture is POSTED; the hold it releases shows in `pendingAfter`).',
      resolve: (line) => line.layer,
    }),
    pendingAfter: t.field({
      type: 'Decimal',
      description: 'What active holds kept aside on the account right after this line.',
      resolve: (line) => formatMinor(line.pendingAfterMinor, line.accountCurrencyExponent),
    }),
    availableAfter: t.field({
      type: 'Decimal',
      description: 'What could be withdrawn or sent right after this line: `balanceAfter` less `pendingAfter` (an overdraft limit is not included).',
      resolve: (line) => formatMinor(line.balanceAfterMinor - line.pendingAfterMinor, line.accountCurrencyExponent),
    }),
    version: t.exposeInt('version', { description: 'The account version this line produced: one per change, in either layer or both.' }),
  }),
});

const AccountTransactionEdge = builder.objectRef<HistoryLineView>('AccountTransactionEdge').implement({
  description: 'A history line with its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque; pass it as `after` or `before`. Stable while new transactions arrive.' }),
    node: t.field({ type: AccountTransactionType, description: 'The history line.', resolve: (line) => line }),
  }),
});

export const AccountTransactionConnectionType = builder.objectRef<HistoryPageView>('AccountTransactionConnection').implement({
  description: `An account's history, newest first; at most ${MAX_PAGE_SIZE} lines a page (default ${DEFAULT_PAGE_SIZE}).`,
  fields: (t) => ({
    edges: t.field({
      type: [AccountTransactionEdge],
      // As many as the page size of the `transactions` field that returned this connection.
      extensions: listBound('page'),
      description: 'The lines of this page, newest first.',
      resolve: (page) => page.lines.map((line) => ({ ...line, accountCurrencyExponent: page.accountCurrencyExponent })),
    }),
    pageInfo: t.field({ type: PageInfoType, description: 'Where this page sits.', resolve: (page) => page }),
  }),
});

export const TransactionFilterInput = builder.inputType('TransactionFilter', {
  description: 'Narrows history. All given conditions must hold.',
  fields: (t) => ({
    kinds: t.field({ type: [TransactionKindEnum], required: false, description: `Only these kinds (${TRANSACTION_KINDS.length} exist).` }),
    channels: t.field({ type: [ChannelEnum], required: false, description: `Only these channels (${CHANNELS.length} exist).` }),
    from: t.field({ type: 'DateTime', required: false, description: 'Created at or after this instant.' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Created before this instant.' }),
    minAmount: t.field({ type: 'Decimal', required: false, description: 'Unsigned line amount at least this, in the account\'s currency.' }),
    maxAmount: t.field({ type: 'Decimal', required: false, description: 'Unsigned line amount at most this, in the account\'s currency.' }),
  }),
});

/** The Relay arguments shared by Query.transactions and Account.transactions. */
export const historyArguments = builder.args((t) => ({
  first: t.int({ description: `Lines from the newest (or after \`after\`), at most ${MAX_PAGE_SIZE}.` }),
  after: t.string({ description: 'A cursor: continue with older lines.' }),
  last: t.int({ description: `Lines just newer than \`before\` (or the oldest), at most ${MAX_PAGE_SIZE}.` }),
  before: t.string({ description: 'A cursor: go back to newer lines.' }),
  filter: t.field({ type: TransactionFilterInput, description: 'Only lines that match.' }),
}));

builder.queryField('transactions', (t) =>
  t.field({
    type: AccountTransactionConnectionType,
    description:
      'The history of one of your accounts, newest first. NOT_FOUND when the account is not yours. ' +
      'With read replicas it may come from one: your own movements show at once, others\' (a payment to you) may show a few seconds late.',
    args: { accountId: t.arg.id({ required: true, description: 'The account\'s id.' }), ...historyArguments },
    resolve: (_root, { accountId, ...request }, context) => resolveHistoryOfAccount(context, String(accountId), request),
  }),
);
