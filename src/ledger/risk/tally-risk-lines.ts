import type { Channel } from '../types.js';
import { VELOCITY_WINDOWS, VELOCITY_WINDOW_MS, type VelocityWindow } from './features.js';
import { KeptLinesIndex, isCashLine, type WindowCounts } from './kept-lines-index.js';
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
 *
 * This runs on every judged movement. The lines the process keeps are counted through their
 * index (kept-lines-index.ts: two binary searches a window, not a pass over the week); the tail
 * read with them, a few lines, one by one. Both sum in doubles: exact while every amount and every
 * total is a safe integer (below 2^53 minor units, 90 trillion dollars), which they check; when
 * one is not, every line is counted again in bigints.
 */

/** One row of risk_lines as the process keeps it. */
export interface RiskLine {
  /** The transaction that wrote it (risk_lines.xid): what the process's watermark compares. */
  readonly xid: number;
  readonly atUs: number;
  readonly kind: string;
  readonly channel: Channel;
  readonly currency: string;
  readonly amountMinor: bigint;
  /** amountMinor as a double; NaN when it is not a safe integer. */
  readonly amount: number;
  readonly outgoing: boolean;
  /** The groups it counts in, named once per line (lineKeys), not on every count. */
  readonly keys: LineKeys;
}

/** The names of a line's velocity group (channel and currency) and cash group (kind and currency). */
export interface LineKeys {
  readonly outgoing: string;
  readonly cash: string;
}

const LINE_KEYS = new Map<string, LineKeys>();

/** The group names of lines of this kind, channel and currency, shared by every such line. */
export function lineKeys(kind: string, channel: string, currency: string): LineKeys {
  const name = `${kind} ${channel} ${currency}`;
  let keys = LINE_KEYS.get(name);
  if (!keys) {
    keys = { outgoing: `${channel} ${currency}`, cash: `${kind} ${currency}` };
    // Kinds, channels and currencies are few; the bound only guards against odd data.
    if (LINE_KEYS.size < 10_000) LINE_KEYS.set(name, keys);
  }
  return keys;
}

/**
 * Lines to count: `lines`, those written by a transaction below `below` when given. With
 * `indexed`, those are the first `upTo` of them, counted through the index that follows the array.
 */
export interface LineSource {
  readonly lines: readonly RiskLine[];
  readonly below?: number;
  readonly indexed?: { readonly index: KeptLinesIndex; readonly upTo: number };
}

/** The instant the windows end at and the banking day of "cash today", in microseconds. */
export interface LineWindows {
  readonly nowUs: number;
  readonly dayStartUs: number;
  readonly dayEndUs: number;
}

/** Window lengths in microseconds, shortest first (VELOCITY_WINDOWS' order). */
const WINDOW_US = VELOCITY_WINDOWS.map((window) => VELOCITY_WINDOW_MS[window] * 1000);
const WEEK_US = WINDOW_US[WINDOW_US.length - 1]!;

type Sum = number | bigint;
interface Group<Key> {
  readonly key: Key;
  readonly counts: number[];
  readonly sums: Sum[];
}

export function tallyRiskLines(sources: readonly LineSource[], at: LineWindows): { outgoing: OutgoingTally[]; cashToday: CashTally[] } {
  const inDoubles = countLines(sources, at, (line) => line.amount);
  if (inDoubles) return inDoubles;
  const oneByOne = sources.map(({ lines, below }) => ({ lines, ...(below === undefined ? {} : { below }) }));
  return countLines(oneByOne, at, (line) => line.amountMinor)!;
}

/** Adds an index's counts of one group to the pass's. */
function addCounted<Key>(groups: Map<string, Group<Key>>, name: string, key: () => Key, counted: WindowCounts): void {
  const group = groupOf(groups, name, key, counted.counts.length);
  counted.counts.forEach((count, window) => {
    group.counts[window]! += count;
    group.sums[window] = (group.sums[window] as number) + counted.sums[window]!;
  });
}

