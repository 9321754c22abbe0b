import { availableMinor } from '../ledger/decide/funds.js';
import { formatMinor } from '../ledger/money.js';
import { resolveAccount } from '../resolvers/accounts.js';
import { balanceOfAccount, type BalanceView } from '../resolvers/views.js';
import { builder } from './builder.js';

export const BalanceType = builder.objectRef<BalanceView>('Balance').implement({
  description: 'The balances of one account at one version. Amounts carry exactly the currency\'s fraction digits.',
  fields: (t) => ({
    accountId: t.exposeID('accountId', { description: 'The account these balances belong to.' }),
    currency: t.exposeString('currency', { description: 'ISO 4217 code, e.g. USD.' }),
    posted: t.field({
      type: 'Decimal',
      description: 'The settled ledger balance: the sum of every posted entry on the account.',
      resolve: (balance) => formatMinor(balance.postedMinor, balance.currency),
    }),
    pending: t.field({
      type: 'Decimal',
      description: 'Money set aside by active holds and not yet available.',
      resolve: (balance) => formatMinor(balance.pendingMinor, balance.currency),
    }),
    available: t.field({
      type: 'Decimal',
      description: 'What can be withdrawn or sent now: posted less pending (an overdraft limit is not included).',
      resolve: (balance) => formatMinor(availableMinor(balance), balance.currency),
    }),
    version: t.exposeInt('version', {
      description: 'Grows by exactly 1 with every change to this account\'s balances; 0 for a new account.',
    }),
    asOf: t.field({ type: 'DateTime', description: 'When the account last changed: the balances are true as of then.', resolve: (balance) => balance.asOf }),
  }),
});

builder.queryField('balance', (t) =>
  t.field({
    type: BalanceType,
    nullable: true,
    description: 'The current balances of one of your accounts, read from the ledger. Null when not found or not yours.',
    args: { accountId: t.arg.id({ required: true, description: 'The account\'s id.' }) },
    resolve: async (_root, args, context) => {
      const account = await resolveAccount(context, String(args.accountId));
      return account ? balanceOfAccount(account) : null;
    },
  }),
);
