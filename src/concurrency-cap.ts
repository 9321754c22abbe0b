import type { Request, RequestHandler, Response } from 'express';
import type { TokenSigner } from './auth/tokens.js';
import { authenticate } from './context.js';

/** How long a refused client should wait: a slot frees when one of its own requests ends. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * One user's fair share of this process: at most `maxRequests` requests in flight, and at most
 * `maxCost` of query cost (src/query-cost.ts) being executed at once. The first keeps one
 * customer's loops from filling the pool and the event loop; the second keeps a dozen of the
 * heaviest allowed queries of one customer from running side by side (each is tens of
 * milliseconds of CPU), so they take turns behind each other instead of in front of another
 * customer's money. Counted per process: each instance has its own share (a user spread over N
 * instances gets N of them), which is what keeps one process fair.
 */
export interface ShareLimits {
  /** Requests in flight per user; the next is refused at once. 0 = no cap. */
  readonly maxRequests: number;
  /** Query cost executing at once per user; a request over it waits its turn. */
  readonly maxCost: number;
  /** How long a request may wait for its turn before it is refused. */
  readonly maxWaitMs: number;
}

interface Waiter {
  readonly cost: number;
  readonly admit: (admitted: boolean) => void;
}

interface UserState {
  requests: number;
  cost: number;
  readonly waiting: Waiter[];
}

/** One request's place in its user's share; `release` (exactly once, idempotent) gives it all back. */
export interface ShareSlot {
  /** Waits until `cost` fits the user's share; false when the wait ran out (nothing is then held). */
  reserve(cost: number): Promise<boolean>;
  release(): void;
}

export class UserShares {
  private readonly users = new Map<string, UserState>();

  constructor(readonly limits: ShareLimits) {}

  /** A slot when the user has a request to spare, else undefined (refuse with LIMIT_EXCEEDED). */
  tryEnter(userId: string): ShareSlot | undefined {
    const state = this.users.get(userId) ?? { requests: 0, cost: 0, waiting: [] };
    if (this.limits.maxRequests > 0 && state.requests >= this.limits.maxRequests) return undefined;
    state.requests += 1;
    this.users.set(userId, state);
    let reserved = 0;
    let waiter: Waiter | undefined;
    let released = false;
    return {
      reserve: (cost) =>
        new Promise<boolean>((resolve) => {
          if (released || cost <= 0) return resolve(!released);
          const timer = setTimeout(() => settle(false), this.limits.maxWaitMs);
          const settle = (admitted: boolean) => {
            clearTimeout(timer);
            const at = waiter ? state.waiting.indexOf(waiter) : -1;
            if (at >= 0) state.waiting.splice(at, 1);
            waiter = undefined;
            if (admitted) reserved = cost;
            resolve(admitted);
            // A waiter that gave up may have been the head of the queue.
            if (!admitted) this.admitWaiting(state);
          };
          waiter = { cost, admit: settle };
          state.waiting.push(waiter);
          this.admitWaiting(state);
        }),
      release: () => {
        if (released) return;
        released = true;
        waiter?.admit(false);
        state.requests -= 1;
        state.cost -= reserved;
        reserved = 0;
        this.admitWaiting(state);
        // Only users with something in flight are remembered.
        if (state.requests === 0 && state.waiting.length === 0) this.users.delete(userId);
      },
    };
  }

  /** Admits waiters in arrival order while the head fits (no overtaking: the heavy one is not starved). */
  private admitWaiting(state: UserState): void {
    for (let head = state.waiting[0]; head && state.cost + head.cost <= Math.max(this.limits.maxCost, head.cost); head = state.waiting[0]) {
      state.cost += head.cost;
      state.waiting.shift();
      head.admit(true);
    }
  }

  /** Requests in flight for one user now (tests and diagnostics). */
  requestsOf(userId: string): number {
    return this.users.get(userId)?.requests ?? 0;
  }
}

export type RefusalShape = 'graphql' | 'rest';

const REFUSAL_MESSAGE = 'Too many of your requests are in progress at once; retry when one has finished.';
export const LIMIT_EXCEEDED_EXTENSIONS = { code: 'LIMIT_EXCEEDED', retryAfterSeconds: RETRY_AFTER_SECONDS } as const;

function refuse(response: Response, shape: RefusalShape): void {
  response.status(429).setHeader('retry-after', String(RETRY_AFTER_SECONDS));
  response.json(shape === 'graphql' ? { errors: [{ message: REFUSAL_MESSAGE, extensions: LIMIT_EXCEEDED_EXTENSIONS }] } : { error: { message: REFUSAL_MESSAGE, ...LIMIT_EXCEEDED_EXTENSIONS } });
}

/** The slot of the request being handled, for the cost plugin (set by withinUserShare). */
export function shareSlotOf(response: Response): ShareSlot | undefined {
  return response.locals.shareSlot as ShareSlot | undefined;
}

/**
 * Runs `handler` inside one of the caller's slots, and releases it when the handler's work is
 * done (not when the client hangs up: an aborted request still runs, and still counts). Requests
 * without a valid token are not counted here: they are answered UNAUTHENTICATED at once, and
 * sign-in has its own limits.
 */
export function withinUserShare(shares: UserShares, signer: TokenSigner, shape: RefusalShape, handler: RequestHandler): RequestHandler {
  return async (request: Request, response: Response, next) => {
    const { viewer } = await authenticate(signer, request.header('authorization'));
    const slot = viewer ? shares.tryEnter(viewer.userId) : undefined;
    if (viewer && !slot) return refuse(response, shape);
    response.locals.shareSlot = slot;
    try {
      await handler(request, response, next);
    } finally {
      slot?.release();
    }
  };
}
