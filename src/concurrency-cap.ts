import type { Request, RequestHandler, Response } from 'express';
import type { TokenSigner } from './auth/tokens.js';
import { authenticate } from './context.js';

/** How long a refused client should wait: a slot frees when one of its own requests ends. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * One user's fair share of this process: at most `maxRequests` requests in flight, and at most
 * `maxCost` of query cost (src/query-cost.ts) executing at once. The first keeps one customer's
 * loops from filling the pool; the second keeps a dozen of the heaviest allowed queries of one
 * customer (each tens of milliseconds of CPU) from running side by side, so they take turns behind
 * each other instead of in front of another customer's money. Past either, a request waits its
 * turn, in arrival order, for at most `maxWaitMs`, and at most `maxQueued` wait; past that it is
 * refused with LIMIT_EXCEEDED. Counted per process: each instance has its own share (a user spread
 * over N instances gets N of them), which is what keeps one process fair.
 */
export interface ShareLimits {
  /** Requests in flight per user. 0 = no cap. */
  readonly maxRequests: number;
  /** Query cost executing at once per user. */
  readonly maxCost: number;
  readonly maxWaitMs: number;
  /** Requests of one user waiting for a turn; a flood beyond it is refused at once. */
  readonly maxQueued: number;
}

interface Waiter {
  readonly weight: number;
  readonly admit: (admitted: boolean) => void;
}

/** Turns of one resource (request slots, or cost), handed out in arrival order up to a capacity. */
class Turns {
  used = 0;
  readonly waiting: Waiter[] = [];

  constructor(private readonly capacity: number) {}

  /** The weight once taken, or 0 when the wait ran out or the queue was full (nothing is then held). */
  take(weight: number, maxWaitMs: number, maxQueued: number): Promise<number> {
    if (weight <= 0) return Promise.resolve(0);
    if (this.waiting.length === 0 && this.fits(weight)) {
      this.used += weight;
      return Promise.resolve(weight);
    }
    if (this.waiting.length >= maxQueued) return Promise.resolve(0);
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => waiter.admit(false), maxWaitMs);
      const waiter: Waiter = {
        weight,
        admit: (admitted) => {
          clearTimeout(timer);
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          resolve(admitted ? weight : 0);
          // One that gave up may have been at the head, in front of one that now fits.
          if (!admitted) this.admitWaiting();
        },
      };
      this.waiting.push(waiter);
    });
  }

  give(weight: number): void {
    this.used -= weight;
    this.admitWaiting();
  }

  get idle(): boolean {
    return this.used === 0 && this.waiting.length === 0;
  }

  /** No capacity means no cap; one heavier than the whole capacity still runs, alone. */
  private fits(weight: number): boolean {
    if (this.capacity <= 0) return true;
    return this.used + weight <= Math.max(this.capacity, this.used === 0 ? weight : 0);
  }

  /** No overtaking: a heavy request at the head is not starved by light ones behind it. */
  private admitWaiting(): void {
    for (let head = this.waiting[0]; head && this.fits(head.weight); head = this.waiting[0]) {
      this.used += head.weight;
      this.waiting.shift();
      head.admit(true);
    }
  }
}

interface UserState {
  readonly requests: Turns;
  readonly cost: Turns;
}

/** One request's place in its user's share; `release` (idempotent) gives everything back once. */
export interface ShareSlot {
  /** Waits until `cost` fits the user's share; false when it did not in time (nothing is then held). */
  reserve(cost: number): Promise<boolean>;
  release(): void;
}

export class UserShares {
  private readonly users = new Map<string, UserState>();

  constructor(readonly limits: ShareLimits) {}

  /** A slot once the user has a request to spare, or undefined when none came in time. */
  async enter(userId: string): Promise<ShareSlot | undefined> {
    let state = this.users.get(userId);
    if (!state) this.users.set(userId, (state = { requests: new Turns(this.limits.maxRequests), cost: new Turns(this.limits.maxCost) }));
    const user = state;
    const entered = await user.requests.take(1, this.limits.maxWaitMs, this.limits.maxQueued);
    if (entered === 0) {
      this.forgetIfIdle(userId, user);
      return undefined;
    }
    let reserved = 0;
    let released = false;
    return {
      reserve: async (cost) => {
        if (released) return false;
        reserved += await user.cost.take(cost, this.limits.maxWaitMs, this.limits.maxQueued);
        return reserved > 0 || cost <= 0;
      },
      release: () => {
        if (released) return;
        released = true;
        user.cost.give(reserved);
        user.requests.give(entered);
        this.forgetIfIdle(userId, user);
      },
    };
  }

  /** Only users with something in flight or waiting are remembered. */
  private forgetIfIdle(userId: string, user: UserState): void {
    if (user.requests.idle && user.cost.idle && this.users.get(userId) === user) this.users.delete(userId);
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
    const slot = viewer ? await shares.enter(viewer.userId) : undefined;
    if (viewer && !slot) return refuse(response, shape);
    response.locals.shareSlot = slot;
    try {
      await handler(request, response, next);
    } finally {
      slot?.release();
    }
  };
}
