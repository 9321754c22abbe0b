import { ConfigError, readInteger } from './config.js';
import { isTimeZone, minutesOfLocalTime, type BankCalendar } from './ledger/calendar/business-days.js';
import {
  CASH_AND_ELECTRONIC_AVAILABILITY,
  DEFAULT_AVAILABILITY_POLICY,
  type AvailabilityPolicy,
  type CashAndElectronicAvailability,
} from './ledger/decide/availability-policy.js';
import { formatMinor, parseDecimal } from './ledger/money.js';
import { ValidationError } from './ledger/errors.js';

/**
 * The funds-availability policy and the bank's calendar from the environment (README
 * "Funds availability (policy)"). Kept apart from config.ts so that file only wires it in.
 */
type Environment = Readonly<Record<string, string | undefined>>;

const DOLLARS = { currency: 'USD', exponent: 2 } as const;
/** A policy figure above a billion dollars is a typo, not a policy. */
const MAXIMUM_FIGURE_CENTS = 1_000_000_000_00n;

function readDollars(environment: Environment, name: string, fallbackCents: bigint): bigint {
  const text = environment[name];
  if (text === undefined || text === '') return fallbackCents;
  const cents = parseDecimal(text, DOLLARS, name);
  if (cents instanceof ValidationError) throw new ConfigError(name, `must be a dollar amount such as "275.00", got "${text}"`);
  if (cents > MAXIMUM_FIGURE_CENTS) throw new ConfigError(name, `must be at most ${formatMinor(MAXIMUM_FIGURE_CENTS, 2)}, got ${text}`);
  return cents;
}

function readLocalTime(environment: Environment, name: string, fallback: string): string {
  const text = environment[name] || fallback;
  if (minutesOfLocalTime(text) === undefined) throw new ConfigError(name, `must be a 24-hour wall time HH:MM such as "17:00", got "${text}"`);
  return text;
}

/**
 * Reg CC 229.19(a)(5) lets a bank's cut-off be no earlier than 2:00 p.m. at its offices and 12:00
 * noon at ATMs and off-premises facilities; a mobile deposit is at least off-premises, so noon is
 * the earliest cut-off accepted. Funds must become available before the day's cut-off.
 */
const EARLIEST_CUTOFF_MINUTES = 12 * 60;

function readBankCalendar(environment: Environment): BankCalendar {
  const fallback = DEFAULT_AVAILABILITY_POLICY.calendar;
  const timeZone = environment.BANK_TIME_ZONE || fallback.timeZone;
  if (!isTimeZone(timeZone)) throw new ConfigError('BANK_TIME_ZONE', `must be an IANA time zone such as "America/New_York", got "${timeZone}"`);
  const cutoffLocalTime = readLocalTime(environment, 'BANK_CUTOFF_LOCAL_TIME', fallback.cutoffLocalTime);
  if (minutesOfLocalTime(cutoffLocalTime)! < EARLIEST_CUTOFF_MINUTES) {
    throw new ConfigError('BANK_CUTOFF_LOCAL_TIME', `must be 12:00 or later (Reg CC 229.19(a)(5)), got ${cutoffLocalTime}`);
  }
  const fundsAvailableLocalTime = readLocalTime(environment, 'BANK_FUNDS_AVAILABLE_LOCAL_TIME', fallback.fundsAvailableLocalTime);
  if (minutesOfLocalTime(fundsAvailableLocalTime)! >= minutesOfLocalTime(cutoffLocalTime)!) {
    throw new ConfigError('BANK_FUNDS_AVAILABLE_LOCAL_TIME', `must be earlier than BANK_CUTOFF_LOCAL_TIME (${cutoffLocalTime}), got ${fundsAvailableLocalTime}`);
  }
  return { timeZone, cutoffLocalTime, fundsAvailableLocalTime };
}

export function readAvailabilityPolicy(environment: Environment): AvailabilityPolicy {
  const fallback = DEFAULT_AVAILABILITY_POLICY;
  const nextDayAmountCents = readDollars(environment, 'AVAILABILITY_NEXT_DAY_AMOUNT', fallback.nextDayAmountCents);
  const largeDepositThresholdCents = readDollars(environment, 'AVAILABILITY_LARGE_DEPOSIT_THRESHOLD', fallback.largeDepositThresholdCents);
  if (largeDepositThresholdCents < nextDayAmountCents) {
    throw new ConfigError('AVAILABILITY_LARGE_DEPOSIT_THRESHOLD', `must be at least AVAILABILITY_NEXT_DAY_AMOUNT (${formatMinor(nextDayAmountCents, 2)})`);
  }
  const cashAndElectronic = environment.AVAILABILITY_ELECTRONIC || fallback.cashAndElectronic;
  if (!(CASH_AND_ELECTRONIC_AVAILABILITY as readonly string[]).includes(cashAndElectronic)) {
    throw new ConfigError('AVAILABILITY_ELECTRONIC', `must be one of ${CASH_AND_ELECTRONIC_AVAILABILITY.join(', ')}, got "${cashAndElectronic}"`);
  }
  return {
    nextDayAmountCents,
    largeDepositThresholdCents,
    newAccountDays: readInteger(environment, 'AVAILABILITY_NEW_ACCOUNT_DAYS', fallback.newAccountDays, 0, 365),
    // At least the second business day: an exception only ever delays the schedule.
    exceptionBusinessDays: readInteger(environment, 'AVAILABILITY_EXCEPTION_BUSINESS_DAYS', fallback.exceptionBusinessDays, 2, 30),
    cashAndElectronic: cashAndElectronic as CashAndElectronicAvailability,
    calendar: readBankCalendar(environment),
  };
}
