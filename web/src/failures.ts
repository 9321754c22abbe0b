/**
 * What the customer reads when the API says no: one sentence per error type, never a code or a
 * stack. The API's own message is kept only where it is written for people and says more than we
 * can (a risk rule's public message).
 */

export interface ApiFailure {
  readonly __typename: string;
  readonly code?: string;
  readonly message?: string;
  readonly retryAfterSeconds?: number | null;
}

const SENTENCES: Record<string, string> = {
  INSUFFICIENT_FUNDS: 'There is not enough available money in the account you are paying from.',
  ACCOUNT_NOT_OPEN: 'One of these accounts is frozen or closed, so it cannot send or receive money.',
  CURRENCY_MISMATCH: 'These two accounts hold different currencies; you can only move money between accounts of the same currency.',
  NOT_FOUND: 'We could not find that account. Reload the page and try again.',
  FORBIDDEN: 'Your sign-in does not allow this payment.',
  VALIDATION: 'Please check the amount and the accounts: the bank could not accept this payment as entered.',
  IDEMPOTENCY_CONFLICT: 'This payment changed while it was being sent. Please check it and send it again.',
  INVALID_CREDENTIALS: 'The username or password is not right.',
};

function waitSentence(seconds: number | null | undefined): string {
  if (!seconds) return 'Too many attempts. Please wait a moment and try again.';
  const minutes = Math.ceil(seconds / 60);
  return `Too many attempts. Please try again in ${seconds < 90 ? `${seconds} seconds` : `${minutes} minutes`}.`;
}

/** The sentence for a typed error result of a mutation; `sentences` words a code for this form (a dispute's VALIDATION is not a payment's). */
export function describeFailure(failure: ApiFailure, sentences: Partial<Record<string, string>> = {}): string {
  const own = failure.code && sentences[failure.code];
  if (own) return own;
  if (failure.code === 'LIMIT_EXCEEDED') return waitSentence(failure.retryAfterSeconds);
  // A risk rule's message is its public wording, written for customers.
  if (failure.code === 'RISK_DECLINED') return `The bank declined this payment: ${failure.message ?? 'it did not pass our checks'}.`.replace(/\.\.$/, '.');
  return (failure.code && SENTENCES[failure.code]) ?? 'The bank could not do this. Please try again later.';
}

/** When no answer came back at all (network down, server restarting). */
export const NO_ANSWER = 'We could not reach the bank. Check your connection and try again.';
