import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * `npm run codegen`: prints the Pothos schema to schema.graphql (committed, so every API change
 * shows in review; a test fails when it drifts) and types the tests' operations.
 */
const config: CodegenConfig = {
  schema: './src/schema/index.ts',
  documents: ['test/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'schema.graphql': {
      plugins: ['schema-ast'],
      config: { includeDirectives: false },
    },
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { Decimal: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        importExtension: '.js',
      },
    },
  },
};

export default config;
