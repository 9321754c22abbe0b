import { formatMinor } from '../ledger/money.js';
import type { EntryView, TransactionView } from '../ledger/queries/transactions.js';
import { visibleEntryAccountId, visibleIdempotencyKey } from '../auth/access.js';
import { resolveTransaction } from '../resolvers/transactions.js';
import { builder } from './builder.js';
import { listBound } from './list-bounds.js';
import { MAX_ENTRIES_PER_TRANSACTION } from '../ledger/limits.js';
import { ChannelEnum, DirectionEnum, LayerEnum, TransactionKindEnum, TransactionStatusEnum } from './enums.js';

export const EntryType = builder.objectRef<EntryView>('Entry').implement({
  description: 'One double-entry posting of a transaction, with its own amount. Per transaction, currency and layer, debits equal credits.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The entry\'s id: opaque and stable, it says nothing about how many entries the bank has posted.' }),
    accountId: t.field({
      type: 'ID',
      nullable: true,
      description: 'The account posted to: yours or one of the bank\'s internal accounts; null for another customer\'s account (operators see all).',
      resolve: (entry, _args, context) => visibleEntryAccountId(context, entry),
    }),
    direction: t.field({ type: DirectionEnum, description: 'DEBIT or CREDIT.', resolve: (entry) => entry.direction }),
    amount: t.field({
      type: 'Decimal',
      description: 'The unsigned amount posted by this entry (a wire\'s fee is an entry of its own, so entries of one transaction may differ).',
      resolve: (entry) => formatMinor(entry.amountMinor, entry.currencyExponent),
    }),
    layer: t.field({ type: LayerEnum, description: 'POSTED (final money) or PENDING (held money).', resolve: (entry) => entry.layer }),
  }),
});

export const TransactionType = builder.objectRef<TransactionView>('Transaction').implement({
  description: 'One movement of money, append-only: corrections are new reversal transactions, never edits.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The transaction\'s id.' }),
    kind: t.field({ type: TransactionKindEnum, description: 'What the transaction was.', resolve: (transaction) => transaction.kind }),
    channel: t.field({ type: ChannelEnum, description: 'The rail it moved on; INTERNAL for transfers.', resolve: (transaction) => transaction.channel }),
    status: t.field({ type: TransactionStatusEnum, description: 'Where it stands.', resolve: (transaction) => transaction.status }),
    amount: t.field({
      type: 'Decimal',
      description: 'The amount the customer moved, unsigned: a wire\'s principal, without its fee (the fee is an entry of its own).',
      resolve: (transaction) => formatMinor(transaction.amountMinor, transaction.currencyExponent),
    }),
    currency: t.exposeString('currency', { description: 'ISO 4217 code.' }),
    description: t.exposeString('description', { nullable: true, description: 'Free text given by the initiator.' }),
    externalRef: t.exposeString('externalRef', { nullable: true, description: 'The reference on the external rail (check number, wire id…).' }),
    originCountry: t.exposeString('originCountry', {
      nullable: true,
      description:
        'Where a withdrawal or a card capture was initiated (ISO 3166-1 alpha-2), as the rail reported it; null when it did not say (domestic). A foreign-initiated debit gets the longer dispute investigation (Regulation E).',
    }),
    idempotencyKey: t.field({
      type: 'String',
      nullable: true,
      description:
        'The key the initiator sent with the request. Shown only to the initiator (and to operators, who investigate); null for anyone else, such as a payee.',
      resolve: (transaction, _args, context) => visibleIdempotencyKey(context, transaction),
    }),
    entries: t.field({
      type: [EntryType],
      extensions: listBound(MAX_ENTRIES_PER_TRANSACTION),
      description: 'Every posting of the transaction, so anyone who sees it can check that debits equal credits.',
      resolve: (transaction, _args, context) => context.loaders.entries.load(transaction.id),
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was recorded.', resolve: (transaction) => transaction.createdAt }),
    postedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it moved money; null while pending.',
      resolve: (transaction) => transaction.postedAt,
    }),
  }),
});

builder.queryField('transaction', (t) =>
  t.field({
    type: TransactionType,
    nullable: true,
    description: 'A transaction that touched one of your accounts. Null when not found or not yours.',
    args: { id: t.arg.id({ required: true, description: 'The transaction\'s id.' }) },
    resolve: (_root, args, context) => resolveTransaction(context, String(args.id)),
  }),
);
