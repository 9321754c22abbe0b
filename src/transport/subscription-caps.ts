import { GraphQLError } from 'graphql';

/**
 * Active subscriptions per socket and per user (across this process's sockets). A subscription
 * holds a place from the moment its subscribe message is taken up (so a flood of subscribes is
 * refused before any is parsed, checked or started) until it completes, is refused, or its socket
 * closes; each place is given back exactly once, whichever of those comes first or comes twice.
 * Counted per process: a user's sockets on another instance have places of their own there.
 */
export interface SubscriptionLimits {
  readonly perSocket: number;
  readonly perUser: number;
}

/** One socket's places, keyed by the subscribe message's payload (unique per subscribe, even when a client reuses an id). */
export interface SocketPlaces {
  readonly userId: string;
  readonly held: Set<object>;
  closed: boolean;
}

export class SubscriptionCaps {
  private readonly perUser = new Map<string, number>();

  constructor(readonly limits: SubscriptionLimits) {}

  forSocket(userId: string): SocketPlaces {
    return { userId, held: new Set(), closed: false };
  }

  /** Takes a place for this subscribe, or returns the refusal to send as its one `error` message. */
  hold(socket: SocketPlaces, key: object): GraphQLError | undefined {
    const ofUser = this.perUser.get(socket.userId) ?? 0;
    if (socket.closed || socket.held.size >= this.limits.perSocket || ofUser >= this.limits.perUser) {
      return new GraphQLError(
        `Too many active subscriptions: at most ${this.limits.perSocket} on one connection and ${this.limits.perUser} per user. Complete one first.`,
        { extensions: { code: 'LIMIT_EXCEEDED' } },
      );
    }
    socket.held.add(key);
    this.perUser.set(socket.userId, ofUser + 1);
    return undefined;
  }

  release(socket: SocketPlaces, key: object): void {
    if (!socket.held.delete(key)) return;
    const left = (this.perUser.get(socket.userId) ?? 1) - 1;
    // Only users with active subscriptions are remembered.
    if (left <= 0) this.perUser.delete(socket.userId);
    else this.perUser.set(socket.userId, left);
  }

  /** The socket closed: every place it still holds comes back, and it takes no new ones. */
  releaseAll(socket: SocketPlaces): void {
    socket.closed = true;
    for (const key of [...socket.held]) this.release(socket, key);
  }

  /** Active subscriptions of every user in this process (metrics). */
  get active(): number {
    let total = 0;
    for (const count of this.perUser.values()) total += count;
    return total;
  }

  /** Active subscriptions of one user in this process (tests and diagnostics). */
  activeOf(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }
}
