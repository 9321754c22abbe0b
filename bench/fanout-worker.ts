/**
 * A fan-out socket worker: a child process of the bench holding a share of the subscriber
 * sockets, so that parsing thousands of updates a second neither shares the server's event loop
 * nor delays the deposit driver's send times. It answers the requests of bench/fanout-protocol.ts
 * and records, per socket, every balance version received and when.
 */
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import {
  epochMs,
  MAX_PROBLEM_SAMPLES,
  tallySocket,
  type AccountWindow,
  type DeliveryTally,
  type OpenReport,
  type SocketAssignment,
  type SocketProblems,
  type SocketStatus,
  type WorkerMethod,
  type WorkerMethods,
  type WorkerReply,
  type WorkerRequest,
} from './fanout-protocol.js';

/** The selection the issue names; `asOf` is kept so the server does the work a real client asks for. */
const BALANCE_UPDATED = `subscription BenchBalanceUpdated($id: ID!) {
  balanceUpdated(accountId: $id) { accountId version balance { posted asOf } }
}`;

/**
 * Handshakes in flight per worker. The server accepts them on one event loop and the kernel's
 * accept queue holds 4,096 (somaxconn); a hundred per worker keeps both far from full.
 */
const CONNECT_CONCURRENCY = 100;
/** Upgrade plus connection_ack: milliseconds when healthy; past this a socket counts as failed. */
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** After asking every socket to close, wait this long for the close handshakes, then answer anyway. */
const CLOSE_TIMEOUT_MS = 10_000;
/** graphql-ws's normal closure, sent by dispose(): the one close this worker asks for itself. */
const NORMAL_CLOSURE = 1000;

/** ws needs its handshake timeout at construction; graphql-ws constructs with (url, protocol) only. */
class BenchWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  }
}

interface BalanceUpdatedData {
  readonly balanceUpdated?: { readonly version?: unknown } | null;
}

interface WatchedSocket {
  readonly accountId: string;
  readonly client: Client;
  readonly versions: number[];
  readonly receivedAtMs: number[];
  readonly closed: Promise<void>;
}

const sockets: WatchedSocket[] = [];
let closing = false;
let closedUnexpectedly = 0;
let subscriptionErrors = 0;
const problemSamples = new Set<string>();

function recordProblem(kind: 'close' | 'subscription', detail: string): void {
  if (kind === 'close') closedUnexpectedly += 1;
  else subscriptionErrors += 1;
  if (problemSamples.size < MAX_PROBLEM_SAMPLES) problemSamples.add(detail);
}

function problems(): SocketProblems {
  return { closedUnexpectedly, subscriptionErrors, samples: [...problemSamples] };
}

function describeClose(event: unknown): string {
  if (typeof event === 'object' && event !== null && 'code' in event) {
    const reason = 'reason' in event && typeof event.reason === 'string' && event.reason !== '' ? ` ${event.reason}` : '';
    return `closed ${String(event.code)}${reason}`;
  }
  return event instanceof Error ? event.message : String(event);
}

function isNormalClosure(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'code' in event && event.code === NORMAL_CLOSURE;
}

/** Connects one socket, waits for connection_ack, then subscribes; rejects if it closed first. */
function openSocket(url: string, assignment: SocketAssignment): Promise<void> {
  return new Promise((resolve, reject) => {
    let acknowledged = false;
    let markClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolveClosed) => (markClosed = resolveClosed));
    const socket: WatchedSocket = {
      accountId: assignment.accountId,
      versions: [],
      receivedAtMs: [],
      closed,
      client: createClient({
        url,
        webSocketImpl: BenchWebSocket,
        connectionParams: { authorization: `Bearer ${assignment.accessToken}` },
        lazy: false,
        retryAttempts: 0,
        connectionAckWaitTimeout: HANDSHAKE_TIMEOUT_MS,
        // Every close is recorded by the `closed` listener below; nothing for the console.
        onNonLazyError: () => undefined,
        on: {
          connected: () => {
            acknowledged = true;
            subscribe(socket);
            resolve();
          },
          closed: (event) => {
            markClosed();
            if (!acknowledged) reject(new Error(`socket ${describeClose(event)} before connection_ack`));
            else if (!closing || !isNormalClosure(event)) recordProblem('close', `socket ${describeClose(event)}`);
          },
        },
      }),
    };
    sockets.push(socket);
  });
}

