import type { BankCalendar } from '../calendar/business-days.js';
import type { Channel } from '../types.js';
import type { VelocityWindow } from './features.js';

/**
 * What the risk step reads from the database about one movement's account and its customer,
 * before deciding (Prefetch.riskOf): raw facts, read under the unit's account locks after its
 * clock. The features a rule sees are computed from these purely (movement-features.ts), so the
 * decision stays a function of what was read. "The customer" is every owner of the account.
 */
export interface RiskFacts {
  readonly accountId: string;
  readonly openedAt: Date;
  /** The last change of the account's balances (its newest history line); null when it never moved. */
  readonly lastActivityAt: Date | null;
  /** The customer's earlier movements leaving them in the last 7 days, per channel and currency. */
  readonly outgoing: readonly OutgoingTally[];
  /** Cash the customer moved earlier this banking day, per direction and currency. */
  readonly cashToday: readonly CashTally[];
  /** The payee asked about (Prefetch.riskOf.payeeAccountId), when one was. */
  readonly payeeAccountId?: string | undefined;
  /** The payee asked about was paid by the customer before. */
  readonly payeeKnown: boolean;
}

export interface WindowTally {
  readonly count: bigint;
  readonly sumMinor: bigint;
}

export interface OutgoingTally {
  readonly channel: Channel;
  readonly currency: string;
  readonly windows: Readonly<Record<VelocityWindow, WindowTally>>;
}

export interface CashTally {
  readonly kind: 'DEPOSIT' | 'WITHDRAWAL';
  readonly currency: string;
  readonly sumMinor: bigint;
}

/** A command's ask: the account whose customer's facts to read, and the payee of a transfer. */
export interface RiskFactsRequest {
  readonly accountId: string;
  readonly payeeAccountId?: string;
  /** The banking day of "cash today" (the availability policy's calendar). */
  readonly calendar: BankCalendar;
}
