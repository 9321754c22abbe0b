import { describe, expect, it } from 'vitest';
import { driftWindow, matchStatement, type LedgerEntryFact, type StatementLineFact } from '../../src/ledger/reconciliation/match-statement.js';
import { DEFAULT_MATCH_CONFIG, type MatchConfig } from '../../src/ledger/reconciliation/strategies.js';

/** Table-driven matching (issue 10 §1): each strategy, the drift's edges, ties to the earliest, never twice. */

let serial = 0;
function line(bookedOn: string, amount: number, reference: string | null = null): StatementLineFact {
  serial += 1;
  return { id: `line-${serial}`, lineNumber: serial, bookedOn, amountMinor: BigInt(amount), reference };
}
function entry(bookedOn: string, amount: number, externalRef: string | null = null, at = '12:00'): LedgerEntryFact {
  serial += 1;
  return { id: String(serial), publicId: `entry-${serial}`, createdAt: new Date(`${bookedOn}T${at}:00Z`), bookedOn, amountMinor: BigInt(amount), externalRef };
}

interface Row {
  readonly name: string;
  readonly lines: readonly StatementLineFact[];
  readonly entries: readonly LedgerEntryFact[];
  readonly config?: MatchConfig;
  /** Each match as "strategy: line indexes -> entry indexes". */
  readonly matches: readonly string[];
  /** Each break as "kind amount". */
  readonly breaks: readonly string[];
}

const ONLY_REFERENCE: MatchConfig = { strategies: [{ kind: 'REFERENCE' }] };
const ONLY_AMOUNT_DATE: MatchConfig = { strategies: [{ kind: 'AMOUNT_DATE', driftBusinessDays: 2, amountToleranceMinor: '0' }] };

function rows(): Row[] {
  // 2026-11-26 is Thanksgiving (a Federal Reserve holiday); 11-28/29 a weekend.
  return [
    { name: 'REFERENCE: same reference and amount, far apart in time', lines: [line('2026-11-02', 10000, 'R1')], entries: [entry('2026-11-20', 10000, 'R1')], matches: ['REFERENCE: 0 -> 0'], breaks: [] },
    { name: 'REFERENCE: same reference, other amount: one MISMATCHED break of the difference', lines: [line('2026-11-30', 10000, 'R2')], entries: [entry('2026-11-30', 9000, 'R2')], matches: [], breaks: ['MISMATCHED 1000'] },
    { name: 'AMOUNT_DATE: 2 business days later matches', lines: [line('2026-11-30', 500)], entries: [entry('2026-12-02', 500)], matches: ['AMOUNT_DATE: 0 -> 0'], breaks: [] },
    { name: 'AMOUNT_DATE: 3 business days later does not', lines: [line('2026-11-30', 500)], entries: [entry('2026-12-03', 500)], matches: [], breaks: ['UNMATCHED_STATEMENT 500', 'UNMATCHED_LEDGER 500'] },
    { name: 'AMOUNT_DATE: 2 business days earlier matches, across Thanksgiving', lines: [line('2026-11-30', 700)], entries: [entry('2026-11-25', 700)], matches: ['AMOUNT_DATE: 0 -> 0'], breaks: [] },
    { name: 'AMOUNT_DATE: 3 business days earlier does not', lines: [line('2026-11-30', 700)], entries: [entry('2026-11-24', 700)], matches: [], breaks: ['UNMATCHED_STATEMENT 700', 'UNMATCHED_LEDGER 700'] },
    { name: 'AMOUNT_DATE: over a weekend, Friday to Tuesday is 2 business days', lines: [line('2026-11-27', 800)], entries: [entry('2026-12-01', 800)], matches: ['AMOUNT_DATE: 0 -> 0'], breaks: [] },
    { name: 'AMOUNT_DATE: Friday to Wednesday is 3', lines: [line('2026-11-27', 800)], entries: [entry('2026-12-02', 800)], matches: [], breaks: ['UNMATCHED_STATEMENT 800', 'UNMATCHED_LEDGER 800'] },
    { name: 'AMOUNT_DATE: amounts must be equal (tolerance 0.00)', lines: [line('2026-11-30', 801)], entries: [entry('2026-11-30', 800)], matches: [], breaks: ['UNMATCHED_STATEMENT 801', 'UNMATCHED_LEDGER 800'] },
    {
      name: 'a line that could match two entries takes the earliest, never both',
      lines: [line('2026-11-30', 2500)],
      entries: [entry('2026-12-01', 2500, null, '09:00'), entry('2026-11-30', 2500, null, '15:00')],
      matches: ['AMOUNT_DATE: 0 -> 1'],
      breaks: ['UNMATCHED_LEDGER 2500'],
    },
    {
      name: 'two lines for one entry: the earlier line takes it',
      lines: [line('2026-12-01', 2600), line('2026-11-30', 2600)],
      entries: [entry('2026-11-30', 2600)],
      matches: ['AMOUNT_DATE: 1 -> 0'],
      breaks: ['UNMATCHED_STATEMENT 2600'],
    },
    { name: 'withdrawals: negative amounts match negative entries only', lines: [line('2026-11-30', -4000)], entries: [entry('2026-11-30', 4000), entry('2026-11-30', -4000)], matches: ['AMOUNT_DATE: 0 -> 1'], breaks: ['UNMATCHED_LEDGER 4000'] },
    {
      name: 'BATCH_REFERENCE one-to-many: one line, three entries of its reference',
      lines: [line('2026-11-30', 30000, 'PAY-1')],
      entries: [entry('2026-11-30', 10000, 'PAY-1'), entry('2026-11-30', 10000, 'PAY-1'), entry('2026-11-30', 10000, 'PAY-1')],
      matches: ['BATCH_REFERENCE: 0 -> 0,1,2'],
      breaks: [],
    },
    {
      name: 'BATCH_REFERENCE many-to-one: two lines, one entry of their reference',
      lines: [line('2026-11-30', 5000, 'B-7'), line('2026-11-30', 5000, 'B-7')],
      entries: [entry('2026-12-07', 10000, 'B-7')],
      matches: ['BATCH_REFERENCE: 0,1 -> 0'],
      breaks: [],
    },
    {
      name: 'BATCH_DATE_SUM: a payroll line against the day\'s deposits summing to it',
      lines: [line('2026-11-30', 50000)],
      entries: [1, 2, 3, 4, 5].map(() => entry('2026-11-30', 10000)),
      matches: ['BATCH_DATE_SUM: 0 -> 0,1,2,3,4'],
      breaks: [],
    },
    {
      name: 'BATCH_DATE_SUM: a partial batch is left for a person',
      lines: [line('2026-11-30', 50000)],
      entries: [1, 2, 3].map(() => entry('2026-11-30', 10000)),
      matches: [],
      breaks: ['UNMATCHED_STATEMENT 50000', 'UNMATCHED_LEDGER 10000', 'UNMATCHED_LEDGER 10000', 'UNMATCHED_LEDGER 10000'],
    },
    {
      name: 'strategies are configurable: REFERENCE alone leaves an amount-and-date pair unmatched',
      lines: [line('2026-11-30', 900)],
      entries: [entry('2026-11-30', 900)],
      config: ONLY_REFERENCE,
      matches: [],
      breaks: ['UNMATCHED_STATEMENT 900', 'UNMATCHED_LEDGER 900'],
    },
    {
      name: 'AMOUNT_DATE alone does not look at references',
      lines: [line('2026-11-02', 1000, 'R9')],
      entries: [entry('2026-11-30', 1000, 'R9')],
      config: ONLY_AMOUNT_DATE,
      matches: [],
      breaks: ['UNMATCHED_STATEMENT 1000', 'UNMATCHED_LEDGER 1000'],
    },
  ];
}

