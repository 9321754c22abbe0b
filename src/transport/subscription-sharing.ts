import { createHash, randomUUID } from 'node:crypto';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  getVariableValues,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { createLoaders, type Context } from '../context.js';
import type { Actor } from '../ledger/types.js';
import { SHARED_EXECUTION_EXTENSION } from '../schema/shared-execution.js';

/**
 * How many shared results are kept. One push to ten thousand sockets is one entry per
 * (document, variables, viewer) among them; a few thousand covers a burst of events over many
 * accounts, and each entry is one small result.
 */
const MAX_SHARED_RESULTS = 5_000;
/**
 * How long a result is reused. Long enough for one event to reach every socket of a busy process
 * (a second or two when queued), short enough that a later resume re-reads what changed since
 * (a transaction's status after a reversal) rather than replaying an old answer.
 */
const SHARED_RESULT_TTL_MS = 10_000;

/**
 * What decides a push's result besides the event: the document and operation it runs, the
 * coerced variable values, and who is looking. `visibility` is the viewer's role, user
 * id and (for a service) channels: who sees an entry's account (their own accounts, operators
 * all) and a transaction's idempotency key (its initiator) is decided per user, so two users
 * never share a result, even two owners of the same account.
 */
export interface SelectionKey {
  readonly document: string;
  readonly variables: string;
  readonly visibility: string;
  /** The three in one string, made once per subscription rather than once per push. */
  readonly id: string;
}

export function visibilityKey(viewer: Actor | undefined): string {
  if (!viewer) return 'anonymous';
  return JSON.stringify([viewer.role, viewer.userId, [...(viewer.channels ?? [])].sort()]);
}

/** Object keys sorted at every level, so the same values always give the same text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/**
 * The key of one subscription's pushes, or undefined when its root field is not marked shareable
 * (or its variables do not coerce: graphql-js then refuses the subscription itself).
 */
export function selectionKeyOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  query: string,
  operationName: string | null,
  variables: Readonly<Record<string, unknown>>,
  viewer: Actor | undefined,
): SelectionKey | undefined {
  const operation = getOperationAST(document, operationName);
  const subscriptionType = schema.getSubscriptionType();
  if (!operation || operation.operation !== 'subscription' || !subscriptionType) return undefined;
  const roots = operation.selectionSet.selections;
  const root = roots[0];
  if (roots.length !== 1 || root?.kind !== 'Field') return undefined;
  if (subscriptionType.getFields()[root.name.value]?.extensions?.[SHARED_EXECUTION_EXTENSION] !== true) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return undefined;
  const key = {
    document: createHash('sha256').update(JSON.stringify([query, operationName])).digest('base64url'),
    variables: canonicalJson(coerced.coerced),
    visibility: visibilityKey(viewer),
  };
  return { ...key, id: JSON.stringify([key.document, key.variables, key.visibility]) };
}

/**
 * Runs a shareable subscription's selection once per (event, document, variables, viewer) and
 * hands every subscriber that shares them the same result object, so graphql-ws serializes the
 * same bytes for each. Concurrent subscribers wait for the one execution in flight.
 */
export class SharedExecutions {
  /** By the event's content: the same version read from history by two streams is two objects. */
  private readonly results = new LRUCache<string, Promise<ExecutionResult>>({ max: MAX_SHARED_RESULTS, ttl: SHARED_RESULT_TTL_MS });
  /**
   * By the event object: one pub/sub message is one object handed to every stream of the
   * process, so a live push to thousands of sockets is one map look-up each, with no key to build.
   */
  private readonly byEvent = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();
  /** Each event object's content key, computed once however many subscribers it reaches. */
  private readonly eventKeys = new WeakMap<object, string>();
  /** Pushes executed, shared or not (tests count them: a shared push adds one, not one per socket). */
  executions = 0;

  /** The shared result for this event, executing `run` only when no subscriber has yet. */
  resultFor(event: unknown, selection: SelectionKey, run: () => Promise<ExecutionResult> | ExecutionResult): Promise<ExecutionResult> {
    const sameObject = event && typeof event === 'object' ? this.byEvent.get(event)?.get(selection.id) : undefined;
    if (sameObject) return sameObject;
    const key = `${this.eventKey(event)}\n${selection.id}`;
    let result = this.results.get(key);
    if (!result) {
      this.executions += 1;
      const running = Promise.resolve().then(run);
      this.results.set(key, running);
      // A failed execution is not kept: the next subscriber tries again rather than sharing a failure.
      running.catch(() => {
        if (this.results.get(key) === running) this.results.delete(key);
        if (event && typeof event === 'object') this.byEvent.get(event)?.delete(selection.id);
      });
      result = running;
    }
    if (event && typeof event === 'object') {
      let ofEvent = this.byEvent.get(event);
      if (!ofEvent) this.byEvent.set(event, (ofEvent = new Map()));
      ofEvent.set(selection.id, result);
    }
    return result;
  }

  private eventKey(event: unknown): string {
    if (!event || typeof event !== 'object') return canonicalJson(event);
    let key = this.eventKeys.get(event);
    if (key === undefined) {
      // The event's whole content: two events are the same push only if nothing in them differs.
      key = canonicalJson(event);
      this.eventKeys.set(event, key);
    }
    return key;
  }
}

/**
 * A context for one shared execution: the subscriber's viewer and services, with its own
 * read-only unit of work and loaders. Fresh for every execution, so what the viewer may see is
 * read when the push runs, never from one subscriber's long-lived caches.
 */
function executionContext(subscriber: Context): Context {
  const database = subscriber.orm.em.fork() as Context['database'];
  // A push reports a change that just committed: everything it reads comes from the primary.
  return { ...subscriber, requestId: randomUUID(), database, followerDatabase: async () => database, loaders: createLoaders(database, subscriber.viewer) };
}

/**
 * graphql-js's `subscribe` with shared pushes: the source stream is the subscriber's own (its
 * resume point, its order), and each event maps through `SharedExecutions`. Without a key it is
 * exactly graphql-js's mapping: the subscriber's execution of its own.
 */
export async function subscribeSharing(
  shared: SharedExecutions,
  args: ExecutionArgs,
  selection: SelectionKey | undefined,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
  const events = source as AsyncIterable<unknown>;
  return mapEvents(events, (event) => {
    const run = () => execute({ ...args, rootValue: event, contextValue: selection ? executionContext(args.contextValue as Context) : args.contextValue });
    if (selection) return shared.resultFor(event, selection, run);
    shared.executions += 1;
    return Promise.resolve(run());
  });
}

/** graphql-js's mapAsyncIterator (internal there): `return()` reaches the source at once. */
function mapEvents<Event, Mapped>(iterable: AsyncIterable<Event>, map: (event: Event) => Promise<Mapped>): AsyncIterableIterator<Mapped> {
  const iterator = iterable[Symbol.asyncIterator]();
  const closeSource = async () => {
    try {
      await iterator.return?.();
    } catch {
      // The mapping's own error is the one to report.
    }
  };
  const mapped = async (result: IteratorResult<Event>): Promise<IteratorResult<Mapped>> => {
    if (result.done) return { done: true, value: undefined };
    try {
      return { done: false, value: await map(result.value) };
    } catch (error) {
      await closeSource();
      throw error;
    }
  };
  const stream: AsyncIterableIterator<Mapped> = {
    next: async () => mapped(await iterator.next()),
    return: async () => (iterator.return ? mapped(await iterator.return()) : { done: true, value: undefined }),
    async throw(error: unknown) {
      if (iterator.throw) return mapped(await iterator.throw(error));
      await closeSource();
      throw error;
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}
