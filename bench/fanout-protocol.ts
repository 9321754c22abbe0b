/**
 * What the fan-out orchestrator (bench/fanout.ts) and its socket workers (bench/fanout-worker.ts)
 * say to each other over the child-process IPC channel, and the per-socket delivery check both
 * sides rely on. Messages use Node's "advanced" serialization, so typed arrays and NaN survive.
 */

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One socket to open: the account it watches and its owner's access token. */
export interface SocketAssignment {
  readonly accountId: string;
  readonly accessToken: string;
}

/** Distinct failure texts kept for the report; the counts cover all of them. */
export const MAX_PROBLEM_SAMPLES = 5;

/** Everything a healthy run never shows on a socket: an unasked-for close, a subscription error. */
export interface SocketProblems {
  readonly closedUnexpectedly: number;
  readonly subscriptionErrors: number;
  readonly samples: readonly string[];
}

export interface OpenReport {
  readonly connected: number;
  readonly failed: number;
  readonly failureSamples: readonly string[];
}

export interface SocketStatus {
  /** Sockets that have received at least one update: their subscription is live on the server. */
  readonly live: number;
  /** Updates received with a version above the given one for their account (repeats included). */
  readonly arrivalsAfter: number;
  readonly problems: SocketProblems;
}

/**
 * The measured versions of one account: every version in (afterVersion, lastVersion] was written
 * by a measured deposit; `sentAtMs[version - afterVersion - 1]` is when its request was sent, or
 * NaN when its answer never came (a timeout), so the version cannot be timed.
 */
export interface AccountWindow {
  readonly accountId: string;
  readonly afterVersion: number;
  readonly lastVersion: number;
  readonly sentAtMs: readonly number[];
}

/** What a set of sockets received of the measured versions; tallies of several workers add up. */
export interface DeliveryTally {
  readonly sockets: number;
  /** Measured versions of each socket's account, summed over sockets: what a perfect run delivers. */
  readonly expected: number;
  /** Distinct (socket, version) pairs received. */
  readonly delivered: number;
  /** Receipts of a version the socket had already received. */
  readonly duplicates: number;
  /** Receipts of a version below one the socket had already received: versions must strictly increase. */
  readonly outOfOrder: number;
  /** Expected versions a socket never received. */
  readonly missing: number;
  /** Delivered versions whose deposit has no send time (its answer was lost), so not in the latencies. */
  readonly untimed: number;
  /** The latest receipt of a measured version, epoch ms; 0 when none arrived. */
  readonly lastReceivedAtMs: number;
  /** Deposit request sent to update received, one per delivered version with a send time. */
  readonly latenciesMs: Float64Array;
  readonly problems: SocketProblems;
}

/** Every request a worker serves, with its parameters and its answer. */
export interface WorkerMethods {
  open: { params: { readonly url: string; readonly sockets: readonly SocketAssignment[] }; result: OpenReport };
  status: { params: { readonly afterVersions: Readonly<Record<string, number>> }; result: SocketStatus };
  collect: { params: { readonly windows: readonly AccountWindow[] }; result: DeliveryTally };
  /** Closes every socket; the worker exits after answering. */
  close: { params: Record<string, never>; result: { readonly closed: number } };
}

export type WorkerMethod = keyof WorkerMethods;

export type WorkerRequest = {
  [Method in WorkerMethod]: { readonly id: number; readonly method: Method; readonly params: WorkerMethods[Method]['params'] };
}[WorkerMethod];

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** One socket's receipts, in arrival order. */
export interface Receipts {
  readonly versions: readonly number[];
  readonly receivedAtMs: readonly number[];
}

export interface SocketTally {
  readonly delivered: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly missing: number;
  readonly untimed: number;
  readonly lastReceivedAtMs: number;
}

/**
 * Checks one socket against the window of its account: each measured version must arrive exactly
 * once and in increasing order. Receipts outside the window (readiness probes) are ignored.
 * Pushes the latency of each first receipt that can be timed onto `latencies`.
 */
export function tallySocket(receipts: Receipts, window: AccountWindow, latencies: number[]): SocketTally {
  const seen = new Set<number>();
  let duplicates = 0;
  let outOfOrder = 0;
  let untimed = 0;
  let highest = Number.NEGATIVE_INFINITY;
  let lastReceivedAtMs = 0;
  receipts.versions.forEach((version, index) => {
    if (version <= window.afterVersion || version > window.lastVersion) return;
    const receivedAtMs = receipts.receivedAtMs[index] ?? Number.NaN;
    lastReceivedAtMs = Math.max(lastReceivedAtMs, receivedAtMs);
    if (seen.has(version)) {
      duplicates += 1;
      return;
    }
    if (version < highest) outOfOrder += 1;
    highest = Math.max(highest, version);
    seen.add(version);
    const sentAtMs = window.sentAtMs[version - window.afterVersion - 1] ?? Number.NaN;
    if (Number.isNaN(sentAtMs)) untimed += 1;
    else latencies.push(receivedAtMs - sentAtMs);
  });
  return {
    delivered: seen.size,
    duplicates,
    outOfOrder,
    missing: window.lastVersion - window.afterVersion - seen.size,
    untimed,
    lastReceivedAtMs,
  };
}

export function mergeProblems(all: readonly SocketProblems[]): SocketProblems {
  return {
    closedUnexpectedly: all.reduce((sum, problems) => sum + problems.closedUnexpectedly, 0),
    subscriptionErrors: all.reduce((sum, problems) => sum + problems.subscriptionErrors, 0),
    samples: [...new Set(all.flatMap((problems) => problems.samples))].slice(0, MAX_PROBLEM_SAMPLES),
  };
}

export function mergeTallies(tallies: readonly DeliveryTally[]): DeliveryTally {
  const sum = (pick: (tally: DeliveryTally) => number) => tallies.reduce((total, tally) => total + pick(tally), 0);
  const latenciesMs = new Float64Array(sum((tally) => tally.latenciesMs.length));
  let offset = 0;
  for (const tally of tallies) {
    latenciesMs.set(tally.latenciesMs, offset);
    offset += tally.latenciesMs.length;
  }
  return {
    sockets: sum((tally) => tally.sockets),
    expected: sum((tally) => tally.expected),
    delivered: sum((tally) => tally.delivered),
    duplicates: sum((tally) => tally.duplicates),
    outOfOrder: sum((tally) => tally.outOfOrder),
    missing: sum((tally) => tally.missing),
    untimed: sum((tally) => tally.untimed),
    lastReceivedAtMs: Math.max(0, ...tallies.map((tally) => tally.lastReceivedAtMs)),
    latenciesMs,
    problems: mergeProblems(tallies.map((tally) => tally.problems)),
  };
}
