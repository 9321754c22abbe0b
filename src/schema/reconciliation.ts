import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_DESCRIPTION_LENGTH } from '../ledger/limits.js';
import { formatMinor } from '../ledger/money.js';
import type { ImportedStatement } from '../ledger/commands/import-statement.js';
import type { RunView } from '../ledger/persistence/reconciliation-runs.js';
import type { BreakView, Page } from '../ledger/queries/reconciliations.js';
import { MAX_CANDIDATES } from '../ledger/reconciliation/match-statement.js';
import { MAX_MATCH_ENTRIES } from '../ledger/reconciliation/decide-resolve-break.js';
import type { StatementProfile } from '../ledger/reconciliation/statement-profile.js';
import { ForbiddenError, ValidationError } from '../ledger/errors.js';
import {
  IMPORT_STATEMENT_ERROR_CLASSES,
  MAX_STATEMENT_CONTENT_BYTES,
  RECONCILE_ERROR_CLASSES,
  RESOLVE_BREAK_ERROR_CLASSES,
  MAX_STATEMENT_PROFILES,
  readBreaks,
  readReconciliation,
  readStatementProfiles,
  resolveSaveStatementProfile,
  readReconciliations,
  resolveImportStatement,
  resolveReconcile,
  resolveResolveBreak,
} from '../resolvers/reconciliation.js';
import { builder } from './builder.js';
import { ChannelEnum } from './enums.js';
import './errors.js';
import { listBound } from './list-bounds.js';
import { PageInfoType } from './page-info.js';

// Reconciliation against the rails' statements (issue 10 §1; README "Reconciliation"). Operators only.

const keyDescription = 'Your unique key for this request (1-128 printable characters). Retry with the same key: it happens at most once.';

const StatementFormatEnum = builder.enumType('StatementFormat', {
  description: 'How a statement file is written.',
  values: {
    CSV: { description: 'Comma-separated values with a header line naming the columns (RFC 4180 quoting).' },
    JSONL: { description: 'JSON lines: one JSON object per line, its keys the column names.' },
  },
});

const StatementImportType = builder.objectRef<ImportedStatement>('StatementImport').implement({
  description: "A rail's statement as imported: what the rail says moved through the bank's settlement account on that channel.",
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'statement' in value && 'replayed' in value,
  fields: (t) => ({
    id: t.id({ description: 'The statement; pass it to `reconcile`.', resolve: ({ statement }) => statement.id }),
    channel: t.field({ type: ChannelEnum, description: 'The rail the statement is of.', resolve: ({ statement }) => statement.channel }),
    profile: t.string({ description: 'The column profile the file was read with.', resolve: ({ statement }) => statement.profile }),
    lines: t.int({ description: 'How many statement lines the file holds.', resolve: ({ statement }) => statement.lines }),
    currency: t.string({ description: 'The ISO 4217 currency of every line.', resolve: ({ statement }) => statement.currency }),
    total: t.field({
      type: 'Decimal',
      description: "The lines' sum, money into the bank positive and out of it negative.",
      resolve: ({ statement }) => formatMinor(statement.totalMinor, statement.currencyExponent),
    }),
    from: t.field({ type: 'DateTime', description: 'The earliest booking date of a line, at midnight UTC.', resolve: ({ statement }) => new Date(`${statement.from}T00:00:00Z`) }),
    to: t.field({ type: 'DateTime', description: 'The latest booking date of a line, at midnight UTC.', resolve: ({ statement }) => new Date(`${statement.to}T00:00:00Z`) }),
    replayed: t.exposeBoolean('replayed', {
      description: 'True when this file (same bytes, same channel) or this idempotency key was imported before: this is that import, nothing was imported again.',
    }),
  }),
});

interface TotalsView {
  readonly count: number;
  readonly totalMinor: bigint;
  readonly currencyExponent: number;
}

const MatchTotalsType = builder.objectRef<TotalsView>('MatchTotals').implement({
  description: 'How many, and their amounts summed (money into the bank positive).',
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'How many.' }),
    total: t.field({ type: 'Decimal', description: 'Their amounts summed, signed.', resolve: (totals) => formatMinor(totals.totalMinor, totals.currencyExponent) }),
  }),
});

const BREAK_KIND_TEXT = 'UNMATCHED_STATEMENT (a statement line the ledger lacks), UNMATCHED_LEDGER (a settlement entry the statement lacks) or MISMATCHED (same reference, different amounts)';

