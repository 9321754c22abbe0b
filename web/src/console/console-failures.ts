import type { CombinedError } from 'urql';
import { describeFailure, NO_ANSWER, type ApiFailure } from '../failures';

/**
 * What an operator reads when the API says no. Operators are staff: the API's own message for a
 * refused step ("The dispute is OPEN: you cannot resolve it.") is written for people and says
 * exactly what is wrong, so it is shown; every other error is one sentence, never a code alone.
 */
const OPERATOR_SENTENCES: Record<string, string> = {
  NOT_FOUND: 'It was not found: it may have been decided or removed meanwhile. Reload and look again.',
  FORBIDDEN: 'Your sign-in may not do this: it takes an operator.',
  ACCOUNT_NOT_OPEN: 'The account is frozen or closed, so no money can move on it.',
  INSUFFICIENT_FUNDS: 'The account does not have enough available money for this.',
  CURRENCY_MISMATCH: 'The accounts involved hold different currencies.',
  IDEMPOTENCY_CONFLICT: 'This request changed while it was being sent. Close it, check it and try again.',
};

export function describeConsoleFailure(failure: ApiFailure): string {
  if (failure.code === 'VALIDATION' && failure.message) return `The bank did not accept this: ${failure.message}`;
  return (failure.code && OPERATOR_SENTENCES[failure.code]) ?? describeFailure(failure);
}

/** A request that failed as a whole: the network (no answer), or a top-level GraphQL error. */
export function describeRequestError(error: CombinedError | undefined): string {
  const first = error?.graphQLErrors[0];
  if (!first) return NO_ANSWER;
  const extensions = first.extensions as { code?: unknown; retryAfterSeconds?: unknown };
  const code = typeof extensions.code === 'string' ? extensions.code : undefined;
  if (code === 'UNAUTHENTICATED') return 'Your session has ended. Sign in again.';
  const retryAfterSeconds = typeof extensions.retryAfterSeconds === 'number' ? extensions.retryAfterSeconds : null;
  return describeConsoleFailure({ __typename: 'Error', ...(code ? { code } : {}), retryAfterSeconds });
}
