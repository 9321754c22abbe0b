import type { MovementPlan } from '../types.js';
import type { StoredBalance } from './command.js';

/**
 * The balances an answer (and every replay of it) shows: each changed customer account the actor
 * may see, right after the change, stamped with the unit's clock. A payee's never pass `visible`.
 */
export function storedBalancesOf(movement: MovementPlan, visible: (accountId: string) => boolean, now: Date): StoredBalance[] {
  return movement.changes
    .filter((change) => visible(change.accountId))
    .map((change) => ({
      accountId: change.accountId,
      currency: movement.currency,
      currencyExponent: movement.currencyExponent,
      postedMinor: change.postedAfterMinor.toString(),
      pendingMinor: change.pendingAfterMinor.toString(),
      version: change.versionAfter,
      asOf: now.toISOString(),
    }));
}
