import type { Request, RequestHandler, Response, Router } from 'express';
import { randomUUID } from 'node:crypto';
import { authenticate, type ContextServices } from '../context.js';
import { ValidationError } from '../errors/shared-errors.js';
import type { ItemResult } from '../ledger/commands/post-movements.js';
import { LimitExceededError } from '../ledger/errors.js';
import type { Database } from '../ledger/persistence/database.js';
import { serviceActor } from '../auth/service-actor.js';
import { runBatch } from '../resolvers/batch.js';
import { readBatchFile, type BatchFileFormat } from './batch-file.js';
import { askedFormat, limitedBody } from './streamed-body.js';

/** A batch file of 1,000 items is well under this; more is refused as it arrives. */
export const MAX_BATCH_FILE_BYTES = 2 * 1024 * 1024;

/** JSON lines unless the body says it is CSV (Content-Type text/csv) or ?format=CSV. */
function batchFormatOf(request: Request): BatchFileFormat {
  const asked = askedFormat(request);
  if (asked) return asked;
  return /csv/i.test(request.header('content-type') ?? '') ? 'CSV' : 'JSONL';
}

function fail(response: Response, status: number, code: string, message: string, field?: string): void {
  response.status(status).json({ error: { code, message, ...(field ? { field } : {}) } });
}

/** One item's answer as JSON: what moved (its ids) or why not, and whether it was a replay. */
function itemJson(result: ItemResult, index: number, abortedBy: number | undefined): Record<string, unknown> {
  const { outcome, replayed } = result;
  if (!outcome.ok) return { index, ok: false, code: outcome.code, message: outcome.message, ...(outcome.code === 'BATCH_ABORTED' ? { failedIndex: abortedBy } : {}), replayed };
  const ids = 'reviewId' in outcome ? { reviewId: outcome.reviewId } : { transactionId: outcome.transactionId, ...('holdId' in outcome ? { holdId: outcome.holdId } : {}) };
  return { index, ok: true, ...ids, replayed };
}

/**
 * POST /v1/batches[?atomic=true][&format=CSV|JSONL] (issue 11 §2): the postMovements batch as a
 * file, read as it arrives, for operators' and services' payroll and settlement files (any
 * signed-in caller may send one; each item is allowed exactly when its single mutation would be).
 * `Idempotency-Key` is the batch key and is required: a file is retried whole.
 */
export function addBatchDoors(router: Router, services: ContextServices, capped: (handler: RequestHandler) => RequestHandler): void {
  router.post('/v1/batches', capped(async (request, response) => {
    const { viewer: tokenActor, problem } = await authenticate(services.signer, request.header('authorization'));
    if (!tokenActor || problem) return fail(response, 401, 'UNAUTHENTICATED', problem ?? 'Send Authorization: Bearer <accessToken>.');
    const requestId = String(request.res?.locals.requestId ?? randomUUID());
    // As for GraphQL (context.ts): a service's channels come from its row, the journal gets the request id.
    const caller = tokenActor.role === 'SERVICE' ? await serviceActor(services.orm.em.fork() as Database, tokenActor) : tokenActor;
    const viewer = { ...caller, requestId };
    const idempotencyKey = request.header('idempotency-key');
    const atomic = request.query.atomic;
    if (!idempotencyKey) return fail(response, 400, 'VALIDATION', 'Send the batch key as the Idempotency-Key header.', 'idempotencyKey');
    if (atomic !== undefined && atomic !== 'true' && atomic !== 'false') return fail(response, 400, 'VALIDATION', 'atomic is true or false.', 'atomic');
    let items: unknown[] | ValidationError;
    try {
      items = await readBatchFile(limitedBody(request, MAX_BATCH_FILE_BYTES, 'A batch file'), batchFormatOf(request));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      items = error;
    }
    const origin = { requestId, clientIp: request.ip ?? 'unknown' };
    const ran = items instanceof ValidationError ? items : await runBatch(services, viewer, origin, { items, atomic: atomic === 'true', idempotencyKey });
    if ('answer' in ran) {
      const { answer } = ran;
      const committed = answer.items.filter((result) => result.outcome.ok).length;
      return response.status(200).json({
        items: answer.items.map((result, index) => itemJson(result, index, answer.abortedBy)),
        committed,
        failed: answer.items.length - committed,
        replayed: answer.replayed,
      });
    }
    // The rest of a refused body is not read: the connection closes after the answer.
    if (!request.complete) response.setHeader('Connection', 'close');
    if (ran instanceof LimitExceededError && ran.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(ran.retryAfterSeconds));
    const status = ran.code === 'IDEMPOTENCY_CONFLICT' ? 409 : ran.code === 'LIMIT_EXCEEDED' ? 429 : 400;
    fail(response, status, ran.code, ran.message, ran instanceof ValidationError ? ran.field : undefined);
  }));
}
