import type { Context } from '../context.js';
import { accountForLaggingRead } from './lagging-reads.js';
import { recordAudit } from '../auth/audit.js';
import type { BankCalendar } from '../ledger/calendar/business-days.js';
import type { CashMovement } from '../ledger/compliance/cash-movement.js';
import { currencyTransactionReport } from '../ledger/compliance/currency-transaction-report.js';
import { checkReportRange } from '../ledger/compliance/report-range.js';
import { structuringReport } from '../ledger/compliance/structuring-report.js';
import { ValidationError } from '../ledger/errors.js';
import type { AccountView } from '../ledger/queries/accounts.js';
import { balanceAtInstant } from '../ledger/queries/balance-at.js';
import { cashMovementsIn } from '../ledger/queries/cash-movements.js';
import { readStatementLines } from '../ledger/queries/statement-lines.js';
import { buildStatement, type AccountStatement } from '../ledger/statements/build-statement.js';
import { statementPeriod } from '../ledger/statements/statement-period.js';
import { currencyTransactionsCsv, structuringCsv } from '../reports/compliance-csv.js';
import { operatorOf } from './reviews.js';
import type { BalanceView } from './views.js';

/**
 * Statements, balances at an instant and compliance reports (issue 10 §2), for GraphQL and the
 * REST doors alike: the account's visibility is the account's (auth/access.ts: another
 * customer's, or any for a service, is not found; an operator's read is audited there).
 */

/**
 * The balances of a visible account as they were at `at` (null when not visible). `at` later than
 * now is VALIDATION: the future's balances are not known (a hold may expire, a deposit arrive).
 * Before the account's first change the balances are 0 at version 0, also before it opened: no
 * money was there. `asOf` is when the answering line was written (`at` itself when there is none).
 */
export async function resolveBalanceAt(context: Context, accountId: string, at: Date, now = new Date()): Promise<BalanceView | null> {
  if (Number.isNaN(at.getTime())) throw new ValidationError('at must be an instant.', 'at');
  if (at.getTime() > now.getTime()) throw new ValidationError('at is in the future: a balance is known only up to now.', 'at');
  // A past balance is history: a replica may answer it (README "Read replicas").
  const found = await accountForLaggingRead(context, accountId);
  if (!found) return null;
  const { account, database } = found;
  const balance = await balanceAtInstant(database, account.id, at);
  return {
    accountId: account.id,
    currency: account.currency,
    currencyExponent: account.currencyExponent,
    postedMinor: balance.postedMinor,
    pendingMinor: balance.pendingMinor,
    version: balance.version,
    asOf: balance.changedAt ?? at,
  };
}

/** A visible account's statement of `month`, with the account (null when not visible); VALIDATION or LIMIT_EXCEEDED thrown. */
export async function resolveStatement(
  context: Context,
  accountId: string,
  month: string,
  maxLines: number,
  now = new Date(),
): Promise<{ account: AccountView; statement: AccountStatement } | null> {
  const period = statementPeriod(month, context.availability.calendar, now);
  if (period instanceof ValidationError) throw period;
  const found = await accountForLaggingRead(context, accountId);
  if (!found) return null;
  const { account, database } = found;
  const read = await readStatementLines(database, account.id, period.startsAt, period.closesAt, maxLines);
  if (read instanceof Error) throw read;
  const statement = buildStatement({
    accountId: account.id,
    accountNumber: account.number,
    currency: account.currency,
    currencyExponent: account.currencyExponent,
    period,
    openingMinor: read.openingMinor,
    lines: read.lines,
  });
  return { account, statement };
}

export type ComplianceReportKind = 'CURRENCY_TRANSACTIONS' | 'STRUCTURING';

/** Operators only (FORBIDDEN otherwise, before anything is read), audited with its range and size: the report as CSV text. */
export async function resolveComplianceReport(context: Context, kind: ComplianceReportKind, from: Date, to: Date): Promise<string> {
  const viewer = operatorOf(context);
  const range = checkReportRange(from, to);
  if (range instanceof ValidationError) throw range;
  const movements = await cashMovementsIn(await context.followerDatabase(), range);
  if (movements instanceof Error) throw movements;
  const report = reportOf(kind, movements, context.availability.calendar);
  await recordAudit(context.orm.em.fork(), context, {
    action: 'operator.read_compliance_report',
    outcome: 'OK',
    actorUserId: viewer.userId,
    target: kind,
    details: { from: range.from.toISOString(), to: range.to.toISOString(), findings: report.findings },
  });
  return report.csv;
}

function reportOf(kind: ComplianceReportKind, movements: readonly CashMovement[], calendar: BankCalendar): { csv: string; findings: number } {
  if (kind === 'CURRENCY_TRANSACTIONS') {
    const groups = currencyTransactionReport(movements, calendar);
    return { csv: currencyTransactionsCsv(groups), findings: groups.length };
  }
  const windows = structuringReport(movements);
  return { csv: structuringCsv(windows), findings: windows.length };
}
