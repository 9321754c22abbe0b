import { addBusinessDays, previousBusinessDay, type LocalDate } from '../calendar/business-days.js';
import type { MatchConfig, MatchStrategy, MatchStrategyKind } from './strategies.js';

/**
 * The pure heart of reconciliation: statement lines and ledger entries in, matches and breaks
 * out. No I/O, no clock. Amounts are signed from the bank's side of the rail: a line or entry is
 * positive when money came into the bank's settlement account (a deposit), negative when it left.
 *
 * Order, documented because it decides every tie:
 * 1. Lines are taken by (booked date, line number); entries by (created at, id): "the earliest".
 * 2. Strategies run in the configured order; each sees only what the earlier ones left.
 * 3. A line that could match two entries takes the earliest, and that entry is then gone: nothing
 *    is ever matched twice (the database enforces it again).
 * 4. What is left becomes breaks: each line (UNMATCHED_STATEMENT) and each entry (UNMATCHED_LEDGER),
 *    with the unmatched candidates of the same amount or reference, earliest first.
 */

export interface StatementLineFact {
  readonly id: string;
  readonly lineNumber: number;
  readonly bookedOn: LocalDate;
  readonly amountMinor: bigint;
  readonly reference: string | null;
}

export interface LedgerEntryFact {
  /** The entry's database id (entries.id): what the matched-once index holds. */
  readonly id: string;
  /** The entry's public id: what the API shows. */
  readonly publicId: string;
  readonly createdAt: Date;
  /** The entry's date in the bank's time zone. */
  readonly bookedOn: LocalDate;
  readonly amountMinor: bigint;
  readonly externalRef: string | null;
}

export interface Match {
  readonly strategy: MatchStrategyKind;
  readonly lineIds: readonly string[];
  readonly entryIds: readonly string[];
}

export type BreakKind = 'UNMATCHED_STATEMENT' | 'UNMATCHED_LEDGER' | 'MISMATCHED';

export interface PlannedBreak {
  readonly kind: BreakKind;
  readonly lineId: string | null;
  readonly entryIds: readonly string[];
  /** The line's amount, the entry's, or for a mismatch the line's minus the entry's. */
  readonly amountMinor: bigint;
  /** Entry public ids for a line's break, line ids for an entry's; earliest first, at most MAX_CANDIDATES. */
  readonly candidates: readonly string[];
}

export interface Totals {
  readonly count: number;
  readonly totalMinor: bigint;
}

export interface MatchResult {
  readonly matches: readonly Match[];
  readonly breaks: readonly PlannedBreak[];
  readonly matched: Totals;
  readonly unmatchedLedger: Totals;
  readonly unmatchedStatement: Totals;
  readonly mismatched: Totals;
  /** Every line's amount minus every considered entry's: what the two sides disagree on in all. */
  readonly netDifferenceMinor: bigint;
}

/** Candidates listed on a break: enough to resolve it by hand, bounded for the API. */
export const MAX_CANDIDATES = 5;

/** The first business day `count` business days before `date` (0: the date itself). */
function subtractBusinessDays(date: LocalDate, count: number): LocalDate {
  let day = date;
  for (let taken = 0; taken < count; taken += 1) day = previousBusinessDay(day);
  return day;
}

/** The dates within ± `drift` business days of `date`, as an inclusive ISO-date range. */
export function driftWindow(date: LocalDate, drift: number): { readonly from: LocalDate; readonly to: LocalDate } {
  // From a weekend or holiday, the first step in either direction lands on the neighbouring business day.
  return { from: subtractBusinessDays(date, drift), to: addBusinessDays(date, drift) };
}

const within = (date: LocalDate, window: { from: LocalDate; to: LocalDate }) => date >= window.from && date <= window.to;
const absolute = (value: bigint) => (value < 0n ? -value : value);
const sum = (values: Iterable<bigint>) => [...values].reduce((total, value) => total + value, 0n);

/** What a run has left to match, as the strategies consume it. */
class Pool {
  readonly lines: StatementLineFact[];
  readonly entries: LedgerEntryFact[];
  private readonly usedLines = new Set<string>();
  private readonly usedEntries = new Set<string>();
  readonly matches: Match[] = [];
  readonly mismatches: PlannedBreak[] = [];

  constructor(lines: readonly StatementLineFact[], entries: readonly LedgerEntryFact[]) {
    this.lines = [...lines].sort((a, b) => (a.bookedOn < b.bookedOn ? -1 : a.bookedOn > b.bookedOn ? 1 : a.lineNumber - b.lineNumber));
    this.entries = [...entries].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.id, b.id));
  }

  openLines(): StatementLineFact[] {
    return this.lines.filter((line) => !this.usedLines.has(line.id));
  }

  openEntries(): LedgerEntryFact[] {
    return this.entries.filter((entry) => !this.usedEntries.has(entry.id));
  }

  isOpenEntry(entry: LedgerEntryFact): boolean {
    return !this.usedEntries.has(entry.id);
  }

  isOpenLine(line: StatementLineFact): boolean {
    return !this.usedLines.has(line.id);
  }

  take(strategy: MatchStrategyKind, lines: readonly StatementLineFact[], entries: readonly LedgerEntryFact[]): void {
    for (const line of lines) this.usedLines.add(line.id);
    for (const entry of entries) this.usedEntries.add(entry.id);
    this.matches.push({ strategy, lineIds: lines.map((line) => line.id), entryIds: entries.map((entry) => entry.id) });
  }

  mismatch(line: StatementLineFact, entry: LedgerEntryFact): void {
    this.usedLines.add(line.id);
    this.usedEntries.add(entry.id);
    this.mismatches.push({ kind: 'MISMATCHED', lineId: line.id, entryIds: [entry.id], amountMinor: line.amountMinor - entry.amountMinor, candidates: [] });
  }
}

