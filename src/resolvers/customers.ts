import type { Context } from '../context.js';
import { isOperator } from '../auth/access.js';
import { auditOperatorRead } from '../auth/operator-reads.js';
import { UserSchema, type User } from '../entities/user.entity.js';
import { ValidationError } from '../errors/shared-errors.js';
import { accountsOwnedBy, type AccountView } from '../ledger/queries/accounts.js';
import { searchCustomerIds } from '../ledger/queries/customer-search.js';
import { operatorOf } from './reviews.js';
import { viewerOf } from './viewer.js';

/**
 * Query.customers: operators only (FORBIDDEN before anything is read for anyone else). Every
 * customer returned is one audit line, stored before the answer leaves.
 */
export async function resolveCustomers(context: Context, search: string, first: number | null): Promise<User[]> {
  const viewer = operatorOf(context);
  const ids = await searchCustomerIds(context.database, { search, first });
  // A typed error keeps its code and message through formatError (a GraphQLError coded VALIDATION would be masked).
  if (ids instanceof ValidationError) throw ids;
  if (ids.length === 0) return [];
  const users = await context.database.find(UserSchema, { id: { $in: ids } });
  const byId = new Map(users.map((user) => [user.id, user]));
  const found = ids.flatMap((id) => byId.get(id) ?? []);
  await Promise.all(found.map((user) => auditOperatorRead(context, viewer, 'operator.read_customer', user.id)));
  return found;
}

/**
 * User.accounts: the accounts of THAT user. Yours for yourself; an operator sees a customer's
 * (each audited as a read of the account); anyone else's are none, so a customer handed another
 * user learns nothing of their accounts.
 */
export async function resolveAccountsOfUser(context: Context, user: User): Promise<AccountView[]> {
  const viewer = viewerOf(context);
  if (user.id === viewer.userId) return accountsOwnedBy(context.database, viewer.userId);
  if (!isOperator(viewer)) return [];
  const accounts = await accountsOwnedBy(context.database, user.id);
  await Promise.all(accounts.map((account) => auditOperatorRead(context, viewer, 'operator.read_account', account.id)));
  return accounts;
}
