import {
  AccountNotOpenError,
  LedgerError,
  LimitExceededError,
  CurrencyMismatchError,
  InsufficientFundsError,
  NotFoundError,
  ValidationError,
} from '../errors.js';
import { formatMinor, parseAmount, type CurrencyScale } from '../money.js';
import { MAX_BALANCE_MINOR, MAX_MOVEMENT_MINOR } from '../limits.js';
import type { AccountSnapshot, Channel, MovementPlan } from '../types.js';
import type { CommandSnapshots, MovementOutcome, Replay } from '../commands/command.js';
import { canDebit } from './funds.js';
import { DEPOSIT_CHANNELS, FEE_INCOME, WITHDRAWAL_CHANNELS, internalAccountCode } from './internal-accounts.js';
import { planMovement } from './plan-movement.js';
import { checkKey, checkMovementFields, type MovementText } from './request-checks.js';
import { DEFAULT_FEE_SCHEDULE, withdrawalFeeMinor, type FeeSchedule } from './wire-fee.js';
import { mayDeposit, mayTransfer, mayWithdraw } from './permissions.js';

/**
 * The decisions: pure functions from a request, the unit's locked snapshots and the unit's clock
 * to a plan, a typed error or a replay. No I/O, so they are table-tested and run many commands
 * against the same snapshots in one database transaction (group commit, DESIGN.md). Each owns
 * every check of its command, in the order its comment lists; a request failing two checks gets
 * the first (TigerBeetle's "errors by descending precedence", test/ledger/decide.test.ts).
 */

export interface DepositRequest extends MovementText {
  readonly accountId: string;
  readonly amount: string;
  readonly channel: Channel;
}
export interface WithdrawalRequest extends DepositRequest {
  /** The bank's fees; not part of what the client asked (nor of its hash). */
  readonly fees?: FeeSchedule;
}
export interface TransferRequest extends MovementText {
  readonly amount: string;
  readonly sourceAccountId: string;
  readonly destinationAccountId: string;
}

export type MovementDecision = MovementPlan | LedgerError | Replay<MovementOutcome>;

