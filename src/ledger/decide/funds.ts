import type { AccountSnapshot } from '../types.js';

/** What can be withdrawn now: posted money less active holds. The overdraft line is not included. */
export function availableMinor(account: Pick<AccountSnapshot, 'postedMinor' | 'pendingMinor'>): bigint {
  return account.postedMinor - account.pendingMinor;
}

/**
 * Law 4: after a debit, available must not go below minus the overdraft limit. The database
 * checks the same inequality (the accounts_no_overdraft trigger), so a bug here fails loudly, not
 * silently. Corrections (CORRECTION_KINDS: a reversal) do not ask: they may overdraw.
 */
export function canDebit(account: AccountSnapshot, amountMinor: bigint): boolean {
  return availableMinor(account) - amountMinor >= -account.overdraftLimitMinor;
}
