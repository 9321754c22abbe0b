import type { AccountView } from '../ledger/queries/accounts.js';
import { MAX_ACCOUNTS_PER_USER, MAX_NICKNAME_LENGTH } from '../ledger/limits.js';
import { resolveAccount, resolveAccounts, resolveCachedBalance, resolveOpenAccount } from '../resolvers/accounts.js';
import { resolveHistory } from '../resolvers/transactions.js';
import { balanceOfAccount } from '../resolvers/views.js';
import { BalanceType, ConsistencyEnum } from './balance.js';
import { builder } from './builder.js';
import { listBound } from './list-bounds.js';
import { AccountStatusEnum, AccountTypeEnum } from './enums.js';
import { OPEN_ACCOUNT_ERROR_CLASSES } from '../ledger/errors.js';
import './errors.js';
import { AccountTransactionConnectionType, historyArguments } from './history.js';

export const AccountType = builder.objectRef<AccountView>('Account').implement({
  description: 'A customer account: its identity, status and balances, and its history.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Opaque id; use it in every other call.' }),
    number: t.exposeString('number', { description: 'Human-readable account number: 11 digits, the last a Luhn check digit.' }),
    type: t.field({ type: AccountTypeEnum, description: 'CHECKING or SAVINGS.', resolve: (account) => account.type }),
    status: t.field({ type: AccountStatusEnum, description: 'Only OPEN accounts move money.', resolve: (account) => account.status }),
    currency: t.exposeString('currency', { description: 'ISO 4217 code; every amount of the account is in it.' }),
    nickname: t.exposeString('nickname', { nullable: true, description: 'The owner\'s own name for the account.' }),
    balance: t.field({
      type: BalanceType,
      description: 'Balances: with STRONG (default) read in the same snapshot as the account itself; CACHED from the Redis balance cache when present.',
      args: { consistency: t.arg({ type: ConsistencyEnum, defaultValue: 'STRONG', description: 'STRONG (default) or CACHED.' }) },
      resolve: (account, args, context) => (args.consistency === 'CACHED' ? resolveCachedBalance(context, account) : balanceOfAccount(account)),
    }),
    transactions: t.field({
      type: AccountTransactionConnectionType,
      description: 'The account\'s history, newest first.',
      args: historyArguments,
      resolve: (account, request, context) => resolveHistory(context, account, request),
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When the account was opened.', resolve: (account) => account.createdAt }),
  }),
});

builder.queryField('accounts', (t) =>
  t.field({
    type: [AccountType],
    extensions: listBound(MAX_ACCOUNTS_PER_USER),
    description: `All your accounts (at most ${MAX_ACCOUNTS_PER_USER}), balances read in one database snapshot: their sum is a true total at one instant.`,
    resolve: (_root, _args, context) => resolveAccounts(context),
  }),
);

builder.queryField('account', (t) =>
  t.field({
    type: AccountType,
    nullable: true,
    description: 'One of your accounts. Null when not found or not yours.',
    args: { id: t.arg.id({ required: true, description: 'The account\'s id.' }) },
    resolve: (_root, args, context) => resolveAccount(context, String(args.id)),
  }),
);

const OpenAccountInput = builder.inputType('OpenAccountInput', {
  description: 'A new account for the signed-in customer.',
  fields: (t) => ({
    type: t.field({ type: AccountTypeEnum, required: true, description: 'CHECKING or SAVINGS.' }),
    currency: t.string({ required: true, description: 'ISO 4217 code in upper case with a minor unit, e.g. USD, EUR, JPY, HUF (no fund codes or metals such as USN or XAU).' }),
    nickname: t.string({ required: false, description: `Your name for it, at most ${MAX_NICKNAME_LENGTH} characters.` }),
    idempotencyKey: t.string({ required: true, description: 'Your unique key for this request (1-128 printable characters); retries reuse it.' }),
  }),
});

const OpenAccountSuccess = builder.objectRef<{ account: AccountView }>('OpenAccountSuccess').implement({
  description: 'The account was opened (or, on a replay, had been opened by the first request with this key).',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'account' in value,
  fields: (t) => ({
    account: t.field({ type: AccountType, description: 'The new account, at zero.', resolve: (result) => result.account }),
  }),
});

const OpenAccountResult = builder.errorUnion('OpenAccountResult', {
  description: 'OpenAccountSuccess, or why the account was not opened.',
  types: [OpenAccountSuccess, ...OPEN_ACCOUNT_ERROR_CLASSES],
});

builder.mutationField('openAccount', (t) =>
  t.field({
    type: OpenAccountResult,
    description: 'Opens a customer account owned by you, at zero. Idempotent by `idempotencyKey`.',
    args: { input: t.arg({ type: OpenAccountInput, required: true }) },
    resolve: (_root, { input }, context) => resolveOpenAccount(context, input),
  }),
);
