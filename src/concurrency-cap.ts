import type { Request, RequestHandler, Response } from 'express';
import type { TokenSigner } from './auth/tokens.js';
import { authenticate } from './context.js';

/** How long a refused client should wait: a slot frees when one of its own requests ends. */
const RETRY_AFTER_SECONDS = 1;

/**
 * At most `maxPerUser` requests of one user in flight at once, so that one customer's loop of
 * heavy queries queues behind itself and never behind, or in front of, another customer's money.
 * Counted per process (each instance has its own cap; a user spread over N instances gets N
 * times it), which is enough to keep one process's pool and CPU fair.
 */
export class UserConcurrencyCap {
  private readonly inFlight = new Map<string, number>();

  constructor(readonly maxPerUser: number) {}

  /** A release function when the user has a free slot (call it exactly once), else undefined. */
  tryEnter(userId: string): (() => void) | undefined {
    const current = this.inFlight.get(userId) ?? 0;
    if (this.maxPerUser > 0 && current >= this.maxPerUser) return undefined;
    this.inFlight.set(userId, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(userId) ?? 1) - 1;
      // No entry for a user with nothing in flight: the map holds only active users.
      if (left <= 0) this.inFlight.delete(userId);
      else this.inFlight.set(userId, left);
    };
  }

  /** In flight for one user now (tests and diagnostics). */
  count(userId: string): number {
    return this.inFlight.get(userId) ?? 0;
  }
}

export type RefusalShape = 'graphql' | 'rest';

function refuse(response: Response, shape: RefusalShape): void {
  const message = 'Too many of your requests are in progress at once; retry when one has finished.';
  const extensions = { code: 'LIMIT_EXCEEDED', retryAfterSeconds: RETRY_AFTER_SECONDS };
  response.status(429).setHeader('retry-after', String(RETRY_AFTER_SECONDS));
  response.json(shape === 'graphql' ? { errors: [{ message, extensions }] } : { error: { message, ...extensions } });
}

/**
 * Runs `handler` inside one of the caller's slots, and releases it when the handler's work is
 * done (not when the client hangs up: an aborted request still runs, and still counts). Requests
 * without a valid token are not counted here: they are answered UNAUTHENTICATED at once, and
 * sign-in has its own limits.
 */
export function withinUserCap(cap: UserConcurrencyCap, signer: TokenSigner, shape: RefusalShape, handler: RequestHandler): RequestHandler {
  return async (request: Request, response: Response, next) => {
    const { viewer } = await authenticate(signer, request.header('authorization'));
    const release = viewer ? cap.tryEnter(viewer.userId) : () => undefined;
    if (!release) return refuse(response, shape);
    try {
      await handler(request, response, next);
    } finally {
      release();
    }
  };
}
