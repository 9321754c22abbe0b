import { MAX_DESCRIPTION_LENGTH, MAX_CUSTOMER_ACCOUNTS_PER_TRANSACTION, MAX_EXTERNAL_REF_LENGTH } from '../ledger/limits.js';
import { DEFAULT_HOLD_SECONDS, MAX_CAPTURES_PER_HOLD, MAX_HOLD_SECONDS, MAX_HOLDS_PER_ACCOUNT_LIST } from '../ledger/hold-limits.js';
import { AccountType } from './account.js';
import { formatMinor } from '../ledger/money.js';
import { HOLD_ERROR_CLASSES } from '../ledger/errors.js';
import type { TransactionView } from '../ledger/queries/transactions.js';
import { HOLD_REASONS, HOLD_STATUSES, holdsOfAccount, type HoldView } from '../ledger/queries/holds.js';
import { captureIdsOf, changedHold, resolveAuthorizeHold, resolveCaptureHold, resolveVoidHold, type HoldChangeView } from '../resolvers/holds.js';
import { BalanceType } from './balance.js';
import { builder } from './builder.js';
import { ChannelEnum } from './enums.js';
import { listBound } from './list-bounds.js';
import './errors.js';
import { TransactionType } from './transaction.js';

const HOLD_STATUS_DESCRIPTIONS: Record<(typeof HOLD_STATUSES)[number], string> = {
  ACTIVE: 'Money is set aside (pending) and may still be captured or voided.',
  CAPTURED: 'Captured for good: what was captured is posted, the rest released.',
  VOIDED: 'Cancelled: everything still held was released, nothing more was posted.',
  EXPIRED: 'Not captured in time: the system released what was still held.',
};
const HOLD_REASON_DESCRIPTIONS: Record<(typeof HOLD_REASONS)[number], string> = {
  AUTHORIZATION: 'A card authorization or a pre-authorized withdrawal, captured later for up to its amount.',
  DEPOSIT_AVAILABILITY: 'Deposited money not yet available (funds availability schedule).',
  RISK_REVIEW: 'Money held while a risk review decides.',
};

export const HoldStatusEnum = builder.enumType('HoldStatus', {
  description: 'Where a hold stands. It leaves ACTIVE once, for good.',
  values: Object.fromEntries(HOLD_STATUSES.map((value) => [value, { description: HOLD_STATUS_DESCRIPTIONS[value] }])) as Record<
    (typeof HOLD_STATUSES)[number],
    { description: string }
  >,
});

export const HoldReasonEnum = builder.enumType('HoldReason', {
  description: 'Why money is held.',
  values: Object.fromEntries(HOLD_REASONS.map((value) => [value, { description: HOLD_REASON_DESCRIPTIONS[value] }])) as Record<
    (typeof HOLD_REASONS)[number],
    { description: string }
  >,
});

const amountOf = (hold: HoldView, minor: bigint) => formatMinor(minor, hold.currencyExponent);

export const HoldType = builder.objectRef<HoldView>('Hold').implement({
  description:
    'Money set aside on an account and not yet final: counted in `pending`, taken out of `available`, not out of `posted`. ' +
    'Captured (posted) for up to its amount, voided, or expired by the system.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The hold\'s id: capture or void it by this id.' }),
    accountId: t.exposeID('accountId', { description: 'The account whose money is held.' }),
    reason: t.field({ type: HoldReasonEnum, description: 'Why the money is held.', resolve: (hold) => hold.reason }),
    status: t.field({ type: HoldStatusEnum, description: 'Where the hold stands.', resolve: (hold) => hold.status }),
    channel: t.field({ type: ChannelEnum, description: 'The rail the money would leave on; its settlement account takes the other side.', resolve: (hold) => hold.channel }),
    amount: t.field({ type: 'Decimal', description: 'What was authorized.', resolve: (hold) => amountOf(hold, hold.amountMinor) }),
    capturedAmount: t.field({ type: 'Decimal', description: 'What has been captured (posted) so far.', resolve: (hold) => amountOf(hold, hold.capturedMinor) }),
    remaining: t.field({
      type: 'Decimal',
      description: 'What is still held: amount less captured while ACTIVE, 0 once captured, voided or expired.',
      resolve: (hold) => amountOf(hold, hold.remainingMinor),
    }),
    description: t.exposeString('description', { nullable: true, description: 'Free text given at authorization.' }),
    originCountry: t.exposeString('originCountry', {
      nullable: true,
      description: 'Where the card authorization was initiated (ISO 3166-1 alpha-2), as the rail reported it; null when it did not say (domestic). Its captures carry it.',
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When the hold was placed.', resolve: (hold) => hold.createdAt }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the system releases it if it is still ACTIVE; from then on it cannot be captured.',
      resolve: (hold) => hold.expiresAt,
    }),
    releaseAt: t.field({ type: 'DateTime', nullable: true, description: 'When an availability hold releases on schedule; null for others.', resolve: (hold) => hold.releaseAt }),
    captures: t.field({
      type: [TransactionType],
      extensions: listBound(MAX_CAPTURES_PER_HOLD),
      description: `The transactions that captured it, oldest first (at most ${MAX_CAPTURES_PER_HOLD}).`,
      resolve: async (hold, _args, context) => {
        const loaded = await Promise.all((await captureIdsOf(context, hold.id)).map((id) => context.loaders.transactions.load(id)));
        return loaded.filter((transaction): transaction is TransactionView => transaction !== undefined && transaction !== null);
      },
    }),
  }),
});

