/**
 * Every limit of the ledger, named, with the reason for its value (TigerStyle: limits on everything).
 */

/** API.md: at most 15 integer digits, which keeps every amount far below 2^63 minor units. */
export const MAX_INTEGER_DIGITS = 15;

/** API.md: idempotency keys are 1-128 printable characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

/** Free text on a transaction; long enough for a remittance line, short enough to index and show. */
export const MAX_DESCRIPTION_LENGTH = 500;
export const MAX_EXTERNAL_REF_LENGTH = 128;
export const MAX_NICKNAME_LENGTH = 64;
/** Why an operator reversed a transaction: stored as the REVERSAL's description, so the same bound. */
export const MAX_REVERSAL_REASON_LENGTH = MAX_DESCRIPTION_LENGTH;
/** A returned item's reason (issue 8 §4: 1..200 characters), as a returned-check notice prints it. */
export const MAX_RETURN_REASON_LENGTH = 200;

/**
 * The most a customer account may hold, in minor units: 10^17 stays far below PostgreSQL's
 * bigint (9.2 * 10^18), so no balance, and no sum of a few of them, can ever overflow.
 */
export const MAX_BALANCE_MINOR = 10n ** 17n;

/**
 * The most one movement may carry, in minor units: 10^15 (10,000,000,000,000.00 USD) is above
 * any real payment and a hundredth of MAX_BALANCE_MINOR. Without it the payee's ceiling was an
 * oracle: an amount of up to 15 integer digits could reach it from any balance, and a refusal
 * said "the payee holds more than 10^17 minus this", so a bisection recovered a payee's balance.
 * Now a payee with this much room below the ceiling takes any transfer,
 * and one with less takes none from others, whatever the amount (decide-movement.ts).
 */
export const MAX_MOVEMENT_MINOR = 10n ** 15n;

/** History pages: a default that fills a phone screen, and a ceiling that bounds one query's work. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * Deadlocks and serialization failures are retried inside the server so clients never see them.
 * Locks are taken in id order, so a deadlock needs a foreign lock order; a few attempts suffice.
 */
export const MAX_COMMAND_ATTEMPTS = 8;
export const RETRY_BASE_DELAY_MS = 5;

/** How many accounts one customer may hold; bounds `accounts` and the snapshot read. */
export const MAX_ACCOUNTS_PER_USER = 100;

/**
 * The most entries one transaction may have. A deposit, withdrawal or transfer is two; a WIRE
 * withdrawal with its fee three; a hold capture four (it releases the pending pair and posts the
 * captured pair in one transaction); an approved risk review of a wire five (its fee-bearing
 * withdrawal and the release of its review hold). It bounds `Transaction.entries` in the query
 * cost model, and the write asserts it: a transaction with more entries must raise it here, and
 * the cost model follows.
 */
export const MAX_ENTRIES_PER_TRANSACTION = 5;

/** The most customer accounts one transaction changes (a transfer's two): bounds `MoneyMovement.balances`. */
export const MAX_CUSTOMER_ACCOUNTS_PER_TRANSACTION = 2;

/** Lines one GraphQL statement returns (its list bound: 1,000 lines of 5 fields stay under the query cost ceiling of 7,000). */
export const MAX_STATEMENT_LINES_GRAPHQL = 1_000;
/** Lines a downloaded statement holds (CSV or PDF, about 350 pages): bounds one download's memory and time. */
export const MAX_STATEMENT_LINES_DOWNLOAD = 15_000;

/** The most items one postMovements batch (or one POST /v1/batches file) may carry (issue 11 §2). */
export const MAX_BATCH_ITEMS = 1_000;