const ReconciliationBreakType = builder.objectRef<BreakView>('ReconciliationBreak').implement({
  description: 'A difference between a statement and the ledger, for an operator to resolve (`resolveBreak`).',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'candidates' in value && 'kind' in value,
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The break; pass it to `resolveBreak`.' }),
    kind: t.exposeString('kind', { description: `What differs: ${BREAK_KIND_TEXT}.` }),
    statementLine: t.exposeString('statementLine', { nullable: true, description: 'The statement line, e.g. "line 3: 2026-11-30 +125.00 ref ACH-1001"; null for a ledger entry\'s break.' }),
    lineNumber: t.exposeInt('lineNumber', { nullable: true, description: 'The line\'s number in the file (the header is line 1 of a CSV); null for a ledger entry\'s break.' }),
    entryIds: t.exposeIDList('entryIds', { extensions: listBound(1), description: 'The ledger entries of the break (UNMATCHED_LEDGER and MISMATCHED: one).' }),
    amount: t.field({
      type: 'Decimal',
      description: "Signed, money into the bank positive: the line's amount, the entry's, or for MISMATCHED the line's minus the entry's.",
      resolve: (item) => formatMinor(item.amountMinor, item.currencyExponent),
    }),
    status: t.exposeString('status', { description: 'OPEN, or how it was resolved: MATCHED (by hand), ADJUSTED (an adjustment against SUSPENSE) or EXPECTED (in a later statement).' }),
    candidates: t.exposeIDList('candidates', {
      extensions: listBound(MAX_CANDIDATES),
      description: `At most ${MAX_CANDIDATES} unmatched counterparts of the same amount or reference, earliest first: entry ids for a line's break, statement line ids for an entry's.`,
    }),
    dueAt: t.field({ type: 'DateTime', description: 'When an open break becomes overdue (RECONCILIATION_SLA business days after it was found).', resolve: (item) => item.dueAt }),
    overdue: t.boolean({ description: 'Open past dueAt: such breaks are listed first.', resolve: (item) => item.status === 'OPEN' && item.dueAt.getTime() < Date.now() }),
    reason: t.exposeString('resolutionReason', { nullable: true, description: "The resolving operator's reason." }),
    adjustmentTransactionId: t.exposeID('adjustmentTransactionId', { nullable: true, description: 'The ADJUSTMENT transaction an ADJUST posted.' }),
  }),
});

const ReconciliationBreakEdgeType = builder.objectRef<Page<BreakView>['lines'][number]>('ReconciliationBreakEdge').implement({
  description: 'A break with its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque; pass it as `after` for the breaks listed after this one.' }),
    node: t.field({ type: ReconciliationBreakType, description: 'The break.', resolve: (edge) => edge.node }),
  }),
});

const ReconciliationBreakConnectionType = builder.objectRef<Page<BreakView>>('ReconciliationBreakConnection').implement({
  description: `A run's breaks: open ones first, by due time (overdue first), then resolved ones; at most ${MAX_PAGE_SIZE} a page (default ${DEFAULT_PAGE_SIZE}).`,
  fields: (t) => ({
    edges: t.field({ type: [ReconciliationBreakEdgeType], extensions: listBound('page'), description: 'The breaks of this page.', resolve: (page) => page.lines }),
    pageInfo: t.field({ type: PageInfoType, description: 'Where this page sits.', resolve: (page) => page }),
  }),
});

const totals = (run: RunView, of: 'matched' | 'unmatchedLedger' | 'unmatchedStatement' | 'mismatched'): TotalsView => ({ ...run[of], currencyExponent: run.currencyExponent });

