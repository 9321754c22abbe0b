import { readFileSync } from 'node:fs';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, lexicographicSortSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';

describe('schema.graphql', () => {
  it('is what the code prints: run `npm run codegen` and commit it after changing the schema', () => {
    const committed = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
    expect(printSchema(lexicographicSortSchema(committed))).toBe(printSchema(lexicographicSortSchema(schema)));
  });

  it('describes every type, field, argument and enum value for GraphiQL readers', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const argument of field.args) if (!argument.description && argument.name !== 'input') missing.push(`${type.name}.${field.name}(${argument.name})`);
        }
      }
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
      }
      if (isEnumType(type) && !type.description) missing.push(type.name);
    }
    expect(missing).toEqual([]);
  });

  it('keeps the contract names of API.md', () => {
    const mutation = schema.getMutationType()!.getFields();
    const query = schema.getQueryType()!.getFields();
    expect(Object.keys(query)).toEqual(expect.arrayContaining(['me', 'accounts', 'account', 'balance', 'transactions', 'transaction']));
    expect(Object.keys(mutation)).toEqual(expect.arrayContaining(['generateToken', 'openAccount', 'deposit', 'withdraw', 'transfer']));
    for (const name of ['MoneyMovement', 'OpenAccountSuccess', 'AuthTokens', 'AccountTransactionConnection', 'Error', 'Decimal', 'DateTime']) {
      expect(schema.getType(name), name).toBeDefined();
    }
  });
});
