import assert from 'node:assert/strict';
import {
  AccountNotOpenError,
  LimitExceededError,
  CurrencyMismatchError,
  InsufficientFundsError,
  NotFoundError,
  ValidationError,
  type LedgerError,
} from '../errors.js';
import { formatMinor, parseAmount, type CurrencyScale } from '../money.js';
import { MAX_BALANCE_MINOR, MAX_MOVEMENT_MINOR } from '../limits.js';
import type { AccountSnapshot, Channel, CustomerLeg, Direction, MovementPlan } from '../types.js';
import { canDebit } from './funds.js';
import { internalAccountCode } from './internal-accounts.js';

/**
 * The decisions: pure functions from a request and locked account snapshots to a plan or a
 * business error. No I/O and no clock, so they are table-tested and could run many commands
 * against the same snapshots in one database transaction (group commit, DESIGN.md).
 */

export interface DepositRequest {
  readonly amount: string;
  readonly channel: Channel;
}
export type WithdrawalRequest = DepositRequest;
export interface TransferRequest {
  readonly amount: string;
  readonly sourceAccountId: string;
  readonly destinationAccountId: string;
}

/** What the account's minor units mean, as stored on it: every amount of the account is parsed by it. */
function scaleOf(account: AccountSnapshot): CurrencyScale {
  return { currency: account.currency, exponent: account.currencyExponent };
}

function leg(account: AccountSnapshot, direction: Direction, amountMinor: bigint): CustomerLeg {
  const postedAfterMinor = direction === 'CREDIT' ? account.postedMinor + amountMinor : account.postedMinor - amountMinor;
  return { accountId: account.id, direction, postedAfterMinor, versionBefore: account.version, versionAfter: account.version + 1 };
}

/**
 * Checked right after the amount is parsed, before any account's balance is looked at: the
 * answer depends on the amount alone, never on what a payee holds (see MAX_MOVEMENT_MINOR).
 */
function parseMovementAmount(amount: string, scale: CurrencyScale): bigint | ValidationError | LimitExceededError {
  const amountMinor = parseAmount(amount, scale);
  if (amountMinor instanceof ValidationError) return amountMinor;
  if (amountMinor > MAX_MOVEMENT_MINOR) {
    return new LimitExceededError(`One movement may carry at most ${formatMinor(MAX_MOVEMENT_MINOR, scale.exponent)} ${scale.currency}.`);
  }
  return amountMinor;
}

function checkCeiling(account: AccountSnapshot, amountMinor: bigint): LimitExceededError | undefined {
  return account.postedMinor + amountMinor > MAX_BALANCE_MINOR ? new LimitExceededError('The account would exceed the largest balance Tally holds.') : undefined;
}

/**
 * The ceiling as a payer meets it, which must say nothing about the payee's balance. Every
 * movement is at most MAX_MOVEMENT_MINOR, so a payee with at least that much room below the
 * ceiling can take any transfer; a payee with less takes none, whatever the amount. The answer
 * is one bit ("holds more than 99% of the ceiling", i.e. over 990 trillion USD), never a number
 * to bisect, where the exact check (balance + amount > ceiling) gave the balance to the cent.
 */
function checkPayeeHeadroom(payee: AccountSnapshot): LimitExceededError | undefined {
  return payee.postedMinor > MAX_BALANCE_MINOR - MAX_MOVEMENT_MINOR ? new LimitExceededError('The destination account cannot receive transfers now.') : undefined;
}

function checkOpen(account: AccountSnapshot): AccountNotOpenError | undefined {
  return account.status === 'OPEN' ? undefined : new AccountNotOpenError(`The account is ${account.status.toLowerCase()}.`);
}

