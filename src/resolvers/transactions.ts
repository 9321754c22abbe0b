import type { Context } from '../context.js';
import { visibleTransactionOf } from '../auth/access.js';
import { accountForLaggingRead } from './lagging-reads.js';
import { NotFoundError } from '../ledger/errors.js';
import { historyPages, type HistoryPageRequest } from '../ledger/queries/history.js';
import type { AccountView } from '../ledger/queries/accounts.js';
import type { TransactionView } from '../ledger/queries/transactions.js';
import type { HistoryPageView } from './views.js';
import { viewerOf } from './viewer.js';

export async function resolveTransaction(context: Context, transactionId: string): Promise<TransactionView | null> {
  return (await visibleTransactionOf(context, viewerOf(context), transactionId)) ?? null;
}

/** History of an account already known to be visible (Account.transactions). */
export async function resolveHistory(context: Context, account: AccountView, request: HistoryPageRequest): Promise<HistoryPageView> {
  const page = await context.loaders.historyPage(account, request);
  return { ...page, accountCurrencyExponent: account.currencyExponent };
}

/** Query.transactions: an account the caller may not see is NOT_FOUND, exactly like an unknown id. */
export async function resolveHistoryOfAccount(context: Context, accountId: string, request: HistoryPageRequest): Promise<HistoryPageView> {
  // History may lag (a replica): the account is read where its page will be.
  const found = await accountForLaggingRead(context, accountId);
  if (!found) throw new NotFoundError('No such account.');
  if (found.database === (await context.followerDatabase())) return resolveHistory(context, found.account, request);
  // Only the primary has the account yet: its page too (the loaders read the follower).
  const page = (await historyPages(found.database, [found.account], request)).get(found.account.id)!;
  return { ...page, accountCurrencyExponent: found.account.currencyExponent };
}
