import type { Channel } from '../types.js';

/**
 * The bank's account that takes the other side of a deposit or withdrawal on a channel: cash goes
 * through the vault, every other rail through its own settlement account, so reconciliation with
 * each rail reads one account (seed: "[Reconciliation] Internal API").
 */
export function internalAccountCode(channel: Channel): string {
  return channel === 'CASH' ? 'CASH_VAULT' : `SETTLEMENT_${channel}`;
}

/** Channels money can arrive through. INTERNAL is only for transfers inside the bank. */
export const DEPOSIT_CHANNELS: ReadonlySet<Channel> = new Set([
  'CASH', 'CHECK', 'DIRECT_DEPOSIT', 'ACH', 'WIRE', 'PAYPAL', 'ZELLE', 'CARD', 'ATM', 'THIRD_PARTY',
]);

/** Channels money can leave through (seed: cash, checks, pre-authorized debits, wires, third parties). */
export const WITHDRAWAL_CHANNELS: ReadonlySet<Channel> = new Set([
  'CASH', 'CHECK', 'ACH', 'WIRE', 'PAYPAL', 'ZELLE', 'CARD', 'ATM', 'THIRD_PARTY',
]);

/** The bank's income from fees (a wire's fee is credited here, in the wire's own transaction). */
export const FEE_INCOME = 'FEE_INCOME';

/**
 * The other side of every funds-availability hold (DESIGN.md "Ledger core, second edition" 2): a
 * deposit's not-yet-available part is debited from the customer on the PENDING layer and credited
 * here; its release reverses that pair. Its PENDING balance is what the bank has received but not
 * yet made available.
 */
export const FUNDS_AVAILABILITY = 'FUNDS_AVAILABILITY';

/**
 * The other side of every risk-review hold: a movement waiting for a person is debited from the
 * customer on the PENDING layer and credited here, so the customer's available balance drops at
 * once and nothing is posted; approval releases the pair and posts the movement, decline releases it.
 */
export const RISK_REVIEWS = 'RISK_REVIEWS';

/**
 * The other side of a dispute's money steps (issue 9 §2): a provisional credit debits it and
 * credits the customer (ADJUSTMENT); reversing that credit is the opposite pair. Its balance is
 * what the bank has credited on disputes it has not got back (from the merchant or the customer).
 */
export const DISPUTES = 'DISPUTES';

/**
 * The other side of a reconciliation adjustment (issue 10 §1): a difference between a rail's
 * statement and its settlement account is posted against SUSPENSE with a reason, a normal
 * ADJUSTMENT transaction, never an edit. Its balance is what the bank has yet to explain.
 */
export const SUSPENSE = 'SUSPENSE';