/** What the account's minor units mean, as stored on it: every amount of the account is parsed by it. */
function scaleOf(account: AccountSnapshot): CurrencyScale {
  return { currency: account.currency, exponent: account.currencyExponent };
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

/**
 * A deposit, checks in order: 1 the key (malformed, replay, conflict); 2 the channel; 3 the amount's
 * shape, description, externalRef; 4 the account is within the actor's reach (its owner's, or any
 * customer account for an operator or a service) else NOT_FOUND, and the actor's role and channels
 * allow a deposit through the channel (mayDeposit) else FORBIDDEN; 5 it is open; 6 the amount in
 * the account's currency, then the per-movement cap; 7 the balance ceiling. Last, the
 * command's decide runs the risk step (commands/risk-step.ts) on the plan: 8 the rules.
 */
export function decideDeposit(request: DepositRequest, snapshots: CommandSnapshots<MovementOutcome>, _now: Date): MovementDecision {
  const early =
    checkKey(snapshots.key) ??
    (DEPOSIT_CHANNELS.has(request.channel) ? undefined : new ValidationError(`Money cannot be deposited through ${request.channel}.`, 'channel')) ??
    checkMovementFields(request.amount, request);
  if (early) return early;
  const account = mayDeposit(snapshots.actor, snapshots.account(request.accountId), request.channel);
  if (account instanceof LedgerError) return account;
  const notOpen = checkOpen(account);
  if (notOpen) return notOpen;
  const amountMinor = parseMovementAmount(request.amount, scaleOf(account));
  if (typeof amountMinor !== 'bigint') return amountMinor;
  const tooLarge = checkCeiling(account, amountMinor);
  if (tooLarge) return tooLarge;
  return planMovement(
    { kind: 'DEPOSIT', channel: request.channel, amountMinor, currency: account.currency, currencyExponent: account.currencyExponent },
    [
      { target: { customerAccountId: account.id }, direction: 'CREDIT', amountMinor, layer: 'POSTED' },
      { target: { internalCode: internalAccountCode(request.channel) }, direction: 'DEBIT', amountMinor, layer: 'POSTED' },
    ],
    [account],
  );
}

/**
 * A withdrawal, checks in order: 1 the key; 2 the channel; 3 the amount's shape, description,
 * externalRef, originCountry; 4 the account is within the actor's reach (its owner's, or any customer account for a
 * service) else NOT_FOUND, and the role and channels allow the withdrawal (mayWithdraw) else
 * FORBIDDEN; 5 it is open; 6 the amount in its currency, then the per-movement cap; 7 available
 * funds for the amount plus the channel's fee.
 * The fee is an entry of its own, to the bank's fee income, in the same transaction: refused whole
 * or posted whole. The transaction's amount stays the principal, what the customer asked for.
 * Last, the command's decide runs the risk step (commands/risk-step.ts): 8 the rules.
 */
export function decideWithdrawal(request: WithdrawalRequest, snapshots: CommandSnapshots<MovementOutcome>, _now: Date): MovementDecision {
  const early =
    checkKey(snapshots.key) ??
    (WITHDRAWAL_CHANNELS.has(request.channel) ? undefined : new ValidationError(`Money cannot be withdrawn through ${request.channel}.`, 'channel')) ??
    checkMovementFields(request.amount, request);
  if (early) return early;
  const account = mayWithdraw(snapshots.actor, snapshots.account(request.accountId), request.channel);
  if (account instanceof LedgerError) return account;
  const notOpen = checkOpen(account);
  if (notOpen) return notOpen;
  const scale = scaleOf(account);
  const amountMinor = parseMovementAmount(request.amount, scale);
  if (typeof amountMinor !== 'bigint') return amountMinor;
  const feeMinor = withdrawalFeeMinor(request.channel, request.fees ?? DEFAULT_FEE_SCHEDULE, scale);
  if (!canDebit(account, amountMinor + feeMinor)) {
    return new InsufficientFundsError(
      feeMinor > 0n
        ? `The account does not hold enough available funds for this amount and its ${formatMinor(feeMinor, scale.exponent)} ${scale.currency} fee.`
        : undefined,
    );
  }
  // From here on the withdrawal must succeed: the plan is complete and every law is checked.
  return planMovement(
    { kind: 'WITHDRAWAL', channel: request.channel, amountMinor, currency: account.currency, currencyExponent: account.currencyExponent },
    [
      { target: { customerAccountId: account.id }, direction: 'DEBIT', amountMinor: amountMinor + feeMinor, layer: 'POSTED' },
      { target: { internalCode: internalAccountCode(request.channel) }, direction: 'CREDIT', amountMinor, layer: 'POSTED' },
      ...(feeMinor > 0n ? [{ target: { internalCode: FEE_INCOME }, direction: 'CREDIT' as const, amountMinor: feeMinor, layer: 'POSTED' as const }] : []),
    ],
    [account],
  );
}

/** Checks 4-6 of a transfer: both accounts visible, open, and counting one currency in one unit. */
function checkTransferAccounts(source: AccountSnapshot | undefined, destination: AccountSnapshot | undefined): LedgerError | undefined {
  if (!source || !source.ownedByActor) return new NotFoundError('No such source account.');
  if (!destination) return new NotFoundError('No such destination account.');
  const sourceNotOpen = checkOpen(source);
  if (sourceNotOpen) return sourceNotOpen;
  if (destination.status !== 'OPEN') return new AccountNotOpenError(`The destination account is ${destination.status.toLowerCase()}.`);
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
  return undefined;
}

/**
 * A transfer needs the actor to own the source; the destination may be any customer account
 * (a payee). The destination's balance is never shown to the actor, but its being closed or in
 * another currency is said, as a bank's payment form would. Checks in order: 1 the key; 2 two
 * different accounts; 3 the amount's shape, description, externalRef; 4 the source is the actor's
 * (NOT_FOUND; an operator or a service that names an existing source: FORBIDDEN, mayTransfer),
 * then the destination exists (NOT_FOUND); 5 source open, destination open; 6 one currency, one
 * exponent; 7 the amount in that currency, then the per-movement cap; 8 available funds; 9 the
 * destination's ceiling (its own headroom bit for a payee). Last, the command's decide runs the
 * risk step (commands/risk-step.ts): 10 the rules.
 */
export function decideTransfer(request: TransferRequest, snapshots: CommandSnapshots<MovementOutcome>, _now: Date): MovementDecision {
  const early =
    checkKey(snapshots.key) ??
    (request.sourceAccountId === request.destinationAccountId ? new ValidationError('A transfer needs two different accounts.', 'toAccountId') : undefined) ??
    checkMovementFields(request.amount, request);
  if (early) return early;
  const source = mayTransfer(snapshots.actor, snapshots.account(request.sourceAccountId));
  if (source instanceof LedgerError) return source;
  const destination = snapshots.account(request.destinationAccountId);
  const refused = checkTransferAccounts(source, destination);
  if (refused || !destination) return refused ?? new NotFoundError();
  const amountMinor = parseMovementAmount(request.amount, scaleOf(source));
  if (typeof amountMinor !== 'bigint') return amountMinor;
  if (!canDebit(source, amountMinor)) return new InsufficientFundsError();
  const tooLarge = destination.ownedByActor ? checkCeiling(destination, amountMinor) : checkPayeeHeadroom(destination);
  if (tooLarge) return tooLarge;
  // From here on the transfer must succeed.
  return planMovement(
    { kind: 'TRANSFER', channel: 'INTERNAL', amountMinor, currency: source.currency, currencyExponent: source.currencyExponent },
    [
      { target: { customerAccountId: source.id }, direction: 'DEBIT', amountMinor, layer: 'POSTED' },
      { target: { customerAccountId: destination.id }, direction: 'CREDIT', amountMinor, layer: 'POSTED' },
    ],
    [source, destination],
  );
}
