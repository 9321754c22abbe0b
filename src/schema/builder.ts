import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import type { Context } from '../context.js';

/** The schema builder: plugins and scalar types only; every GraphQL type lives in its own file. */
export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    /** Money in major units as a string ("125.50"); converted to minor units by the ledger. */
    Decimal: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ErrorsPlugin],
  defaultFieldNullability: false,
  errors: { defaultTypes: [] },
});

builder.queryType({ description: 'Reads. Every field needs an access token; you see only your own accounts.' });
builder.mutationType({ description: 'Writes. Money-moving mutations take an idempotency key and return typed results.' });
