import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  TypeInfo,
  getOperationAST,
  validate,
  visit,
  valueFromASTUntyped,
  visitWithTypeInfo,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type OperationDefinitionNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../ledger/limits.js';
import { listBoundOf, returnsList } from '../schema/list-bounds.js';

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

/** The page-size arguments of a paged field (a connection's `first`/`last`). */
const PAGE_SIZE_ARGUMENTS = new Set(['first', 'last']);

function intValue(value: number): ValueNode {
  return { kind: Kind.INT, value: String(value) };
}

/**
 * A cost judged at validation, before variables have values, would multiply a page by
 * `first: 100` written in the query but not by `first: $n` with n = 100: fifteen aliased pages of
 * 100 would pass at the cost of fifteen pages of one. This returns the operation that will run
 * (with the fragments) and every page size as it will be served: a variable written in as
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


/**
 * The cost model: the most values a response to the operation can hold, which is what its reads
 * and its serialisation scale with. Every selected field is 1 (a scalar, or the object itself)
 * plus what is selected under it, and a list field multiplies that by its declared bound
 * (src/schema/list-bounds.ts): `accounts` by MAX_ACCOUNTS_PER_USER, `entries` and `balances` by
 * MAX_ENTRIES_PER_TRANSACTION, a connection's `edges` by the page size of the field that returned
 * it (its `first`/`last`, at most MAX_PAGE_SIZE, which the resolver enforces). Nested lists
 * multiply: `accounts { transactions(first: 100) { edges { … } } }` is 100 pages, not one.
 * Inline fragments and fragment spreads on a union or interface are all counted (an upper bound).
 * Introspection costs nothing here; depth and token limits bound it.
 */
class CostCounter {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  /** Fragment costs by name and enclosing page size: a spread used many times is walked once. */
  private readonly fragmentCosts = new Map<string, number>();
  /**
   * The argument values of the enclosing fields that pass a list (postMovements' `input.items`),
   * innermost last, for bounds sized by one (SizedByArgument); `frame` names the innermost, so a
   * fragment's cost is reused only under the same one.
   */
  private readonly listArguments: { readonly id: number; readonly values: Record<string, unknown> }[] = [];
  private frames = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly variables: Readonly<Record<string, unknown>> = {},
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  selectionSetCost(parent: GraphQLCompositeType, selectionSet: SelectionSetNode, pageSize: number): number {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        total += this.fieldCost(parent, selection, pageSize);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += this.selectionSetCost(this.conditionType(selection.typeCondition?.name.value) ?? parent, selection.selectionSet, pageSize);
      } else {
        total += this.fragmentCost(selection.name.value, pageSize);
      }
    }
    return total;
  }

  private fragmentCost(name: string, pageSize: number): number {
    const key = `${name}\u0000${pageSize}\u0000${this.listArguments.at(-1)?.id ?? 0}`;
    let cost = this.fragmentCosts.get(key);
    if (cost === undefined) {
      const fragment = this.fragments.get(name);
      const type = this.conditionType(fragment?.typeCondition.name.value);
      // A cycle is refused by validation before this runs; 0 while walking keeps a bug finite.
      this.fragmentCosts.set(key, 0);
      cost = fragment && type ? this.selectionSetCost(type, fragment.selectionSet, pageSize) : 0;
      this.fragmentCosts.set(key, cost);
    }
    return cost;
  }

  private conditionType(name: string | undefined): GraphQLCompositeType | undefined {
    const type = name ? this.schema.getType(name) : undefined;
    return type && isCompositeType(type) ? type : undefined;
  }

  private fieldCost(parent: GraphQLCompositeType, field: FieldNode, enclosingPageSize: number): number {
    const name = field.name.value;
    if (name === '__schema' || name === '__type') return 0;
    const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    // __typename, or a field validation refuses anyway.
    if (!definition) return 1;
    const pageSize = pageSizeOfField(field) ?? enclosingPageSize;
    const type = getNamedType(definition.type);
    const pushed = this.pushListArguments(field);
    const below = field.selectionSet && isCompositeType(type) ? this.selectionSetCost(type, field.selectionSet, pageSize) : 0;
    if (pushed) this.listArguments.pop();
    const each = 1 + below;
    if (!returnsList(definition)) return each;
    const bound = listBoundOf(definition);
    // Every list field has a bound (the schema refuses to build otherwise); the page is the fallback.
    if (typeof bound === 'object') return each * Math.min(bound.max, this.sentLength(bound.sizedBy) ?? bound.max);
    return each * (bound === undefined || bound === 'page' ? pageSize : bound);
  }

  /** Remembers a field's arguments while its selection is counted, when one of them passes an object or list. */
  private pushListArguments(field: FieldNode): boolean {
    const values: Record<string, unknown> = {};
    for (const argument of field.arguments ?? []) {
      if (argument.value.kind === Kind.OBJECT || argument.value.kind === Kind.LIST || argument.value.kind === Kind.VARIABLE) {
        values[argument.name.value] = valueFromASTUntyped(argument.value, this.variables);
      }
    }
    if (!Object.values(values).some((value) => typeof value === 'object' && value !== null)) return false;
    this.frames += 1;
    this.listArguments.push({ id: this.frames, values });
    return true;
  }

  /** The length of the list at `path` (`input.items`) in the innermost enclosing arguments that have it. */
  private sentLength(path: string): number | undefined {
    for (let index = this.listArguments.length - 1; index >= 0; index -= 1) {
      let value: unknown = this.listArguments[index]!.values;
      for (const part of path.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
      if (Array.isArray(value)) return value.length;
    }
    return undefined;
  }
}

