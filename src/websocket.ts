import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticate, createContext, type ContextServices } from './context.js';
import { schema } from './schema/index.js';

/** A subscribe message is a few hundred bytes; 64 KiB leaves room and stops memory abuse (ws defaults to 100 MiB). */
export const MAX_WS_PAYLOAD_BYTES = 64 * 1024;
/** A socket that has not sent connection_init with a valid token by then is closed. */
export const CONNECTION_INIT_TIMEOUT_MS = 5_000;
/** graphql-ws close code for an expired token (API.md): the client reconnects with a fresh token. */
export const TOKEN_EXPIRED_CLOSE_CODE = 4401;

interface SocketState {
  authorization?: string;
  expiryTimer?: NodeJS.Timeout;
  clientIp: string;
}

/**
 * GraphQL subscriptions over WebSocket on the same port and path as HTTP (graphql-transport-ws).
 * The token is checked in onConnect (a bad one is refused with 4403), and the socket is closed
 * with 4401 the moment that token expires: an expired token is never served.
 */
export function startWebSocketServer(httpServer: Server, services: ContextServices) {
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: MAX_WS_PAYLOAD_BYTES });
  const states = new WeakMap<object, SocketState>();
  const cleanup = useServer(
    {
      schema,
      connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        const { viewer, expiresAt } = await authenticate(services.signer, typeof authorization === 'string' ? authorization : undefined);
        if (!viewer || !expiresAt) return false; // graphql-ws closes with 4403 Forbidden
        const state: SocketState = { authorization: authorization as string, clientIp: ctx.extra.request.socket.remoteAddress ?? 'unknown' };
        state.expiryTimer = setTimeout(() => ctx.extra.socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'Access token expired'), Math.max(0, expiresAt.getTime() - Date.now()));
        states.set(ctx.extra.socket, state);
        return true;
      },
      onClose: (ctx) => {
        clearTimeout(states.get(ctx.extra.socket)?.expiryTimer);
      },
      context: (ctx) => {
        const state = states.get(ctx.extra.socket);
        return createContext(services, randomUUID(), state?.clientIp ?? 'unknown', state?.authorization);
      },
    },
    wsServer,
  );
  return {
    async close() {
      for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
      await cleanup.dispose();
    },
  };
}
