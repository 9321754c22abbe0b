import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import express, { type ErrorRequestHandler, type Request } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config.js';
import { createContext, type Context } from './context.js';
import { TokenSigner } from './auth/tokens.js';
import { errorLoggingPlugin, formatError } from './graphql-errors.js';
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

const GRAPHIQL_DEFAULT_QUERY = `# Welcome to Tally. Sign in first (a demo user is printed in the start banner):
#   mutation { generateToken(input: {username: "alice", password: "…"}) { ... on AuthTokens { accessToken } ... on Error { code message } } }
# then put {"Authorization": "Bearer <accessToken>"} in the Headers tab below.
query MyAccounts {
  accounts { id number currency balance { posted available version } }
}
`;

function requestIdOf(request: Request): string {
  const given = request.header('x-request-id');
  return given && REQUEST_ID_SHAPE.test(given) ? given : randomUUID();
}

/** Wires HTTP, Apollo and GraphiQL on one http.Server. Nothing here knows money. */
export async function startServer(config: Config, orm: MikroORM, logger: Logger): Promise<RunningServer> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const signer = new TokenSigner(config.jwtSecret);

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM; Apollo's own handler would race it and hang a second stop().
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled(), errorLoggingPlugin],
  });
  await apollo.start();

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.get('/readyz', async (_request, response) => {
    try {
      await orm.em.fork().execute('select 1');
      response.json({ status: 'ready', database: 'up' });
    } catch {
      response.status(503).json({ status: 'unavailable', database: 'down' });
    }
  });

  // Rendered once: the page is ~9 MB with GraphiQL inlined, so it needs no CDN.
  const graphiqlPage = config.graphiqlEnabled
    ? renderGraphiQL({ endpoint: '/graphql', title: 'Tally GraphiQL', defaultQuery: GRAPHIQL_DEFAULT_QUERY, subscriptionsProtocol: 'WS' })
    : undefined;
  app.get('/graphql', (request, response, next) => {
    if (graphiqlPage && request.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html') {
      response.type('html').send(graphiqlPage);
      return;
    }
    next();
  });

  app.use(
    '/graphql',
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = requestIdOf(req);
        res.setHeader('x-request-id', requestId);
        return createContext({ orm, signer, logger }, requestId, req.header('authorization'));
      },
    }),
  );

  // Express 5 would print body-parser stack traces; answer in one line instead.
  const bodyErrors: ErrorRequestHandler = (error: { status?: number; type?: string }, _request, response, _next) => {
    const status = error.status === 413 ? 413 : error.status && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error }, 'unhandled HTTP error');
    const message = status === 413 ? `Request body is larger than ${MAX_BODY_BYTES} bytes.` : status === 500 ? 'Internal server error' : 'Malformed request body.';
    response.status(status).json({ errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } }] });
  };
  app.use(bodyErrors);

  await new Promise<void>((resolve) => httpServer.listen(config.port, resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    httpServer,
    url: `http://localhost:${port}`,
    async close() {
      await apollo.stop();
    },
  };
}
