import type { Channel } from '../types.js';
import { VELOCITY_WINDOWS, VELOCITY_WINDOW_MS, type VelocityWindow } from './features.js';
import type { CashTally, OutgoingTally, WindowTally } from './risk-facts.js';

/**
 * The velocity and cash facts of one customer, counted from their risk lines in the process
 * (risk-line-cache.ts), exactly as tally_risk_facts counts them in PostgreSQL (migration
 * 20261206110000), so either path gives a rule the same features. Pure.
 *
 * Times are whole microseconds since the epoch, PostgreSQL's precision, so an edge compares as it
 * does there:
 * - outgoing (velocity): lines marked outgoing in (now − L, now] for each window L, summed per
 *   channel and currency; a group appears when a line of it falls in the 7 days;
 * - cash today: CASH lines of DEPOSITs and WITHDRAWALs in [day start, day end), per kind and
 *   currency, wherever `now` falls in the day (a clock set back sees later lines of its day).
 */

/** One row of risk_lines as the process keeps it. */
export interface RiskLine {
  /** The transaction that wrote it (risk_lines.xid): what the process's watermark compares. */
  readonly xid: bigint;
  readonly atUs: number;
  readonly kind: string;
  readonly channel: Channel;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly outgoing: boolean;
}

/** The instant the windows end at and the banking day of "cash today", in microseconds. */
export interface LineWindows {
  readonly nowUs: number;
  readonly dayStartUs: number;
  readonly dayEndUs: number;
}

const WINDOW_US = VELOCITY_WINDOWS.map((window): [VelocityWindow, number] => [window, VELOCITY_WINDOW_MS[window] * 1000]);

interface MutableTally {
  count: bigint;
  sumMinor: bigint;
}

export function tallyRiskLines(lines: Iterable<RiskLine>, at: LineWindows): { outgoing: OutgoingTally[]; cashToday: CashTally[] } {
  const outgoing = new Map<string, { channel: Channel; currency: string; windows: Record<VelocityWindow, MutableTally> }>();
  const cash = new Map<string, CashTally & MutableTally>();
  for (const line of lines) {
    if (line.outgoing && line.atUs <= at.nowUs) countOutgoing(outgoing, line, at.nowUs - line.atUs);
    if (line.channel === 'CASH' && (line.kind === 'DEPOSIT' || line.kind === 'WITHDRAWAL') && line.atUs >= at.dayStartUs && line.atUs < at.dayEndUs) {
      const key = `${line.kind} ${line.currency}`;
      const tally = cash.get(key) ?? { kind: line.kind, currency: line.currency, count: 0n, sumMinor: 0n };
      tally.sumMinor += line.amountMinor;
      cash.set(key, tally);
    }
  }
  return {
    outgoing: [...outgoing.values()]
      .map((group): OutgoingTally => ({ channel: group.channel, currency: group.currency, windows: frozen(group.windows) }))
      .sort((a, b) => `${a.channel} ${a.currency}`.localeCompare(`${b.channel} ${b.currency}`)),
    cashToday: [...cash.values()].map(({ kind, currency, sumMinor }): CashTally => ({ kind, currency, sumMinor })).sort((a, b) => `${a.kind} ${a.currency}`.localeCompare(`${b.kind} ${b.currency}`)),
  };
}

/** Adds a line `ageUs` before now to every window it falls in; a line 7 days old or more counts in none. */
function countOutgoing(groups: Map<string, { channel: Channel; currency: string; windows: Record<VelocityWindow, MutableTally> }>, line: RiskLine, ageUs: number): void {
  const [, weekUs] = WINDOW_US[WINDOW_US.length - 1]!;
  if (ageUs >= weekUs) return;
  const key = `${line.channel} ${line.currency}`;
  let group = groups.get(key);
  if (!group) {
    const windows = Object.fromEntries(VELOCITY_WINDOWS.map((window) => [window, { count: 0n, sumMinor: 0n }])) as Record<VelocityWindow, MutableTally>;
    group = { channel: line.channel, currency: line.currency, windows };
    groups.set(key, group);
  }
  for (const [window, lengthUs] of WINDOW_US) {
    if (ageUs >= lengthUs) continue;
    group.windows[window].count += 1n;
    group.windows[window].sumMinor += line.amountMinor;
  }
}

function frozen(windows: Record<VelocityWindow, MutableTally>): Record<VelocityWindow, WindowTally> {
  return Object.fromEntries(VELOCITY_WINDOWS.map((window) => [window, { count: windows[window].count, sumMinor: windows[window].sumMinor }])) as Record<VelocityWindow, WindowTally>;
}
