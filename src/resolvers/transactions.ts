import { requireViewer, type Context } from '../context.js';
import { NotFoundError } from '../ledger/errors.js';
import { historyPage, type HistoryPageRequest } from '../ledger/queries/history.js';
import type { HistoryPageView } from './views.js';
import { ownedAccount, type AccountView } from '../ledger/queries/accounts.js';
import { visibleTransaction, type EntryView, type TransactionView } from '../ledger/queries/transactions.js';

export async function resolveTransaction(context: Context, transactionId: string): Promise<TransactionView | null> {
  return (await visibleTransaction(context.database, requireViewer(context).userId, transactionId)) ?? null;
}

/** History of an account already known to be the viewer's (Account.transactions). */
export async function resolveHistory(context: Context, account: AccountView, request: HistoryPageRequest): Promise<HistoryPageView> {
  const page = await historyPage(context.database, account.id, account.currency, request);
  return { ...page, accountCurrency: account.currency };
}

/** Query.transactions: an account that is not the viewer's is NOT_FOUND, exactly like an unknown id. */
export async function resolveHistoryOfAccount(context: Context, accountId: string, request: HistoryPageRequest): Promise<HistoryPageView> {
  const account = await ownedAccount(context.database, requireViewer(context).userId, accountId);
  if (!account) throw new NotFoundError('No such account.');
  return resolveHistory(context, account, request);
}

/** An entry shows its account id for the viewer's own accounts and the bank's internal ones only. */
export async function visibleEntryAccountId(context: Context, entry: EntryView): Promise<string | null> {
  if (entry.accountIsInternal) return entry.accountId;
  return (await context.loaders.ownedAccountIds()).has(entry.accountId) ? entry.accountId : null;
}
