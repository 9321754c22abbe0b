import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  GraphQLError,
  getOperationAST,
  parse,
  specifiedRules,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLFormattedError,
  type ValidationRule,
} from 'graphql';
import type { ConnectionInitMessage, ServerOptions, SubscribePayload } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticate, createContext, type Context, type ContextServices } from '../context.js';
import { costRefusal, refusalsOf } from './query-cost.js';
import { subscriptionRefusal } from './subscription-access.js';
import { SubscriptionCaps, type SocketPlaces, type SubscriptionLimits } from './subscription-caps.js';
import { SharedExecutions, selectionKeyOf, subscribeSharing, type SelectionKey } from './subscription-sharing.js';
import { schema } from '../schema/index.js';
import type { TallyMetrics } from '../metrics/tally-metrics.js';

/** A subscribe message is a few hundred bytes; 64 KiB leaves room and stops memory abuse (ws defaults to 100 MiB). */
export const MAX_WS_PAYLOAD_BYTES = 64 * 1024;
/** A socket that has not sent connection_init with a valid token by then is closed. */
export const CONNECTION_INIT_TIMEOUT_MS = 5_000;
/** graphql-ws close code for an expired token (API.md): the client reconnects with a fresh token. */
export const TOKEN_EXPIRED_CLOSE_CODE = 4401;

/** The same query limits and error masking as HTTP: a socket is not a way around them. */
export interface WebSocketLimits {
  /** graphql-armor's depth, alias and directive rules (and suggestion blocking). */
  readonly validationRules: readonly ValidationRule[];
  readonly maxTokens: number;
  /** The query cost limit (src/transport/query-cost.ts), as over HTTP. */
  readonly maxCost: number;
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Active subscriptions per socket and per user (MAX_SUBSCRIPTIONS_PER_SOCKET, MAX_SUBSCRIPTIONS_PER_USER). */
  readonly subscriptions: SubscriptionLimits;
  /** Counts connections, subscriptions, deliveries and cap refusals (src/metrics/). */
  readonly metrics?: TallyMetrics;
}

/** Queries and mutations have HTTP, with its CSRF, body and rate limits; the socket is for live data. */
const SUBSCRIPTIONS_ONLY = 'Only subscriptions are served over WebSocket; send queries and mutations to POST /graphql.';

interface SocketState {
  authorization?: string;
  expiryTimer?: NodeJS.Timeout;
  clientIp: string;
  places: SocketPlaces;
}

/**
 * What the socket hooks share: one process-wide view of every connected socket's state and
 * subscription places, and the limits they apply.
 */
interface SocketServerParts {
  readonly services: ContextServices;
  readonly limits: WebSocketLimits;
  /** graphql-js's own validation rules plus the HTTP limits' (depth, aliases, directives). */
  readonly rules: readonly ValidationRule[];
  readonly states: WeakMap<object, SocketState>;
  readonly caps: SubscriptionCaps;
  /** Pushes executed once per (event, document, variables, viewer), shared by the sockets that match. */
  readonly shared: SharedExecutions;
  /** Each prepared subscription's sharing key (absent: it executes its pushes on its own). */
  readonly selections: WeakMap<ExecutionArgs, SelectionKey>;
}

/** The graphql-ws hooks Tally sets, over the `ws` adapter's sockets. */
type SocketHooks = Partial<ServerOptions<ConnectionInitMessage['payload'], Extra>>;

/**
 * GraphQL subscriptions over WebSocket on the same port and path as HTTP (graphql-transport-ws).
 * The token is checked in onConnect (a bad one is refused with 4403), and the socket is closed
 * with 4401 the moment that token expires: an expired token is never served. onSubscribe applies
 * the HTTP limits and checks that the caller owns the account before any stream starts. Each
 * subscription keeps its own event stream (its resume point and order), but a shareable field's
 * pushes are executed once for every socket with the same event, document, variables and viewer
 * (subscription-sharing.ts), so ten thousand sockets on one account cost one execution per change.
 */
export function startWebSocketServer(httpServer: Server, services: ContextServices, limits: WebSocketLimits) {
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: MAX_WS_PAYLOAD_BYTES });
  const parts: SocketServerParts = {
    services,
    limits,
    rules: [...specifiedRules, ...limits.validationRules],
    states: new WeakMap(),
    caps: new SubscriptionCaps(limits.subscriptions),
    shared: new SharedExecutions(),
    selections: new WeakMap(),
  };
  const cleanup = useServer(
    {
      schema,
      connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
      subscribe: (args) => subscribeSharing(parts.shared, args, parts.selections.get(args)),
      ...connectionHooks(parts),
      ...subscriptionHooks(parts),
      ...maskingHooks(parts),
    },
    wsServer,
  );
  return {
    shared: parts.shared,
    async close() {
      for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
      await cleanup.dispose();
    },
  };
}