/** The page size a field with literal `first`/`last` (as asItWillRun writes them) will serve. */
function pageSizeOfField(field: FieldNode): number | undefined {
  let size: number | undefined;
  for (const argument of field.arguments ?? []) {
    if (!PAGE_SIZE_ARGUMENTS.has(argument.name.value) || argument.value.kind !== Kind.INT) continue;
    // Larger pages, and negative ones, are refused by the resolver: the work never exceeds the maximum.
    const served = Math.min(MAX_PAGE_SIZE, Math.max(0, Number.parseInt(argument.value.value, 10)));
    size = Math.max(size ?? 0, served);
  }
  return size;
}

/**
 * The cost of the operation that will run, page sizes as they will be served (see asItWillRun).
 * Undefined when the operation cannot be identified (graphql-js then refuses the request anyway).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
): number | undefined {
  const running = asItWillRun(schema, document, operationName, variables);
  const operation = running && getOperationAST(running, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!running || !operation || !root) return undefined;
  return new CostCounter(schema, running, variables).selectionSetCost(root, operation.selectionSet, DEFAULT_PAGE_SIZE);
}

/**
 * Says no more than that the query is too large: the limit and the count are not revealed, so a
 * client cannot tune a query to sit just under it.
 */
const COST_REFUSAL = 'Query validation error: it selects too much at once; ask for smaller pages, fewer accounts or fewer fields.';

/** The refusal of a cost above `maxCost`, if it is. */
function refusalOfCost(cost: number | undefined, maxCost: number): GraphQLError | undefined {
  if (cost === undefined || cost <= maxCost) return undefined;
  return new GraphQLError(COST_REFUSAL, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/** The refusal of an operation whose cost is above `maxCost`, if it is. */
export function costRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
  maxCost: number,
): GraphQLError | undefined {
  return refusalOfCost(operationCost(schema, document, operationName, variables), maxCost);
}

/** Waits for the caller's turn to run an operation of this cost; false when it did not come in time. */
export type AdmitByCost<Context> = (context: Context, cost: number) => Promise<boolean>;

const NO_TURN = 'Too many of your requests are in progress at once; retry when one has finished.';

/**
 * Judges the cost once the operation and its variables are known (after validation, before
 * anything runs) and refuses the request with 400 past `maxCost`; then waits for the caller's turn
 * (src/transport/user-shares.ts), refusing with 429 LIMIT_EXCEEDED when it does not come in time.
 */
export function costLimitPlugin<Context extends object>(maxCost: number, admit?: AdmitByCost<Context>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, schema, contextValue }) {
          const cost = operationCost(schema, document, request.operationName, request.variables ?? {});
          const refusal = refusalOfCost(cost, maxCost);
          if (refusal) throw refusal;
          if (!admit || cost === undefined || (await admit(contextValue, cost))) return;
          throw new GraphQLError(NO_TURN, {
            // Apollo reads `http.headers` as its HeaderMap at run time; a dependency types it as a record.
            extensions: { code: 'LIMIT_EXCEEDED', retryAfterSeconds: 1, http: { status: 429, headers: new HeaderMap([['retry-after', '1']]) as unknown as Record<string, string> } },
          });
        },
      };
    },
  };
}
