import {
  AccountNotOpenError,
  BatchAbortedError,
  CurrencyMismatchError,
  ForbiddenError,
  IdempotencyConflictError,
  InsufficientFundsError,
  HoldNotActiveError,
  NotFoundError,
  RiskDeclinedError,
} from '../ledger/errors.js';
import { InvalidCredentialsError } from '../auth/errors.js';
import { LimitExceededError, ValidationError } from '../errors/shared-errors.js';
import { ERROR_CODES, type TypedError } from '../errors/typed-error.js';
import { builder } from './builder.js';

const ERROR_CODE_DESCRIPTIONS: Record<(typeof ERROR_CODES)[number], string> = {
  VALIDATION: 'The input is malformed (amount, currency, key, text). Fix the input; retrying as is cannot succeed.',
  NOT_FOUND: 'No such account or transaction, or not one of yours: the two look the same on purpose.',
  INSUFFICIENT_FUNDS: 'The source account lacks available funds (including any overdraft limit).',
  ACCOUNT_NOT_OPEN: 'The account is frozen or closed.',
  CURRENCY_MISMATCH: 'The two accounts of a transfer hold different currencies.',
  IDEMPOTENCY_CONFLICT: 'This idempotency key was already used by you for a different request.',
  LIMIT_EXCEEDED: 'A limit was reached: a rate limit (then `retryAfterSeconds` says when to retry) or a fixed ceiling such as accounts per customer.',
  RISK_DECLINED: "Declined by the bank's risk rules: the message says why in the rule's public words. Nothing moved.",
  HOLD_NOT_ACTIVE: 'The hold was already captured (finally), voided or expired: nothing more can be captured or released.',
  INVALID_CREDENTIALS: 'Unknown username or wrong password.',
  FORBIDDEN:
    'You are signed in but your role may not do this (a customer posting cash, a service outside its channels, an operator withdrawing); the message says who may. Nothing changed and nothing is stored under the idempotency key.',
  BATCH_ABORTED: 'An item of an atomic batch was rolled back because another item (`failedIndex`) failed: nothing of the batch was committed, and nothing is stored under this item\'s key.',
};

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description: 'Machine-readable reason of a business failure.',
  values: Object.fromEntries(ERROR_CODES.map((code) => [code, { description: ERROR_CODE_DESCRIPTIONS[code] }])),
});

export const ErrorInterface = builder.interfaceRef<TypedError>('Error').implement({
  description: 'A business failure returned as data: nothing was changed (or, on a replay, nothing changed again).',
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, description: 'What went wrong, for programs.', resolve: (error) => error.code }),
    message: t.exposeString('message', { description: 'What went wrong, for people.' }),
    retryable: t.exposeBoolean('retryable', {
      description:
        'True when a new request (with a new idempotency key) could succeed later without changing its input, ' +
        'e.g. after a deposit clears INSUFFICIENT_FUNDS.',
    }),
  }),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Pothos infers the shape from the class.
function errorType(errorClass: new (...args: any[]) => TypedError, name: string, description: string) {
  return builder.objectType(errorClass, {
    name,
    description,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof errorClass,
  });
}

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input is malformed; `field` names the input field at fault when there is one.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    field: t.exposeString('field', { nullable: true, description: 'The input field at fault, e.g. "amount".' }),
  }),
});
errorType(NotFoundError, 'NotFoundError', 'No such account or transaction visible to you.');
errorType(InsufficientFundsError, 'InsufficientFundsError', 'Not enough available funds.');
errorType(AccountNotOpenError, 'AccountNotOpenError', 'The account is frozen or closed.');
errorType(RiskDeclinedError, 'RiskDeclinedError', "A risk rule declined the movement; `message` is the rule's public message. Nothing moved.");
errorType(CurrencyMismatchError, 'CurrencyMismatchError', 'The accounts hold different currencies.');
errorType(
  IdempotencyConflictError,
  'IdempotencyConflictError',
  'The idempotency key was already used for a different request.',
);
builder.objectType(LimitExceededError, {
  name: 'LimitExceededError',
  description: 'A limit was reached: a rate limit (sign-in, refresh, two-factor, money movements) or a fixed ceiling (accounts per customer, the largest balance).',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof LimitExceededError,
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', {
      nullable: true,
      description:
        'For a rate limit, the whole seconds to wait before the same request could be allowed (as HTTP Retry-After); ' +
        'null for a fixed ceiling, which waiting does not lift.',
    }),
  }),
});
errorType(HoldNotActiveError, 'HoldNotActiveError', 'The hold is no longer active: captured (finally), voided or expired.');
errorType(
  ForbiddenError,
  'ForbiddenError',
  'Your role may not make this movement (see README "Who may do what"); `message` says which role or channel may. Nothing changed, and the idempotency key stays free.',
);
builder.objectType(BatchAbortedError, {
  name: 'BatchAbortedError',
  description: 'Not committed: another item of the atomic batch failed, so the whole batch was rolled back. Send the batch again, fixed, with the same keys.',
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof BatchAbortedError,
  fields: (t) => ({
    failedIndex: t.exposeInt('failedIndex', { description: 'The index (from 0, in input order) of the item whose failure rolled the batch back; its own result says why.' }),
  }),
});
errorType(InvalidCredentialsError, 'InvalidCredentialsError', 'Unknown username or wrong password.');