const ReconciliationRunType = builder.objectRef<RunView>('ReconciliationRun').implement({
  description: 'One reconciliation of a statement against its channel\'s settlement account: what matched, what did not, and the breaks. Recorded with its inputs (the strategies).',
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'linesTotal' in value && 'statementId' in value,
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The run.' }),
    statementId: t.exposeID('statementId', { description: 'The statement it reconciled.' }),
    channel: t.field({ type: ChannelEnum, description: 'The statement\'s rail.', resolve: (run) => run.channel }),
    status: t.exposeString('status', { description: 'RUNNING while it reads and matches, COMPLETED once its matches and breaks are written.' }),
    linesTotal: t.exposeInt('linesTotal', { description: 'Statement lines the run set out to match (those no earlier run matched).' }),
    linesDone: t.exposeInt('linesDone', { description: 'Lines read so far: the progress of a long run, updated every 5,000 lines.' }),
    progress: t.float({ description: 'linesDone / linesTotal, 0 to 1 (1 for an empty run).', resolve: (run) => (run.linesTotal === 0 ? 1 : run.linesDone / run.linesTotal) }),
    strategies: t.string({ description: 'The matching strategies it ran, in order, with their parameters (JSON): its recorded input.', resolve: (run) => JSON.stringify(run.config.strategies) }),
    matched: t.field({ type: MatchTotalsType, description: 'Matches (a batch is one) and the amounts of their statement lines.', resolve: (run) => totals(run, 'matched') }),
    unmatchedLedger: t.field({ type: MatchTotalsType, description: 'Settlement entries the statement lacks.', resolve: (run) => totals(run, 'unmatchedLedger') }),
    unmatchedStatement: t.field({ type: MatchTotalsType, description: 'Statement lines the ledger lacks.', resolve: (run) => totals(run, 'unmatchedStatement') }),
    mismatched: t.field({ type: MatchTotalsType, description: 'Lines and entries with the same reference and different amounts; total: the differences.', resolve: (run) => totals(run, 'mismatched') }),
    netDifference: t.field({
      type: 'Decimal',
      description: "The statement's lines minus the ledger entries the run considered: what the two sides disagree on in all.",
      resolve: (run) => formatMinor(run.netDifferenceMinor, run.currencyExponent),
    }),
    breaks: t.field({
      type: ReconciliationBreakConnectionType,
      description: 'The breaks it found, open ones first (overdue first), a page at a time. VALIDATION for a cursor this connection did not give.',
      args: {
        first: t.arg.int({ description: `Breaks from the start (or after \`after\`), 0 to ${MAX_PAGE_SIZE}; default ${DEFAULT_PAGE_SIZE}.` }),
        after: t.arg.string({ description: 'A cursor from an earlier page.' }),
      },
      resolve: (run, { first, after }, context) => readBreaks(context, run, first ?? null, after ?? null),
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it started.', resolve: (run) => run.createdAt }),
    completedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it completed; null while RUNNING.', resolve: (run) => run.completedAt }),
  }),
});

const ReconciliationRunEdgeType = builder.objectRef<Page<RunView>['lines'][number]>('ReconciliationRunEdge').implement({
  description: 'A run with its cursor.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque; pass it as `after` for older runs.' }),
    node: t.field({ type: ReconciliationRunType, description: 'The run.', resolve: (edge) => edge.node }),
  }),
});

const ReconciliationRunConnectionType = builder.objectRef<Page<RunView>>('ReconciliationRunConnection').implement({
  description: `Reconciliation runs, newest first; at most ${MAX_PAGE_SIZE} a page (default ${DEFAULT_PAGE_SIZE}).`,
  fields: (t) => ({
    edges: t.field({ type: [ReconciliationRunEdgeType], extensions: listBound('page'), description: 'The runs of this page, newest first.', resolve: (page) => page.lines }),
    pageInfo: t.field({ type: PageInfoType, description: 'Where this page sits.', resolve: (page) => page }),
  }),
});

builder.queryField('reconciliation', (t) =>
  t.field({
    type: ReconciliationRunType,
    nullable: true,
    description: 'Operators only (FORBIDDEN otherwise): one reconciliation run, its totals and breaks; null when there is none of this id.',
    args: { id: t.arg.id({ required: true, description: 'The run\'s id (from `reconcile` or `reconciliations`).' }) },
    resolve: (_root, { id }, context) => readReconciliation(context, String(id)),
  }),
);

builder.queryField('reconciliations', (t) =>
  t.field({
    type: ReconciliationRunConnectionType,
    description: 'Operators only (FORBIDDEN otherwise): reconciliation runs, newest first, a page at a time.',
    args: {
      channel: t.arg({ type: ChannelEnum, required: false, description: 'Only runs of this rail; all when absent.' }),
      first: t.arg.int({ description: `Runs from the newest (or after \`after\`), 0 to ${MAX_PAGE_SIZE}; default ${DEFAULT_PAGE_SIZE}.` }),
      after: t.arg.string({ description: 'A cursor from an earlier page: continue with older runs.' }),
    },
    resolve: (_root, { channel, first, after }, context) => readReconciliations(context, channel ?? null, first ?? null, after ?? null),
  }),
);

const ImportStatementInput = builder.inputType('ImportStatementInput', {
  description: `A rail's statement to import, at most ${MAX_STATEMENT_CONTENT_BYTES} bytes here (POST /v1/reconciliation/statements streams up to 50 MB).`,
  fields: (t) => ({
    channel: t.field({ type: ChannelEnum, required: true, description: 'The rail whose statement this is (not INTERNAL).' }),
    format: t.field({ type: StatementFormatEnum, required: true, description: 'CSV or JSON lines.' }),
    profile: t.string({ required: false, description: 'The stored column profile to read it with ("default", "bank-export"); absent: "default" (columns date, amount, direction, reference, description, currency).' }),
    content: t.string({ required: true, description: 'The file\'s text. A malformed line refuses the whole file, naming the line.' }),
    idempotencyKey: t.string({ required: true, description: keyDescription }),
  }),
});

