/** Bounds of holds (TigerStyle: limits on everything), beside the ledger's other limits (limits.ts). */

/** A hold lives at least a second (anything shorter is expired before it is answered). */
export const MIN_HOLD_SECONDS = 1;
/** At most 30 days: card networks expire authorizations well within that. */
export const MAX_HOLD_SECONDS = 30 * 24 * 60 * 60;
/** Seven days when the client does not say: a common card network's authorization lifetime. */
export const DEFAULT_HOLD_SECONDS = 7 * 24 * 60 * 60;
/**
 * Partial captures of one hold (split shipments). Bounds `Hold.captures` for the query cost model;
 * the capture that reaches it is final whatever it asks.
 */
export const MAX_CAPTURES_PER_HOLD = 10;
/** Account.holds lists at most this many holds (the most recent); Query.holds pages through all. */
export const MAX_HOLDS_PER_ACCOUNT_LIST = 50;
