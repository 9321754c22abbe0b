import { createHash, timingSafeEqual } from 'node:crypto';
import type { Express, Request } from 'express';
import type { Registry } from 'prom-client';

/**
 * `GET /metrics` in Prometheus's text format, on the API's own port but only for a scraper that
 * sends `Authorization: Bearer $METRICS_TOKEN`: one port to run and firewall, and nothing for a
 * customer to read (figures such as the outbox backlog say how busy the bank is). Without a
 * METRICS_TOKEN the route does not exist (404, as for any unknown path); a missing or wrong token
 * is 401, compared in constant time.
 */
export function mountMetricsEndpoint(app: Express, registry: Registry, token: string | undefined): void {
  if (!token) return;
  const expected = digest(token);
  app.get('/metrics', (request, response, next) => {
    if (!hasToken(request, expected)) {
      response.status(401).setHeader('www-authenticate', 'Bearer realm="metrics"');
      response.json({ error: { code: 'UNAUTHENTICATED', message: 'Send Authorization: Bearer <METRICS_TOKEN>.' } });
      return;
    }
    registry.metrics().then((text) => {
      response.setHeader('content-type', registry.contentType);
      response.setHeader('cache-control', 'no-store');
      response.send(text);
    }, next);
  });
}

/** Hashed first so both sides have one length and the comparison leaks nothing of the token. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function hasToken(request: Request, expected: Buffer): boolean {
  const match = /^Bearer (\S+)$/.exec(request.header('authorization') ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}
