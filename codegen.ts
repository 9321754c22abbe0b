import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * `npm run codegen`: prints the Pothos schema to schema.graphql (committed, so every API change
 * shows in review; a test fails when it drifts), types the tests' operations, and types the web
 * app's operations (web/src/operations.graphql) against the same schema, as a bank's own app would.
 */
const config: CodegenConfig = {
  schema: './src/schema/index.ts',
  ignoreNoDocuments: false,
  generates: {
    'schema.graphql': {
      plugins: ['schema-ast'],
      config: { includeDirectives: false },
    },
    'test/generated/': {
      documents: ['test/operations/**/*.graphql'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { Decimal: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        importExtension: '.js',
      },
    },
    // The web app is bundled by Vite (module resolution "Bundler"): extensionless imports.
    'web/src/generated/': {
      documents: ['web/src/**/*.graphql'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { Decimal: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
