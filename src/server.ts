import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { renderGraphiqlPage } from './graphiql/page.js';
import { ServedPage } from './graphiql/served-page.js';
import express, { type ErrorRequestHandler, type Request } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import { createContext, type Context } from './context.js';
import { TokenSigner } from './auth/tokens.js';
import { RateLimits } from './auth/rate-limits.js';
import { SecretBox } from './auth/secret-box.js';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Redis } from 'ioredis';
import { restRouter } from './rest.js';
import { corsFor } from './cors.js';
import { pageAwareCostLimit } from './query-cost.js';
import type { LiveServices } from './pubsub/live-services.js';
import { startWebSocketServer } from './websocket.js';
import { listen } from './listen.js';
import { createFormatError, errorLoggingPlugin } from './graphql-errors.js';
import { retryHintPlugin } from './retry-hints.js';
import type { Logger } from './logger.js';
import { schema } from './schema/index.js';

/** JSON request bodies above this are refused with 413: no real operation of ours comes near it. */
export const MAX_BODY_BYTES = 1024 * 1024;
const REQUEST_ID_SHAPE = /^[A-Za-z0-9._-]{8,128}$/;

export interface RunningServer {
  readonly httpServer: Server;
  readonly url: string;
  close(): Promise<void>;
}


function requestIdOf(request: Request): string {
  const given = request.header('x-request-id');
  return given && REQUEST_ID_SHAPE.test(given) ? given : randomUUID();
}

/** Wires HTTP, Apollo and GraphiQL on one http.Server. Nothing here knows money. */
/**
 * Query limits (OWASP GraphQL cheat sheet), each with room above every real client query of this
 * schema: a history page with entries is 8 levels deep; the largest real page (100 lines, every
 * transaction field and entry) costs about 36,000 in graphql-armor's model, whether `first` is
 * written in or sent as a variable, while fifteen such pages aliased into one request cost about
 * 85,000; 15 aliases allow a dashboard of balances but not a brute-force batch; limits are not
 * revealed in errors.
 */
export const QUERY_LIMITS = { maxDepth: 12, maxAliases: 15, maxTokens: 2000, maxCost: 50_000, maxDirectives: 20 } as const;

/** One cost model for both passes: at validation (literal page sizes) and once variables are known. */
const COST_LIMIT = { maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true, exposeLimits: false } as const;

export interface ServerOptions {
  readonly redis?: Redis;
  readonly live: LiveServices;
  /** Prefix of rate-limit keys in Redis; tests give each app its own. */
  readonly rateLimitKeyPrefix?: string;
}

export async function startServer(config: Config, orm: MikroORM, logger: Logger, options: ServerOptions): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
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
  );
  const services = { orm, signer, logger, live: options.live, fees: config.fees, auth: { orm, signer, limits, secretBox: new SecretBox(config.encryptionKey) } };
  const armor = new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, exposeLimits: false },
    maxAliases: { n: QUERY_LIMITS.maxAliases, exposeLimits: false },
    // Tokens are limited by graphql-js's own parser (parseOptions below): armor's token rule
    // re-parses and turns every syntax error into a 500.
    maxTokens: { enabled: false },
    costLimit: COST_LIMIT,
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, exposeLimits: false },
    // Suggestions ("did you mean …") help an attacker map a schema whose introspection is off.
    blockFieldSuggestion: { enabled: config.production },
  }).protect();

  const formatError = createFormatError(config.production);
  const apollo = new ApolloServer<Context>({
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
      ...(armor.plugins as unknown as ApolloServerPlugin<Context>[]), pageAwareCostLimit<Context>(COST_LIMIT), ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled(), errorLoggingPlugin, retryHintPlugin],
  });
  await apollo.start();

  // Every response carries a request id, which is also on every log line about the request.
  app.use((request, response, next) => {
    response.locals.requestId = requestIdOf(request);
    response.setHeader('x-request-id', response.locals.requestId);
    next();
  });

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    const [database, redis] = await Promise.all([
      orm.em.fork().execute('select 1').then(() => 'up', () => 'down'),
      options.redis ? options.redis.ping().then(() => 'up', () => 'down') : Promise.resolve('not configured'),
    ]);
    const ready = database === 'up' && redis !== 'down';
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', database, redis });
  });

  const corsPolicy = corsFor(config.corsOrigins);
  if (corsPolicy) app.use(['/graphql', '/v1'], corsPolicy);

  const graphiqlPage = config.graphiqlEnabled ? new ServedPage(renderGraphiqlPage()) : undefined;
  app.get('/graphql', (request, response, next) => {
    if (graphiqlPage && request.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html') {
      graphiqlPage.send(request, response).catch(next);
      return;
    }
    next();
  });

  app.use(
    '/graphql',
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = String(res.locals.requestId);
        return createContext(services, requestId, req.ip ?? 'unknown', req.header('authorization'));
      },
    }),
  );

  app.use(restRouter(services, MAX_BODY_BYTES));

  // Express 5 would print body-parser stack traces; answer in one line instead.
  const bodyErrors: ErrorRequestHandler = (error: { status?: number; type?: string }, _request, response, _next) => {
    const status = error.status === 413 ? 413 : error.status && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error, requestId: response.locals.requestId }, 'unhandled HTTP error');
    const message = status === 413 ? `Request body is larger than ${MAX_BODY_BYTES} bytes.` : status === 500 ? 'Internal server error' : 'Malformed request body.';
    const code = status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    const requestId = String(response.locals.requestId);
    // The REST doors answer in their own shape; GraphQL clients get GraphQL's.
    const body = _request.path.startsWith('/v1/') ? { error: { code, message, requestId } } : { errors: [{ message, extensions: { code, requestId } }] };
    response.status(status).json(body);
  };
  app.use(bodyErrors);

  // Listen before the WebSocket server hooks the http server: it would log a taken port as an
  // internal error of its own (a stack trace) before the start fails in one line.
  await listen(httpServer, config.port).catch(async (error: unknown) => {
    await apollo.stop();
    throw error;
  });
  const websocket = startWebSocketServer(httpServer, services, {
    validationRules: armor.validationRules,
    maxTokens: QUERY_LIMITS.maxTokens,
    costLimit: COST_LIMIT,
    formatError,
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    httpServer,
    url: `http://localhost:${port}`,
    async close() {
      await websocket.close();
      await apollo.stop();
    },
  };
}
