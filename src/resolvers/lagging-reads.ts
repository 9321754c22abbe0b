import type { Context } from '../context.js';
import { visibleAccount } from '../auth/access.js';
import type { Database } from '../db/sql.js';
import type { AccountView } from '../ledger/queries/accounts.js';
import { viewerOf } from './viewer.js';

/**
 * A visible account for a read that may lag (history, statements, a past or CACHED balance), and
 * where to read the rest of it: the request's follower database (a replica, README "Read
 * replicas") when it has the account. An account the replica does not have yet (opened a moment
 * ago by someone else, an operator) is asked of the primary, which then answers the whole read: a
 * replica's lag may make a page trail, never make an existing account look unknown.
 */
export async function accountForLaggingRead(context: Context, accountId: string): Promise<{ account: AccountView; database: Database } | undefined> {
  const viewer = viewerOf(context);
  const follower = await context.followerDatabase();
  const account = await visibleAccount(context, viewer, accountId, follower);
  if (account) return { account, database: follower };
  if (follower === context.database) return undefined;
  const current = await visibleAccount(context, viewer, accountId);
  return current ? { account: current, database: context.database } : undefined;
}
