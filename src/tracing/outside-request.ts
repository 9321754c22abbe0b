import { context, ROOT_CONTEXT } from '@opentelemetry/api';

/**
 * Runs `start` with no active span. Background work a request merely wakes (the outbox relay's next
 * round) would otherwise inherit the request's trace through its timer, and its statements would
 * show up as the request's, after the request has ended.
 */
export function outsideRequest<T>(start: () => T): T {
  return context.with(ROOT_CONTEXT, start);
}
