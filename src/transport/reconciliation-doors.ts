import type { Request, RequestHandler, Response, Router } from 'express';
import { randomUUID } from 'node:crypto';
import { authenticate, type ContextServices } from '../context.js';
import { importStatement } from '../ledger/commands/import-statement.js';
import type { StatementFormat } from '../ledger/reconciliation/parse-statement.js';
import { auditImport } from '../resolvers/reconciliation.js';
import { formatMinor } from '../ledger/money.js';
import { askedFormat, limitedBody } from './streamed-body.js';

/** A statement streamed to the REST door may weigh this much (issue 10 §1: up to 50 MB). */
export const MAX_STREAMED_STATEMENT_BYTES = 50 * 1024 * 1024;

/** CSV unless the body says it is JSON lines (Content-Type application/x-ndjson, application/jsonl) or ?format=JSONL. */
function statementFormatOf(request: Request): StatementFormat {
  const asked = askedFormat(request);
  if (asked) return asked;
  return /ndjson|jsonl|json-lines|jsonlines/i.test(request.header('content-type') ?? '') ? 'JSONL' : 'CSV';
}

function fail(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ error: { code, message } });
}

function optionalString(value: unknown): value is string | undefined | null {
  return value === undefined || value === null || typeof value === 'string';
}

/**
 * The reconciliation upload of issue 10 §1: POST /v1/reconciliation/statements?channel=ACH
 * [&profile=NAME], operators only, the same import as the importStatement mutation but streamed.
 */
export function addReconciliationDoors(router: Router, services: ContextServices, capped: (handler: RequestHandler) => RequestHandler): void {
  const requestIdOf = (request: Request) => String(request.res?.locals.requestId ?? randomUUID());
  // POST /v1/reconciliation/statements?channel=ACH[&profile=NAME]: the body (CSV or JSON lines) is
  // read as it arrives, never buffered whole; Idempotency-Key names the request (default: the file's hash decides).
    router.post('/v1/reconciliation/statements', capped(async (request, response) => {
    const { viewer, problem } = await authenticate(services.signer, request.header('authorization'));
    if (!viewer || problem) return fail(response, 401, 'UNAUTHENTICATED', problem ?? 'Send Authorization: Bearer <accessToken>.');
    const { channel, profile } = request.query;
    if (typeof channel !== 'string' || !optionalString(profile)) return fail(response, 400, 'VALIDATION', 'Pass ?channel=<rail>, and optionally &profile=<name>.');
    const idempotencyKey = request.header('idempotency-key') ?? `statement:${randomUUID()}`;
    const origin = { requestId: requestIdOf(request), clientIp: request.ip ?? 'unknown' };
    const result = await importStatement(
      services.orm,
      viewer,
      { channel, format: statementFormatOf(request), profile: profile ?? null, idempotencyKey, content: limitedBody(request, MAX_STREAMED_STATEMENT_BYTES, 'A statement') },
      auditImport(origin, viewer),
    );
    if ('statement' in result) {
      const { statement, replayed } = result;
      return response.status(replayed ? 200 : 201).json({
        id: statement.id,
        channel: statement.channel,
        profile: statement.profile,
        lines: statement.lines,
        currency: statement.currency,
        total: formatMinor(statement.totalMinor, statement.currencyExponent),
        from: `${statement.from}T00:00:00.000Z`,
        to: `${statement.to}T00:00:00.000Z`,
        replayed,
      });
    }
    // The rest of a refused body is not read: the connection closes after the answer.
    if (!request.complete) response.setHeader('Connection', 'close');
    const status = result.code === 'FORBIDDEN' ? 403 : result.code === 'IDEMPOTENCY_CONFLICT' ? 409 : 400;
    fail(response, status, result.code, result.message);
  }));
}
