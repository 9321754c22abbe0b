import type { MovementPlan } from '../types.js';
import type { DisputeSnapshot } from './dispute-snapshot.js';
import type { DisputeMoney, DisputeReason, DisputeStep } from './dispute-states.js';

/** A dispute about to be opened: its row, with the deadlines computed at the notice. */
export interface OpenDisputePlan {
  readonly id: string;
  readonly transactionId: string;
  readonly accountId: string;
  readonly reason: DisputeReason;
  readonly description: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly provisionalCreditBy: Date;
  readonly resolutionBy: Date;
}

/** A step decided: the dispute before and after it, its note, and the ledger transaction of a money step. */
export interface DisputeStepPlan {
  readonly step: DisputeStep;
  readonly before: DisputeSnapshot;
  readonly after: DisputeSnapshot;
  readonly note: string | null;
  readonly money: DisputeMoney;
  readonly movement: MovementPlan | undefined;
}