describe('matchStatement', () => {
  it.each(rows().map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const result = matchStatement(row.lines, row.entries, row.config ?? DEFAULT_MATCH_CONFIG);
    const lineIndex = (id: string) => row.lines.findIndex((item) => item.id === id);
    const entryIndex = (id: string) => row.entries.findIndex((item) => item.id === id);
    expect(result.matches.map((match) => `${match.strategy}: ${match.lineIds.map(lineIndex).join(',')} -> ${match.entryIds.map(entryIndex).join(',')}`)).toEqual(row.matches);
    expect(result.breaks.map((item) => `${item.kind} ${item.amountMinor}`)).toEqual(row.breaks);
    // Nothing is matched twice, and every line and entry is either matched or in a break.
    const usedLines = [...result.matches.flatMap((match) => match.lineIds), ...result.breaks.flatMap((item) => (item.lineId ? [item.lineId] : []))];
    const usedEntries = [...result.matches.flatMap((match) => match.entryIds), ...result.breaks.flatMap((item) => item.entryIds)];
    expect(new Set(usedLines).size).toBe(usedLines.length);
    expect(new Set(usedEntries).size).toBe(usedEntries.length);
    expect(usedLines.sort()).toEqual(row.lines.map((item) => item.id).sort());
    expect(usedEntries.sort()).toEqual(row.entries.map((item) => item.id).sort());
    const net = row.lines.reduce((sum, item) => sum + item.amountMinor, 0n) - row.entries.reduce((sum, item) => sum + item.amountMinor, 0n);
    expect(result.netDifferenceMinor).toBe(net);
  });

  it('lists candidates of the same amount or reference on each break, earliest first', () => {
    const lines = [line('2026-11-02', 1234, 'X-1')];
    const entries = [entry('2026-11-20', 1234, null, '10:00'), entry('2026-11-19', 99, 'X-1'), entry('2026-11-25', 5)];
    const result = matchStatement(lines, entries, { strategies: [] });
    const lineBreak = result.breaks.find((item) => item.kind === 'UNMATCHED_STATEMENT')!;
    expect(lineBreak.candidates).toEqual([entries[1]!.publicId, entries[0]!.publicId]);
    const entryBreak = result.breaks.find((item) => item.entryIds[0] === entries[2]!.id)!;
    expect(entryBreak.candidates).toEqual([]);
  });

  it.each([
    ['2026-11-30', 0, '2026-11-30', '2026-11-30'],
    ['2026-11-30', 2, '2026-11-25', '2026-12-02'],
    ['2026-11-28', 1, '2026-11-27', '2026-11-30'],
  ])('driftWindow(%s, %i) is %s..%s', (date, drift, from, to) => {
    expect(driftWindow(date, drift)).toEqual({ from, to });
  });
});