/** Counts an indexed source into the pass's groups (in doubles); false when the index cannot. */
function countIndexed(source: LineSource & { indexed: NonNullable<LineSource['indexed']> }, at: LineWindows, outgoing: Map<string, Group<{ channel: Channel; currency: string }>>, cash: Map<string, Group<{ kind: CashTally['kind']; currency: string }>>): boolean {
  const counted = source.indexed.index.tallyFirst(source.lines, source.indexed.upTo, { windowsUs: WINDOW_US, ...at });
  if (!counted) return false;
  for (const [name, group] of counted.outgoing) addCounted(outgoing, name, () => ({ channel: group.line.channel, currency: group.line.currency }), group);
  for (const [name, group] of counted.cash) addCounted(cash, name, () => ({ kind: group.line.kind as CashTally['kind'], currency: group.line.currency }), group);
  return true;
}

/** Counts with `amountOf`; undefined when a double could not hold an amount or a total exactly. */
function countLines(sources: readonly LineSource[], at: LineWindows, amountOf: (line: RiskLine) => Sum): ReturnType<typeof tallyRiskLines> | undefined {
  const outgoing = new Map<string, Group<{ channel: Channel; currency: string }>>();
  const cash = new Map<string, Group<{ kind: CashTally['kind']; currency: string }>>();
  for (const source of sources) {
    const { lines, below, indexed } = source;
    // An index sums in doubles: the bigint pass (tallyRiskLines' second) never hands it one.
    if (indexed) {
      if (!countIndexed({ ...source, indexed }, at, outgoing, cash)) return undefined;
      continue;
    }
    for (const line of lines) {
      if (below !== undefined && line.xid >= below) continue;
      const age = at.nowUs - line.atUs;
      if (line.outgoing && age >= 0 && age < WEEK_US) {
        const group = groupOf(outgoing, line.keys.outgoing, () => ({ channel: line.channel, currency: line.currency }), WINDOW_US.length);
        for (let window = 0; window < WINDOW_US.length; window += 1) {
          if (age >= WINDOW_US[window]!) continue;
          group.counts[window]! += 1;
          group.sums[window] = add(group.sums[window]!, amountOf(line));
        }
      }
      if (isCashLine(line) && line.atUs >= at.dayStartUs && line.atUs < at.dayEndUs) {
        const kind = line.kind;
        const group = groupOf(cash, line.keys.cash, () => ({ kind, currency: line.currency }), 1);
        group.counts[0]! += 1;
        group.sums[0] = add(group.sums[0]!, amountOf(line));
      }
    }
  }
  // A group is there when a line of it counts: the week's for velocity, the day's for cash (an index answers every group it holds).
  dropEmpty(outgoing, WINDOW_US.length - 1);
  dropEmpty(cash, 0);
  const groups = [...outgoing.values(), ...cash.values()];
  if (groups.some((group) => group.sums.some((sum) => typeof sum === 'number' && !Number.isSafeInteger(sum)))) return undefined;
  return {
    outgoing: sortedByKey(outgoing).map(({ key, counts, sums }): OutgoingTally => ({ ...key, windows: windowsOf(counts, sums) })),
    cashToday: sortedByKey(cash).map(({ key, sums }): CashTally => ({ ...key, sumMinor: BigInt(sums[0]!) })),
  };
}

function dropEmpty<Key>(groups: Map<string, Group<Key>>, window: number): void {
  for (const [name, group] of groups) if (group.counts[window] === 0) groups.delete(name);
}

function groupOf<Key>(groups: Map<string, Group<Key>>, name: string, key: () => Key, windows: number): Group<Key> {
  let group = groups.get(name);
  if (!group) {
    group = { key: key(), counts: new Array<number>(windows).fill(0), sums: new Array<Sum>(windows).fill(0) };
    groups.set(name, group);
  }
  return group;
}

/** A running total in the one representation the pass uses (a pass never mixes them: 0 starts either). */
function add(sum: Sum, amount: Sum): Sum {
  return typeof amount === 'bigint' ? BigInt(sum) + amount : (sum as number) + amount;
}

function sortedByKey<Key>(groups: Map<string, Group<Key>>): Group<Key>[] {
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, group]) => group);
}

function windowsOf(counts: readonly number[], sums: readonly Sum[]): Record<VelocityWindow, WindowTally> {
  return Object.fromEntries(VELOCITY_WINDOWS.map((window, index) => [window, { count: BigInt(counts[index]!), sumMinor: BigInt(sums[index]!) }])) as Record<VelocityWindow, WindowTally>;
}
