import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';

/**
 * Decimal is a string on the wire so no amount ever passes through a float. The scalar only
 * insists on a string; the ledger checks the digits against the account's currency and answers
 * with a typed VALIDATION result, which a scalar error could not be.
 */
builder.scalarType('Decimal', {
  description:
    'An exact amount of money in major units, as a string: "125.50" USD, "500" JPY, "0.125" KWD. ' +
    'Inputs use plain digits with at most the account\'s fraction digits (no sign, exponent or spaces); ' +
    'outputs always carry exactly the account\'s fraction digits: ISO 4217\'s for its currency, stored when the account opened.',
  serialize: (value) => String(value),
  parseValue(value) {
    if (typeof value !== 'string') throw new GraphQLError('Decimal must be a string such as "125.50", never a number.');
    return value;
  },
  parseLiteral(node) {
    if (node.kind !== Kind.STRING) throw new GraphQLError('Decimal must be a string such as "125.50", never a number.');
    return node.value;
  },
});

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** Days in a month of the proleptic Gregorian calendar (ISO 8601's), February by the leap-year rule. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * True when every field names a real calendar instant. `Date.parse` rolls impossible dates over
 * (2026-02-30 becomes March 2), so a filter would silently cover other days than the client asked.
 */
function isRealInstant(match: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHour = match[9] === undefined ? 0 : Number(match[9]);
  const offsetMinute = match[10] === undefined ? 0 : Number(match[10]);
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) &&
    hour <= 23 && minute <= 59 && second <= 59 && offsetHour <= 23 && offsetMinute <= 59
  );
}

function parseDateTime(value: unknown): Date {
  const match = typeof value === 'string' ? ISO_8601.exec(value) : null;
  if (!match || !isRealInstant(match) || Number.isNaN(Date.parse(match[0]))) {
    throw new GraphQLError(
      'DateTime must be a real ISO 8601 instant with a time zone, such as "2026-11-25T10:00:00Z" (no 2026-02-30, month 13 or hour 25).',
    );
  }
  return new Date(match[0]);
}

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO 8601 string in UTC: "2026-11-25T10:00:00.000Z". Inputs need a time zone and a real calendar date and time: 2026-02-30 or hour 25 is refused, never rolled over.',
  serialize: (value) => (value instanceof Date ? value : new Date(String(value))).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (node) => parseDateTime(node.kind === Kind.STRING ? node.value : undefined),
});