/** A socket is served only with a valid token, and no longer than that token lives. */
function connectionHooks({ services, states, caps, limits }: SocketServerParts): SocketHooks {
  return {
    onConnect: async (ctx) => {
      const authorization = ctx.connectionParams?.authorization;
      const { viewer, expiresAt } = await authenticate(services.signer, typeof authorization === 'string' ? authorization : undefined);
      if (!viewer || !expiresAt) return false; // graphql-ws closes with 4403 Forbidden
      const state: SocketState = {
        authorization: authorization as string,
        clientIp: ctx.extra.request.socket.remoteAddress ?? 'unknown',
        places: caps.forSocket(viewer.userId),
      };
      state.expiryTimer = setTimeout(() => ctx.extra.socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'Access token expired'), Math.max(0, expiresAt.getTime() - Date.now()));
      states.set(ctx.extra.socket, state);
      limits.metrics?.websocketConnections.inc();
      return true;
    },
    onClose: (ctx) => {
      const state = states.get(ctx.extra.socket);
      clearTimeout(state?.expiryTimer);
      // Whatever did not complete on its own gives its place back now, exactly once.
      if (state) {
        caps.releaseAll(state.places);
        limits.metrics?.websocketConnections.dec();
        limits.metrics?.subscriptions.set(caps.active);
      }
    },
  };
}

/** Every subscription holds a place under the caps from its subscribe message until it ends. */
function subscriptionHooks(parts: SocketServerParts): SocketHooks {
  const { states, caps } = parts;
  const metrics = parts.limits.metrics;
  return {
    onSubscribe: async (ctx, _id, payload) => {
      const places = states.get(ctx.extra.socket)?.places;
      if (!places) return [new GraphQLError('Not connected.', { extensions: { code: 'UNAUTHENTICATED' } })];
      // Counted before anything else, so a flood of subscribes costs a counter each, not a parse.
      const full = caps.hold(places, payload);
      if (full) {
        metrics?.refusedBy('subscriptions');
        return [full];
      }
      try {
        const prepared = await prepareSubscription(parts, ctx.extra.socket, payload);
        if (Array.isArray(prepared)) caps.release(places, payload);
        return prepared;
      } catch (error) {
        caps.release(places, payload);
        // A database blip while starting one subscription must not close the socket and its others.
        return [new GraphQLError('Internal server error', { originalError: error instanceof Error ? error : new Error(String(error)) })];
      } finally {
        metrics?.subscriptions.set(caps.active);
      }
    },
    // The stream ended: by the client's complete, the server's, or an error.
    onComplete: (ctx, _id, payload) => {
      const places = states.get(ctx.extra.socket)?.places;
      if (places) caps.release(places, payload);
      metrics?.subscriptions.set(caps.active);
    },
  };
}

/** Refusals and results leave through the same masking as HTTP responses. */
function maskingHooks(parts: SocketServerParts): SocketHooks {
  return {
    onError: (_ctx, _id, _payload, errors) => {
      const requestId = randomUUID();
      return errors.map((error) => maskedError(parts, error, requestId));
    },
    onNext: (_ctx, _id, _payload, args, result) => {
      parts.limits.metrics?.deliveries.inc();
      if (!result.errors) return undefined;
      const requestId = (args.contextValue as Context | undefined)?.requestId ?? randomUUID();
      return { ...result, errors: result.errors.map((error) => maskedError(parts, error, requestId)) };
    },
  };
}

/** HTTP's masking; a masked error is logged with an id the client can quote, as over HTTP. */
function maskedError({ limits, services }: SocketServerParts, error: GraphQLError, requestId: string): GraphQLFormattedError {
  const shown = limits.formatError(error.toJSON(), error);
  if (shown.extensions?.code !== 'INTERNAL_SERVER_ERROR') return shown;
  const original = unwrapResolverError(error);
  services.logger.error({ requestId, err: original instanceof GraphQLError ? (original.originalError ?? original) : original }, 'subscription failed');
  return { ...shown, extensions: { ...shown.extensions, requestId } };
}

/** Parsed and validated here, as HTTP does, rather than by graphql-ws's defaults (no limits). */
async function prepareSubscription(
  { services, limits, rules, states, selections }: SocketServerParts,
  socket: object,
  payload: SubscribePayload,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: limits.maxTokens });
  } catch (error) {
    return [error instanceof GraphQLError ? error : new GraphQLError('Syntax Error: the document could not be parsed.')];
  }
  const refusals = refusalsOf(schema, document, rules);
  if (refusals.length > 0) return refusals;
  if (getOperationAST(document, payload.operationName)?.operation !== 'subscription') {
    return [new GraphQLError(SUBSCRIPTIONS_ONLY, { extensions: { code: 'BAD_REQUEST' } })];
  }
  const variableValues = payload.variables ?? {};
  const overCost = costRefusal(schema, document, payload.operationName, variableValues, limits.maxCost);
  if (overCost) return [overCost];
  const state = states.get(socket);
  const contextValue = await createContext(services, randomUUID(), state?.clientIp ?? 'unknown', state?.authorization);
  const notOwned = await subscriptionRefusal(schema, document, payload.operationName, variableValues, contextValue);
  if (notOwned) return [notOwned];
  const operationName = payload.operationName ?? null;
  const args: ExecutionArgs = { schema, document, variableValues, operationName, contextValue };
  const selection = selectionKeyOf(schema, document, payload.query, operationName, variableValues, contextValue.viewer);
  if (selection) selections.set(args, selection);
  return args;
}
