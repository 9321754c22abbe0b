import type { Context } from '../context.js';
import { customerAccount, ownedAccount, type AccountView } from '../ledger/queries/accounts.js';
import { anyTransaction, visibleTransaction, type EntryView, type TransactionView } from '../ledger/queries/transactions.js';
import type { Actor } from '../ledger/types.js';
import { recordAudit } from './audit.js';

/**
 * Who sees what, in one place (law 7). A customer sees the accounts they own and the
 * transactions that touched them; an operator (a teller, a payroll feed) sees every customer
 * account and transaction, and each such read is audited. Anything not visible is reported
 * exactly like something that does not exist.
 */
export function isOperator(viewer: Actor): boolean {
  return viewer.role === 'OPERATOR';
}

export async function visibleAccount(context: Context, viewer: Actor, accountId: string): Promise<AccountView | undefined> {
  if (!isOperator(viewer)) return ownedAccount(context.database, viewer.userId, accountId);
  const account = await customerAccount(context.database, accountId);
  if (account) {
    await recordAudit(context.orm.em.fork(), context, { action: 'operator.read_account', outcome: 'OK', actorUserId: viewer.userId, target: account.id });
  }
  return account;
}

export function visibleTransactionOf(context: Context, viewer: Actor, transactionId: string): Promise<TransactionView | undefined> {
  return isOperator(viewer) ? anyTransaction(context.database, transactionId) : visibleTransaction(context.database, viewer.userId, transactionId);
}

/** An entry shows its account id for the caller's own accounts and the bank's internal ones (operators: all). */
export async function visibleEntryAccountId(context: Context, entry: EntryView): Promise<string | null> {
  if (entry.accountIsInternal || (context.viewer && isOperator(context.viewer))) return entry.accountId;
  return (await context.loaders.ownedAccountIds()).has(entry.accountId) ? entry.accountId : null;
}
