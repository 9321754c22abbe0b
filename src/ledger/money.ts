import { code as isoCurrency } from 'currency-codes';
import { MAX_INTEGER_DIGITS } from './limits.js';
import { ValidationError } from './errors.js';

/**
 * Money is an integer count of a currency's minor units (cents for USD, yen for JPY, fils for
 * KWD) held in a `bigint`, end to end. Decimal strings exist only at the API's edge; this file
 * is the only place that converts between the two, and it never rounds: too many digits is an
 * error, not a smaller amount.
 */
export type MinorUnits = bigint;

/**
 * What an account's minor units mean: its currency and the power of ten between a major and a
 * minor unit (USD 2, JPY 0, IQD 3). Read from the account, where it was stored when the account
 * opened, so a data-package or runtime upgrade can never rescale a stored balance.
 */
export interface CurrencyScale {
  readonly currency: string;
  readonly exponent: number;
}

/**
 * ISO 4217 codes with no minor unit ("N.A." in the standard): precious metals, bond-market and
 * drawing-right units, the testing code and "no currency". No account can hold them.
 */
export const CODES_WITHOUT_MINOR_UNIT: ReadonlySet<string> = new Set([
  'XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX',
]);

/** ISO 4217 fund codes (IsFund): units of account for settlement and indexation, not money a customer holds. */
export const FUND_CODES: ReadonlySet<string> = new Set(['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI']);

/**
 * The ISO 4217 exponent of a currency an account may open in (HUF 2, IQD 3, JPY 0), from the
 * maintained `currency-codes` data, not from ICU (which says 0 for HUF, IDR, COP, PKR, LBP, IQD).
 * Undefined for anything else: unknown or withdrawn codes, funds, metals and the like. Only
 * `openAccount` asks; every later parse and format uses the exponent stored on the account.
 */
export function isoExponent(code: string): number | undefined {
  if (!/^[A-Z]{3}$/.test(code) || CODES_WITHOUT_MINOR_UNIT.has(code) || FUND_CODES.has(code)) return undefined;
  return isoCurrency(code)?.digits;
}

/** Checks a currency code from a client; lower case and unknown codes are refused, not corrected. */
export function parseCurrency(code: string): CurrencyScale | ValidationError {
  const exponent = isoExponent(code);
  if (exponent === undefined) {
    return new ValidationError(
      `"${code}" is not an ISO 4217 currency code with a minor unit, such as USD, EUR or JPY (funds and metals are not held in accounts).`,
      'currency',
    );
  }
  return { currency: code, exponent };
}

// Plain ASCII digits only: no sign, exponent, whitespace, leading zeros, or bare/trailing dot.
const DECIMAL_SHAPE = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Checks what can be checked without knowing the currency: the shape of the text and its size.
 * The command runs this before any I/O; `parseAmount` finishes the job once the account's
 * currency is known.
 */
export function checkAmountShape(text: string, field = 'amount'): ValidationError | undefined {
  const match = DECIMAL_SHAPE.exec(text);
  if (!match) {
    return new ValidationError(
      `${field} must be a plain decimal string such as "125.50": digits and at most one dot, no sign, exponent or spaces.`,
      field,
    );
  }
  if (match[1]!.length > MAX_INTEGER_DIGITS) {
    return new ValidationError(`${field} may have at most ${MAX_INTEGER_DIGITS} integer digits.`, field);
  }
  return undefined;
}

/** Parses a decimal string in major units into minor units of the account's scale; zero is allowed here. */
export function parseDecimal(text: string, scale: CurrencyScale, field = 'amount'): MinorUnits | ValidationError {
  const shapeError = checkAmountShape(text, field);
  if (shapeError) return shapeError;
  const [integerPart, fractionPart = ''] = text.split('.') as [string, string?];
  const { currency, exponent: digits } = scale;
  if (fractionPart.length > digits) {
    return new ValidationError(
      digits === 0
        ? `${field} must be a whole number in ${currency}, which has no minor unit.`
        : `${field} may have at most ${digits} fraction digits in ${currency}.`,
      field,
    );
  }
  return BigInt(integerPart + fractionPart.padEnd(digits, '0'));
}

/** Parses an amount to move: like `parseDecimal`, and it must be greater than zero. */
export function parseAmount(text: string, scale: CurrencyScale, field = 'amount'): MinorUnits | ValidationError {
  const minor = parseDecimal(text, scale, field);
  if (minor instanceof ValidationError) return minor;
  if (minor <= 0n) return new ValidationError(`${field} must be greater than zero.`, field);
  return minor;
}

/**
 * Formats minor units with exactly `digits` fraction digits, the exponent stored with the amount's
 * account or transaction: "15.00" (USD, 2), "500" (JPY, 0), "-0.250" (KWD, 3).
 */
export function formatMinor(minor: MinorUnits, digits: number): string {
  const sign = minor < 0n ? '-' : '';
  const magnitude = (minor < 0n ? -minor : minor).toString();
  if (digits === 0) return sign + magnitude;
  const padded = magnitude.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}
