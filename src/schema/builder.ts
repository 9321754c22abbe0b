import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type { Context } from '../context.js';

/** The schema builder: plugins, scalars and the authorization scopes; no types are defined here. */
export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    /** Money in major units as a string ("125.50"); converted to minor units by the ledger. */
    Decimal: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
  };
  AuthScopes: {
    /** A valid access token was sent. */
    signedIn: boolean;
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin],
  defaultFieldNullability: false,
  errors: { defaultTypes: [] },
  // Authorization lives here and in auth/access.ts: the root types demand a signed-in caller
  // (the few public fields opt out by name), and access.ts decides which accounts a caller sees.
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({ signedIn: !!context.viewer && !context.authenticationProblem }),
    unauthorizedError: (_parent, context) =>
      new GraphQLError(context.authenticationProblem ?? 'Sign in first: send Authorization: Bearer <accessToken>.', {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      }),
  },
});

builder.queryType({
  description: 'Reads. Every field needs an access token; you see only the accounts you may see.',
  authScopes: { signedIn: true },
});
builder.mutationType({
  description: 'Writes. Money-moving mutations take an idempotency key and return typed results.',
  authScopes: { signedIn: true },
});
