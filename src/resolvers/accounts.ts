import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import type { Context } from '../context.js';
import { visibleAccount } from '../auth/access.js';
import { viewerOf } from './viewer.js';
import { accountForLaggingRead } from './lagging-reads.js';
import { cachedBalance } from '../pubsub/balance-cache.js';
import { balanceFromEvent, balanceOfAccount, type BalanceView } from './views.js';
import { UserSchema, type User } from '../entities/user.entity.js';
import { failureOf } from '../ledger/commands/run-command.js';
import { openAccount, type OpenAccountInput } from '../ledger/commands/open-account.js';
import { expectErrorOf, OPEN_ACCOUNT_ERROR_CLASSES, type OpenAccountError } from '../ledger/errors.js';
import { accountsOwnedBy, ownedAccount, type AccountView } from '../ledger/queries/accounts.js';

export async function resolveMe(context: Context): Promise<User> {
  const viewer = viewerOf(context);
  const user = await context.database.findOne(UserSchema, { id: viewer.userId });
  // A valid token of a user who no longer exists is no session at all.
  if (!user) throw new GraphQLError('The signed-in user no longer exists.', { extensions: { code: 'UNAUTHENTICATED' } });
  return user;
}

export function resolveAccounts(context: Context): Promise<AccountView[]> {
  return accountsOwnedBy(context.database, viewerOf(context).userId);
}

/** `lagging`: a read that a replica may answer (a CACHED balance); the primary otherwise (STRONG). */
export async function resolveAccount(context: Context, accountId: string, lagging = false): Promise<AccountView | null> {
  if (lagging) return (await accountForLaggingRead(context, accountId))?.account ?? null;
  return (await visibleAccount(context, viewerOf(context), accountId)) ?? null;
}

export async function resolveOpenAccount(context: Context, input: OpenAccountInput): Promise<{ account: AccountView } | OpenAccountError> {
  const viewer = viewerOf(context);
  const { outcome } = await openAccount(context.orm, viewer, input);
  const failure = failureOf(outcome);
  if (failure) return expectErrorOf(OPEN_ACCOUNT_ERROR_CLASSES, failure);
  assert.ok(outcome.ok);
  const account = await ownedAccount(context.database, viewer.userId, outcome.accountId);
  assert.ok(account, 'a freshly opened account is visible to its owner');
  return { account };
}

/** The cached balance of a visible account when Redis has it (and is up), else the ledger's. */
export async function resolveCachedBalance(context: Context, account: AccountView): Promise<BalanceView> {
  const cache = context.live.cache;
  const cached = cache ? await cachedBalance(cache, account.id).catch(() => undefined) : undefined;
  return cached ? balanceFromEvent(cached) : balanceOfAccount(account);
}
