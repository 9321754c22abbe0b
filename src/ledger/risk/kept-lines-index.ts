import type { RiskLine } from './tally-risk-lines.js';

/**
 * The velocity and cash groups of one customer's kept risk lines (risk-line-cache.ts), each
 * sorted by time with running totals, so that a window's count and sum are two binary searches,
 * not a pass over the customer's week. A busy customer (a merchant paying out all day) keeps
 * thousands of lines, and every one of their movements counts them: on the bench the pass was
 * 55 µs of server time a movement and grew with every movement the customer made.
 *
 * The index follows its array of lines in push order (`size` of them indexed) and catches up on
 * demand: lines are appended by tails, in commit order, which is close to time order, so a line
 * goes at the end of its group, or near it (its running totals from there are redone). It answers
 * for the first `upTo` lines of the array: those it indexed beyond are counted again and taken
 * off. Totals are doubles, exact while every amount and running total is a safe integer; when one
 * is not, `tallyFirst` answers undefined and the caller counts the lines themselves in bigints.
 */

/** A window of a group: lines with a time in (fromUs, toUs] (`inclusiveEnd`) or [fromUs, toUs). */
interface IndexedGroup {
  readonly times: number[];
  readonly amounts: number[];
  /** totals[i]: the sum of the first i amounts in time order (totals[0] = 0). */
  readonly totals: number[];
  /** The first line of the group, whose kind, channel and currency name it. */
  readonly first: RiskLine;
  exact: boolean;
}

/** A group's lines counted in some windows: what the tally merges. */
export interface WindowCounts {
  readonly line: RiskLine;
  readonly counts: number[];
  readonly sums: number[];
}

export interface IndexWindows {
  /** Window lengths in microseconds, ending at nowUs. */
  readonly windowsUs: readonly number[];
  readonly nowUs: number;
  readonly dayStartUs: number;
  readonly dayEndUs: number;
}

/** Does a line count toward velocity (outgoing) or cash today: the same predicates as countLines'. */
export const isCashLine = (line: RiskLine): boolean => line.channel === 'CASH' && (line.kind === 'DEPOSIT' || line.kind === 'WITHDRAWAL');

export class KeptLinesIndex {
  private readonly outgoing = new Map<string, IndexedGroup>();
  private readonly cash = new Map<string, IndexedGroup>();
  /** How many lines of the array, from its start, are indexed. */
  private size = 0;

  /**
   * The groups of the first `upTo` lines of `lines` (the array this index follows), counted in
   * each window; undefined when a double cannot hold an amount or a total exactly.
   */
  tallyFirst(lines: readonly RiskLine[], upTo: number, at: IndexWindows): { outgoing: Map<string, WindowCounts>; cash: Map<string, WindowCounts> } | undefined {
    this.catchUp(lines);
    const outgoing = new Map<string, WindowCounts>();
    const cash = new Map<string, WindowCounts>();
    for (const [name, group] of this.outgoing) {
      if (!group.exact) return undefined;
      const counts: number[] = [];
      const sums: number[] = [];
      const end = upperBound(group.times, at.nowUs);
      for (const windowUs of at.windowsUs) {
        const start = upperBound(group.times, at.nowUs - windowUs);
        counts.push(end - start);
        sums.push(group.totals[end]! - group.totals[start]!);
      }
      outgoing.set(name, { line: group.first, counts, sums });
    }
    for (const [name, group] of this.cash) {
      if (!group.exact) return undefined;
      const start = lowerBound(group.times, at.dayStartUs);
      const end = lowerBound(group.times, at.dayEndUs);
      cash.set(name, { line: group.first, counts: [end - start], sums: [group.totals[end]! - group.totals[start]!] });
    }
    // Lines indexed beyond the asked ones (another ask's tail, added since) are taken off again.
    for (let index = upTo; index < this.size; index += 1) {
      const line = lines[index]!;
      if (line.outgoing) takeOff(outgoing.get(line.keys.outgoing), line, at.windowsUs.map((windowUs) => line.atUs <= at.nowUs && line.atUs > at.nowUs - windowUs));
      if (isCashLine(line)) takeOff(cash.get(line.keys.cash), line, [line.atUs >= at.dayStartUs && line.atUs < at.dayEndUs]);
    }
    return { outgoing, cash };
  }

  private catchUp(lines: readonly RiskLine[]): void {
    for (; this.size < lines.length; this.size += 1) {
      const line = lines[this.size]!;
      if (line.outgoing) insert(this.outgoing, line.keys.outgoing, line);
      if (isCashLine(line)) insert(this.cash, line.keys.cash, line);
    }
  }
}

function takeOff(counted: WindowCounts | undefined, line: RiskLine, inWindow: readonly boolean[]): void {
  if (!counted) throw new Error('an indexed line has no group');
  inWindow.forEach((inside, window) => {
    if (!inside) return;
    counted.counts[window]! -= 1;
    counted.sums[window]! -= line.amount;
  });
}

/** Puts a line in its group in time order (after lines of the same time), redoing the totals after it. */
function insert(groups: Map<string, IndexedGroup>, name: string, line: RiskLine): void {
  let group = groups.get(name);
  if (!group) {
    group = { times: [], amounts: [], totals: [0], first: line, exact: true };
    groups.set(name, group);
  }
  const at = upperBound(group.times, line.atUs);
  group.times.splice(at, 0, line.atUs);
  group.amounts.splice(at, 0, line.amount);
  group.totals.length = at + 1;
  for (let index = at; index < group.amounts.length; index += 1) group.totals.push(group.totals[index]! + group.amounts[index]!);
  if (!Number.isSafeInteger(line.amount) || !Number.isSafeInteger(group.totals[group.totals.length - 1])) group.exact = false;
}

/** The first index whose value is greater than `value` (values ascending). */
function upperBound(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose value is at least `value`. */
function lowerBound(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
