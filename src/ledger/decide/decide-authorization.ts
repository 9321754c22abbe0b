import { InsufficientFundsError, AccountNotOpenError, LedgerError, LimitExceededError, ValidationError } from '../errors.js';
import { formatMinor, parseAmount } from '../money.js';
import { MAX_MOVEMENT_MINOR } from '../limits.js';
import type { Channel, MovementPlan } from '../types.js';
import type { CommandSnapshots, HoldOutcome, Replay } from '../commands/command.js';
import { canDebit } from './funds.js';
import { WITHDRAWAL_CHANNELS, internalAccountCode } from './internal-accounts.js';
import { planMovement } from './plan-movement.js';
import { checkKey, checkMovementFields, type MovementText } from './request-checks.js';
import { mayAuthorizeOn } from './permissions.js';
import { DEFAULT_HOLD_SECONDS, MAX_HOLD_SECONDS, MIN_HOLD_SECONDS } from '../hold-limits.js';

export interface AuthorizationRequest extends MovementText {
  readonly accountId: string;
  readonly amount: string;
  readonly channel: Channel;
  readonly expiresInSeconds?: number | null;
}

/** An authorization that may happen: its PENDING-layer movement and the hold row to create. */
export interface AuthorizationPlan {
  readonly movement: MovementPlan;
  readonly accountId: string;
  readonly expiresAt: Date;
}

function checkExpiry(seconds: number | null | undefined): ValidationError | undefined {
  if (seconds === null || seconds === undefined) return undefined;
  if (!Number.isInteger(seconds) || seconds < MIN_HOLD_SECONDS || seconds > MAX_HOLD_SECONDS) {
    return new ValidationError(`expiresInSeconds must be a whole number from ${MIN_HOLD_SECONDS} to ${MAX_HOLD_SECONDS} (30 days).`, 'expiresInSeconds');
  }
  return undefined;
}

/**
 * An authorization (a hold), checks in order: 1 the key (malformed, replay, conflict); 2 the
 * channel (one money can leave through); 3 the amount's shape, description, externalRef,
 * originCountry; 4
 * expiresInSeconds within 1 s..30 days; 5 the account is within the actor's reach (its owner's,
 * or any customer account for a service), else NOT_FOUND, and the role and channels allow a hold
 * on the channel (mayAuthorizeOn), else FORBIDDEN; 6 it is open; 7 the amount in its currency, then the
 * per-movement cap; 8 available funds (posted − pending ≥ amount − overdraft limit), else
 * INSUFFICIENT_FUNDS. The plan debits the customer and credits the channel's settlement account,
 * both in the PENDING layer: pending rises by the amount, available drops, posted is untouched.
 */
export function decideAuthorization(
  request: AuthorizationRequest,
  snapshots: CommandSnapshots<HoldOutcome>,
  now: Date,
): AuthorizationPlan | LedgerError | Replay<HoldOutcome> {
  const early =
    checkKey(snapshots.key) ??
    (WITHDRAWAL_CHANNELS.has(request.channel) ? undefined : new ValidationError(`Money cannot be held for ${request.channel}.`, 'channel')) ??
    checkMovementFields(request.amount, request) ??
    checkExpiry(request.expiresInSeconds);
  if (early) return early;
  const account = mayAuthorizeOn(snapshots.actor, snapshots.account(request.accountId), request.channel);
  if (account instanceof LedgerError) return account;
  if (account.status !== 'OPEN') return new AccountNotOpenError(`The account is ${account.status.toLowerCase()}.`);
  const scale = { currency: account.currency, exponent: account.currencyExponent };
  const amountMinor = parseAmount(request.amount, scale);
  if (amountMinor instanceof ValidationError) return amountMinor;
  if (amountMinor > MAX_MOVEMENT_MINOR) return new LimitExceededError(`One movement may carry at most ${formatMinor(MAX_MOVEMENT_MINOR, scale.exponent)} ${scale.currency}.`);
  if (!canDebit(account, amountMinor)) return new InsufficientFundsError();
  const movement = planMovement(
    { kind: 'HOLD', status: 'PENDING', channel: request.channel, amountMinor, currency: account.currency, currencyExponent: account.currencyExponent },
    [
      { target: { customerAccountId: account.id }, direction: 'DEBIT', amountMinor, layer: 'PENDING' },
      { target: { internalCode: internalAccountCode(request.channel) }, direction: 'CREDIT', amountMinor, layer: 'PENDING' },
    ],
    [account],
  );
  const expiresAt = new Date(now.getTime() + (request.expiresInSeconds ?? DEFAULT_HOLD_SECONDS) * 1000);
  return { movement, accountId: account.id, expiresAt };
}
