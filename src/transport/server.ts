import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import { requestSpans } from '../tracing/request-span.js';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { renderGraphiqlPage } from './graphiql/page.js';
import { ServedPage } from './graphiql/served-page.js';
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { createContext, type Context, type ContextServices } from '../context.js';
import { TokenSigner } from '../auth/tokens.js';
import { RateLimits } from '../auth/rate-limits.js';
import { SecretBox } from '../auth/secret-box.js';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Redis } from 'ioredis';
import { restRouter } from './rest.js';
import { corsFor } from './cors.js';
import { costLimitPlugin } from './query-cost.js';
import { shareSlotOf, shareSlotOfContext, UserShares, withinUserShare, withShareSlot } from './user-shares.js';
import { overloadStatusPlugin } from './overload.js';
import { mountHealthProbes } from './health.js';
import { httpErrorHandler } from './http-errors.js';
import type { LiveServices } from '../pubsub/live-services.js';
import type { ReplicaSet } from '../db/replicas/replica-set.js';
import { startWebSocketServer } from './websocket.js';
import type { SharedExecutions } from './subscription-sharing.js';
import { listen } from './listen.js';
import { createFormatError, errorLoggingPlugin } from './graphql-errors.js';
import { retryHintPlugin } from './retry-hints.js';
import type { Logger } from '../logger.js';
import { schema } from '../schema/index.js';
import type { TallyMetrics } from '../metrics/tally-metrics.js';
import { requestMetricsPlugin } from '../metrics/request-metrics-plugin.js';
import { mountMetricsEndpoint } from './metrics-endpoint.js';
import { mountWebApp } from './web-app.js';

/** JSON request bodies above this are refused with 413: no real operation of ours comes near it. */
export const MAX_BODY_BYTES = 1024 * 1024;
const REQUEST_ID_SHAPE = /^[A-Za-z0-9._-]{8,128}$/;

export interface RunningServer {
  readonly httpServer: Server;
  readonly url: string;
  /**
   * The first step of a graceful shutdown: /readyz turns 503 and every answer from now on carries
   * `Connection: close`, so no client keeps a connection the server will close under it; requests
   * are still served until close().
   */
  beginDraining(): void;
  /** The WebSocket server's shared subscription executions (tests and diagnostics count them). */
  readonly sharedExecutions: SharedExecutions;
  /** Closes WebSockets with 1001, stops accepting, and waits for in-flight requests to be answered. */
  close(): Promise<void>;
}

function requestIdOf(request: Request): string {
  const given = request.header('x-request-id');
  return given && REQUEST_ID_SHAPE.test(given) ? given : randomUUID();
}

/**
 * Query limits (OWASP GraphQL cheat sheet), each with room above every real client query of this
 * schema: a history page with entries is 8 levels deep; 15 aliases allow a dashboard of balances
 * but not a brute-force batch; limits are not revealed in errors. The cost (src/transport/query-cost.ts:
 * the most values a response can hold, every list multiplied by its bound) of the real queries:
 * the heaviest history page (100 lines, every transaction field and entry, 5 entries an approved
 * wire review's) 4,306; every account with all its balance fields (100 accounts) 1,300; the README's
 * first-session query 1,014. The attacks it stops: 15 aliased 100-line pages with entries over
 * 40,000; every account's 100-line page with entries (`accounts { transactions(first: 100) { … entries } }`,
 * 10,000 lines) 310,200. A limit of 7,000 serves the first with room (and every account's default
 * 3-line page with entries, 6,500) and refuses the second by 5x and more.
 */
export const QUERY_LIMITS = { maxDepth: 12, maxAliases: 15, maxTokens: 2000, maxCost: 7_000, maxDirectives: 20 } as const;

/** Longest a request waits for its user's turn (a request slot, or room for its cost) before 429. */
const SHARE_WAIT_MS = 5_000;
/** Requests of one user that may wait for a turn: a burst of parallel movements waits; a flood is refused at once. */
const SHARE_MAX_QUEUED = 100;

