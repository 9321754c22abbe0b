import type { AccountSnapshot, MovementPlan } from '../types.js';
import { RISK_REVIEWS } from './internal-accounts.js';
import { planMovement } from './plan-movement.js';

/** A movement the risk step sent to a person: the movement as decided, and the hold that keeps its money meanwhile. */
export interface ReviewPlan {
  /** What approval posts, exactly as decided (entries, fee and all); nothing of it is written now. */
  readonly movement: MovementPlan;
  /** The RISK_REVIEW hold's PENDING transaction; null for a deposit (no money of the customer's leaves). */
  readonly hold: MovementPlan | null;
  /** The account the review is about: the one debited, or credited for a deposit. */
  readonly accountId: string;
}

/** What the movement takes from the account in the POSTED layer: the principal and any fee. */
function debitOf(movement: MovementPlan, accountId: string): bigint {
  return movement.entries
    .filter((entry) => entry.layer === 'POSTED' && entry.direction === 'DEBIT' && 'customerAccountId' in entry.target && entry.target.customerAccountId === accountId)
    .reduce((sum, entry) => sum + entry.amountMinor, 0n);
}

/**
 * Turns a decided movement into a review: the customer's debit (principal plus fee) is held at
 * once against RISK_REVIEWS, on the PENDING layer only, so their available balance drops and
 * nothing is posted. A deposit holds nothing: money arriving is simply not credited yet.
 */
export function planReview(movement: MovementPlan, account: AccountSnapshot): ReviewPlan {
  const heldMinor = debitOf(movement, account.id);
  const header = { kind: 'HOLD' as const, status: 'PENDING' as const, channel: movement.channel, amountMinor: heldMinor, currency: movement.currency, currencyExponent: movement.currencyExponent };
  const hold =
    heldMinor > 0n
      ? planMovement(
          header,
          [
            { target: { customerAccountId: account.id }, direction: 'DEBIT', amountMinor: heldMinor, layer: 'PENDING' },
            { target: { internalCode: RISK_REVIEWS }, direction: 'CREDIT', amountMinor: heldMinor, layer: 'PENDING' },
          ],
          [account],
        )
      : null;
  // What approval posts is the POSTED layer as decided: a check deposit's availability holds are
  // not placed for a movement that may never post (approval posts a deposit available at once).
  const posted = movement.entries.filter((entry) => entry.layer === 'POSTED');
  return { movement: { ...movement, entries: posted }, hold, accountId: account.id };
}
