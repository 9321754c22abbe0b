import { HoldNotActiveError, LedgerError, NotFoundError, ValidationError, type ForbiddenError } from '../errors.js';
import { checkAmountShape, formatMinor, parseAmount } from '../money.js';
import { MAX_CAPTURES_PER_HOLD } from '../hold-limits.js';
import type { AccountSnapshot, MovementPlan, PlannedEntry } from '../types.js';
import type { CommandSnapshots, HoldOutcome, Replay } from '../commands/command.js';
import type { HoldSnapshot } from '../commands/unit-state.js';
import { FUNDS_AVAILABILITY, RISK_REVIEWS, internalAccountCode } from './internal-accounts.js';
import { planMovement } from './plan-movement.js';
import { checkKey } from './request-checks.js';
import { mayCaptureOn, mayShowBalances, mayVoidOn, type Permitted } from './permissions.js';

/** What capturing, voiding or expiring a hold does: its movement and the hold's state after it. */
export interface HoldChangePlan {
  readonly movement: MovementPlan;
  readonly step: 'CAPTURE' | 'VOID' | 'EXPIRE' | 'RELEASE';
  readonly holdBefore: HoldSnapshot;
  readonly holdAfter: HoldSnapshot;
  readonly visible: boolean;
}

export interface CaptureRequest {
  readonly holdId: string;
  /** Default: everything still held. */
  readonly amount?: string | null;
  /** Default true: the rest is released. False keeps the rest held for a later capture. */
  readonly final?: boolean | null;
}

export interface ReleaseRequest {
  readonly holdId: string;
}

type HoldDecision = HoldChangePlan | LedgerError | Replay<HoldOutcome>;

const remainingOf = (hold: HoldSnapshot): bigint => hold.amountMinor - hold.capturedMinor;

/**
 * The locked hold and its account when the actor may act on it (`may`, from permissions.ts, given
 * the hold's stored channel); NOT_FOUND looks the same for unknown and foreign, FORBIDDEN says who may.
 */
function visibleHold(
  snapshots: CommandSnapshots<HoldOutcome>,
  holdId: string,
  may: (account: AccountSnapshot | undefined, hold: HoldSnapshot) => Permitted,
): { hold: HoldSnapshot; account: AccountSnapshot } | NotFoundError | ForbiddenError {
  const hold = snapshots.hold(holdId);
  if (!hold) return new NotFoundError('No such hold.');
  const account = may(snapshots.account(hold.accountId), hold);
  if (account instanceof LedgerError) return account;
  return { hold, account };
}

/** An ACTIVE hold whose expiry has not come; a hold past its expiry is the system's to release. */
function checkActive(hold: HoldSnapshot, now: Date): HoldNotActiveError | undefined {
  if (hold.status !== 'ACTIVE') return new HoldNotActiveError(`The hold is ${hold.status.toLowerCase()}.`);
  if (hold.expiresAt && hold.expiresAt.getTime() <= now.getTime()) return new HoldNotActiveError('The hold has expired.');
  return undefined;
}

/** The internal account on the other side of a hold's PENDING entries: the deposit's FUNDS_AVAILABILITY, a review's RISK_REVIEWS, else the channel's settlement. */
export function holdCounterparty(hold: Pick<HoldSnapshot, 'reason' | 'channel'>): { readonly internalCode: string } {
  if (hold.reason === 'DEPOSIT_AVAILABILITY') return { internalCode: FUNDS_AVAILABILITY };
  if (hold.reason === 'RISK_REVIEW') return { internalCode: RISK_REVIEWS };
  return { internalCode: internalAccountCode(hold.channel) };
}

/**
 * An availability hold is the bank's, not a merchant's: nobody captures it, and only an operator
 * may release it early (a void: the check is known good). Whoever gets past the permission check
 * (a customer is FORBIDDEN on the CHECK rail before this; a check-clearing service is not) gets HOLD_NOT_ACTIVE.
 */
function checkNotAvailabilityHold(hold: HoldSnapshot, mayReleaseEarly: boolean): HoldNotActiveError | undefined {
  // A review's hold moves only by the review's decision (approveReview, declineReview, its timeout):
  // releasing it here would leave a pending review with nothing held.
  if (hold.reason === 'RISK_REVIEW') return new HoldNotActiveError('This hold keeps a movement under risk review; it moves only when the review is decided.');
  if (hold.reason !== 'DEPOSIT_AVAILABILITY' || mayReleaseEarly) return undefined;
  return new HoldNotActiveError('This hold keeps a deposit until its funds are available; it is released on schedule, not captured or voided.');
}

