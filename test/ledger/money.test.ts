import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/ledger/errors.js';
import {
  CODES_WITHOUT_MINOR_UNIT,
  FUND_CODES,
  formatMinor,
  isoExponent,
  parseAmount,
  parseCurrency,
  parseDecimal,
  type CurrencyScale,
} from '../../src/ledger/money.js';

/** The ISO 4217 scale of a currency, as openAccount stores it. */
function iso(currency: string): CurrencyScale {
  const exponent = isoExponent(currency);
  if (exponent === undefined) throw new Error(`${currency} is not a currency an account may hold`);
  return { currency, exponent };
}

describe('parseAmount', () => {
  it.each([
    ['125.50', 'USD', 12550n],
    ['100.50', 'HUF', 10050n],
    ['1.000', 'IQD', 1000n],
    ['0.01', 'USD', 1n],
    ['10', 'USD', 1000n],
    ['10.5', 'USD', 1050n],
    ['500', 'JPY', 500n],
    ['0.125', 'KWD', 125n],
    ['999999999999999.99', 'USD', 99999999999999999n],
  ])('%s %s is %s minor units', (text, currency, expected) => {
    expect(parseAmount(text, iso(currency))).toBe(expected);
  });

  it.each([
    ['-1.00', 'USD', 'sign'],
    ['0', 'USD', 'zero'],
    ['0.00', 'USD', 'zero with digits'],
    ['0.001', 'USD', 'too many fraction digits'],
    ['1.5', 'JPY', 'fraction in a currency without minor unit'],
    ['1.0', 'JPY', 'fraction in a currency without minor unit, even zero'],
    ['0.0001', 'KWD', 'too many fraction digits for KWD'],
    ['100.501', 'HUF', 'too many fraction digits for HUF'],
    ['1.0001', 'IQD', 'too many fraction digits for IQD'],
    ['1e3', 'USD', 'exponent'],
    ['+10', 'USD', 'plus sign'],
    [' 10', 'USD', 'leading space'],
    ['10 ', 'USD', 'trailing space'],
    ['10.', 'USD', 'trailing dot'],
    ['.5', 'USD', 'bare dot'],
    ['0x10', 'USD', 'hex'],
    ['NaN', 'USD', 'NaN'],
    ['Infinity', 'USD', 'Infinity'],
    ['1234567890123456', 'USD', '16 integer digits'],
    ['', 'USD', 'empty'],
    ['١٢', 'USD', 'Arabic-Indic digits'],
    ['１０', 'USD', 'full-width digits'],
    ['010', 'USD', 'leading zero'],
    ['1,000', 'USD', 'grouping separator'],
    ['1_000', 'USD', 'underscore'],
    ['10.5.1', 'USD', 'two dots'],
  ])('refuses %j in %s (%s)', (text, currency) => {
    const result = parseAmount(text, iso(currency));
    expect(result).toBeInstanceOf(ValidationError);
    expect((result as ValidationError).code).toBe('VALIDATION');
    expect((result as ValidationError).field).toBe('amount');
  });

  it('accepts 15 integer digits, the most API.md allows', () => {
    expect(parseAmount('123456789012345', iso('JPY'))).toBe(123456789012345n);
  });
});

describe('parseDecimal', () => {
  it('allows zero (a filter bound), unlike parseAmount', () => {
    expect(parseDecimal('0', iso('USD'))).toBe(0n);
  });
});

describe('currencies and their exponents come from ISO 4217, not from ICU', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
    ['BHD', 3],
    // ICU (Node's Intl) says 0 for these six.
    ['HUF', 2],
    ['IDR', 2],
    ['COP', 2],
    ['PKR', 2],
    ['LBP', 2],
    ['IQD', 3],
  ])('%s has %i fraction digits', (currency, digits) => {
    expect(isoExponent(currency)).toBe(digits);
    expect(parseCurrency(currency)).toEqual({ currency, exponent: digits });
  });

  it.each(['usd', 'Usd', 'ZZZ', 'US', 'USDX', '', 'U$D', 'HRK', 'XAU', 'XAG', 'XXX', 'XTS', 'XDR', 'USN', 'CLF', 'CHE'])('refuses %j', (code) => {
    expect(parseCurrency(code)).toBeInstanceOf(ValidationError);
  });

  it("lists exactly the standard's codes without a minor unit and its fund codes (the package's own copy of ISO's list)", () => {
    const xml = readFileSync(createRequire(import.meta.url).resolve('currency-codes/iso-4217-list-one.xml'), 'utf8');
    const entries = [...xml.matchAll(/<CcyNtry>([\s\S]*?)<\/CcyNtry>/g)].map((match) => match[1]!);
    const codesWhere = (test: (entry: string) => boolean) =>
      new Set(entries.filter(test).map((entry) => /<Ccy>([A-Z]{3})<\/Ccy>/.exec(entry)?.[1]).filter((code) => code !== undefined));
    expect(codesWhere((entry) => entry.includes('<CcyMnrUnts>N.A.</CcyMnrUnts>'))).toEqual(new Set(CODES_WITHOUT_MINOR_UNIT));
    expect(codesWhere((entry) => entry.includes('IsFund="true"'))).toEqual(new Set(FUND_CODES));
  });
});

describe('formatMinor', () => {
  it.each([
    [1500n, 'USD', '15.00'],
    [1n, 'USD', '0.01'],
    [0n, 'USD', '0.00'],
    [-25n, 'USD', '-0.25'],
    [500n, 'JPY', '500'],
    [0n, 'KWD', '0.000'],
    [1234567n, 'KWD', '1234.567'],
    [10050n, 'HUF', '100.50'],
    [1000n, 'IQD', '1.000'],
    [99999999999999999n, 'USD', '999999999999999.99'],
  ])('%s %s is %s', (minor, currency, text) => {
    expect(formatMinor(minor, iso(currency).exponent)).toBe(text);
  });

  it('formats by the exponent it is given, whatever the currency data says', () => {
    // A HUF account opened under ICU's 0 digits keeps counting whole forints.
    expect(formatMinor(10050n, 0)).toBe('10050');
  });

  it('round-trips every parsed amount exactly', () => {
    for (const text of ['0.01', '10.00', '123456789012345.67']) {
      expect(formatMinor(parseAmount(text, iso('USD')) as bigint, 2)).toBe(text);
    }
  });
});