function subscribe(socket: WatchedSocket): void {
  socket.client.subscribe<BalanceUpdatedData>(
    { query: BALANCE_UPDATED, variables: { id: socket.accountId } },
    {
      next: (result: FormattedExecutionResult<BalanceUpdatedData>) => {
        const receivedAtMs = epochMs();
        const version = result.data?.balanceUpdated?.version;
        if (result.errors?.length || typeof version !== 'number') {
          recordProblem('subscription', `subscription result without a version: ${JSON.stringify(result).slice(0, 200)}`);
          return;
        }
        socket.versions.push(version);
        socket.receivedAtMs.push(receivedAtMs);
      },
      error: (error: unknown) => recordProblem('subscription', `subscription error: ${describeClose(error)}`),
      complete: () => {
        if (!closing) recordProblem('subscription', 'subscription completed by the server');
      },
    },
  );
}

async function open(params: WorkerMethods['open']['params']): Promise<OpenReport> {
  let next = 0;
  let connected = 0;
  const failures: string[] = [];
  const connectOne = async () => {
    while (next < params.sockets.length) {
      const assignment = params.sockets[next] as SocketAssignment;
      next += 1;
      try {
        await openSocket(params.url, assignment);
        connected += 1;
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, params.sockets.length) }, connectOne));
  return { connected, failed: failures.length, failureSamples: [...new Set(failures)].slice(0, MAX_PROBLEM_SAMPLES) };
}

function status(params: WorkerMethods['status']['params']): SocketStatus {
  let live = 0;
  let arrivalsAfter = 0;
  for (const socket of sockets) {
    if (socket.versions.length > 0) live += 1;
    const after = params.afterVersions[socket.accountId];
    if (after === undefined) continue;
    for (const version of socket.versions) if (version > after) arrivalsAfter += 1;
  }
  return { live, arrivalsAfter, problems: problems() };
}

function collect(params: WorkerMethods['collect']['params']): DeliveryTally {
  const windows = new Map<string, AccountWindow>(params.windows.map((window) => [window.accountId, window]));
  const latencies: number[] = [];
  let expected = 0;
  let delivered = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let missing = 0;
  let untimed = 0;
  let lastReceivedAtMs = 0;
  for (const socket of sockets) {
    const window = windows.get(socket.accountId);
    if (!window) throw new Error(`no measured window for account ${socket.accountId}`);
    const tally = tallySocket(socket, window, latencies);
    expected += window.lastVersion - window.afterVersion;
    delivered += tally.delivered;
    duplicates += tally.duplicates;
    outOfOrder += tally.outOfOrder;
    missing += tally.missing;
    untimed += tally.untimed;
    lastReceivedAtMs = Math.max(lastReceivedAtMs, tally.lastReceivedAtMs);
  }
  return {
    sockets: sockets.length,
    expected,
    delivered,
    duplicates,
    outOfOrder,
    missing,
    untimed,
    lastReceivedAtMs,
    latenciesMs: Float64Array.from(latencies),
    problems: problems(),
  };
}

async function close(): Promise<{ closed: number }> {
  closing = true;
  for (const socket of sockets) void socket.client.dispose();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(sockets.map((socket) => socket.closed)),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  return { closed: sockets.length };
}

const handlers: { [Method in WorkerMethod]: (params: WorkerMethods[Method]['params']) => Promise<WorkerMethods[Method]['result']> | WorkerMethods[Method]['result'] } = {
  open,
  status,
  collect,
  close,
};

function reply(message: WorkerReply, then?: () => void): void {
  process.send?.(message, undefined, {}, () => then?.());
}

async function serve(request: WorkerRequest): Promise<void> {
  try {
    const handler = handlers[request.method] as (params: WorkerRequest['params']) => Promise<unknown> | unknown;
    const result = await handler(request.params);
    // After `close` there is nothing left to do: exit once the answer is on its way.
    reply({ id: request.id, ok: true, result }, request.method === 'close' ? () => process.exit(0) : undefined);
  } catch (error) {
    reply({ id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}

if (!process.send) throw new Error('fanout-worker.ts runs as a child process of the bench (IPC), not on its own');
process.on('message', (message: WorkerRequest) => void serve(message));
// The bench is gone (killed, crashed): the sockets die with this process, nothing is left behind.
process.on('disconnect', () => process.exit(0));