export const HoldChangeType = builder.objectRef<HoldChangeView>('HoldChange').implement({
  description: 'A hold placed, captured or released: the hold as it stands now, the transaction that changed it, and your balances right after.',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'holdId' in value,
  fields: (t) => ({
    hold: t.field({ type: HoldType, description: 'The hold, as it stands now.', resolve: (change, _args, context) => changedHold(context, change.holdId) }),
    transaction: t.field({
      type: TransactionType,
      nullable: true,
      description: 'The transaction of this change: the PENDING authorization, a capture, or a release.',
      resolve: (change, _args, context) => context.loaders.transactions.load(change.transactionId),
    }),
    balances: t.field({
      type: [BalanceType],
      extensions: listBound(MAX_CUSTOMER_ACCOUNTS_PER_TRANSACTION),
      description: 'Your account\'s balances right after the change: pending and available move, posted moves on a capture.',
      resolve: (change) => change.balances,
    }),
    replayed: t.exposeBoolean('replayed', {
      description: 'True when this is the stored outcome of an earlier request with the same idempotency key: nothing changed again.',
    }),
  }),
});

export const AuthorizeHoldInput = builder.inputType('AuthorizeHoldInput', {
  description: 'Sets money aside on one of your accounts for a later capture: a card authorization or a pre-authorized withdrawal.',
  fields: (t) => ({
    accountId: t.id({ required: true, description: 'The account whose money to hold.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Greater than zero, in the account\'s currency; at most its available balance (plus any overdraft limit).' }),
    channel: t.field({ type: ChannelEnum, required: true, description: 'The rail the money would leave on (CARD, ACH, THIRD_PARTY, …; not INTERNAL or DIRECT_DEPOSIT).' }),
    description: t.string({ required: false, description: `Free text shown in history, at most ${MAX_DESCRIPTION_LENGTH} characters.` }),
    externalRef: t.string({ required: false, description: `The rail's reference (an authorization code), at most ${MAX_EXTERNAL_REF_LENGTH} characters.` }),
    originCountry: t.string({
      required: false,
      description:
        'Where the card or pre-authorized debit was initiated: an ISO 3166-1 alpha-2 country code in upper case ("DE"). Its captures carry it; one from another country than the bank\'s (BANK_COUNTRY, default US) is foreign, and a dispute of it gets 90 days to be resolved.',
    }),
    expiresInSeconds: t.int({
      required: false,
      description: `Seconds until the system releases it if not captured: 1 to ${MAX_HOLD_SECONDS} (30 days); default ${DEFAULT_HOLD_SECONDS} (7 days).`,
    }),
    idempotencyKey: t.string({ required: true, description: 'Your unique key for this request (1-128 printable characters). Retry with the same key: money is held at most once.' }),
  }),
});

function holdResult(name: string) {
  return builder.errorUnion(name, { description: 'HoldChange, or why nothing changed.', types: [HoldChangeType, ...HOLD_ERROR_CLASSES] });
}
const AuthorizeHoldResult = holdResult('AuthorizeHoldResult');

