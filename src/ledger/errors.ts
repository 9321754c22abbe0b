/**
 * Business failures of the ledger: values a command returns (and the API shows as typed results),
 * not crashes. Their base, the codes and the retry table are shared with sign-in
 * (errors/typed-error.ts); so are malformed input and limits (errors/shared-errors.ts), re-exported
 * here so the ledger names all its failures from one module.
 */
import { TypedError as LedgerError } from '../errors/typed-error.js';
import { LimitExceededError, ValidationError } from '../errors/shared-errors.js';

export { ERROR_CODES, isTransient, type ErrorCode } from '../errors/typed-error.js';
export { LimitExceededError, ValidationError };

/** The ledger's name for the shared base (the same class): every ledger failure is one. */
export { LedgerError };

export class NotFoundError extends LedgerError {
  readonly code = 'NOT_FOUND';
  constructor(message = 'No such account or transaction.') {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class InsufficientFundsError extends LedgerError {
  readonly code = 'INSUFFICIENT_FUNDS';
  constructor(message = 'The account does not hold enough available funds for this amount.') {
    super(message);
    this.name = 'InsufficientFundsError';
  }
}

export class AccountNotOpenError extends LedgerError {
  readonly code = 'ACCOUNT_NOT_OPEN';
  constructor(message = 'The account is not open.') {
    super(message);
    this.name = 'AccountNotOpenError';
  }
}

export class CurrencyMismatchError extends LedgerError {
  readonly code = 'CURRENCY_MISMATCH';
  constructor(message = 'The accounts hold different currencies.') {
    super(message);
    this.name = 'CurrencyMismatchError';
  }
}

export class IdempotencyConflictError extends LedgerError {
  readonly code = 'IDEMPOTENCY_CONFLICT';
  constructor(message = 'This idempotency key was already used for a different request.') {
    super(message);
    this.name = 'IdempotencyConflictError';
  }
}

/** The hold was captured (finally), voided or expired: nothing more can be captured or released. */
export class HoldNotActiveError extends LedgerError {
  readonly code = 'HOLD_NOT_ACTIVE';
  constructor(message = 'The hold is no longer active.') {
    super(message);
    this.name = 'HoldNotActiveError';
  }
}

/**
 * A risk rule refused the movement (issue 9 §1). The message is the rule's public message, never
 * its condition (which would teach evasion). A fresh refusal carries the decision, so the refusing
 * unit can store it beside the outcome; a replayed one does not need it.
 */
export class RiskDeclinedError extends LedgerError {
  readonly code = 'RISK_DECLINED';
  constructor(
    message = 'This movement was declined.',
    readonly decision?: unknown,
  ) {
    super(message);
    this.name = 'RiskDeclinedError';
  }
}

/**
 * The actor is signed in and may see the account, but its role (or, for a service, its channels)
 * does not allow this movement: a customer posting cash, a service outside its rails, an operator
 * withdrawing. The message says who may. Like VALIDATION it is not a business outcome, so nothing
 * is stored under the idempotency key: the same key may carry the request again once it is allowed.
 */
export class ForbiddenError extends LedgerError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'You are signed in but not allowed to do this.') {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/**
 * An item of an atomic batch (postMovements with `atomic: true`) that was not committed because
 * another item, `failedIndex`, failed: the whole batch was rolled back, this item included. Never
 * stored under the item's key (nothing of the batch was), so the same key may be sent again.
 */
export class BatchAbortedError extends LedgerError {
  readonly code = 'BATCH_ABORTED';
  constructor(
    readonly failedIndex: number,
    message = `Not committed: item ${failedIndex} of the atomic batch failed, so none of its items were.`,
  ) {
    super(message);
    this.name = 'BatchAbortedError';
  }
}

/** Rebuilds a stored business error (idempotent replay) as the same class with the same message. */
export function ledgerErrorFromCode(code: string, message: string, field?: string): LedgerError {
  switch (code) {
    case 'VALIDATION':
      return new ValidationError(message, field);
    case 'NOT_FOUND':
      return new NotFoundError(message);
    case 'INSUFFICIENT_FUNDS':
      return new InsufficientFundsError(message);
    case 'ACCOUNT_NOT_OPEN':
      return new AccountNotOpenError(message);
    case 'CURRENCY_MISMATCH':
      return new CurrencyMismatchError(message);
    case 'IDEMPOTENCY_CONFLICT':
      return new IdempotencyConflictError(message);
    case 'LIMIT_EXCEEDED':
      return new LimitExceededError(message);
    case 'HOLD_NOT_ACTIVE':
      return new HoldNotActiveError(message);
    case 'RISK_DECLINED':
      return new RiskDeclinedError(message);
    case 'FORBIDDEN':
      return new ForbiddenError(message);
    default:
      throw new Error(`stored outcome has an unknown error code ${code}`);
  }
}

/** The failures a money movement can have; the API lists exactly these in its result unions. */
export const MOVEMENT_ERROR_CLASSES = [
  LimitExceededError,
  ValidationError,
  NotFoundError,
  InsufficientFundsError,
  AccountNotOpenError,
  CurrencyMismatchError,
  IdempotencyConflictError,
  RiskDeclinedError,
  ForbiddenError,
] as const;
export type MovementError = InstanceType<(typeof MOVEMENT_ERROR_CLASSES)[number]>;

/** The failures authorizing, capturing or voiding a hold can have. */
export const HOLD_ERROR_CLASSES = [...MOVEMENT_ERROR_CLASSES, HoldNotActiveError] as const;
export type HoldError = InstanceType<(typeof HOLD_ERROR_CLASSES)[number]>;

/** The failures that refuse a whole batch (postMovements) before any item runs. */
export const BATCH_ERROR_CLASSES = [ValidationError, LimitExceededError, IdempotencyConflictError] as const;
export type BatchError = InstanceType<(typeof BATCH_ERROR_CLASSES)[number]>;

/** The failures opening an account can have. */
export const OPEN_ACCOUNT_ERROR_CLASSES = [ValidationError, LimitExceededError, IdempotencyConflictError, ForbiddenError] as const;
export type OpenAccountError = InstanceType<(typeof OPEN_ACCOUNT_ERROR_CLASSES)[number]>;

/** Narrows a failure to one of `classes`; any other is a bug, reported as such rather than mislabelled. */
export function expectErrorOf<Classes extends ReadonlyArray<new (...args: never[]) => LedgerError>>(
  classes: Classes,
  error: LedgerError,
): InstanceType<Classes[number]> {
  if (classes.some((errorClass) => error instanceof errorClass)) return error as InstanceType<Classes[number]>;
  throw new Error(`unexpected ${error.code} failure here: ${error.message}`);
}
