import type { Context } from '../context.js';
import { visibleAccount, visibleTransactionOf } from '../auth/access.js';
import { NotFoundError } from '../ledger/errors.js';
import type { HistoryPageRequest } from '../ledger/queries/history.js';
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
  const account = await visibleAccount(context, viewerOf(context), accountId, context.followerDatabase());
  if (!account) throw new NotFoundError('No such account.');
  return resolveHistory(context, account, request);
}
