import type { ReviewSnapshot } from '../commands/unit-state.js';
import type { Channel } from '../types.js';
import { toBigInt } from './database.js';

/** The columns of a `reviews` row that a decision's lock and the reads both select (amount_minor as text). */
export interface ReviewRowBase {
  id: string;
  status: ReviewSnapshot['status'];
  kind: ReviewSnapshot['kind'];
  channel: Channel;
  amount_minor: string;
  currency: string;
  currency_exponent: number;
  account_id: string;
  counterparty_account_id: string | null;
  hold_id: string | null;
  requested_by: string;
  due_at: Date | string;
}

export type ReviewFields = Pick<
  ReviewSnapshot,
  'id' | 'status' | 'kind' | 'channel' | 'amountMinor' | 'currency' | 'currencyExponent' | 'accountId' | 'counterpartyAccountId' | 'holdId' | 'requestedBy' | 'dueAt'
>;

/** What a review is, read one way for the unit that decides it (lock-reviews.ts) and the queries that show it. */
export function reviewFieldsFromRow(row: ReviewRowBase): ReviewFields {
  return {
    id: row.id,
    status: row.status,
    kind: row.kind,
    channel: row.channel,
    amountMinor: toBigInt(row.amount_minor),
    // currency is char(3): pg pads it, so it is trimmed here once for every reader.
    currency: row.currency.trim(),
    currencyExponent: row.currency_exponent,
    accountId: row.account_id,
    counterpartyAccountId: row.counterparty_account_id,
    holdId: row.hold_id,
    requestedBy: row.requested_by,
    dueAt: new Date(row.due_at),
  };
}
