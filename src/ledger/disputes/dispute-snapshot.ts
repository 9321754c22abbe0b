import type { DisputeStatus } from './dispute-states.js';

/** A dispute as the unit locked it (FOR UPDATE): what every step after opening decides against. */
export interface DisputeSnapshot {
  readonly id: string;
  readonly transactionId: string;
  readonly accountId: string;
  readonly status: DisputeStatus;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  /** A credit was posted (provisional, or final at a resolution for the customer). */
  readonly credited: boolean;
  readonly reversalNoticedAt: Date | null;
  readonly reversalNotBefore: Date | null;
  /** Steps so far (the opening is 1): the next event's sequence is one more. */
  readonly eventCount: number;
}
