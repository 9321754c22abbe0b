import type { AccountSnapshot, Channel } from '../types.js';
import { emptyWindows, emptyWindowsByChannel, VELOCITY_WINDOWS, type OutgoingWindows, type RiskFeatures } from './features.js';
import type { RiskFacts } from './risk-facts.js';

const DAY_MS = 24 * 60 * 60_000;

/** The movement being judged, as its decide has parsed it. */
export interface JudgedMovement {
  readonly kind: 'DEPOSIT' | 'WITHDRAWAL' | 'TRANSFER';
  readonly channel: Channel;
  readonly amountMinor: bigint;
  /** The account the movement debits (a deposit: the one it credits). */
  readonly account: AccountSnapshot;
  readonly leavesCustomer: boolean;
}

function wholeDaysBetween(from: Date, to: Date): bigint {
  return BigInt(Math.max(0, Math.floor((to.getTime() - from.getTime()) / DAY_MS)));
}

/** Each window's two field names, spelled once: a name built per movement is a new string to hash every time. */
const WINDOW_KEYS = VELOCITY_WINDOWS.map((window) => ({ window, count: `count_${window}`, sum: `sum_${window}` }) as const);

function addTally(windows: OutgoingWindows, tally: RiskFacts['outgoing'][number], sameCurrency: boolean): OutgoingWindows {
  const sum: Record<string, bigint> = { ...windows };
  for (const { window, count, sum: sumKey } of WINDOW_KEYS) {
    sum[count] = (sum[count] ?? 0n) + tally.windows[window].count;
    // Sums add only amounts of the movement's currency: a sum across currencies means nothing.
    if (sameCurrency) sum[sumKey] = (sum[sumKey] ?? 0n) + tally.windows[window].sumMinor;
  }
  return sum as OutgoingWindows;
}

/**
 * The features of features.ts for one movement, from its facts and the unit's clock: pure, so a
 * stored decision's features are exactly what this computed. Counts span currencies; sums and
 * cash totals count only the movement's currency.
 */
export function movementFeatures(movement: JudgedMovement, facts: RiskFacts, now: Date): RiskFeatures {
  const { account } = movement;
  let outgoing = emptyWindows();
  const outgoingByChannel = emptyWindowsByChannel();
  for (const tally of facts.outgoing) {
    const sameCurrency = tally.currency === account.currency;
    outgoing = addTally(outgoing, tally, sameCurrency);
    outgoingByChannel[tally.channel] = addTally(outgoingByChannel[tally.channel], tally, sameCurrency);
  }
  const cash = (kind: 'DEPOSIT' | 'WITHDRAWAL') =>
    facts.cashToday.filter((tally) => tally.kind === kind && tally.currency === account.currency).reduce((sum, tally) => sum + tally.sumMinor, 0n);
  return {
    amount: movement.amountMinor,
    currency: account.currency,
    channel: movement.channel,
    kind: movement.kind,
    leavesCustomer: movement.leavesCustomer,
    accountAgeDays: wholeDaysBetween(facts.openedAt, now),
    balance: account.postedMinor - account.pendingMinor,
    accountStatus: account.status,
    outgoing,
    outgoingByChannel,
    cashDepositedToday: cash('DEPOSIT'),
    cashWithdrawnToday: cash('WITHDRAWAL'),
    payeeKnown: movement.kind === 'TRANSFER' && movement.leavesCustomer && facts.payeeKnown,
    daysSinceLastActivity: wholeDaysBetween(facts.lastActivityAt ?? facts.openedAt, now),
  };
}
