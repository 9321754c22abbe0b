/**
 * Where one request's lag-tolerant reads go (README "Read replicas"): a pure decision over what the
 * last polls saw, so its table is tested without a cluster (test/unit/route-read.test.ts).
 */

/** What the last poll knows of one replica. */
export interface ReplicaState {
  /** False after a failed poll or read, until a poll succeeds again. */
  readonly up: boolean;
  /** Every commit acknowledged before this moment (the primary's clock, ms) is replayed there; undefined: unknown. */
  readonly horizonMs: number | undefined;
}

/** Why a read went where it went: the `reason` label of tally_replica_reads_total. */
export type ReadRouteReason = 'replica' | 'recent-write' | 'writes-unknown' | 'lagging' | 'down';

export type ReadRoute = { readonly target: 'replica'; readonly replica: number } | { readonly target: 'primary'; readonly reason: Exclude<ReadRouteReason, 'replica'> };

export interface RouteQuestion {
  readonly replicas: readonly ReplicaState[];
  /** When the caller's last movement was acknowledged (ms), if within the last maxLagMs. */
  readonly callerWroteAtMs: number | undefined;
  readonly nowMs: number;
  /** A replica further behind than this serves no one (bounded staleness for every caller). */
  readonly maxLagMs: number;
  /** Picks among the replicas that qualify (random in production, fixed in tests). */
  readonly pick?: (count: number) => number;
}

/**
 * A replica qualifies when it is up, no further behind than maxLag, and has replayed the caller's
 * own last movement (read-your-writes: its horizon is past the moment that movement was
 * acknowledged; strictly: a sample sent in the same millisecond may have gone out before the commit).
 * Otherwise the primary answers: it always has everything.
 */
export function routeRead(question: RouteQuestion): ReadRoute {
  const { replicas, callerWroteAtMs, nowMs, maxLagMs } = question;
  const up = replicas.map((state, index) => ({ state, index })).filter(({ state }) => state.up && state.horizonMs !== undefined);
  if (up.length === 0) return { target: 'primary', reason: 'down' };
  const fresh = up.filter(({ state }) => nowMs - state.horizonMs! <= maxLagMs);
  if (fresh.length === 0) return { target: 'primary', reason: 'lagging' };
  const caughtUp = callerWroteAtMs === undefined ? fresh : fresh.filter(({ state }) => state.horizonMs! > callerWroteAtMs);
  if (caughtUp.length === 0) return { target: 'primary', reason: 'recent-write' };
  const pick = question.pick ?? ((count: number) => Math.floor(Math.random() * count));
  return { target: 'replica', replica: caughtUp[pick(caughtUp.length)]!.index };
}