const ReconcileInput = builder.inputType('ReconcileInput', {
  description: 'A statement to reconcile against its channel\'s settlement account.',
  fields: (t) => ({
    statementId: t.id({ required: true, description: 'An imported statement (`importStatement`).' }),
    idempotencyKey: t.string({ required: true, description: keyDescription }),
  }),
});

const BreakActionEnum = builder.enumType('BreakAction', {
  description: 'How an operator resolves a break.',
  values: {
    MATCH: { description: 'Match a statement line\'s break by hand with ledger entries (entryIds) of the settlement account that sum to the line.' },
    ADJUST: { description: 'Post the difference as an ADJUSTMENT between the settlement account and SUSPENSE, with a reason: a ledger transaction, never an edit.' },
    EXPECT_LATER: { description: 'Mark an unmatched line or entry as expected in a later statement; it stays unmatched, so a later run can match it.' },
  },
});

const ResolveBreakInput = builder.inputType('ResolveBreakInput', {
  description: 'An operator\'s resolution of one open break.',
  fields: (t) => ({
    breakId: t.id({ required: true, description: 'The break (OPEN).' }),
    action: t.field({ type: BreakActionEnum, required: true, description: 'How to resolve it.' }),
    entryIds: t.idList({ required: false, description: `For MATCH: 1 to ${MAX_MATCH_ENTRIES} ledger entry ids (see candidates) summing to the line.` }),
    reason: t.string({ required: false, description: `Why, kept with the break and in the audit log; required for ADJUST (at most ${MAX_DESCRIPTION_LENGTH} characters).` }),
    idempotencyKey: t.string({ required: true, description: keyDescription }),
  }),
});

builder.mutationField('importStatement', (t) =>
  t.field({
    type: builder.errorUnion('ImportStatementResult', { description: 'The imported statement, or why nothing was imported.', types: [StatementImportType, ...IMPORT_STATEMENT_ERROR_CLASSES] }),
    description: 'Operators only (FORBIDDEN otherwise), audited: imports a rail\'s statement. The same file again is a replay. A malformed line is VALIDATION naming its line, and nothing is imported.',
    args: { input: t.arg({ type: ImportStatementInput, required: true, description: 'The statement file and how to read it.' }) },
    resolve: (_root, { input }, context) =>
      resolveImportStatement(context, { channel: input.channel, format: input.format, profile: input.profile ?? null, content: input.content, idempotencyKey: input.idempotencyKey }),
  }),
);

builder.mutationField('reconcile', (t) =>
  t.field({
    type: builder.errorUnion('ReconcileResult', { description: 'The run, or why none was made.', types: [ReconciliationRunType, ...RECONCILE_ERROR_CLASSES] }),
    description:
      'Operators only (FORBIDDEN otherwise), audited: matches the statement\'s unmatched lines with the settlement account\'s unmatched entries by the configured strategies (RECONCILIATION_STRATEGIES) and records the run, its matches and its breaks.',
    args: { input: t.arg({ type: ReconcileInput, required: true, description: 'Which statement to reconcile.' }) },
    resolve: (_root, { input }, context) => resolveReconcile(context, { statementId: String(input.statementId), idempotencyKey: input.idempotencyKey }),
  }),
);

builder.mutationField('resolveBreak', (t) =>
  t.field({
    type: builder.errorUnion('ResolveBreakResult', { description: 'The break as resolved, or why it was not.', types: [ReconciliationBreakType, ...RESOLVE_BREAK_ERROR_CLASSES] }),
    description: 'Operators only (FORBIDDEN otherwise), audited: resolves an open break once (a break already resolved is VALIDATION and changes nothing).',
    args: { input: t.arg({ type: ResolveBreakInput, required: true, description: 'Which break, and how to resolve it.' }) },
    resolve: (_root, { input }, context) =>
      resolveResolveBreak(context, {
        breakId: String(input.breakId),
        action: input.action,
        entryIds: (input.entryIds ?? []).map(String),
        reason: input.reason ?? null,
        idempotencyKey: input.idempotencyKey,
      }),
  }),
);