export interface ServerOptions {
  readonly redis?: Redis;
  readonly live: LiveServices;
  /** Prefix of rate-limit keys in Redis; tests give each app its own. */
  readonly rateLimitKeyPrefix?: string;
  readonly metrics: TallyMetrics;
  /** With traces on (OTEL_EXPORTER_OTLP_ENDPOINT), every request gets a span of this tracer. */
  readonly tracer?: Tracer;
  /** DATABASE_REPLICA_URLS' replicas, for the reads that may lag (context.followerDatabase). */
  readonly replicas?: ReplicaSet;
}

/**
 * Wires HTTP, Apollo and GraphiQL on one http.Server. Nothing here knows money. The steps run in
 * this order because Express matches in mount order: the request id first (every answer and log
 * line carries it), then the request's trace span when traces are on, the probes before CORS and
 * the user shares (a probe is never refused), the GraphiQL page before Apollo (a browser's GET must
 * not reach it), the web app's static files at /app (src/transport/web-app.ts), the error handler last.
 */
export async function startServer(config: Config, orm: MikroORM, logger: Logger, options: ServerOptions): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const services = createServices(config, orm, logger, options);
  const { metrics } = options;
  let draining = false;
  const armor = queryLimitRules(config);
  // Each user's fair share of this process (src/transport/user-shares.ts): requests in flight, and
  // query cost executing at once (one heaviest query at a time), with a bounded wait for a turn.
  const shares = new UserShares({ maxRequests: config.maxConcurrentRequestsPerUser, maxCost: QUERY_LIMITS.maxCost, costPerSecond: config.queryCostPerUserPerSecond, maxWaitMs: SHARE_WAIT_MS, maxQueued: SHARE_MAX_QUEUED });
  const formatError = createFormatError(config.production);
  const apollo = buildApollo(config, httpServer, armor, formatError, metrics);
  await apollo.start();

  app.use(assignRequestId);
  if (options.tracer) app.use(requestSpans(options.tracer, logger));
  app.use((_request, response, next) => {
    if (draining) response.setHeader('connection', 'close');
    next();
  });
  mountHealthProbes(app, orm, options.redis, () => draining);
  mountMetricsEndpoint(app, metrics.registry, config.metricsToken);
  const corsPolicy = corsFor(config.corsOrigins);
  if (corsPolicy) app.use(['/graphql', '/v1'], corsPolicy);
  if (config.graphiqlEnabled) mountGraphiql(app);
  mountWebApp(app);
  const refusedByShare = () => metrics.refusedBy('user-share');
  mountGraphql(app, apollo, services, shares, refusedByShare);
  app.use(restRouter(services, MAX_BODY_BYTES, (handler) => withinUserShare(shares, services.signer, 'rest', handler, refusedByShare)));
  app.use(httpErrorHandler(logger, MAX_BODY_BYTES));

  // Listen before the WebSocket server hooks the http server: it would log a taken port as an
  // internal error of its own (a stack trace) before the start fails in one line.
  await listen(httpServer, config.port).catch(async (error: unknown) => {
    await apollo.stop();
    throw error;
  });
  const websocket = startWebSocketServer(httpServer, services, {
    validationRules: armor.validationRules,
    maxTokens: QUERY_LIMITS.maxTokens,
    maxCost: QUERY_LIMITS.maxCost,
    formatError,
    subscriptions: { perSocket: config.maxSubscriptionsPerSocket, perUser: config.maxSubscriptionsPerUser },
    metrics,
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    httpServer,
    url: `http://localhost:${port}`,
    beginDraining() {
      draining = true;
    },
    sharedExecutions: websocket.shared,
    async close() {
      draining = true;
      await websocket.close();
      await apollo.stop();
    },
  };
}

/** The services every request and socket context shares: one token signer, one set of rate limits. */
function createServices(config: Config, orm: MikroORM, logger: Logger, options: ServerOptions): ContextServices {
  const signer = new TokenSigner(config.jwtSecret, config.accessTokenTtlSeconds);
  const limits = new RateLimits(
    {
      loginFailuresPerUsername: config.loginFailuresPerUsername,
      loginSuccessesPerUser: config.loginSuccessesPerUser,
      movementsPerMinute: config.movementsPerMinute,
      payeeLookupsPerHour: config.payeeLookupsPerHour,
    },
    options.redis,
    options.rateLimitKeyPrefix ?? 'tally:limits',
    options.metrics.refusedBy,
  );
  const risk = config.riskRules ? { calendar: config.availability.calendar, reviewTimeoutMs: config.reviewTimeoutSeconds * 1000 } : undefined;
  return { orm, signer, logger, live: options.live, fees: config.fees, availability: config.availability, disputes: config.disputes, reconciliation: config.reconciliation, risk, replicas: options.replicas, auth: { orm, signer, limits, secretBox: new SecretBox(config.encryptionKey) } };
}

