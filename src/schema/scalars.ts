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
    'Inputs use plain digits with at most the currency\'s fraction digits (no sign, exponent or spaces); ' +
    'outputs always carry exactly the currency\'s fraction digits.',
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

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError('DateTime must be an ISO 8601 string with a time zone, such as "2026-11-25T10:00:00Z".');
  }
  return new Date(value);
}

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO 8601 string in UTC: "2026-11-25T10:00:00.000Z".',
  serialize: (value) => (value instanceof Date ? value : new Date(String(value))).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (node) => parseDateTime(node.kind === Kind.STRING ? node.value : undefined),
});