builder.mutationField('authorizeHold', (t) =>
  t.field({
    type: AuthorizeHoldResult,
    description:
      'Holds money on your account: pending rises and available drops by the amount, posted is untouched, one new version. ' +
      'Refused with INSUFFICIENT_FUNDS past the available balance.',
    args: { input: t.arg({ type: AuthorizeHoldInput, required: true }) },
    resolve: (_root, { input }, context) =>
      resolveAuthorizeHold(context, {
        accountId: String(input.accountId),
        amount: input.amount,
        channel: input.channel,
        description: input.description ?? null,
        externalRef: input.externalRef ?? null,
        // Only when given: the request hash of every hold that names no country stays as it was.
        ...(input.originCountry !== null && input.originCountry !== undefined ? { originCountry: input.originCountry } : {}),
        expiresInSeconds: input.expiresInSeconds ?? null,
        idempotencyKey: input.idempotencyKey,
      }),
  }),
);

const holdKeyDescription = 'Your unique key for this request (1-128 printable characters). Retry with the same key: it happens at most once.';

export const CaptureHoldInput = builder.inputType('CaptureHoldInput', {
  description: 'Posts some or all of an active hold: the money leaves the account for good.',
  fields: (t) => ({
    holdId: t.id({ required: true, description: 'The hold to capture.' }),
    amount: t.field({ type: 'Decimal', required: false, description: 'At most what remains held; default: all of it.' }),
    final: t.boolean({
      required: false,
      defaultValue: true,
      description: `True (default): the rest is released and the hold is CAPTURED. False: the rest stays held for a later capture (split shipments; at most ${MAX_CAPTURES_PER_HOLD} captures, the last one final).`,
    }),
    idempotencyKey: t.string({ required: true, description: holdKeyDescription }),
  }),
});

export const VoidHoldInput = builder.inputType('VoidHoldInput', {
  description: 'Cancels an active hold: everything still held is released, nothing is posted.',
  fields: (t) => ({
    holdId: t.id({ required: true, description: 'The hold to void.' }),
    idempotencyKey: t.string({ required: true, description: holdKeyDescription }),
  }),
});

const CaptureHoldResult = holdResult('CaptureHoldResult');
const VoidHoldResult = holdResult('VoidHoldResult');

builder.mutationField('captureHold', (t) =>
  t.field({
    type: CaptureHoldResult,
    description:
      'Captures a hold on your account: one transaction posts the amount and releases it (all that remains when final), one new version. ' +
      'HOLD_NOT_ACTIVE once captured (final), voided or expired, and for a deposit\'s availability hold (it is released on schedule; a customer is FORBIDDEN on the CHECK rail first); VALIDATION past what remains.',
    args: { input: t.arg({ type: CaptureHoldInput, required: true }) },
    resolve: (_root, { input }, context) =>
      resolveCaptureHold(context, { holdId: String(input.holdId), amount: input.amount ?? null, final: input.final ?? true, idempotencyKey: input.idempotencyKey }),
  }),
);

builder.mutationField('voidHold', (t) =>
  t.field({
    type: VoidHoldResult,
    description:
      'Voids a hold on your account (operators: on any account): what remains is released, one new version. HOLD_NOT_ACTIVE once captured, voided or expired. ' +
      'A deposit\'s availability hold only an operator may void (an early release); its customer is FORBIDDEN (the CHECK rail is no customer\'s to hold on).',
    args: { input: t.arg({ type: VoidHoldInput, required: true }) },
    resolve: (_root, { input }, context) => resolveVoidHold(context, { holdId: String(input.holdId), idempotencyKey: input.idempotencyKey }),
  }),
);

// Account.holds: the account is already known to be visible to the caller (it was resolved as theirs).
builder.objectField(AccountType, 'holds', (t) =>
  t.field({
    type: [HoldType],
    extensions: listBound(MAX_HOLDS_PER_ACCOUNT_LIST),
    description: `The account's holds, newest first (at most ${MAX_HOLDS_PER_ACCOUNT_LIST}); only those of the given statuses when given. Its pending balance is what the ACTIVE ones still hold.`,
    args: { status: t.arg({ type: [HoldStatusEnum], required: false, description: 'Only holds in these statuses.' }) },
    resolve: (account, { status }, context) => holdsOfAccount(context.database, account.id, status ?? null, MAX_HOLDS_PER_ACCOUNT_LIST),
  }),
);
