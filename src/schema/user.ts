import type { User } from '../entities/user.entity.js';
import { resolveMe } from '../resolvers/accounts.js';
import { resolveAccountsOfUser } from '../resolvers/customers.js';
import { AccountType } from './account.js';
import { ChannelEnum, RoleEnum } from './enums.js';
import { CHANNELS, type Channel } from '../ledger/types.js';
import { builder } from './builder.js';
import { listBound } from './list-bounds.js';
import { MAX_ACCOUNTS_PER_USER } from '../ledger/limits.js';

export const UserType = builder.objectRef<User>('User').implement({
  description: 'A signed-in person or system.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Opaque id.' }),
    username: t.exposeString('username', { description: 'The name used to sign in.' }),
    email: t.exposeString('email', { description: 'Contact e-mail address.' }),
    address: t.exposeString('address', { nullable: true, description: 'Postal address, when known.' }),
    role: t.field({ type: RoleEnum, description: 'What this user may do: CUSTOMER, OPERATOR or SERVICE.', resolve: (user) => user.role }),
    channels: t.field({
      type: [ChannelEnum],
      extensions: listBound(CHANNELS.length),
      description: "A service's channels, the only rails it may move money on (read afresh on every request, so a revocation acts at once); empty for customers and operators.",
      resolve: (user) => user.channels as Channel[],
    }),
    twoFactorEnabled: t.boolean({ description: 'Whether sign-in needs a one-time code.', resolve: (user) => user.totpEnabledAt !== null && user.totpEnabledAt !== undefined }),
    accounts: t.field({
      type: [AccountType],
      extensions: listBound(MAX_ACCOUNTS_PER_USER),
      description:
        "This user's accounts, balances read in one database snapshot: yours for yourself; a customer's for an operator who found them (each account audited as an operator read); empty for anyone else's, and always for a service, which owns none.",
      resolve: (user, _args, context) => resolveAccountsOfUser(context, user),
    }),
  }),
});

builder.queryField('me', (t) =>
  t.field({ type: UserType, description: 'The signed-in user.', resolve: (_root, _args, context) => resolveMe(context) }),
);
