import type { CurrencyScale } from '../money.js';
import type { Channel } from '../types.js';

/**
 * The bank's fees on outgoing movements. Today one: a flat fee per WIRE withdrawal, in major units
 * of the account's currency (`WIRE_FEE`, default 25.00; 0 turns it off), with a figure of its own
 * for any currency the bank names (`WIRE_FEE_JPY=3500`): 25.00 is about 25 dollars in USD, EUR or
 * GBP, but 25 yen is nothing, so a bank sets the USD-equivalent for the currencies it holds. Tally
 * keeps no exchange rates, so it does not convert on its own.
 */
export interface FeeSchedule {
  /** A plain decimal in major units, e.g. "25.00"; "0" charges nothing. */
  readonly wireFee: string;
  /** Per ISO 4217 code, the fee in that currency's major units, instead of `wireFee`. */
  readonly wireFeeByCurrency?: Readonly<Record<string, string>>;
}

export const DEFAULT_FEE_SCHEDULE: FeeSchedule = { wireFee: '25.00' };

/** The configured fee text Tally accepts: up to 15 integer and 4 fraction digits (the largest exponent an account has). */
export const FEE_SHAPE = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?$/;

/**
 * A fee in the account's minor units. Fraction digits the currency does not have are dropped,
 * rounding down in the customer's favour: 25.00 is 25 yen, 2.50 is 2 yen.
 */
export function feeMinorUnits(feeText: string, scale: CurrencyScale): bigint {
  const match = FEE_SHAPE.exec(feeText);
  if (!match) throw new Error(`fee ${JSON.stringify(feeText)} is not a plain decimal (config.ts checks it at start)`);
  const fraction = (match[2] ?? '.').slice(1);
  return BigInt(match[1]! + fraction.padEnd(scale.exponent, '0').slice(0, scale.exponent));
}

/** What the bank charges for moving money out on `channel`, in the account's minor units. */
export function withdrawalFeeMinor(channel: Channel, schedule: FeeSchedule, scale: CurrencyScale): bigint {
  if (channel !== 'WIRE') return 0n;
  return feeMinorUnits(schedule.wireFeeByCurrency?.[scale.currency] ?? schedule.wireFee, scale);
}
