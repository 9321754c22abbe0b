import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { TypedError } from '../errors/typed-error.js';
import { LimitExceededError } from '../errors/shared-errors.js';
import type { Context } from '../context.js';
import { overloadFormattedError } from './overload.js';

/** Error codes whose messages were written for clients; anything else is masked. */
const CLIENT_FACING_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  // A top-level rate limit (payee look-ups) carries its own retryAfterSeconds.
  'LIMIT_EXCEEDED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  // Refusals by a cap (concurrent requests, subscriptions), written for the client with a retry hint.
  'LIMIT_EXCEEDED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

function isClientFacing(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof TypedError) return true;
  // By shape, not instanceof: graphql-js ships CommonJS and ESM builds, and Apollo's subclasses
  // (UserInputError…) may extend the other copy's GraphQLError.
  if (original instanceof Error && 'extensions' in original && 'locations' in original) {
    const { extensions, originalError } = original as GraphQLError;
    const code = extensions?.code;
    // A GraphQLError without a code and without an original error comes from graphql-js itself
    // (a bad variable, an unknown field): its message describes the request, not the server.
    return typeof code === 'string' ? CLIENT_FACING_CODES.has(code) : !originalError;
  }
  return false;
}

/**
 * Apollo's formatError: business errors thrown at the top level (NOT_FOUND for a history of an
 * account that is not yours, VALIDATION for a bad cursor) keep their code; everything unknown
 * becomes a bare INTERNAL_SERVER_ERROR, so no stack, SQL or path ever reaches a client.
 */
export function createFormatError(production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const shown = formatError(formatted, error);
    // "Did you mean …?" (fields, arguments, enum values) helps map a schema whose introspection is off.
    return production ? { ...shown, message: shown.message.replace(/ ?Did you mean [^?]*\?/g, '') } : shown;
  };
}

/** A limit with a retry hint says when to come back, as `Retry-After` does over HTTP. */
function typedErrorExtensions(error: TypedError): Record<string, unknown> {
  const retryAfterSeconds = error instanceof LimitExceededError ? error.retryAfterSeconds : undefined;
  return retryAfterSeconds === undefined ? { code: error.code } : { code: error.code, retryAfterSeconds };
}

function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const busy = overloadFormattedError(formatted, error);
  if (busy) return busy;
  const original = unwrapResolverError(error);
  if (original instanceof TypedError) {
    return { message: original.message, path: formatted.path, locations: formatted.locations, extensions: typedErrorExtensions(original) };
  }
  if (isClientFacing(error)) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    // graphql-js names its token limit in the message; the limits are not advertised. Apollo's
    // introspection refusal names the server software and how to turn introspection on.
    const message = formatted.message
      .replace(/Document contains more th\w+ \d+ tokens\. Parsing aborted\./, 'Document is too large.')
      .replace(/^GraphQL introspection is not allowed\b.*$/s, 'Introspection is turned off on this server.');
    return { ...formatted, message, extensions };
  }
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** Logs every masked error with the request id, and gives that id to the client to quote. */
export const errorLoggingPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, contextValue }) {
        for (const error of errors) {
          if (!isClientFacing(error)) {
            contextValue.logger.error({ requestId: contextValue.requestId, err: unwrapResolverError(error) }, 'request failed');
          }
        }
      },
      async willSendResponse({ response, contextValue }) {
        if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
        response.body.singleResult.errors = response.body.singleResult.errors.map((error) =>
          error.extensions?.code === 'INTERNAL_SERVER_ERROR'
            ? { ...error, extensions: { ...error.extensions, requestId: contextValue.requestId } }
            : error,
        );
      },
    };
  },
};
