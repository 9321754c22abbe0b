import { MAX_INTEGER_DIGITS } from './limits.js';
import { ValidationError } from './errors.js';

/**
 * Money is an integer count of a currency's minor units (cents for USD, yen for JPY, fils for
 * KWD) held in a `bigint`, end to end. Decimal strings exist only at the API's edge; this file
 * is the only place that converts between the two, and it never rounds: too many digits is an
 * error, not a smaller amount.
 */
export type MinorUnits = bigint;

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const digitsCache = new Map<string, number>();

/** True for an ISO 4217 code the platform knows (upper case, as the standard writes them). */
export function isKnownCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN_CURRENCIES.has(code);
}

/** The number of fraction digits of a currency, from the platform's CLDR data (USD 2, JPY 0, KWD 3). */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** Checks a currency code from a client; lower case and unknown codes are refused, not corrected. */
export function parseCurrency(code: string): string | ValidationError {
  if (!isKnownCurrency(code)) {
    return new ValidationError(`"${code}" is not an ISO 4217 currency code such as USD, EUR or JPY.`, 'currency');
  }
  return code;
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

/** Parses a decimal string in major units into minor units of `currency`; zero is allowed here. */
export function parseDecimal(text: string, currency: string, field = 'amount'): MinorUnits | ValidationError {
  const shapeError = checkAmountShape(text, field);
  if (shapeError) return shapeError;
  const [integerPart, fractionPart = ''] = text.split('.') as [string, string?];
  const digits = currencyDigits(currency);
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
export function parseAmount(text: string, currency: string, field = 'amount'): MinorUnits | ValidationError {
  const minor = parseDecimal(text, currency, field);
  if (minor instanceof ValidationError) return minor;
  if (minor <= 0n) return new ValidationError(`${field} must be greater than zero.`, field);
  return minor;
}

/** Formats minor units with exactly the currency's fraction digits: "15.00" USD, "500" JPY, "-0.250" KWD. */
export function formatMinor(minor: MinorUnits, currency: string): string {
  const digits = currencyDigits(currency);
  const sign = minor < 0n ? '-' : '';
  const magnitude = (minor < 0n ? -minor : minor).toString();
  if (digits === 0) return sign + magnitude;
  const padded = magnitude.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}
