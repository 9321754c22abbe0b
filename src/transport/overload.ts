import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { isLostConnection } from '../ledger/commands/transient-failure.js';

/**
 * The server is busy, not broken: no pooled connection came free within DATABASE_POOL_WAIT_MS, or
 * a read ran past READ_STATEMENT_TIMEOUT_MS. Either way nothing was changed (a money movement that
 * cannot get a connection never began; one cut by a timeout rolled back whole), so the client may
 * send the same request again, with the same idempotency key, after `retryAfterSeconds`. A lost
 * connection (a database failover, README "High availability") is answered the same way: the
 * movement may or may not have committed, and the retry under the same key is answered by what
 * the key recorded, so money still moves at most once.
 */
export const SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE';
export const RETRY_AFTER_SECONDS = 1;
const BUSY_MESSAGE = 'The service is busy. Retry the same request, with the same idempotency key, in a second: money moves at most once.';

/** knex's pool wait ran out (KnexTimeoutError, possibly wrapped by MikroORM). */
function isPoolWaitTimeout(error: Error): boolean {
  return error.name === 'KnexTimeoutError' || /Timeout acquiring a connection/.test(error.message);
}

/** PostgreSQL cancelled the statement at its statement_timeout (SQLSTATE 57014 query_canceled). */
function isStatementTimeout(error: Error): boolean {
  const { code, sqlState } = error as { code?: unknown; sqlState?: unknown };
  return (code === '57014' || sqlState === '57014') && /statement timeout/.test(error.message);
}

/** Whether an error, or one it wraps, means "busy, retry". */
export function isOverload(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (isPoolWaitTimeout(current) || isStatementTimeout(current) || isLostConnection(current)) return true;
    const wrapped = current as { cause?: unknown; originalError?: unknown; previous?: unknown };
    current = wrapped.originalError ?? wrapped.cause ?? wrapped.previous;
  }
  return false;
}

/** What a GraphQL client sees instead of a masked INTERNAL_SERVER_ERROR. */
export function overloadFormattedError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError | undefined {
  if (!isOverload(unwrapResolverError(error))) return undefined;
  return { message: BUSY_MESSAGE, path: formatted.path, extensions: { code: SERVICE_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS } };
}

/** The REST doors' body for the same case. */
export const OVERLOAD_REST_BODY = { error: { code: SERVICE_UNAVAILABLE, message: BUSY_MESSAGE, retryAfterSeconds: RETRY_AFTER_SECONDS } } as const;

/** A response that carries a busy error is HTTP 503 with Retry-After, so proxies and clients back off. */
export const overloadStatusPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        if (!response.body.singleResult.errors?.some((error) => error.extensions?.code === SERVICE_UNAVAILABLE)) return;
        response.http.status = 503;
        response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
      },
    };
  },
};
