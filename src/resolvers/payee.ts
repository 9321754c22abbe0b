import { GraphQLError } from 'graphql';
import type { Context } from '../context.js';
import { maskHolderName } from '../auth/holder-name.js';
import { openCustomerAccountByNumber } from '../ledger/queries/payee.js';
import { viewerOf } from './viewer.js';

/** What the Payee type is built from. */
export interface PayeeView {
  readonly accountId: string;
  readonly currency: string;
  readonly holderName: string;
}

/**
 * Query.payee: every look-up, found or not, takes one from the caller's hourly allowance first,
 * so account numbers cannot be enumerated; past it, a top-level LIMIT_EXCEEDED with
 * retryAfterSeconds, and nothing is looked up.
 */
export async function resolvePayee(context: Context, accountNumber: string): Promise<PayeeView | null> {
  const viewer = viewerOf(context);
  // A service pays no one (it never transfers) and has no business looking up holders' names.
  if (viewer.role === 'SERVICE') return null;
  const limited = await context.auth.limits.takePayeeLookup(viewer.userId);
  if (limited) {
    throw new GraphQLError(`Too many payee look-ups; try again in ${limited.retryAfterSeconds} s.`, {
      extensions: { code: 'LIMIT_EXCEEDED', retryAfterSeconds: limited.retryAfterSeconds },
    });
  }
  const account = await openCustomerAccountByNumber(context.database, accountNumber);
  if (!account) return null;
  return { accountId: account.accountId, currency: account.currency, holderName: maskHolderName(account.holderFullName, account.holderUsername) };
}
