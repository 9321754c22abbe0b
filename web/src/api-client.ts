import { createClient as createSocket, type Client as Socket } from 'graphql-ws';
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from 'urql';
import type { Session } from './session';

/** The server's close code for a refused connect (API.md Transport); retrying cannot help. */
const FORBIDDEN = 4403;
/** Our own close code for "reconnect now with the renewed token" (graphql-ws retries a 4xxx it does not know). */
const RESTART = 4205;
/**
 * How long an idle socket stays open. A feed resuming replaces its subscription (complete, then
 * subscribe): with graphql-ws's default of 0 the complete released the last operation and closed
 * the socket, and the next connect counted as a reconnect, which resumed the feeds again, and so on.
 */
const IDLE_CLOSE_MS = 3_000;

export interface ApiClient {
  readonly client: Client;
  /** Called each time the live socket connects again after a drop, so subscriptions resume with afterVersion. */
  onReconnect(listener: () => void): () => void;
  dispose(): void;
}

function socketUrl(graphqlUrl: string): string {
  const url = new URL(graphqlUrl, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * One urql client per signed-in session: HTTP with the current access token, and one graphql-ws
 * socket for every live balance. The socket reads the token at each connect (renewing it first when
 * close to expiry), and is restarted when the session renews its token, before the server would
 * close it with 4401 at expiry (graphql-ws treats 4401 as fatal and would not reconnect; the
 * balance feeds then subscribe again themselves, see BalanceFeed).
 */
export function createApiClient(graphqlUrl: string, session: Session): ApiClient {
  const reconnectListeners = new Set<() => void>();
  let open: WebSocket | undefined;
  let restarting = false;
  /** The access token the socket's latest connect presented. */
  let connectedWith: string | undefined;
  const restart = (socketToClose: WebSocket) => {
    restarting = true;
    socketToClose.close(RESTART, 'Access token renewed');
  };
  const socket: Socket = createSocket({
    url: socketUrl(graphqlUrl),
    lazy: true,
    lazyCloseTimeout: IDLE_CLOSE_MS,
    retryAttempts: Number.POSITIVE_INFINITY,
    connectionParams: async () => {
      await session.fresh();
      connectedWith = session.accessToken;
      return session.accessToken ? { authorization: `Bearer ${session.accessToken}` } : {};
    },
    // 4401 (expired) is worth a retry with a renewed token; a refusal (4403) or a session that has ended is not.
    shouldRetry: (event) => session.signedIn && !(event instanceof CloseEvent && event.code === FORBIDDEN),
    retryWait: async (retries) => {
      if (restarting) {
        restarting = false;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 300 * 2 ** retries)));
    },
    on: {
      closed: () => {
        open = undefined;
      },
      connected: (socket, _payload, wasRetry) => {
        open = socket as WebSocket;
        // A renewal that landed while this connect was under way: the server would close the
        // socket with 4401 when the older token expires, and graphql-ws never retries a 4401.
        if (connectedWith !== session.accessToken) return restart(open);
        // Only a connect after a drop (a restart is one) can have missed updates. A socket opened
        // again after an idle close carries only subscriptions just made, with their own
        // afterVersion: resuming them would replace them, and could close the socket once more.
        if (wasRetry) for (const listener of reconnectListeners) listener();
      },
    },
  });
  const stopRestarts = session.onRenew(() => {
    // A socket still connecting is restarted by `connected` once it sees the token changed.
    if (open?.readyState === WebSocket.OPEN) restart(open);
  });
  const client = new Client({
    url: graphqlUrl,
    preferGetMethod: false,
    fetchOptions: () => (session.accessToken ? { headers: { authorization: `Bearer ${session.accessToken}` } } : {}),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const operation = { ...request, query: request.query ?? '' };
          return { subscribe: (sink) => ({ unsubscribe: socket.subscribe(operation, sink) }) };
        },
      }),
    ],
  });
  return {
    client,
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    dispose: () => {
      stopRestarts();
      void socket.dispose();
    },
  };
}
