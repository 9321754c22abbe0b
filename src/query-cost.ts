import type { ApolloServerPlugin } from '@apollo/server';
import { costLimitRule, type CostLimitOptions } from '@escape.tech/graphql-armor-cost-limit';
import { GraphQLError, Kind, validate, visit, type DocumentNode, type GraphQLSchema, type ValidationRule, type ValueNode } from 'graphql';

/** The page-size arguments graphql-armor's cost rule multiplies a selection by. */
const PAGE_SIZE_ARGUMENTS = new Set(['first', 'last']);

/**
 * graphql-armor's cost rule runs at validation, before variables have values, so it multiplies a
 * page by `first: 100` written in the query but not by `first: $n` with n = 100: fifteen aliased
 * pages of 100 would pass at the cost of fifteen pages of one. This returns the document with
 * each page-size variable written in as the number the request sent (or its declared default),
 * or undefined when there is none, so the same rule can judge what will really run.
 */
export function withPageSizesWrittenIn(document: DocumentNode, variables: Readonly<Record<string, unknown>>): DocumentNode | undefined {
  const defaults = new Map<string, ValueNode>();
  visit(document, {
    VariableDefinition(definition) {
      if (definition.defaultValue) defaults.set(definition.variable.name.value, definition.defaultValue);
    },
  });
  let changed = false;
  const written = visit(document, {
    Argument(argument) {
      if (!PAGE_SIZE_ARGUMENTS.has(argument.name.value) || argument.value.kind !== Kind.VARIABLE) return undefined;
      const name = argument.value.name.value;
      const sent = variables[name];
      const value: ValueNode | undefined =
        typeof sent === 'number' && Number.isInteger(sent) ? { kind: Kind.INT, value: String(sent) } : sent === undefined ? defaults.get(name) : undefined;
      if (!value) return undefined;
      changed = true;
      return { ...argument, value };
    },
  });
  return changed ? written : undefined;
}

/**
 * Validates with the given rules and returns every refusal. graphql-armor's rules throw their
 * refusal (its propagateOnRejection) instead of reporting it; that comes back as an error too.
 */
export function refusalsOf(schema: GraphQLSchema, document: DocumentNode, rules: readonly ValidationRule[]): GraphQLError[] {
  try {
    return [...validate(schema, document, rules)];
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
}

/** The cost rule's refusal of the document as it will run (page-size variables written in), if any. */
export function costRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Readonly<Record<string, unknown>>,
  costRule: ValidationRule,
): GraphQLError | undefined {
  const written = withPageSizesWrittenIn(document, variables);
  const [refusal] = written ? refusalsOf(schema, written, [costRule]) : [];
  return refusal && new GraphQLError(refusal.message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/**
 * Applies the cost limit again once the operation's variables are known, with the same rule and
 * options as the validation pass, and refuses the request the same way (400, the same message).
 */
export function pageAwareCostLimit<Context extends object>(options: CostLimitOptions): ApolloServerPlugin<Context> {
  const rule = costLimitRule(options);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, schema }) {
          const refusal = costRefusal(schema, document, request.variables ?? {}, rule);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
