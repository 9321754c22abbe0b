import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { TallyMetrics } from './tally-metrics.js';

/**
 * The operation a request is counted under: its first root field (`transfer`, `accounts`), a
 * name fixed by the schema, so the label's values stay few whatever clients call their operations.
 */
function operationOf(operation: OperationDefinitionNode | undefined): string {
  const first = operation?.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
  return first?.kind === Kind.FIELD ? first.name.value : 'unknown';
}

/** Times every GraphQL request over HTTP into tally_graphql_request_duration_seconds. */
export function requestMetricsPlugin(metrics: TallyMetrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const startedAt = performance.now();
      let labels = { operation: 'invalid', type: 'invalid' };
      return {
        async didResolveOperation({ operation }) {
          labels = { operation: operationOf(operation), type: operation?.operation ?? 'unknown' };
        },
        async willSendResponse() {
          metrics.requestDuration.observe(labels, (performance.now() - startedAt) / 1000);
        },
      };
    },
  };
}
