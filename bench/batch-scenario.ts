import { randomUUID } from 'node:crypto';
import type { GraphQLClient, GraphQLReply } from './graphql-client.js';
import { pick, randomAmount, type BenchUser, type Mix } from './mix.js';
import type { MovementOutcome } from './operations.js';
import type { Sessions } from './sessions.js';
import { MAX_MOVEMENT_MINOR } from './settings.js';

/**
 * The batch scenario (BENCH_SCENARIOS=batches): the movements scenario's funded 10,000 accounts and
 * phases, each request one postMovements of BATCH_ITEMS cash deposits (non-atomic) by one rails
 * service into accounts drawn from all 10,000, as a settlement file would arrive. Its figure is
 * movements per second, items committed, against the pgbench deposit ceiling of the same run
 * (issue 11: at least 3.0). Latency is a whole batch's.
 */
export const BATCH_ITEMS = 1_000;

const SCENARIO = `postMovements of ${BATCH_ITEMS} cash deposits, 10,000 accounts`;

/** Little per item: the cost limit counts each item's selection once per item sent. */
const POST_MOVEMENTS = `mutation BenchPostMovements($input: PostMovementsInput!) {
  postMovements(input: $input) {
    __typename
    ... on BatchResult { committed failed replayed items { result { __typename ... on Error { code } } } }
    ... on Error { code message }
  }
}`;

interface BatchReply {
  readonly __typename?: string;
  readonly code?: string;
  readonly message?: string;
  readonly committed?: number;
  readonly replayed?: boolean;
  readonly items?: ReadonlyArray<{ readonly result: { readonly __typename: string; readonly code?: string } }>;
}

/** How one batch ended: its committed items, and each failed item's code. */
export function batchOutcome(reply: GraphQLReply): MovementOutcome {
  const result = reply.data?.postMovements as BatchReply | undefined;
  if (reply.status !== 200 || reply.errors.length > 0 || !result) {
    return { kind: 'unexpected', reason: `HTTP ${reply.status} ${reply.errors[0]?.message ?? 'without a result'}` };
  }
  if (result.__typename !== 'BatchResult') return result.code ? { kind: 'typed', code: result.code } : { kind: 'unexpected', reason: `unknown result ${result.__typename}` };
  if (result.replayed) return { kind: 'unexpected', reason: 'replayed batch for a fresh key' };
  const typed: Record<string, number> = {};
  for (const { result: item } of result.items ?? []) {
    if (item.__typename !== 'MoneyMovement') typed[item.code ?? item.__typename] = (typed[item.code ?? item.__typename] ?? 0) + 1;
  }
  return { kind: 'batch', committed: result.committed ?? 0, typed };
}

/** The settlement-file mix: every request a batch of deposits from one user's rails service. */
export function batchMix(): Mix {
  const next = async (client: GraphQLClient, sessions: Sessions, users: readonly BenchUser[], allAccountIds: readonly string[]): Promise<MovementOutcome> => {
    const service = pick(users).cashService;
    const items = Array.from({ length: BATCH_ITEMS }, () => ({
      deposit: { accountId: pick(allAccountIds), amount: randomAmount(MAX_MOVEMENT_MINOR), channel: 'CASH', idempotencyKey: randomUUID() },
    }));
    const reply = await client.post(POST_MOVEMENTS, { input: { items, atomic: false, idempotencyKey: randomUUID() } }, await sessions.tokenFor(service));
    return batchOutcome(reply);
  };
  return { scenario: SCENARIO, next, resultsSuffix: '.batches.json' };
}
