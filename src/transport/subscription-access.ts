import { GraphQLError, TypeInfo, getArgumentValues, getVariableValues, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Context } from '../context.js';
import { NotFoundError } from '../ledger/errors.js';
import { ownedAccount } from '../ledger/queries/accounts.js';
import { selectedOperation } from './query-cost.js';

/**
 * Refuses a subscription to an account the caller does not own before any stream starts, so the
 * socket answers with an `error` message and never sets up a feed (API.md: "Caller must own").
 * Every root subscription field that takes an `accountId` is checked; the field's own resolver
 * checks again, so this is the early answer, not the only guard. Operators are no exception.
 */
export async function subscriptionRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
  context: Context,
): Promise<GraphQLError | undefined> {
  const selected = selectedOperation(document, operationName);
  const subscriptionType = schema.getSubscriptionType();
  if (!selected || !subscriptionType) return undefined;
  // The values execution will use: defaults applied, types coerced (an `ID` sent as a number is text).
  const coerced = getVariableValues(schema, selected.operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return coerced.errors[0];
  const watched: Array<{ responseName: string; accountId: unknown }> = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    selected.document,
    visitWithTypeInfo(typeInfo, {
      Field(field) {
        const definition = typeInfo.getFieldDef();
        if (typeInfo.getParentType() !== subscriptionType || !definition?.args.some((argument) => argument.name === 'accountId')) return;
        let accountId: unknown;
        try {
          accountId = getArgumentValues(definition, field, coerced.coerced).accountId;
        } catch {
          // Not readable as an account id: it then names no account of the caller's, and is refused.
        }
        watched.push({ responseName: field.alias?.value ?? field.name.value, accountId });
      },
    }),
  );
  for (const { responseName, accountId } of watched) {
    const owned = context.viewer ? await ownedAccount(context.database, context.viewer.userId, String(accountId)) : undefined;
    if (!owned) {
      const notFound = new NotFoundError('No such account.');
      // With a path and the original error, the usual masking shows it as the ledger's NOT_FOUND.
      return new GraphQLError(notFound.message, { path: [responseName], originalError: notFound });
    }
  }
  return undefined;
}
