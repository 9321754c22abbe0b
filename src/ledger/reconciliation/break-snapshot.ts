import type { Channel } from '../types.js';
import type { BreakKind } from './match-statement.js';

export type BreakStatus = 'OPEN' | 'MATCHED' | 'ADJUSTED' | 'EXPECTED';
export type BreakAction = 'MATCH' | 'ADJUST' | 'EXPECT_LATER';

/** A reconciliation break as the unit locked it (FOR UPDATE): what resolving it decides against. */
export interface BreakSnapshot {
  readonly id: string;
  readonly runId: string;
  readonly kind: BreakKind;
  readonly status: BreakStatus;
  readonly channel: Channel;
  readonly currency: string;
  readonly currencyExponent: number;
  /** The settlement account the run read. */
  readonly settlementAccountId: string;
  readonly lineId: string | null;
  /** Whether the line is matched already (by a later run or another break's resolution). */
  readonly lineMatched: boolean;
  /** The break's ledger entries (entries.id) and whether any of them is matched already. */
  readonly entryIds: readonly string[];
  readonly entriesMatched: boolean;
  /** Signed from the bank's side: the line's amount, the entry's, or the line's minus the entry's. */
  readonly amountMinor: bigint;
}

/** A ledger entry an operator names to match by hand, read before the unit (entries never change). */
export interface EntryFact {
  readonly id: string;
  readonly publicId: string;
  readonly accountId: string;
  readonly amountMinor: bigint;
  readonly matched: boolean;
}
