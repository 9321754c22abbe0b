import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/**
 * One span per HTTP request, active while the request is handled, so the command and database
 * spans it causes hang under it and its log lines carry its trace id (src/logger.ts). It ends when
 * the answer is sent (or the client goes away), with one debug line saying how it went.
 */
export function requestSpans(tracer: Tracer, logger: Logger): RequestHandler {
  return (request, response, next) => {
    const startedAt = performance.now();
    tracer.startActiveSpan(`${request.method} ${request.path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': request.path } }, (span) => {
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        // A matched route names the span by its pattern (`/v1/accounts/:id/statement`), not by one account's path.
        const route = (request.route as { path?: unknown } | undefined)?.path;
        if (typeof route === 'string') span.updateName(`${request.method} ${request.baseUrl}${route}`);
        span.setAttribute('http.response.status_code', response.statusCode);
        if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        logger.debug({ method: request.method, path: request.path, status: response.statusCode, durationMs: Math.round(performance.now() - startedAt) }, 'request finished');
        span.end();
      };
      response.once('finish', end);
      response.once('close', end);
      next();
    });
  };
}
