import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import {
  availableAfterBusinessDays,
  DEFAULT_BANK_CALENDAR,
  type BankCalendar,
} from '../calendar/business-days.js';
import type { Channel } from '../types.js';

/**
 * The funds-availability policy (Regulation CC, 12 CFR 229.10-229.13): when each part of a deposit
 * may be withdrawn. Pure: a function of the deposit, the account's age and `now`, table-tested in
 * test/ledger/availability-policy.test.ts. The check-deposit command places one availability hold
 * per part that is not available at once, released at its `availableAt`.
 *
 * Amounts are minor units (bigint). The figures are US dollars, configured in cents; an account in
 * another currency applies the same figures in its own major units (275.00 EUR, 275 JPY, 275.000
 * KWD), scaled by the account's stored exponent. Reg CC covers only dollar accounts and dollar
 * checks, and does not protect foreign ones; holding them to the same schedule, rather than
 * making them available at once, keeps a check the bank has not collected from being spent.
 */
export interface AvailabilityPolicy {
  /** 229.10(c)(1)(vii): the first part of a banking day's check deposits available next business day. */
  readonly nextDayAmountCents: bigint;
  /** 229.13(b): a banking day's check deposits above this are a large deposit. */
  readonly largeDepositThresholdCents: bigint;
  /** 229.13(a)(2): an account is new for this many calendar days after it opens; 0 turns it off. */
  readonly newAccountDays: number;
  /**
   * The business day on which amounts held under an exception (new account, large deposit) become
   * available; 9 by issue 8, Reg CC's limit for new accounts (229.13(a)(1)(ii)). For the large-deposit
   * exception Reg CC's safe harbour (229.13(h)(4)) is five business days after the second, the
   * seventh: a bank that wants large deposits of older accounts inside it sets 7.
   */
  readonly exceptionBusinessDays: number;
  /** 229.10(a), (b): cash and electronic payments available at once, or from the next business day. */
  readonly cashAndElectronic: CashAndElectronicAvailability;
  readonly calendar: BankCalendar;
}

export const CASH_AND_ELECTRONIC_AVAILABILITY = ['immediate', 'next-business-day'] as const;
export type CashAndElectronicAvailability = (typeof CASH_AND_ELECTRONIC_AVAILABILITY)[number];

/** The figures of issue 8: Reg CC's own since its inflation adjustment of 2025-07-01 (229.11(c)). */
export const DEFAULT_AVAILABILITY_POLICY: AvailabilityPolicy = {
  nextDayAmountCents: 275_00n,
  largeDepositThresholdCents: 6_725_00n,
  newAccountDays: 30,
  exceptionBusinessDays: 9,
  cashAndElectronic: 'immediate',
  calendar: DEFAULT_BANK_CALENDAR,
};

/**
 * How each channel's deposits are treated. CHECK and ATM (an envelope may hold checks; Reg CC lets
 * a bank treat a deposit it cannot see into as checks) follow the check schedule. Cash and the
 * electronic rails (ACH, DIRECT_DEPOSIT, WIRE, ZELLE, PAYPAL, and CARD and THIRD_PARTY credits,
 * which arrive already settled by their network) follow `cashAndElectronic`. INTERNAL moves money
 * that is already in the bank, so it is always available at once.
 */
type Treatment = 'CHECK_SCHEDULE' | 'CASH_OR_ELECTRONIC' | 'BOOK_TRANSFER';
const TREATMENT_BY_CHANNEL: Readonly<Record<Channel, Treatment>> = {
  CHECK: 'CHECK_SCHEDULE',
  ATM: 'CHECK_SCHEDULE',
  CASH: 'CASH_OR_ELECTRONIC',
  ACH: 'CASH_OR_ELECTRONIC',
  DIRECT_DEPOSIT: 'CASH_OR_ELECTRONIC',
  WIRE: 'CASH_OR_ELECTRONIC',
  ZELLE: 'CASH_OR_ELECTRONIC',
  PAYPAL: 'CASH_OR_ELECTRONIC',
  CARD: 'CASH_OR_ELECTRONIC',
  THIRD_PARTY: 'CASH_OR_ELECTRONIC',
  INTERNAL: 'BOOK_TRANSFER',
};

