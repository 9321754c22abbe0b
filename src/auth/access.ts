import { customerAccount, ownedAccount, type AccountView } from '../ledger/queries/accounts.js';
import { anyTransaction, visibleTransaction, type EntryView, type TransactionView } from '../ledger/queries/transactions.js';
import type { Actor } from '../ledger/types.js';
import type { Database } from '../db/sql.js';
import { auditOperatorRead, type OperatorReadRequest } from './operator-reads.js';

/**
 * What access decisions read of a request (the GraphQL Context fits): who asks, the request's
 * read-only database, the caller's own account ids (read once per request), and, for an
 * operator's reads, where their audit lines go.
 */
export interface AccessRequest extends OperatorReadRequest {
  readonly viewer: Actor | undefined;
  readonly database: Database;
  readonly loaders: {
    ownedAccountIds(): Promise<Set<string>>;
    readonly transactions: { load(transactionId: string): Promise<TransactionView | undefined> };
  };
}

/**
 * Who sees what, in one place (law 7). A customer sees the accounts they own and the
 * transactions that touched them; a service owns none and so sees none (a rail integration has
 * no business browsing balances: only its movement answers show the account it moved); an
 * operator (a teller) sees every customer account and transaction, and each such read is audited here, the one door every read path
 * (account, balance, history, transaction, REST balance) goes through. Anything not visible is
 * reported exactly like something that does not exist.
 */
export function isOperator(viewer: Actor): boolean {
  return viewer.role === 'OPERATOR';
}

/**
 * `database` is where the account is read: the request's own (the primary), or for a read that may
 * lag its follower database (a replica: ownership never changes, so a replica decides it as well;
 * an account it does not have yet is not found, as for a read a moment earlier).
 */
export async function visibleAccount(request: AccessRequest, viewer: Actor, accountId: string, database: Database = request.database): Promise<AccountView | undefined> {
  if (!isOperator(viewer)) return ownedAccount(database, viewer.userId, accountId);
  const account = await customerAccount(database, accountId);
  if (account) await auditOperatorRead(request, viewer, 'operator.read_account', account.id);
  return account;
}

export async function visibleTransactionOf(request: AccessRequest, viewer: Actor, transactionId: string): Promise<TransactionView | undefined> {
  if (!isOperator(viewer)) return visibleTransaction(request.database, viewer.userId, transactionId);
  const transaction = await anyTransaction(request.database, transactionId);
  if (transaction) await auditOperatorRead(request, viewer, 'operator.read_transaction', transaction.id);
  return transaction;
}

/**
 * An entry shows its account id for the caller's own accounts and the bank's internal ones
 * (operators: all; a service: every entry of a transaction it made, whose account it named).
 */
export async function visibleEntryAccountId(request: AccessRequest, entry: EntryView): Promise<string | null> {
  if (entry.accountIsInternal || (request.viewer && isOperator(request.viewer))) return entry.accountId;
  if (request.viewer?.role === 'SERVICE') {
    return (await request.loaders.transactions.load(entry.transactionId))?.initiatedBy === request.viewer.userId ? entry.accountId : null;
  }
  return (await request.loaders.ownedAccountIds()).has(entry.accountId) ? entry.accountId : null;
}

/**
 * An idempotency key often names its purpose ("dave-rent-2026-11-acct-…"), so only the user who
 * sent it sees it, on every path that shows a transaction (queries, history, movement replies,
 * subscriptions). Operators see it too: matching a customer's retries is part of investigating.
 */
export function visibleIdempotencyKey(request: Pick<AccessRequest, 'viewer'>, transaction: TransactionView): string | null {
  const viewer = request.viewer;
  if (!viewer) return null;
  return viewer.userId === transaction.initiatedBy || isOperator(viewer) ? transaction.idempotencyKey : null;
}