/** Release `releaseMinor` of the PENDING layer (customer credited, counterparty debited) and post `postMinor`. */
function holdEntries(hold: HoldSnapshot, postMinor: bigint, releaseMinor: bigint): PlannedEntry[] {
  const settlement = holdCounterparty(hold);
  const customer = { customerAccountId: hold.accountId };
  return [
    // The customer's first entry is its history line: a capture's lands in POSTED, a release's in PENDING.
    ...(postMinor > 0n
      ? [
          { target: customer, direction: 'DEBIT' as const, amountMinor: postMinor, layer: 'POSTED' as const },
          { target: settlement, direction: 'CREDIT' as const, amountMinor: postMinor, layer: 'POSTED' as const },
        ]
      : []),
    { target: customer, direction: 'CREDIT', amountMinor: releaseMinor, layer: 'PENDING' },
    { target: settlement, direction: 'DEBIT', amountMinor: releaseMinor, layer: 'PENDING' },
  ];
}

/**
 * A capture, checks in order: 1 the key; 2 the amount's shape, when given; 3 the hold exists and
 * its account is within the actor's reach, else NOT_FOUND, and the role and channels allow a
 * capture on the hold's channel (mayCaptureOn), else FORBIDDEN; 4 it is ACTIVE and not past
 * its expiry, else HOLD_NOT_ACTIVE, and not an availability hold (HOLD_NOT_ACTIVE); 5 the amount in the account's currency, at most what remains,
 * else VALIDATION. One transaction posts the captured amount (customer debited, settlement
 * credited, POSTED) and releases the same amount of the hold, or all that remains when final (or
 * when nothing would remain, or at the last capture MAX_CAPTURES_PER_HOLD allows). No funds check:
 * posting what was held never lowers available.
 */
export function decideCapture(request: CaptureRequest, snapshots: CommandSnapshots<HoldOutcome>, now: Date): HoldDecision {
  const early = checkKey(snapshots.key) ?? (request.amount === null || request.amount === undefined ? undefined : checkAmountShape(request.amount));
  if (early) return early;
  const found = visibleHold(snapshots, request.holdId, (account, hold) => mayCaptureOn(snapshots.actor, account, hold.channel));
  if (found instanceof LedgerError) return found;
  const { hold, account } = found;
  const inactive = checkActive(hold, now) ?? checkNotAvailabilityHold(hold, false);
  if (inactive) return inactive;
  const remaining = remainingOf(hold);
  const scale = { currency: account.currency, exponent: account.currencyExponent };
  const amountMinor = request.amount === null || request.amount === undefined ? remaining : parseAmount(request.amount, scale);
  if (amountMinor instanceof ValidationError) return amountMinor;
  if (amountMinor > remaining) {
    return new ValidationError(`At most ${formatMinor(remaining, scale.exponent)} ${scale.currency} of this hold remains to capture.`, 'amount');
  }
  const final = request.final !== false || amountMinor === remaining || hold.captureCount + 1 >= MAX_CAPTURES_PER_HOLD;
  const releaseMinor = final ? remaining : amountMinor;
  const movement = planMovement(
    { kind: 'HOLD_CAPTURE', channel: hold.channel, amountMinor, currency: account.currency, currencyExponent: account.currencyExponent },
    holdEntries(hold, amountMinor, releaseMinor),
    [account],
  );
  const holdAfter: HoldSnapshot = {
    ...hold,
    capturedMinor: hold.capturedMinor + amountMinor,
    status: final ? 'CAPTURED' : 'ACTIVE',
    captureCount: hold.captureCount + 1,
  };
  return { movement, step: 'CAPTURE', holdBefore: hold, holdAfter, visible: mayShowBalances(snapshots.actor, account) };
}

