import { availableMinor } from '../ledger/decide/funds.js';
import { formatMinor } from '../ledger/money.js';
import { resolveAccount, resolveCachedBalance } from '../resolvers/accounts.js';
import { resolveBalanceAt } from '../resolvers/statements.js';
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
      resolve: (balance) => formatMinor(balance.postedMinor, balance.currencyExponent),
    }),
    pending: t.field({
      type: 'Decimal',
      description: 'Money set aside by active holds and not yet available.',
      resolve: (balance) => formatMinor(balance.pendingMinor, balance.currencyExponent),
    }),
    available: t.field({
      type: 'Decimal',
      description: 'What can be withdrawn or sent now: posted less pending (an overdraft limit is not included).',
      resolve: (balance) => formatMinor(availableMinor(balance), balance.currencyExponent),
    }),
    version: t.exposeInt('version', {
      description: 'Grows by exactly 1 with every change to this account\'s balances; 0 for a new account.',
    }),
    asOf: t.field({ type: 'DateTime', description: 'When the account last changed: the balances are true as of then.', resolve: (balance) => balance.asOf }),
  }),
});

export const ConsistencyEnum = builder.enumType('Consistency', {
  description: 'Where a balance is read from.',
  values: {
    STRONG: { description: 'From the ledger in the database: always the latest committed balance.' },
    CACHED: {
      description:
        'From the Redis balance cache when it holds the account (a fast first screen); its version and asOf say how fresh it is. ' +
        'Falls back to the ledger when the cache is empty or not configured; with read replicas (DATABASE_REPLICA_URLS) that read may come from a replica ' +
        'that has your own last movement, so others\' latest movements may show a few seconds late (up to DATABASE_REPLICA_MAX_LAG_SECONDS). Money-moving decisions never read it.',
    },
  },
});

builder.queryField('balance', (t) =>
  t.field({
    type: BalanceType,
    nullable: true,
    description:
      'The balances of one of your accounts: the current ones, or with `at` those it had at that instant (from its history lines). Null when not found or not yours.',
    args: {
      accountId: t.arg.id({ required: true, description: 'The account\'s id.' }),
      consistency: t.arg({ type: ConsistencyEnum, defaultValue: 'STRONG', description: 'STRONG (default) or CACHED; ignored with `at` (history is read from the ledger).' }),
      at: t.arg({
        type: 'DateTime',
        required: false,
        description:
          'The balances as they were at this instant: after every change at or before it (version and asOf are of the last such change). ' +
          'Before the account\'s first change (or before it opened): 0.00 at version 0, asOf = at. Later than now: VALIDATION.',
      }),
    },
    resolve: async (_root, args, context) => {
      if (args.at) return resolveBalanceAt(context, String(args.accountId), args.at);
      // CACHED may come from a replica when the cache misses; STRONG always reads the primary.
      const account = await resolveAccount(context, String(args.accountId), args.consistency === 'CACHED');
      if (!account) return null;
      return args.consistency === 'CACHED' ? resolveCachedBalance(context, account) : balanceOfAccount(account);
    },
  }),
);
