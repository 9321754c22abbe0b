import { Router, json, type Request, type RequestHandler, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { authenticate, createContext, type ContextServices } from '../context.js';
import { generateToken } from '../auth/login.js';
import { visibleAccount } from '../auth/access.js';
import { availableMinor } from '../ledger/decide/funds.js';
import { InvalidCredentialsError } from '../auth/errors.js';
import { LimitExceededError } from '../errors/shared-errors.js';
import { formatMinor } from '../ledger/money.js';
import { importStatement } from '../ledger/commands/import-statement.js';
import { ValidationError } from '../errors/shared-errors.js';
import type { StatementFormat } from '../ledger/reconciliation/parse-statement.js';
import { auditImport } from '../resolvers/reconciliation.js';

/** A statement streamed to the REST door may weigh this much (issue 10 §1: up to 50 MB). */
export const MAX_STREAMED_STATEMENT_BYTES = 50 * 1024 * 1024;

/** Passes a request body on chunk by chunk, refusing it once it passes `limit` bytes. */
async function* limited(body: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > limit) throw new ValidationError(`A statement may be at most ${limit} bytes.`, 'content');
    yield chunk;
  }
}

/** CSV unless the body says it is JSON lines (Content-Type application/x-ndjson, application/jsonl) or ?format=JSONL. */
function statementFormatOf(request: Request): StatementFormat {
  const asked = typeof request.query.format === 'string' ? request.query.format.toUpperCase() : undefined;
  if (asked === 'JSONL' || asked === 'CSV') return asked;
  return /ndjson|jsonl|json-lines|jsonlines/i.test(request.header('content-type') ?? '') ? 'JSONL' : 'CSV';
}

/**
 * The seed design's REST doors, thin over the same services as GraphQL: the same sign-in (and its
 * limits and audit), the same visibility rule for balances.
 */
function fail(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ error: { code, message } });
}

function optionalString(value: unknown): value is string | undefined | null {
  return value === undefined || value === null || typeof value === 'string';
}

/** `capped` wraps the doors a signed-in user calls in that user's concurrency cap. */
export function restRouter(services: ContextServices, maxBodyBytes: number, capped: (handler: RequestHandler) => RequestHandler = (handler) => handler): Router {
  const router = Router();
  const requestIdOf = (request: Request) => String(request.res?.locals.requestId ?? randomUUID());

  router.post('/v1/generate_token', json({ limit: maxBodyBytes }), async (request, response) => {
    const { username, password, otp } = (request.body ?? {}) as Record<string, unknown>;
    if (typeof username !== 'string' || typeof password !== 'string' || !optionalString(otp)) {
      fail(response, 400, 'VALIDATION', 'Send a JSON body {"username": "...", "password": "...", "otp": "..."} (otp once two-factor is on).');
      return;
    }
    const result = await generateToken(services.auth, { username, password, otp }, { requestId: requestIdOf(request), clientIp: request.ip ?? 'unknown' });
    if (result instanceof LimitExceededError) {
      // RFC 9110 §10.2.3: delay-seconds until the same request could be allowed.
      if (result.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(result.retryAfterSeconds));
      return fail(response, 429, result.code, result.message);
    }
    if (result instanceof InvalidCredentialsError) return fail(response, 401, result.code, result.message);
    response.json({ token: result.accessToken, expirationTimestamp: result.accessTokenExpiresAt.toISOString(), refreshToken: result.refreshToken });
  });

  router.get('/v1/balance', capped(async (request, response) => {
    const { viewer, problem } = await authenticate(services.signer, request.header('authorization'));
    if (!viewer || problem) return fail(response, 401, 'UNAUTHENTICATED', problem ?? 'Send Authorization: Bearer <accessToken>.');
    const accountId = request.query.accountId;
    if (typeof accountId !== 'string') return fail(response, 400, 'VALIDATION', 'Pass ?accountId=<id>.');
    const context = await createContext(services, requestIdOf(request), request.ip ?? 'unknown', request.header('authorization'));
    const account = await visibleAccount(context, viewer, accountId);
    if (!account) return fail(response, 404, 'NOT_FOUND', 'No such account.');
    response.json({
      accountId: account.id,
      currency: account.currency,
      posted: formatMinor(account.postedMinor, account.currencyExponent),
      pending: formatMinor(account.pendingMinor, account.currencyExponent),
      available: formatMinor(availableMinor(account), account.currencyExponent),
      version: account.version,
      asOf: account.asOf.toISOString(),
    });
  }));
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
      { channel, format: statementFormatOf(request), profile: profile ?? null, idempotencyKey, content: limited(request, MAX_STREAMED_STATEMENT_BYTES) },
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
  return router;
}
