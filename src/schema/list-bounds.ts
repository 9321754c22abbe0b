import { getNullableType, isListType, isObjectType, isInterfaceType, type GraphQLField, type GraphQLSchema } from 'graphql';

/**
 * The most items one list field can return, declared next to the field so that the query cost
 * model (src/transport/query-cost.ts) can multiply everything selected under it: a number, or `'page'` for a
 * connection's edges, which are as many as the page size of the field that returned the
 * connection (its `first`/`last`).
 */
export type ListBound = number | 'page' | SizedByArgument;

/**
 * As many items as a list in an argument of an enclosing field has (`path`, e.g. `input.items` of
 * postMovements for its BatchResult.items), at most `max`; `max` when the count is not known.
 */
export interface SizedByArgument {
  readonly sizedBy: string;
  readonly max: number;
}

function isSizedByArgument(bound: unknown): bound is SizedByArgument {
  const candidate = bound as Partial<SizedByArgument> | undefined;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.sizedBy === 'string' && Number.isInteger(candidate.max) && (candidate.max ?? 0) > 0;
}

/** The GraphQL field extension that carries the bound; Pothos passes `extensions` through. */
const LIST_BOUND_EXTENSION = 'listBound';

/** `extensions: listBound(MAX_ACCOUNTS_PER_USER)` on a Pothos list field. */
export function listBound(bound: ListBound): { readonly [LIST_BOUND_EXTENSION]: ListBound } {
  if (bound !== 'page' && !isSizedByArgument(bound) && !(Number.isInteger(bound) && (bound as number) > 0)) throw new Error(`a list bound is a positive whole number or 'page', got ${bound}`);
  return { [LIST_BOUND_EXTENSION]: bound };
}

/** The declared bound of a field, or undefined when it has none. */
export function listBoundOf(field: GraphQLField<unknown, unknown>): ListBound | undefined {
  const bound = field.extensions?.[LIST_BOUND_EXTENSION];
  return bound === 'page' || isSizedByArgument(bound) || (typeof bound === 'number' && Number.isInteger(bound) && bound > 0) ? bound : undefined;
}

/** Whether a field returns a list (non-null or not); inner lists of lists do not occur here. */
export function returnsList(field: GraphQLField<unknown, unknown>): boolean {
  return isListType(getNullableType(field.type));
}

/**
 * `Type.field` of every output list field without a bound. The schema module refuses to build
 * while this is not empty, so a new list field without a bound fails every test and `npm start`:
 * an unbounded list would make the cost model's numbers meaningless.
 */
export function unboundedListFields(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      if (returnsList(field) && listBoundOf(field) === undefined) missing.push(`${type.name}.${field.name}`);
    }
  }
  return missing;
}

export function assertEveryListBounded(schema: GraphQLSchema): GraphQLSchema {
  const missing = unboundedListFields(schema);
  if (missing.length > 0) {
    throw new Error(`every list field needs extensions: listBound(…) (src/schema/list-bounds.ts); missing on ${missing.join(', ')}`);
  }
  return schema;
}
