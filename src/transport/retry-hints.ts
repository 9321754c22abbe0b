import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context.js';
import { LimitExceededError } from '../errors/shared-errors.js';

/**
 * A typed LIMIT_EXCEEDED result is data, not a GraphQL error, so a client (or a gateway) reading
 * only the response envelope would miss when to come back. The resolvers note each rate-limited
 * result here, and the plugin puts the longest wait into the response's own
 * `extensions.retryAfterSeconds`, as a thrown LIMIT_EXCEEDED carries it on its error.
 */
const longestRetryAfterSeconds = new WeakMap<Context, number>();

/** Returns `result` unchanged, remembering its retry hint for the response when it has one. */
export function noteRetryHint<Result>(context: Context, result: Result): Result {
  if (result instanceof LimitExceededError && result.retryAfterSeconds !== undefined) {
    longestRetryAfterSeconds.set(context, Math.max(longestRetryAfterSeconds.get(context) ?? 0, result.retryAfterSeconds));
  }
  return result;
}

export const retryHintPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, contextValue }) {
        const retryAfterSeconds = longestRetryAfterSeconds.get(contextValue);
        if (retryAfterSeconds === undefined || response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        result.extensions = { ...result.extensions, retryAfterSeconds };
      },
    };
  },
};
