import type { ApolloServerPlugin } from '@apollo/server';
import { costLimitRule, type CostLimitOptions } from '@escape.tech/graphql-armor-cost-limit';
import {
  BREAK,
  GraphQLError,
  Kind,
  isObjectType,
  TypeInfo,
  getOperationAST,
  validate,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE } from './ledger/limits.js';

/** The operation a request runs, and a document of just it and the fragments (what will execute). */
export function selectedOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): { operation: OperationDefinitionNode; document: DocumentNode } | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  return { operation, document: { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] } };
}

/** The page-size arguments graphql-armor's cost rule multiplies a selection by. */
const PAGE_SIZE_ARGUMENTS = new Set(['first', 'last']);

function intValue(value: number): ValueNode {
  return { kind: Kind.INT, value: String(value) };
}

/**
 * graphql-armor's cost rule runs at validation, before variables have values, so it multiplies a
 * page by `first: 100` written in the query but not by `first: $n` with n = 100: fifteen aliased
 * pages of 100 would pass at the cost of fifteen pages of one. This returns the operation that
 * will run (with the fragments) and every page size as it will be served: a variable written in as
 * the number the request sent or the operation's declared default, and a page with no size (or
 * null) as the default page. Undefined when the operation cannot be identified (graphql-js then
 * refuses the request anyway).
 */
export function asItWillRun(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
): DocumentNode | undefined {
  const selected = selectedOperation(document, operationName);
  if (!selected) return undefined;
  const { operation } = selected;
  const defaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) defaults.set(definition.variable.name.value, definition.defaultValue);
  }
  const pageSizeOf = (argument: ArgumentNode): ValueNode => {
    if (argument.value.kind !== Kind.VARIABLE) return argument.value.kind === Kind.NULL ? intValue(DEFAULT_PAGE_SIZE) : argument.value;
    const sent = variables[argument.value.name.value];
    if (typeof sent === 'number' && Number.isInteger(sent)) return intValue(sent);
    if (sent === undefined) {
      const declared = defaults.get(argument.value.name.value);
      return declared && declared.kind !== Kind.NULL ? declared : intValue(DEFAULT_PAGE_SIZE);
    }
    // Anything else is refused when variables are coerced; the default page keeps the count sane.
    return intValue(DEFAULT_PAGE_SIZE);
  };
  const typeInfo = new TypeInfo(schema);
  return visit(
    selected.document,
    visitWithTypeInfo(typeInfo, {
      Field(field) {
        const pages = typeInfo.getFieldDef()?.args.some((argument) => PAGE_SIZE_ARGUMENTS.has(argument.name));
        if (!pages) return undefined;
        const given = (field.arguments ?? []).filter((argument) => PAGE_SIZE_ARGUMENTS.has(argument.name.value));
        const others = (field.arguments ?? []).filter((argument) => !PAGE_SIZE_ARGUMENTS.has(argument.name.value));
        const sized = given.length > 0 ? given.map((argument) => ({ ...argument, value: pageSizeOf(argument) })) : [
          { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'first' }, value: intValue(DEFAULT_PAGE_SIZE) } satisfies ArgumentNode,
        ];
        return { ...field, arguments: [...others, ...sized] };
      },
    }),
  );
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

const pagedFieldsBySchema = new WeakMap<GraphQLSchema, ReadonlySet<string>>();
const pagingByDocument = new WeakMap<DocumentNode, boolean>();

/** Names of the schema's fields that take a page size (today only an account's history). */
function pagedFieldNames(schema: GraphQLSchema): ReadonlySet<string> {
  let names = pagedFieldsBySchema.get(schema);
  if (!names) {
    const found = new Set<string>();
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        if (field.args.some((argument) => PAGE_SIZE_ARGUMENTS.has(argument.name))) found.add(field.name);
      }
    }
    pagedFieldsBySchema.set(schema, (names = found));
  }
  return names;
}

/**
 * Whether the document selects a field of such a name anywhere. When it does not, armor's pass at
 * validation already saw every size there is, so the second pass is skipped: a money movement
 * pays for a name lookup, not a second validation. Apollo hands the same document object to every
 * request with the same text, so the answer is kept per document.
 */
function selectsPagedField(schema: GraphQLSchema, document: DocumentNode): boolean {
  let paging = pagingByDocument.get(document);
  if (paging === undefined) {
    const names = pagedFieldNames(schema);
    paging = false;
    visit(document, {
      Field(field) {
        if (!names.has(field.name.value)) return undefined;
        paging = true;
        return BREAK;
      },
    });
    pagingByDocument.set(document, paging);
  }
  return paging;
}

/** The cost rule's refusal of the operation as it will run, if any. */
export function costRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
  costRule: ValidationRule,
): GraphQLError | undefined {
  if (!selectsPagedField(schema, document)) return undefined;
  const running = asItWillRun(schema, document, operationName, variables);
  const [refusal] = running ? refusalsOf(schema, running, [costRule]) : [];
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
          const refusal = costRefusal(schema, document, request.operationName, request.variables ?? {}, rule);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
