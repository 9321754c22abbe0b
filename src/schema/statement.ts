import { formatMinor } from '../ledger/money.js';
import type { AccountStatement, StatementLineFact } from '../ledger/statements/build-statement.js';
import { MAX_STATEMENT_LINES_GRAPHQL } from '../ledger/limits.js';
import { resolveComplianceReport, resolveStatement } from '../resolvers/statements.js';
import { recentStatementMonths } from '../ledger/statements/statement-period.js';
import { builder } from './builder.js';
import { listBound } from './list-bounds.js';

/** A line with the statement's exponent, which its amounts are formatted by. */
type StatementLineView = StatementLineFact & { readonly currencyExponent: number };

const StatementLineType = builder.objectRef<StatementLineView>('StatementLine').implement({
  description: 'One transaction that changed the posted balance in the month. Holds change no posted balance and are not lines; their captures are.',
  fields: (t) => ({
    date: t.field({ type: 'DateTime', description: 'When the transaction was posted.', resolve: (line) => line.at }),
    description: t.string({ nullable: true, description: "The transaction's description, when it has one.", resolve: (line) => line.description }),
    amount: t.field({
      type: 'Decimal',
      description: "The change to the posted balance, from this account's side: positive money in, negative money out (a wire's fee included).",
      resolve: (line) => formatMinor(line.amountMinor, line.currencyExponent),
    }),
    balanceAfter: t.field({ type: 'Decimal', description: 'The posted balance right after this line.', resolve: (line) => formatMinor(line.balanceAfterMinor, line.currencyExponent) }),
    transactionId: t.id({ description: 'The transaction (Query.transaction) behind this line.', resolve: (line) => line.transactionId }),
  }),
});

const AccountStatementType = builder.objectRef<AccountStatement>('AccountStatement').implement({
  description:
    "One account's monthly statement of its posted balance. A month is the calendar month in the bank's time zone (BANK_TIME_ZONE, America/New_York by default), " +
    'from local midnight on the 1st to local midnight on the 1st of the next month; the month still running is covered up to now. ' +
    'closing - opening = totalIn - totalOut, and closing is balance(at:) of the month\'s last instant.',
  fields: (t) => ({
    accountId: t.exposeID('accountId', { description: 'The account.' }),
    month: t.string({ description: 'The month, "YYYY-MM".', resolve: (statement) => statement.period.month }),
    opening: t.field({ type: 'Decimal', description: 'The posted balance when the month began (0 before the account\'s first transaction).', resolve: (s) => formatMinor(s.openingMinor, s.currencyExponent) }),
    closing: t.field({ type: 'Decimal', description: 'The posted balance when the month ended (or now, for the month still running).', resolve: (s) => formatMinor(s.closingMinor, s.currencyExponent) }),
    totalIn: t.field({ type: 'Decimal', description: 'The sum of the lines\' money in.', resolve: (s) => formatMinor(s.totalInMinor, s.currencyExponent) }),
    totalOut: t.field({ type: 'Decimal', description: 'The sum of the lines\' money out, as a positive amount.', resolve: (s) => formatMinor(s.totalOutMinor, s.currencyExponent) }),
    lines: t.field({
      type: [StatementLineType],
      extensions: listBound(MAX_STATEMENT_LINES_GRAPHQL),
      description: `Every line of the month, oldest first. A month of more than ${MAX_STATEMENT_LINES_GRAPHQL.toLocaleString('en-US')} lines is LIMIT_EXCEEDED here: download it (GET /v1/statements/:accountId/:month.csv or .pdf).`,
      resolve: (statement) => statement.lines.map((line) => ({ ...line, currencyExponent: statement.currencyExponent })),
    }),
  }),
});

builder.queryField('statement', (t) =>
  t.field({
    type: AccountStatementType,
    nullable: true,
    description:
      "An account's statement of one month, as a PDF or CSV also at GET /v1/statements/:accountId/:month.pdf|.csv. Null when the account is not found or not yours " +
      "(operators: any customer account, audited). VALIDATION for a malformed month or one that has not begun in the bank's time zone.",
    args: {
      accountId: t.arg.id({ required: true, description: "The account's id." }),
      month: t.arg.string({ required: true, description: 'The calendar month in the bank\'s time zone, "YYYY-MM", e.g. "2026-11".' }),
    },
    resolve: async (_root, args, context) => (await resolveStatement(context, String(args.accountId), args.month, MAX_STATEMENT_LINES_GRAPHQL))?.statement ?? null,
  }),
);

const ComplianceReportKindEnum = builder.enumType('ComplianceReportKind', {
  description: 'Which compliance report. Both count CASH deposits and withdrawals in USD (README "Compliance reports").',
  values: {
    CURRENCY_TRANSACTIONS: {
      description: "Currency transaction report: customers whose cash deposits, or cash withdrawals, total over 10,000.00 in one banking day (the bank's calendar and cut-off), with their transactions.",
    },
    STRUCTURING: {
      description: 'Structuring: two or more cash movements of one customer in one direction, each from 3,000.00 to 10,000.00, within 72 hours, totalling over 10,000.00.',
    },
  },
});

/** As many months as an app offers to download: the month running and the eleven before it. */
const RECENT_STATEMENT_MONTHS = 12;

builder.queryField('statementMonths', (t) =>
  t.stringList({
    extensions: listBound(RECENT_STATEMENT_MONTHS),
    description:
      `The months a statement can be asked for now, newest first: the month running in the bank's time zone (BANK_TIME_ZONE), then the ${RECENT_STATEMENT_MONTHS - 1} before it, as "YYYY-MM". ` +
      "List these rather than working months out in UTC or the device's zone, which name the wrong month for hours around midnight on the 1st.",
    resolve: (_root, _args, context) => recentStatementMonths(context.availability.calendar, new Date(), RECENT_STATEMENT_MONTHS),
  }),
);

builder.queryField('complianceReport', (t) =>
  t.string({
    description:
      'Operators only (FORBIDDEN otherwise), audited: a compliance report of the cash transactions made from `from` (inclusive) to `to` (exclusive), as CSV text ' +
      '(also GET /v1/reports/:kind.csv?from=&to=). VALIDATION unless from < to and the range spans at most 366 days.',
    args: {
      kind: t.arg({ type: ComplianceReportKindEnum, required: true, description: 'Which report.' }),
      from: t.arg({ type: 'DateTime', required: true, description: 'The first instant counted.' }),
      to: t.arg({ type: 'DateTime', required: true, description: 'The instant after the last one counted.' }),
    },
    resolve: (_root, args, context) => resolveComplianceReport(context, args.kind, args.from, args.to),
  }),
);