type QueryLimitRules = ReturnType<ApolloArmor['protect']>;

/** graphql-armor's rules for QUERY_LIMITS, shared by HTTP and the WebSocket: a socket is not a way around them. */
function queryLimitRules(config: Config): QueryLimitRules {
  return new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, exposeLimits: false },
    maxAliases: { n: QUERY_LIMITS.maxAliases, exposeLimits: false },
    // Tokens are limited by graphql-js's own parser (parseOptions in buildApollo): armor's token
    // rule re-parses and turns every syntax error into a 500.
    maxTokens: { enabled: false },
    // graphql-armor's cost rule knows page sizes but not list bounds; src/transport/query-cost.ts has its own model.
    costLimit: { enabled: false },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, exposeLimits: false },
    // Suggestions ("did you mean …") help an attacker map a schema whose introspection is off.
    blockFieldSuggestion: { enabled: config.production },
  }).protect();
}

/** Apollo with the query limits, the error masking and the plugins that shape every response. */
function buildApollo(config: Config, httpServer: Server, armor: QueryLimitRules, formatError: ReturnType<typeof createFormatError>, metrics: TallyMetrics): ApolloServer<Context> {
  // The cost of an operation is reserved from its user's share before it executes.
  const reserveCost = async (context: Context, cost: number) => {
    const admitted = (await shareSlotOfContext(context)?.reserve(cost)) ?? true;
    if (!admitted) metrics.refusedBy('user-share');
    return admitted;
  };
  return new ApolloServer<Context>({
    schema,
    formatError,
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM; Apollo's own handler would race it and hang a second stop().
    stopOnTerminationSignals: false,
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    plugins: [
      // graphql-armor's typings name Apollo's CommonJS declarations; the objects are the same.
      ...(armor.plugins as unknown as ApolloServerPlugin<Context>[]),
      costLimitPlugin<Context>(QUERY_LIMITS.maxCost, reserveCost),
      // At shutdown: stop accepting, close idle connections, wait for in-flight requests; half of
      // SHUTDOWN_TIMEOUT (after its drain delay), then the rest are cut so the process can still exit in time.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: ((config.shutdownTimeoutSeconds - config.shutdownDrainDelaySeconds) * 1000) / 2 }),
      requestMetricsPlugin(metrics) as ApolloServerPlugin<Context>,
      ApolloServerPluginLandingPageDisabled(),
      // Tally sends no cache hints; the default cache-control plugin would wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      errorLoggingPlugin,
      retryHintPlugin,
      overloadStatusPlugin as ApolloServerPlugin<Context>,
    ],
  });
}

/** Every response carries a request id, which is also on every log line about the request. */
const assignRequestId: RequestHandler = (request, response, next) => {
  response.locals.requestId = requestIdOf(request);
  response.setHeader('x-request-id', response.locals.requestId);
  next();
};

/**
 * A browser asking `/graphql` for HTML gets the GraphiQL page (rendered once, here); every other
 * request goes on to Apollo. Mounted only when GraphiQL is enabled.
 */
function mountGraphiql(app: Express): void {
  const graphiqlPage = new ServedPage(renderGraphiqlPage());
  app.get('/graphql', (request, response, next) => {
    if (request.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html') {
      graphiqlPage.send(request, response).catch(next);
      return;
    }
    next();
  });
}

/** POST/GET `/graphql`: a bounded JSON body, the caller's user share, then Apollo with a per-request context. */
function mountGraphql(app: Express, apollo: ApolloServer<Context>, services: ContextServices, shares: UserShares, onRefusal: () => void): void {
  app.use(
    '/graphql',
    express.json({ limit: MAX_BODY_BYTES }),
    withinUserShare(shares, services.signer, 'graphql', expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = String(res.locals.requestId);
        const context = await createContext(services, requestId, req.ip ?? 'unknown', req.header('authorization'));
        return withShareSlot(context, shareSlotOf(res));
      },
    }), onRefusal),
  );
}
