/**
 * The typed channels of Tally's event bus: what is published where.
 */
import type { BalanceEvent } from '../ledger/balance-event.js';

/** The balance event is the ledger's (ledger/balance-event.ts); re-exported for the bus's users. */
export type { BalanceEvent };

export interface Channels {
  readonly balance: BalanceEvent;
}

export function balanceChannel(accountId: string): string {
  return `tally:balance:${accountId}`;
}
