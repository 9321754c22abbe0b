import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed operations for an app on Tally: `npx graphql-codegen` (offline, from the committed schema).
const config: CodegenConfig = {
  // Tally's contract, copied from its repository (or a dev server's URL: introspection is off in production).
  schema: './schema.graphql',
  // Every graphql(`…`) call in the app's sources.
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: true,
  generates: {
    './src/gql/': {
      preset: 'client',
      config: {
        // Money stays a string ("125.50"): a JavaScript number cannot hold every cent exactly.
        scalars: { Decimal: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
