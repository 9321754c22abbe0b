import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * A graphql-ws (graphql-transport-ws) client over a real WebSocket, as a browser or app would use
 * it, with what the tests need to watch: when and how the server closed the socket, and every
 * result a subscription delivered, with bounded waits.
 */

export interface SocketClose {
  readonly code: number;
  readonly reason: string;
  /** Date.now() when the client saw the close. */
  readonly atMs: number;
}

export interface LiveSocket {
  readonly client: Client;
  /** Resolves when the server acknowledged connection_init; rejects if the socket closed first. */
  readonly connected: Promise<void>;
  /** Resolves with the first close of the socket (the client never reconnects: retryAttempts 0). */
  readonly closed: Promise<SocketClose>;
  readonly isClosed: boolean;
  /** Resolves with the close, or rejects after `timeoutMs`. */
  waitForClose(timeoutMs: number): Promise<SocketClose>;
  dispose(): Promise<void>;
}

function closeOf(event: unknown): SocketClose {
  const { code, reason } = (event ?? {}) as { code?: unknown; reason?: unknown };
  return {
    code: typeof code === 'number' ? code : -1,
    reason: typeof reason === 'string' ? reason : reason instanceof Buffer ? reason.toString('utf8') : String(reason ?? ''),
    atMs: Date.now(),
  };
}

/**
 * `httpUrl` is `http://host:port` (as ServerProcess.url); the socket goes to ws://host:port/graphql.
 * `webSocketImpl` lets a test keep hold of the underlying `ws` socket (a subclass that records itself).
 */
export function openSocket(httpUrl: string, accessToken?: string, webSocketImpl: unknown = WebSocket): LiveSocket {
  const url = `${httpUrl.replace(/^http/, 'ws')}/graphql`;
  let close: SocketClose | undefined;
  let resolveClosed!: (close: SocketClose) => void;
  let resolveConnected!: () => void;
  let rejectConnected!: (error: Error) => void;
  const closed = new Promise<SocketClose>((resolve) => (resolveClosed = resolve));
  const connected = new Promise<void>((resolve, reject) => {
    resolveConnected = resolve;
    rejectConnected = reject;
  });
  // A refused socket is an expected outcome in some tests: never an unhandled rejection.
  connected.catch(() => undefined);
  const client = createClient({
    url,
    webSocketImpl,
    connectionParams: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
    retryAttempts: 0,
    lazy: false,
    // The close is recorded by the `closed` listener below; the tests assert on it.
    onNonLazyError: () => undefined,
    on: {
      connected: () => resolveConnected(),
      closed: (event) => {
        if (close) return;
        close = closeOf(event);
        rejectConnected(new Error(`socket closed before connection_ack: ${close.code} ${close.reason}`));
        resolveClosed(close);
      },
    },
  });
  return {
    client,
    connected,
    closed,
    get isClosed() {
      return close !== undefined;
    },
    waitForClose: (timeoutMs) =>
      new Promise<SocketClose>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the socket was not closed within ${timeoutMs} ms`)), timeoutMs);
        void closed.then((value) => {
          clearTimeout(timer);
          resolve(value);
        });
      }),
    dispose: () => client.dispose() as Promise<void>,
  };
}

export interface LiveSubscription<Data> {
  /** Every `next` payload, in arrival order. */
  readonly results: ReadonlyArray<FormattedExecutionResult<Data, unknown>>;
  /** The payloads that carried data. */
  data(): Data[];
  /** What the sink's error() got (GraphQL errors or a close event), if anything. */
  readonly error: unknown;
  readonly completed: boolean;
  /** Resolves once `predicate` holds over the results; rejects after `timeoutMs` with `label`. */
  waitUntil(predicate: (subscription: LiveSubscription<Data>) => boolean, timeoutMs: number, label: string): Promise<void>;
  /** Resolves once the sink completed or errored; rejects after `timeoutMs`. */
  waitForEnd(timeoutMs: number): Promise<void>;
  unsubscribe(): void;
}

export function subscribe<Data>(socket: LiveSocket, query: string, variables: Record<string, unknown>): LiveSubscription<Data> {
  const results: Array<FormattedExecutionResult<Data, unknown>> = [];
  let error: unknown;
  let ended = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const subscription: LiveSubscription<Data> = {
    results,
    data: () => results.flatMap((result) => (result.data ? [result.data] : [])),
    get error() {
      return error;
    },
    get completed() {
      return ended && error === undefined;
    },
    waitUntil: (predicate, timeoutMs, label) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(subscription)) {
            finish();
            resolve();
          } else if (ended) {
            finish();
            reject(new Error(`${label}: the subscription ended first (error ${JSON.stringify(describeError(error))}); results ${JSON.stringify(results)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${label}: not within ${timeoutMs} ms; results so far ${JSON.stringify(results)}`));
        }, timeoutMs);
        function finish() {
          clearTimeout(timer);
          listeners.delete(check);
        }
        listeners.add(check);
        check();
      }),
    waitForEnd: (timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!ended) return;
          finish();
          resolve();
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`the subscription did not end within ${timeoutMs} ms; results ${JSON.stringify(results)}`));
        }, timeoutMs);
        function finish() {
          clearTimeout(timer);
          listeners.delete(check);
        }
        listeners.add(check);
        check();
      }),
    unsubscribe: () => unsubscribe(),
  };
  const unsubscribe = socket.client.subscribe<Data>(
    { query, variables },
    {
      next: (value) => {
        results.push(value);
        notify();
      },
      error: (value) => {
        error = value ?? new Error('subscription error without a value');
        ended = true;
        notify();
      },
      complete: () => {
        ended = true;
        notify();
      },
    },
  );
  return subscription;
}

/** A close event or GraphQL error list, printable. */
export function describeError(error: unknown): unknown {
  if (error === undefined) return undefined;
  if (Array.isArray(error)) return error;
  if (error instanceof Error) return error.message;
  const { code, reason } = error as { code?: unknown; reason?: unknown };
  if (code !== undefined) return { code, reason: String(reason ?? '') };
  return String(error);
}
