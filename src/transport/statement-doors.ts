import type { Request, RequestHandler, Response, Router } from 'express';
import { randomUUID } from 'node:crypto';
import { authenticate, createContext, type Context, type ContextServices } from '../context.js';
import { isOperator } from '../auth/access.js';
import { LimitExceededError, ValidationError } from '../errors/shared-errors.js';
import { MAX_STATEMENT_LINES_DOWNLOAD } from '../ledger/limits.js';
import { resolveComplianceReport, resolveStatement, type ComplianceReportKind } from '../resolvers/statements.js';
import { statementCsv } from '../reports/statement-csv.js';
import { statementPdf } from '../reports/statement-pdf.js';

/**
 * The download doors of issue 10 §2, thin over the same resolvers as GraphQL:
 * `GET /v1/statements/:accountId/:month.pdf|.csv` with the account's own visibility (another
 * customer's account, or any for a service, is 404 exactly like an unknown one), and
 * `GET /v1/reports/:kind.csv?from=&to=` for operators (403 otherwise), audited.
 */
const STATEMENT_FILE = /^(\d{4}-\d{2})\.(pdf|csv)$/;
const REPORT_FILE = /^(currency_transactions|structuring)\.csv$/i;

function fail(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ error: { code, message } });
}

/** The signed-in caller's request context, or undefined after answering 401. */
async function signedInContext(services: ContextServices, request: Request, response: Response): Promise<Context | undefined> {
  const { viewer, problem } = await authenticate(services.signer, request.header('authorization'));
  if (!viewer || problem) {
    fail(response, 401, 'UNAUTHENTICATED', problem ?? 'Send Authorization: Bearer <accessToken>.');
    return undefined;
  }
  return createContext(services, String(response.locals.requestId ?? randomUUID()), request.ip ?? 'unknown', request.header('authorization'));
}

/** A refusal the resolvers throw, as HTTP; anything else is the error handler's (a 500). */
function failTyped(response: Response, error: unknown): void {
  if (error instanceof ValidationError) return fail(response, 400, error.code, error.message);
  if (error instanceof LimitExceededError) return fail(response, 422, error.code, error.message);
  throw error;
}

export function addStatementDoors(router: Router, services: ContextServices, capped: (handler: RequestHandler) => RequestHandler): void {
  router.get('/v1/statements/:accountId/:file', capped(async (request, response) => {
    const file = STATEMENT_FILE.exec(String(request.params.file));
    if (!file) return fail(response, 404, 'NOT_FOUND', 'Statements are at /v1/statements/<accountId>/<YYYY-MM>.pdf or .csv.');
    const context = await signedInContext(services, request, response);
    if (!context) return;
    const [, month, format] = file as unknown as [string, string, 'pdf' | 'csv'];
    const found = await resolveStatement(context, String(request.params.accountId), month, MAX_STATEMENT_LINES_DOWNLOAD).catch((error: unknown) => failTyped(response, error));
    if (found === undefined) return;
    if (found === null) return fail(response, 404, 'NOT_FOUND', 'No such account.');
    const { account, statement } = found;
    const name = `statement-${account.number.slice(-4)}-${month}.${format}`;
    response.setHeader('content-disposition', `attachment; filename="${name}"`);
    response.setHeader('cache-control', 'private, no-store');
    const timeZone = context.availability.calendar.timeZone;
    if (format === 'csv') {
      response.type('text/csv; charset=utf-8').send(statementCsv(statement, timeZone));
      return;
    }
    response.type('application/pdf').send(await statementPdf(statement, { timeZone, accountType: account.type === 'SAVINGS' ? 'Savings' : 'Checking' }));
  }));

  router.get('/v1/reports/:file', capped(async (request, response) => {
    const file = REPORT_FILE.exec(String(request.params.file));
    if (!file) return fail(response, 404, 'NOT_FOUND', 'Reports are at /v1/reports/currency_transactions.csv and /v1/reports/structuring.csv.');
    const context = await signedInContext(services, request, response);
    if (!context) return;
    if (!context.viewer || !isOperator(context.viewer)) return fail(response, 403, 'FORBIDDEN', 'Only operators may read compliance reports.');
    const { from, to } = request.query;
    if (typeof from !== 'string' || typeof to !== 'string') return fail(response, 400, 'VALIDATION', 'Pass ?from=<ISO 8601 instant>&to=<ISO 8601 instant>.');
    const kind = file[1]!.toUpperCase() as ComplianceReportKind;
    const csv = await resolveComplianceReport(context, kind, new Date(from), new Date(to)).catch((error: unknown) => failTyped(response, error));
    if (csv === undefined) return;
    response.setHeader('content-disposition', `attachment; filename="${kind.toLowerCase()}-${from.slice(0, 10)}-${to.slice(0, 10)}.csv"`);
    response.setHeader('cache-control', 'private, no-store');
    response.type('text/csv; charset=utf-8').send(csv);
  }));
}
