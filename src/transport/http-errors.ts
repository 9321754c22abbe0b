import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { isOverload, OVERLOAD_REST_BODY, RETRY_AFTER_SECONDS } from './overload.js';

/**
 * The last Express handler: what no route answered itself (a body too large or malformed, an
 * overloaded pool, a bug). Express 5 would print body-parser stack traces; this answers in one
 * line, in the shape of the door that was called: the REST doors (`/v1/…`) their own, GraphQL
 * clients GraphQL's. Only a real 500 is logged, with the request id the client sees.
 */
export function httpErrorHandler(logger: Logger, maxBodyBytes: number): ErrorRequestHandler {
  return (error: { status?: number; type?: string }, request, response, _next) => {
    const isRest = request.path.startsWith('/v1/');
    if (isOverload(error)) {
      response.status(503).setHeader('retry-after', String(RETRY_AFTER_SECONDS));
      const { message, ...extensions } = OVERLOAD_REST_BODY.error;
      response.json(isRest ? OVERLOAD_REST_BODY : { errors: [{ message, extensions }] });
      return;
    }
    const status = error.status === 413 ? 413 : error.status && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error, requestId: response.locals.requestId }, 'unhandled HTTP error');
    const message = status === 413 ? `Request body is larger than ${maxBodyBytes} bytes.` : status === 500 ? 'Internal server error' : 'Malformed request body.';
    const code = status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    const requestId = String(response.locals.requestId);
    const body = isRest ? { error: { code, message, requestId } } : { errors: [{ message, extensions: { code, requestId } }] };
    response.status(status).json(body);
  };
}