/** Numeric ids (entries.id) compare as numbers; the order is the insertion order. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function byReference<Item>(items: readonly Item[], referenceOf: (item: Item) => string | null): Map<string, Item[]> {
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    const reference = referenceOf(item);
    if (!reference) continue;
    const group = groups.get(reference);
    if (group) group.push(item);
    else groups.set(reference, [item]);
  }
  return groups;
}

/** REFERENCE: the earliest open entry with the line's reference and amount; a lone pair of other amounts is a mismatch. */
function matchByReference(pool: Pool): void {
  const entriesByReference = byReference(pool.openEntries(), (entry) => entry.externalRef);
  const lines = pool.openLines();
  const linesByReference = byReference(lines, (line) => line.reference);
  for (const line of lines) {
    const group = line.reference ? entriesByReference.get(line.reference) : undefined;
    if (!group) continue;
    const open = group.filter((entry) => pool.isOpenEntry(entry));
    const same = open.find((entry) => entry.amountMinor === line.amountMinor);
    if (same) pool.take('REFERENCE', [line], [same]);
    else if (open.length === 1 && group.length === 1 && linesByReference.get(line.reference!)?.length === 1) pool.mismatch(line, open[0]!);
  }
}

/** AMOUNT_DATE: the earliest open entry within the tolerance and the drift. */
function matchByAmountAndDate(pool: Pool, drift: number, toleranceMinor: bigint): void {
  const open = pool.openEntries();
  // Exact amounts (the default, tolerance 0) are one map look-up; a tolerance scans the line's entries of a similar size.
  const byAmount = new Map<bigint, LedgerEntryFact[]>();
  for (const entry of open) {
    const group = byAmount.get(entry.amountMinor);
    if (group) group.push(entry);
    else byAmount.set(entry.amountMinor, [entry]);
  }
  for (const line of pool.openLines()) {
    const window = driftWindow(line.bookedOn, drift);
    const candidates = toleranceMinor === 0n ? (byAmount.get(line.amountMinor) ?? []) : open.filter((entry) => absolute(entry.amountMinor - line.amountMinor) <= toleranceMinor);
    const entry = candidates.find((candidate) => pool.isOpenEntry(candidate) && within(candidate.bookedOn, window));
    if (entry) pool.take('AMOUNT_DATE', [line], [entry]);
  }
}

/** BATCH_REFERENCE: one line and many entries (or many lines and one entry) of one reference, equal sums. */
function matchBatchesByReference(pool: Pool): void {
  const entriesByReference = byReference(pool.openEntries(), (entry) => entry.externalRef);
  for (const [reference, lines] of byReference(pool.openLines(), (line) => line.reference)) {
    const entries = entriesByReference.get(reference) ?? [];
    if (entries.length === 0 || (lines.length > 1 && entries.length > 1)) continue;
    if (sum(lines.map((line) => line.amountMinor)) === sum(entries.map((entry) => entry.amountMinor))) pool.take('BATCH_REFERENCE', lines, entries);
  }
}

/** Calendar dates from `from` to `to`, inclusive (a drift window spans at most a few weeks). */
function datesOf(window: { from: LocalDate; to: LocalDate }): LocalDate[] {
  const dates: LocalDate[] = [];
  for (let day = new Date(`${window.from}T00:00:00Z`); day.toISOString().slice(0, 10) <= window.to; day = new Date(day.getTime() + 86_400_000)) {
    dates.push(day.toISOString().slice(0, 10));
  }
  return dates;
}

function byDate<Item extends { readonly bookedOn: LocalDate }>(items: readonly Item[]): Map<LocalDate, Item[]> {
  const groups = new Map<LocalDate, Item[]>();
  for (const item of items) {
    const group = groups.get(item.bookedOn);
    if (group) group.push(item);
    else groups.set(item.bookedOn, [item]);
  }
  return groups;
}

/**
 * BATCH_DATE_SUM: a line against all open entries of its sign within the drift, when they sum to
 * it (at least two: one alone is AMOUNT_DATE's); then an entry against all open lines of its sign
 * within the drift, likewise. No subset search: a partial batch is a break for a person.
 */