/** A void, an expiry or a scheduled release: everything still held is released, nothing is posted. */
function releasePlan(hold: HoldSnapshot, account: AccountSnapshot, step: 'VOID' | 'EXPIRE' | 'RELEASE', visible: boolean): HoldChangePlan {
  const remaining = remainingOf(hold);
  const movement = planMovement(
    { kind: 'HOLD_RELEASE', channel: hold.channel, amountMinor: remaining, currency: account.currency, currencyExponent: account.currencyExponent },
    holdEntries(hold, 0n, remaining),
    [account],
  );
  // A scheduled release ends the hold's time as an expiry does: EXPIRED, with its own step.
  return { movement, step, holdBefore: hold, holdAfter: { ...hold, status: step === 'VOID' ? 'VOIDED' : 'EXPIRED' }, visible };
}

/**
 * A void, checks in order: 1 the key; 2 the hold exists and its account is within the actor's
 * reach, else NOT_FOUND, and the actor may void it (whoever may capture it, or an operator:
 * mayVoidOn), else FORBIDDEN; 3 it is ACTIVE and not past its expiry, else HOLD_NOT_ACTIVE (an
 * expired hold is the system's to release); 4 an availability hold only by an operator (an early
 * release), else HOLD_NOT_ACTIVE. Releases all that remains.
 */
export function decideVoid(request: ReleaseRequest, snapshots: CommandSnapshots<HoldOutcome>, now: Date): HoldDecision {
  const early = checkKey(snapshots.key);
  if (early) return early;
  const found = visibleHold(snapshots, request.holdId, (account, hold) => mayVoidOn(snapshots.actor, account, hold.channel));
  if (found instanceof LedgerError) return found;
  const inactive = checkActive(found.hold, now) ?? checkNotAvailabilityHold(found.hold, snapshots.actor.role === 'OPERATOR');
  if (inactive) return inactive;
  return releasePlan(found.hold, found.account, 'VOID', mayShowBalances(snapshots.actor, found.account));
}

/**
 * An expiry, the system's step (key `expire:<holdId>`): 1 the key; 2 the hold exists; 3 it is
 * still ACTIVE (a capture or void that won the race leaves it not active: HOLD_NOT_ACTIVE, recorded
 * under the key so a retry replays it); 4 its expiry has come (else VALIDATION, nothing stored: a
 * scheduler bug, or a clock far behind). Releases all that remains.
 */
export function decideExpiry(request: ReleaseRequest, snapshots: CommandSnapshots<HoldOutcome>, now: Date): HoldDecision {
  const early = checkKey(snapshots.key);
  if (early) return early;
  const found = visibleHold(snapshots, request.holdId, (account) => account ?? new NotFoundError('No such hold.'));
  if (found instanceof LedgerError) return found;
  const { hold, account } = found;
  if (hold.status !== 'ACTIVE') return new HoldNotActiveError(`The hold is ${hold.status.toLowerCase()}.`);
  if (!hold.expiresAt || hold.expiresAt.getTime() > now.getTime()) return new ValidationError('The hold has not expired yet.', 'holdId');
  return releasePlan(hold, account, 'EXPIRE', true);
}

/**
 * A scheduled release of an availability hold, the system's step (key `release:<holdId>`): 1 the
 * key; 2 the hold exists; 3 it is an availability hold, else VALIDATION (a scheduler bug); 4 it is
 * still ACTIVE (a return or an early release got there first: HOLD_NOT_ACTIVE, recorded so a retry
 * replays it); 5 its release time has come, else VALIDATION (nothing stored). Releases all of it:
 * the part becomes available.
 */
export function decideRelease(request: ReleaseRequest, snapshots: CommandSnapshots<HoldOutcome>, now: Date): HoldDecision {
  const early = checkKey(snapshots.key);
  if (early) return early;
  const found = visibleHold(snapshots, request.holdId, (account) => account ?? new NotFoundError('No such hold.'));
  if (found instanceof LedgerError) return found;
  const { hold, account } = found;
  if (hold.reason !== 'DEPOSIT_AVAILABILITY') return new ValidationError('Only an availability hold is released on schedule.', 'holdId');
  if (hold.status !== 'ACTIVE') return new HoldNotActiveError(`The hold is ${hold.status.toLowerCase()}.`);
  if (!hold.releaseAt || hold.releaseAt.getTime() > now.getTime()) return new ValidationError('The hold is not due for release yet.', 'holdId');
  return releasePlan(hold, account, 'RELEASE', true);
}
