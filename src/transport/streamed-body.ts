import type { Request } from 'express';
import { ValidationError } from '../errors/shared-errors.js';

/**
 * What the streamed REST doors (POST /v1/batches, POST /v1/reconciliation/statements) share:
 * a body read chunk by chunk and refused once it passes its limit, and the format a caller asked
 * for with ?format=.
 */

/** Passes a request body on chunk by chunk, refusing it (`what` may be at most…) once it passes `limit` bytes. */
export async function* limitedBody(body: AsyncIterable<Buffer>, limit: number, what: string): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > limit) throw new ValidationError(`${what} may be at most ${limit} bytes.`, 'content');
    yield chunk;
  }
}

/** The format named by ?format=JSONL or ?format=CSV (any case), if the query names one. */
export function askedFormat(request: Request): 'JSONL' | 'CSV' | undefined {
  const asked = typeof request.query.format === 'string' ? request.query.format.toUpperCase() : undefined;
  return asked === 'JSONL' || asked === 'CSV' ? asked : undefined;
}
