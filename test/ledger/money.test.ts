import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/ledger/errors.js';
import { currencyDigits, formatMinor, parseAmount, parseCurrency, parseDecimal } from '../../src/ledger/money.js';

describe('parseAmount', () => {
  it.each([
    ['125.50', 'USD', 12550n],
    ['0.01', 'USD', 1n],
    ['10', 'USD', 1000n],
    ['10.5', 'USD', 1050n],
    ['500', 'JPY', 500n],
    ['0.125', 'KWD', 125n],
    ['999999999999999.99', 'USD', 99999999999999999n],
  ])('%s %s is %s minor units', (text, currency, expected) => {
    expect(parseAmount(text, currency)).toBe(expected);
  });

  it.each([
    ['-1.00', 'USD', 'sign'],
    ['0', 'USD', 'zero'],
    ['0.00', 'USD', 'zero with digits'],
    ['0.001', 'USD', 'too many fraction digits'],
    ['1.5', 'JPY', 'fraction in a currency without minor unit'],
    ['1.0', 'JPY', 'fraction in a currency without minor unit, even zero'],
    ['0.0001', 'KWD', 'too many fraction digits for KWD'],
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
    const result = parseAmount(text, currency);
    expect(result).toBeInstanceOf(ValidationError);
    expect((result as ValidationError).code).toBe('VALIDATION');
    expect((result as ValidationError).field).toBe('amount');
  });

  it('accepts 15 integer digits, the most API.md allows', () => {
    expect(parseAmount('123456789012345', 'JPY')).toBe(123456789012345n);
  });
});

describe('parseDecimal', () => {
  it('allows zero (a filter bound), unlike parseAmount', () => {
    expect(parseDecimal('0', 'USD')).toBe(0n);
  });
});

describe('currencies come from the platform', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
    ['BHD', 3],
  ])('%s has %i fraction digits', (currency, digits) => {
    expect(currencyDigits(currency)).toBe(digits);
  });

  it.each(['usd', 'Usd', 'ZZZ', 'US', 'USDX', '', 'U$D'])('refuses %j', (code) => {
    expect(parseCurrency(code)).toBeInstanceOf(ValidationError);
  });

  it('accepts an ISO 4217 code', () => {
    expect(parseCurrency('CHF')).toBe('CHF');
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
    [99999999999999999n, 'USD', '999999999999999.99'],
  ])('%s %s is %s', (minor, currency, text) => {
    expect(formatMinor(minor, currency)).toBe(text);
  });

  it('round-trips every parsed amount exactly', () => {
    for (const text of ['0.01', '10.00', '123456789012345.67']) {
      expect(formatMinor(parseAmount(text, 'USD') as bigint, 'USD')).toBe(text);
    }
  });
});
