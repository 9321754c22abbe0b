import type { Request, RequestHandler, Response } from 'express';
import type { TokenSigner } from '../auth/tokens.js';
import { authenticate } from '../context.js';

/** How long a refused client should wait: a slot frees when one of its own requests ends. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * One user's fair share of this process: at most `maxRequests` requests in flight, and at most
 * `maxCost` of query cost (src/transport/query-cost.ts) executing at once. The first keeps one customer's
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
  /** Query cost per second per user (a bucket of one second's worth); 0 = no rate. */
  readonly costPerSecond: number;
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

/**
 * Query cost per second, as a token bucket that holds at most one second's worth: a request waits
 * (in arrival order, no overtaking) until the bucket holds its cost. It bounds what one user's
 * back-to-back heavy queries take from the process's one event loop, which a cap on how many run
 * at once does not: a single client in a tight loop would otherwise keep it busy all the time.
 */
class CostRate {
  private tokens: number;
  private refilledAtMs = performance.now();
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** Whether `cost` was paid within `maxWaitMs` (nothing is paid otherwise). */
  async pay(cost: number, maxWaitMs: number, maxQueued: number): Promise<boolean> {
    if (this.perSecond <= 0 || cost <= 0) return true;
    if (this.queued >= maxQueued) return false;
    const deadline = performance.now() + maxWaitMs;
    this.queued += 1;
    let paid = false;
    // One payer at a time, in arrival order: a heavy request is not overtaken by light ones.
    const turn = this.tail.then(async () => {
      for (;;) {
        this.refill();
        const needed = Math.min(cost, this.perSecond);
        if (this.tokens >= needed) {
          this.tokens -= needed;
          paid = true;
          return;
        }
        const waitMs = ((needed - this.tokens) / this.perSecond) * 1_000;
        if (performance.now() + waitMs > deadline) return;
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
      }
    });
    this.tail = turn;
    await turn;
    this.queued -= 1;
    return paid;
  }

  get idle(): boolean {
    this.refill();
    return this.queued === 0 && this.tokens >= this.perSecond;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAtMs) / 1_000) * this.perSecond);
    this.refilledAtMs = now;
  }
}

interface UserState {
  readonly requests: Turns;
  readonly cost: Turns;
  readonly rate: CostRate;
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
    if (!state) {
      state = { requests: new Turns(this.limits.maxRequests), cost: new Turns(this.limits.maxCost), rate: new CostRate(this.limits.costPerSecond) };
      this.users.set(userId, state);
    }
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
        if (!(await user.rate.pay(cost, this.limits.maxWaitMs, this.limits.maxQueued))) return false;
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
    // A user whose bucket is not yet full again is remembered until it is, or the rate would reset.
    if (user.requests.idle && user.cost.idle && user.rate.idle && this.users.get(userId) === user) this.users.delete(userId);
  }
}

export type RefusalShape = 'graphql' | 'rest';

const REFUSAL_MESSAGE = 'Too many of your requests are in progress at once; retry when one has finished.';
export const LIMIT_EXCEEDED_EXTENSIONS = { code: 'LIMIT_EXCEEDED', retryAfterSeconds: RETRY_AFTER_SECONDS } as const;

function refuse(response: Response, shape: RefusalShape): void {
  response.status(429).setHeader('retry-after', String(RETRY_AFTER_SECONDS));
  response.json(shape === 'graphql' ? { errors: [{ message: REFUSAL_MESSAGE, extensions: LIMIT_EXCEEDED_EXTENSIONS }] } : { error: { message: REFUSAL_MESSAGE, ...LIMIT_EXCEEDED_EXTENSIONS } });
}

/**
 * The request's slot rides on its GraphQL context under a symbol: Apollo hands plugins a shallow
 * copy of the context object, which keeps own properties but not object identity.
 */
const SHARE_SLOT = Symbol('shareSlot');

export function withShareSlot<Context extends object>(context: Context, slot: ShareSlot | undefined): Context {
  if (slot) Object.defineProperty(context, SHARE_SLOT, { value: slot, enumerable: true });
  return context;
}

export function shareSlotOfContext(context: object): ShareSlot | undefined {
  return (context as { [SHARE_SLOT]?: ShareSlot })[SHARE_SLOT];
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
export function withinUserShare(
  shares: UserShares,
  signer: TokenSigner,
  shape: RefusalShape,
  handler: RequestHandler,
  /** Told of every refusal (metrics). */
  onRefusal: () => void = () => undefined,
): RequestHandler {
  return async (request: Request, response: Response, next) => {
    const { viewer } = await authenticate(signer, request.header('authorization'));
    const slot = viewer ? await shares.enter(viewer.userId) : undefined;
    if (viewer && !slot) {
      onRefusal();
      return refuse(response, shape);
    }
    response.locals.shareSlot = slot;
    try {
      await handler(request, response, next);
    } finally {
      slot?.release();
    }
  };
}