function matchBatchesByDateSum(pool: Pool, drift: number): void {
  const entriesByDate = byDate(pool.openEntries());
  for (const line of pool.openLines()) {
    const entries = datesOf(driftWindow(line.bookedOn, drift))
      .flatMap((date) => entriesByDate.get(date) ?? [])
      .filter((entry) => pool.isOpenEntry(entry) && entry.amountMinor > 0n === line.amountMinor > 0n);
    if (entries.length >= 2 && sum(entries.map((entry) => entry.amountMinor)) === line.amountMinor) pool.take('BATCH_DATE_SUM', [line], entries);
  }
  const linesByDate = byDate(pool.openLines());
  for (const entry of pool.openEntries()) {
    const lines = datesOf(driftWindow(entry.bookedOn, drift))
      .flatMap((date) => linesByDate.get(date) ?? [])
      .filter((line) => pool.isOpenLine(line) && line.amountMinor > 0n === entry.amountMinor > 0n);
    if (lines.length >= 2 && sum(lines.map((line) => line.amountMinor)) === entry.amountMinor) pool.take('BATCH_DATE_SUM', lines, [entry]);
  }
}

function runStrategy(pool: Pool, strategy: MatchStrategy): void {
  switch (strategy.kind) {
    case 'REFERENCE':
      return matchByReference(pool);
    case 'AMOUNT_DATE':
      return matchByAmountAndDate(pool, strategy.driftBusinessDays, BigInt(strategy.amountToleranceMinor));
    case 'BATCH_REFERENCE':
      return matchBatchesByReference(pool);
    case 'BATCH_DATE_SUM':
      return matchBatchesByDateSum(pool, strategy.driftBusinessDays);
  }
}

/** Items with the same amount or the same reference as an item of the other side, earliest first, at most MAX_CANDIDATES. */
function candidateFinder<Item>(items: readonly Item[], amountOf: (item: Item) => bigint, referenceOf: (item: Item) => string | null, idOf: (item: Item) => string) {
  const byAmount = new Map<bigint, Item[]>();
  for (const item of items) {
    const group = byAmount.get(amountOf(item));
    if (group) group.push(item);
    else byAmount.set(amountOf(item), [item]);
  }
  const byRef = byReference(items, referenceOf);
  const order = new Map(items.map((item, index) => [item, index]));
  return (amountMinor: bigint, reference: string | null): string[] => {
    const found = new Set([...(byAmount.get(amountMinor) ?? []).slice(0, MAX_CANDIDATES), ...(reference ? (byRef.get(reference) ?? []).slice(0, MAX_CANDIDATES) : [])]);
    return [...found].sort((a, b) => order.get(a)! - order.get(b)!).slice(0, MAX_CANDIDATES).map(idOf);
  };
}

/** The breaks of what no strategy matched, each with its candidates (same amount or same reference, earliest first). */
function leftoverBreaks(pool: Pool): PlannedBreak[] {
  const lines = pool.openLines();
  const entries = pool.openEntries();
  const entryCandidates = candidateFinder(entries, (entry) => entry.amountMinor, (entry) => entry.externalRef, (entry) => entry.publicId);
  const lineCandidates = candidateFinder(lines, (line) => line.amountMinor, (line) => line.reference, (line) => line.id);
  const lineBreaks = lines.map((line): PlannedBreak => ({
    kind: 'UNMATCHED_STATEMENT',
    lineId: line.id,
    entryIds: [],
    amountMinor: line.amountMinor,
    candidates: entryCandidates(line.amountMinor, line.reference),
  }));
  const entryBreaks = entries.map((entry): PlannedBreak => ({
    kind: 'UNMATCHED_LEDGER',
    lineId: null,
    entryIds: [entry.id],
    amountMinor: entry.amountMinor,
    candidates: lineCandidates(entry.amountMinor, entry.externalRef),
  }));
  return [...lineBreaks, ...entryBreaks];
}

function totalsOf(amounts: readonly bigint[]): Totals {
  return { count: amounts.length, totalMinor: sum(amounts) };
}

/** Matches `lines` against `entries` by `config`'s strategies in order; see the order at the top of this file. */
export function matchStatement(lines: readonly StatementLineFact[], entries: readonly LedgerEntryFact[], config: MatchConfig): MatchResult {
  const pool = new Pool(lines, entries);
  for (const strategy of config.strategies) runStrategy(pool, strategy);
  const lineAmounts = new Map(lines.map((line) => [line.id, line.amountMinor]));
  const breaks = [...pool.mismatches, ...leftoverBreaks(pool)];
  const ofKind = (kind: BreakKind) => breaks.filter((item) => item.kind === kind).map((item) => item.amountMinor);
  return {
    matches: pool.matches,
    breaks,
    matched: { count: pool.matches.length, totalMinor: sum(pool.matches.flatMap((match) => match.lineIds.map((id) => lineAmounts.get(id)!))) },
    unmatchedLedger: totalsOf(ofKind('UNMATCHED_LEDGER')),
    unmatchedStatement: totalsOf(ofKind('UNMATCHED_STATEMENT')),
    mismatched: totalsOf(ofKind('MISMATCHED')),
    netDifferenceMinor: sum(lines.map((line) => line.amountMinor)) - sum(entries.map((entry) => entry.amountMinor)),
  };
}
