import { ownedAccount } from '../ledger/queries/accounts.js';
import { NotFoundError, ValidationError } from '../ledger/errors.js';
import { balanceUpdates } from '../pubsub/balance-stream.js';
import type { BalanceEvent } from '../pubsub/channels.js';
import { viewerOf } from '../resolvers/viewer.js';
import { balanceFromEvent } from '../resolvers/views.js';
import { BalanceType } from './balance.js';
import { builder } from './builder.js';
import { TransactionType } from './transaction.js';
import { sharedExecution } from './shared-execution.js';

const BalanceUpdateType = builder.objectRef<BalanceEvent>('BalanceUpdate').implement({
  description: 'One change of an account\'s balance. Versions arrive strictly increasing by one: a client that has seen N has missed nothing up to N.',
  fields: (t) => ({
    accountId: t.exposeID('accountId', { description: 'The account that changed.' }),
    version: t.exposeInt('version', { description: 'The account version after the change.' }),
    balance: t.field({ type: BalanceType, description: 'The balances right after the change.', resolve: (event) => balanceFromEvent(event) }),
    transaction: t.field({
      type: TransactionType,
      nullable: true,
      description: 'The transaction that made the change.',
      resolve: async (event, _args, context) => {
        const transaction = await context.loaders.transactions.load(event.transactionId);
        // A subscription lives long: do not let its loader cache grow with every update.
        context.loaders.transactions.clear(event.transactionId);
        return transaction ?? null;
      },
    }),
  }),
});

builder.subscriptionType({
  description: 'Live updates over WebSocket (graphql-transport-ws on /graphql); the access token goes in connectionParams.authorization.',
  authScopes: { signedIn: true },
});

builder.subscriptionField('balanceUpdated', (t) =>
  t.field({
    type: BalanceUpdateType,
    description:
      'Every change of one of your accounts\' balances. With afterVersion, first replays every update after that version from the ledger, ' +
      'then continues live: no gaps, no duplicates, versions strictly increasing by 1. Only the account\'s owners may subscribe.',
    // A push depends only on the event, the document, the variables and the viewer: executed once for all who share them.
    extensions: sharedExecution(),
    args: {
      accountId: t.arg.id({ required: true, description: 'The account to watch.' }),
      afterVersion: t.arg.int({ description: 'The last version you have seen; updates after it are replayed first.' }),
    },
    subscribe: async (_root, args, context) => {
      const viewer = viewerOf(context);
      const account = await ownedAccount(context.database, viewer.userId, String(args.accountId));
      if (!account) throw new NotFoundError('No such account.');
      if (args.afterVersion !== null && args.afterVersion !== undefined && args.afterVersion < 0) {
        throw new ValidationError('afterVersion must be 0 or more.', 'afterVersion');
      }
      return balanceUpdates(context.live.bus, context.live.history, context.live.watch, account.id, args.afterVersion ?? null);
    },
    resolve: (event) => event,
  }),
);
