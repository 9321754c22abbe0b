import { describe, expect, it } from 'vitest';
import { decideResolveBreak, type BreakResolutionPlan, type ResolveBreakRequest } from '../../src/ledger/reconciliation/decide-resolve-break.js';
import type { BreakSnapshot, EntryFact } from '../../src/ledger/reconciliation/break-snapshot.js';
import { Replay, type BreakResolutionOutcome, type KeyState } from '../../src/ledger/commands/command.js';
import { ValidationError } from '../../src/ledger/errors.js';
import type { Role } from '../../src/ledger/types.js';
import { snapshotsOf, TEST_NOW } from './snapshots.js';

/** Resolving a break: every check in its documented order, the first failure wins (TigerBeetle's precedence tests). */
const BREAK_ID = '00000000-0000-4000-8000-00000000b001';
const SETTLEMENT = '00000000-0000-4000-8000-00000000a5e7';

function aBreak(overrides: Partial<BreakSnapshot> = {}): BreakSnapshot {
  return {
    id: BREAK_ID, runId: 'run', kind: 'UNMATCHED_STATEMENT', status: 'OPEN', channel: 'ACH', currency: 'USD', currencyExponent: 2,
    settlementAccountId: SETTLEMENT, lineId: 'line', lineMatched: false, entryIds: [], entriesMatched: false, amountMinor: 6000n, ...overrides,
  };
}
const entries = new Map<string, EntryFact>([
  ['e1', { id: '11', publicId: 'e1', accountId: SETTLEMENT, amountMinor: 3000n, matched: false }],
  ['e2', { id: '12', publicId: 'e2', accountId: SETTLEMENT, amountMinor: 3000n, matched: false }],
  ['taken', { id: '13', publicId: 'taken', accountId: SETTLEMENT, amountMinor: 6000n, matched: true }],
  ['elsewhere', { id: '14', publicId: 'elsewhere', accountId: 'another-account', amountMinor: 6000n, matched: false }],
]);

interface Row {
  readonly name: string;
  readonly request: Partial<ResolveBreakRequest>;
  readonly role?: Role;
  readonly key?: KeyState<BreakResolutionOutcome>;
  readonly snapshot?: BreakSnapshot | null;
  readonly expected: string;
}

function outcomeOf(result: unknown): string {
  if (result instanceof Replay) return 'REPLAY';
  if (result instanceof ValidationError) return `VALIDATION ${result.field ?? ''}`.trim();
  if (result instanceof Error && 'code' in result) return String(result.code);
  const plan = result as BreakResolutionPlan;
  const legs = plan.adjustment?.entries.map((entry) => `${entry.direction} ${'internalCode' in entry.target ? entry.target.internalCode : '?'} ${entry.amountMinor}`) ?? [];
  return [plan.status, ...plan.matchedEntryIds, ...legs].join(' ');
}

const ROWS: Row[] = [
  { name: '1 a replay answers first, whatever the rest', request: { action: 'ADJUST', reason: null }, role: 'CUSTOMER', key: { kind: 'replay', outcome: { ok: true, breakId: BREAK_ID } }, expected: 'REPLAY' },
  { name: '1 a conflicting key', request: {}, key: { kind: 'conflict' }, expected: 'IDEMPOTENCY_CONFLICT' },
  { name: '2 a customer is FORBIDDEN before the reason is looked at', request: { action: 'ADJUST', reason: null }, role: 'CUSTOMER', expected: 'FORBIDDEN' },
  { name: '2 a service is FORBIDDEN', request: {}, role: 'SERVICE', expected: 'FORBIDDEN' },
  { name: '3 ADJUST without a reason', request: { action: 'ADJUST', reason: ' ' }, snapshot: null, expected: 'VALIDATION reason' },
  { name: '3 entryIds with another action', request: { action: 'EXPECT_LATER', entryIds: ['e1'] }, snapshot: null, expected: 'VALIDATION entryIds' },
  { name: '4 an unknown break', request: {}, snapshot: null, expected: 'NOT_FOUND' },
  { name: '5 a break resolved already', request: {}, snapshot: aBreak({ status: 'ADJUSTED' }), expected: 'VALIDATION breakId' },
  { name: 'MATCH: two entries summing to the line', request: { action: 'MATCH', entryIds: ['e1', 'e2'] }, expected: 'MATCHED 11 12' },
  { name: 'MATCH: a sum that differs', request: { action: 'MATCH', entryIds: ['e1'] }, expected: 'VALIDATION entryIds' },
  { name: 'MATCH: an entry matched already', request: { action: 'MATCH', entryIds: ['taken'] }, expected: 'VALIDATION entryIds' },
  { name: 'MATCH: an entry of another account', request: { action: 'MATCH', entryIds: ['elsewhere'] }, expected: 'VALIDATION entryIds' },
  { name: 'MATCH: a ledger entry\'s break is not matched by hand', request: { action: 'MATCH', entryIds: ['e1'] }, snapshot: aBreak({ kind: 'UNMATCHED_LEDGER', lineId: null, entryIds: ['20'] }), expected: 'VALIDATION action' },
  { name: 'ADJUST a line the ledger lacks: money in debits the settlement account', request: { action: 'ADJUST', reason: 'r' }, expected: 'ADJUSTED DEBIT SETTLEMENT_ACH 6000 CREDIT SUSPENSE 6000' },
  { name: 'ADJUST a fee line (money out) credits it', request: { action: 'ADJUST', reason: 'r' }, snapshot: aBreak({ amountMinor: -1500n }), expected: 'ADJUSTED CREDIT SETTLEMENT_ACH 1500 DEBIT SUSPENSE 1500' },
  { name: 'ADJUST an entry the statement lacks takes it back', request: { action: 'ADJUST', reason: 'r' }, snapshot: aBreak({ kind: 'UNMATCHED_LEDGER', lineId: null, entryIds: ['20'], amountMinor: 4500n }), expected: 'ADJUSTED CREDIT SETTLEMENT_ACH 4500 DEBIT SUSPENSE 4500' },
  { name: 'ADJUST a mismatch posts the difference', request: { action: 'ADJUST', reason: 'r' }, snapshot: aBreak({ kind: 'MISMATCHED', entryIds: ['20'], amountMinor: 500n }), expected: 'ADJUSTED DEBIT SETTLEMENT_ACH 500 CREDIT SUSPENSE 500' },
  { name: 'ADJUST a line matched meanwhile', request: { action: 'ADJUST', reason: 'r' }, snapshot: aBreak({ lineMatched: true }), expected: 'VALIDATION breakId' },
  { name: 'EXPECT_LATER an unmatched line', request: { action: 'EXPECT_LATER' }, expected: 'EXPECTED' },
  { name: 'EXPECT_LATER a mismatch', request: { action: 'EXPECT_LATER' }, snapshot: aBreak({ kind: 'MISMATCHED', entryIds: ['20'] }), expected: 'VALIDATION action' },
];

describe('decideResolveBreak', () => {
  it.each(ROWS.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const request: ResolveBreakRequest = { breakId: BREAK_ID, action: 'MATCH', entryIds: [], reason: null, ...row.request };
    const snapshot = row.snapshot === undefined ? aBreak() : row.snapshot;
    const snapshots = snapshotsOf<BreakResolutionOutcome>([], { role: row.role ?? 'OPERATOR', ...(row.key ? { key: row.key } : {}), breaks: snapshot ? [snapshot] : [] });
    expect(outcomeOf(decideResolveBreak(request, entries, snapshots, TEST_NOW))).toBe(row.expected);
  });
});