/** Whether deposits on this channel can ever be held: the deposit command asks before prefetching. */
export function isSubjectToCheckSchedule(channel: Channel): boolean {
  return TREATMENT_BY_CHANNEL[channel] === 'CHECK_SCHEDULE';
}

/** Why a part becomes available when it does; the exception reasons are what 229.13(g) notices state. */
export type AvailabilityReason =
  | 'IMMEDIATE'
  | 'NEXT_BUSINESS_DAY'
  | 'SECOND_BUSINESS_DAY'
  | 'NEW_ACCOUNT'
  | 'LARGE_DEPOSIT';

export interface AvailabilityPart {
  /** Minor units of the account's currency; the parts of a deposit sum to it exactly. */
  readonly amountMinor: bigint;
  /** From this instant the part counts in the available balance (`now` when immediate). */
  readonly availableAt: Date;
  readonly reason: AvailabilityReason;
}

export interface DepositForAvailability {
  readonly channel: Channel;
  /** Greater than zero, in the account's minor units. */
  readonly amountMinor: bigint;
  /** The account's stored minor-unit exponent (USD 2, JPY 0, KWD 3). */
  readonly currencyExponent: number;
  /**
   * When the account opened (the account row's creation). Reg CC's commentary counts from the first
   * deposit, which is never earlier, so counting from the opening ends the new-account period no
   * later than Reg CC allows.
   */
  readonly accountOpenedAt: Date;
  /**
   * Only when EVERY owner of the account already banks here: the latest, over the owners, of the
   * opening of each owner's oldest other account (one still open, or closed within the
   * new-account period before this account opened). 229.13(a)(2): an account is not new when each
   * owner has had another account for the whole period before it opened. Undefined when any owner
   * is a new customer.
   */
  readonly ownersCustomerSince?: Date;
  /**
   * The sum of this account's earlier deposits on the same banking day that follow the check
   * schedule (CHECK, ATM), in its minor units; cash and electronic deposits never count, as
   * Reg CC aggregates checks only (229.10(c)(1)(vii), 229.13(b)). The caller prefetches it over
   * `bankingDayWindow(bankingDayOf(now))`. 0 for the day's first check.
   */
  readonly depositsSameBankingDayMinor: bigint;
  /** When the deposit is made: the envelope's clock, read after taking locks. */
  readonly now: Date;
}

/** One tier of the check schedule: the banking day's check deposits up to `untilMinor` (exclusive of what lower tiers took). */
interface Tier {
  readonly untilMinor: bigint | undefined;
  readonly businessDays: number;
  readonly reason: AvailabilityReason;
}

/**
 * The parts of a deposit and when each becomes available, in availability order. Parts that
 * become available at the same instant are merged, and no part is zero.
 */
export function availabilityOf(deposit: DepositForAvailability, policy: AvailabilityPolicy): AvailabilityPart[] {
  if (deposit.amountMinor <= 0n) throw new RangeError(`a deposit must be greater than zero, got ${deposit.amountMinor}`);
  if (deposit.depositsSameBankingDayMinor < 0n) throw new RangeError('earlier deposits of the banking day cannot be negative');
  switch (TREATMENT_BY_CHANNEL[deposit.channel]) {
    case 'BOOK_TRANSFER':
      return [{ amountMinor: deposit.amountMinor, availableAt: deposit.now, reason: 'IMMEDIATE' }];
    case 'CASH_OR_ELECTRONIC':
      return policy.cashAndElectronic === 'immediate'
        ? [{ amountMinor: deposit.amountMinor, availableAt: deposit.now, reason: 'IMMEDIATE' }]
        : [{ amountMinor: deposit.amountMinor, availableAt: availableAfterBusinessDays(deposit.now, 1, policy.calendar), reason: 'NEXT_BUSINESS_DAY' }];
    case 'CHECK_SCHEDULE':
      return checkSchedule(deposit, policy);
  }
}

/**
 * An account is new during the first `newAccountDays` calendar days after it opens (229.13(a)(2)),
 * unless every owner had already banked here that long when it opened. Calendar days in the
 * bank's zone, so a DST change in between neither adds nor removes an hour.
 */