/** `anyAccount`: the actor is an operator (a teller, a payroll feed), who may credit any customer account. */
export function decideDeposit(request: DepositRequest, account: AccountSnapshot | undefined, anyAccount = false): MovementPlan | LedgerError {
  if (!account || !(account.ownedByActor || anyAccount)) return new NotFoundError('No such account.');
  const notOpen = checkOpen(account);
  if (notOpen) return notOpen;
  const amountMinor = parseMovementAmount(request.amount, scaleOf(account));
  if (typeof amountMinor !== 'bigint') return amountMinor;
  const tooLarge = checkCeiling(account, amountMinor);
  if (tooLarge) return tooLarge;
  return {
    kind: 'DEPOSIT',
    channel: request.channel,
    amountMinor,
    currency: account.currency,
    currencyExponent: account.currencyExponent,
    customerLegs: [leg(account, 'CREDIT', amountMinor)],
    internalLeg: { direction: 'DEBIT', internalCode: internalAccountCode(request.channel) },
  };
}

export function decideWithdrawal(request: WithdrawalRequest, account: AccountSnapshot | undefined): MovementPlan | LedgerError {
  if (!account || !account.ownedByActor) return new NotFoundError('No such account.');
  const notOpen = checkOpen(account);
  if (notOpen) return notOpen;
  const amountMinor = parseMovementAmount(request.amount, scaleOf(account));
  if (typeof amountMinor !== 'bigint') return amountMinor;
  if (!canDebit(account, amountMinor)) return new InsufficientFundsError();
  // From here on the withdrawal must succeed: the plan is complete and every law is checked.
  return {
    kind: 'WITHDRAWAL',
    channel: request.channel,
    amountMinor,
    currency: account.currency,
    currencyExponent: account.currencyExponent,
    customerLegs: [leg(account, 'DEBIT', amountMinor)],
    internalLeg: { direction: 'CREDIT', internalCode: internalAccountCode(request.channel) },
  };
}

/**
 * A transfer needs the actor to own the source; the destination may be any customer account
 * (a payee). The destination's balance is never shown to the actor, but its being closed or in
 * another currency is said, as a bank's payment form would.
 */
export function decideTransfer(
  request: TransferRequest,
  source: AccountSnapshot | undefined,
  destination: AccountSnapshot | undefined,
): MovementPlan | LedgerError {
  if (request.sourceAccountId === request.destinationAccountId) {
    return new ValidationError('A transfer needs two different accounts.', 'toAccountId');
  }
  if (!source || !source.ownedByActor) return new NotFoundError('No such source account.');
  if (!destination) return new NotFoundError('No such destination account.');
  assert.notEqual(source.id, destination.id);
  const sourceNotOpen = checkOpen(source);
  if (sourceNotOpen) return sourceNotOpen;
  const destinationNotOpen = checkOpen(destination);
  if (destinationNotOpen) return new AccountNotOpenError(`The destination account is ${destination.status.toLowerCase()}.`);
  if (source.currency !== destination.currency) {
    return new CurrencyMismatchError(`The source account holds ${source.currency} and the destination ${destination.currency}.`);
  }
  // Accounts opened before Tally took minor units from ISO 4217 may count the same currency in
  // other units (whole forints, where ISO says fillér): one amount cannot mean both, so refuse.
  if (source.currencyExponent !== destination.currencyExponent) {
    return new CurrencyMismatchError(
      `The source account counts ${source.currency} to ${source.currencyExponent} decimal places and the destination to ${destination.currencyExponent}; the bank must convert one of them first.`,
    );
  }
  const amountMinor = parseMovementAmount(request.amount, scaleOf(source));
  if (typeof amountMinor !== 'bigint') return amountMinor;
  if (!canDebit(source, amountMinor)) return new InsufficientFundsError();
  const tooLarge = destination.ownedByActor ? checkCeiling(destination, amountMinor) : checkPayeeHeadroom(destination);
  if (tooLarge) return tooLarge;
  // From here on the transfer must succeed.
  return {
    kind: 'TRANSFER',
    channel: 'INTERNAL',
    amountMinor,
    currency: source.currency,
    currencyExponent: source.currencyExponent,
    customerLegs: [leg(source, 'DEBIT', amountMinor), leg(destination, 'CREDIT', amountMinor)],
  };
}
