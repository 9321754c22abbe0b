import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS for a browser app served from its own origin (an SPA on http://localhost:5173 in
 * development). Only the configured origins get `Access-Control-Allow-Origin`, echoed back
 * exactly; any other origin gets no CORS header at all, so its browser refuses to read the
 * answer. Tokens travel as bearer headers, never cookies, so credentials are not allowed. This is
 * about reading responses; Apollo's CSRF prevention, which refuses simple (unpreflighted)
 * requests that could run an operation, stays on for every caller.
 */
export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'x-request-id', 'apollo-require-preflight'] as const;
export const CORS_METHODS = ['GET', 'POST', 'OPTIONS'] as const;
/** Browsers may cache a preflight this long (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The middleware for /graphql and the REST doors; undefined when no origin is allowed. */
export function corsFor(allowedOrigins: readonly string[]): RequestHandler | undefined {
  if (allowedOrigins.length === 0) return undefined;
  const allowed = new Set(allowedOrigins);
  const policy = cors({
    // The allowed origin itself, or false: `cors` then adds nothing and passes the request on.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: [...CORS_METHODS],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: ['x-request-id'],
    credentials: false,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    optionsSuccessStatus: 204,
  });
  return (request, response, next) => {
    // Every answer depends on the Origin header, also a refusal: caches must key on it.
    response.vary('Origin');
    policy(request, response, next);
  };
}
