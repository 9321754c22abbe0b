import { Router, json, type Request, type RequestHandler, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { authenticate, createContext, type ContextServices } from '../context.js';
import { generateToken } from '../auth/login.js';
import { visibleAccount } from '../auth/access.js';
import { availableMinor } from '../ledger/decide/funds.js';
import { InvalidCredentialsError } from '../auth/errors.js';
import { LimitExceededError } from '../errors/shared-errors.js';
import { formatMinor } from '../ledger/money.js';
import { addStatementDoors } from './statement-doors.js';
import { addReconciliationDoors } from './reconciliation-doors.js';
import { addBatchDoors } from './batch-doors.js';

/**
 * The seed design's REST doors, thin over the same services as GraphQL: the same sign-in (and its
 * limits and audit), the same visibility rule for balances. The statement and report downloads
 * are in statement-doors.ts, the reconciliation upload in reconciliation-doors.ts.
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
  addStatementDoors(router, services, capped);
  addReconciliationDoors(router, services, capped);
  addBatchDoors(router, services, capped);
  return router;
}