const StatementProfileColumnsType = builder.objectRef<StatementProfile['columns']>('StatementProfileColumns').implement({
  description: 'Which column (CSV header or JSON key) holds each field of a statement line.',
  fields: (t) => ({
    date: t.exposeString('date', { description: 'The booking date, YYYY-MM-DD.' }),
    amount: t.exposeString('amount', { description: 'The amount: a decimal, signed when there is no direction column.' }),
    direction: t.string({ nullable: true, description: 'Money in or out (creditWords / debitWords); null: the amount carries its sign.', resolve: (columns) => columns.direction ?? null }),
    reference: t.string({ nullable: true, description: "The rail's reference, matched with transactions' externalRef.", resolve: (columns) => columns.reference ?? null }),
    description: t.string({ nullable: true, description: 'Free text.', resolve: (columns) => columns.description ?? null }),
    currency: t.string({ nullable: true, description: 'The ISO 4217 currency; null: the default currency.', resolve: (columns) => columns.currency ?? null }),
  }),
});

const StatementProfileType = builder.objectRef<StatementProfile>('StatementProfile').implement({
  description: "A stored mapping of a bank's statement file to statement lines, so its file imports without editing.",
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'creditWords' in value,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'What `profile` names when importing.' }),
    columns: t.field({ type: StatementProfileColumnsType, description: 'Which column holds each field.', resolve: (profile) => profile.columns }),
    creditWords: t.exposeStringList('creditWords', { extensions: listBound(10), description: 'Direction words (any case) for money into the bank.' }),
    debitWords: t.exposeStringList('debitWords', { extensions: listBound(10), description: 'Direction words (any case) for money out of it.' }),
    defaultCurrency: t.exposeString('defaultCurrency', { description: 'The currency of a line without one.' }),
  }),
});

const StatementProfileColumnsInput = builder.inputType('StatementProfileColumnsInput', {
  description: 'Which column (CSV header or JSON key) holds each field; each name 1-100 characters.',
  fields: (t) => ({
    date: t.string({ required: true, description: 'The booking date column.' }),
    amount: t.string({ required: true, description: 'The amount column.' }),
    direction: t.string({ required: false, description: 'The direction column; absent: amounts carry their sign.' }),
    reference: t.string({ required: false, description: 'The reference column.' }),
    description: t.string({ required: false, description: 'The description column.' }),
    currency: t.string({ required: false, description: 'The currency column; absent: defaultCurrency.' }),
  }),
});

const SaveStatementProfileInput = builder.inputType('SaveStatementProfileInput', {
  description: 'A statement profile to save under its name (replacing the one of that name).',
  fields: (t) => ({
    name: t.string({ required: true, description: '1-64 lower-case letters, digits, "-" or "_".' }),
    columns: t.field({ type: StatementProfileColumnsInput, required: true, description: 'Which column holds each field.' }),
    creditWords: t.stringList({ required: false, description: 'Words for money in (1-10); default CREDIT, CR, C.' }),
    debitWords: t.stringList({ required: false, description: 'Words for money out (1-10); default DEBIT, DR, D.' }),
    defaultCurrency: t.string({ required: false, description: 'ISO 4217 code for lines without a currency; default USD.' }),
  }),
});

builder.queryField('statementProfiles', (t) =>
  t.field({
    type: [StatementProfileType],
    extensions: listBound(MAX_STATEMENT_PROFILES),
    description: `Operators only (FORBIDDEN otherwise): the stored statement profiles, by name (at most ${MAX_STATEMENT_PROFILES}).`,
    resolve: (_root, _args, context) => readStatementProfiles(context),
  }),
);

builder.mutationField('saveStatementProfile', (t) =>
  t.field({
    type: builder.errorUnion('SaveStatementProfileResult', { description: 'The saved profile, or why it was refused.', types: [StatementProfileType, ValidationError, ForbiddenError] }),
    description: "Operators only (FORBIDDEN otherwise), audited: stores how a bank's statement file maps to lines, for `importStatement(profile:)` and `?profile=`.",
    args: { input: t.arg({ type: SaveStatementProfileInput, required: true, description: 'The profile to save.' }) },
    resolve: (_root, { input }, context) =>
      resolveSaveStatementProfile(context, {
        name: input.name,
        columns: {
          date: input.columns.date,
          amount: input.columns.amount,
          ...(input.columns.direction ? { direction: input.columns.direction } : {}),
          ...(input.columns.reference ? { reference: input.columns.reference } : {}),
          ...(input.columns.description ? { description: input.columns.description } : {}),
          ...(input.columns.currency ? { currency: input.columns.currency } : {}),
        },
        creditWords: input.creditWords ?? ['CREDIT', 'CR', 'C'],
        debitWords: input.debitWords ?? ['DEBIT', 'DR', 'D'],
        defaultCurrency: input.defaultCurrency ?? 'USD',
      }),
  }),
);