export function isNewAccount(
  accountOpenedAt: Date,
  now: Date,
  policy: AvailabilityPolicy,
  ownersCustomerSince?: Date,
): boolean {
  const periodAfter = (start: Date): number =>
    DateTime.fromJSDate(start, { zone: policy.calendar.timeZone }).plus({ days: policy.newAccountDays }).toMillis();
  const ownersEstablished = ownersCustomerSince !== undefined && periodAfter(ownersCustomerSince) <= accountOpenedAt.getTime();
  return !ownersEstablished && now.getTime() < periodAfter(accountOpenedAt);
}

/**
 * A policy figure in cents, in minor units of an account with `exponent` fraction digits: the
 * same number of major units. An exponent below 2 drops the fraction (275.50 is 275 JPY), which
 * can only make less available early, never more.
 */
export function policyFigureInMinor(cents: bigint, exponent: number): bigint {
  return exponent >= 2 ? cents * 10n ** BigInt(exponent - 2) : cents / 10n ** BigInt(2 - exponent);
}

/**
 * The check schedule as tiers over the banking day's aggregate check deposits, this deposit
 * taking the slice after the day's earlier ones:
 *
 * - Ordinary account: the first 275.00 of the day on the next business day (229.10(c)(1)(vii)),
 *   the rest up to 6,725.00 on the second business day (229.12(b), all checks are local since
 *   2011), and the excess over 6,725.00 on the exception day (229.13(b): the large-deposit
 *   exception applies only to the excess; the 275.00 and the second day still apply below it).
 * - New account: 229.13(a)(1)(iii) lifts both the 275.00 next-day rule and the second-day
 *   schedule for ordinary checks, leaving the bank to set the time. Tally keeps the first 275.00
 *   of the day on the next business day (more than Reg CC requires, never less) and makes
 *   everything above it available on the exception day, whatever its size. The large-deposit
 *   exception then changes nothing: the excess over 6,725.00 is already on that day.
 */
function checkSchedule(deposit: DepositForAvailability, policy: AvailabilityPolicy): AvailabilityPart[] {
  const nextDayMinor = policyFigureInMinor(policy.nextDayAmountCents, deposit.currencyExponent);
  const largeDepositMinor = policyFigureInMinor(policy.largeDepositThresholdCents, deposit.currencyExponent);
  const tiers: Tier[] = isNewAccount(deposit.accountOpenedAt, deposit.now, policy, deposit.ownersCustomerSince)
    ? [
        { untilMinor: nextDayMinor, businessDays: 1, reason: 'NEXT_BUSINESS_DAY' },
        { untilMinor: undefined, businessDays: policy.exceptionBusinessDays, reason: 'NEW_ACCOUNT' },
      ]
    : [
        { untilMinor: nextDayMinor, businessDays: 1, reason: 'NEXT_BUSINESS_DAY' },
        { untilMinor: largeDepositMinor, businessDays: 2, reason: 'SECOND_BUSINESS_DAY' },
        { untilMinor: undefined, businessDays: policy.exceptionBusinessDays, reason: 'LARGE_DEPOSIT' },
      ];
  const parts: AvailabilityPart[] = [];
  const depositStart = deposit.depositsSameBankingDayMinor;
  const depositEnd = depositStart + deposit.amountMinor;
  let tierStart = 0n;
  for (const tier of tiers) {
    // The last tier is open-ended; a threshold below the one before it (not allowed by config) is an empty tier.
    const tierEnd = max(tierStart, tier.untilMinor ?? depositEnd);
    const sliceMinor = min(depositEnd, tierEnd) - max(depositStart, tierStart);
    if (sliceMinor > 0n) {
      addPart(parts, {
        amountMinor: sliceMinor,
        availableAt: availableAfterBusinessDays(deposit.now, tier.businessDays, policy.calendar),
        reason: tier.reason,
      });
    }
    tierStart = tierEnd;
  }
  const total = parts.reduce((sum, part) => sum + part.amountMinor, 0n);
  // No cent may be lost or made up between the deposit and its holds.
  assert.equal(total, deposit.amountMinor, `availability parts sum to ${total}, not the deposit's ${deposit.amountMinor}`);
  return parts;
}

/** Appends a part, merging it into the last one when both become available at the same instant. */
function addPart(parts: AvailabilityPart[], part: AvailabilityPart): void {
  const last = parts.at(-1);
  if (last !== undefined && last.availableAt.getTime() === part.availableAt.getTime()) {
    parts[parts.length - 1] = { ...last, amountMinor: last.amountMinor + part.amountMinor };
  } else {
    parts.push(part);
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
