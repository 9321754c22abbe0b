import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createFormatError } from '../../src/transport/graphql-errors.js';
import { LimitExceededError, NotFoundError } from '../../src/ledger/errors.js';

/**
 * A LIMIT_EXCEEDED thrown as a top-level GraphQL error (a per-user cap on concurrent requests or
 * subscriptions) says when to retry in `extensions.retryAfterSeconds`, as Retry-After does over
 * HTTP; errors without a retry hint keep their plain extensions.
 */
const formatError = createFormatError(true);

function resolverError(original: Error): GraphQLError {
  // What graphql-js hands Apollo for an error thrown in a resolver: located, with a path.
  return new GraphQLError(original.message, { path: ['me'], originalError: original });
}

describe('LIMIT_EXCEEDED as a top-level GraphQL error', () => {
  it('carries extensions.retryAfterSeconds when the limit is a rate', () => {
    const error = resolverError(new LimitExceededError('Too many requests at once.', 7));
    expect(formatError({ message: error.message, path: ['me'] }, error)).toEqual({
      message: 'Too many requests at once.',
      path: ['me'],
      extensions: { code: 'LIMIT_EXCEEDED', retryAfterSeconds: 7 },
    });
  });

  it.each([
    ['a fixed ceiling', new LimitExceededError('A customer may hold at most 100 accounts.'), 'LIMIT_EXCEEDED'],
    ['another business error', new NotFoundError(), 'NOT_FOUND'],
  ])('%s has no retry hint', (_name, original, code) => {
    const error = resolverError(original);
    expect(formatError({ message: error.message, path: ['me'] }, error).extensions).toEqual({ code });
  });
});

describe('LimitExceededError', () => {
  it('is retryable exactly when it has a retry time', () => {
    expect(new LimitExceededError('rate', 3)).toMatchObject({ retryable: true, retryAfterSeconds: 3 });
    expect(new LimitExceededError('ceiling')).toMatchObject({ retryable: false, retryAfterSeconds: undefined });
  });
});
