import { createClient as createSocket, type Client as Socket } from 'graphql-ws';
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from 'urql';
import type { Session } from './session';

/** The server's close codes (API.md Transport): refused at connect, token expired. */
const FORBIDDEN = 4403;

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
 * close to expiry), so after the server's 4401 at expiry it reconnects with a fresh one.
 */
export function createApiClient(graphqlUrl: string, session: Session): ApiClient {
  const reconnectListeners = new Set<() => void>();
  let connections = 0;
  const socket: Socket = createSocket({
    url: socketUrl(graphqlUrl),
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    connectionParams: async () => {
      await session.fresh();
      return session.accessToken ? { authorization: `Bearer ${session.accessToken}` } : {};
    },
    // 4401 (expired) is worth a retry with a renewed token; a refusal (4403) or a session that has ended is not.
    shouldRetry: (event) => session.signedIn && !(event instanceof CloseEvent && event.code === FORBIDDEN),
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 300 * 2 ** retries))),
    on: {
      connected: () => {
        connections += 1;
        if (connections > 1) for (const listener of reconnectListeners) listener();
      },
    },
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
    dispose: () => void socket.dispose(),
  };
}
