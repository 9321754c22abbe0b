import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { sendsStatementsTogether } from './pending-writes.js';

/**
 * A transaction's BEGIN travels with its first statement, and a ledger unit's COMMIT with its
 * last write (issue 11 §3: round trips per movement). knex starts every transaction (MikroORM's
 * `em.transactional`, so every ledger unit) by sending `BEGIN;` alone and waiting for its answer,
 * and ends it with `COMMIT;` alone: two socket writes and two round trips on a unit that otherwise
 * needs about three (a CPU profile of the server at 32 clients put 18% of its busy samples in
 * `writeBuffer`, one per message sent).
 *
 * Wrapped around each pooled `pg` connection (orm.ts), `query`:
 *
 * - answers knex's `BEGIN;` at once without sending it, and puts it in front of the connection's
 *   next statement. A simple-protocol statement (MikroORM inlines every parameter, so all of the
 *   ledger's) is sent as `BEGIN;` followed by it, one message: PostgreSQL runs a BEGIN inside a
 *   multi-statement message as usual, so what follows runs in the transaction block, and an error
 *   leaves it open and aborted for knex's ROLLBACK, as a separate BEGIN would. The BEGIN's result
 *   is taken off the answer: the caller sees exactly the results of what it sent. Any other query
 *   (parameters of its own, a prepared statement's name) gets the BEGIN sent alone first and runs
 *   once it succeeded, so nothing runs outside the transaction it was meant for. A COMMIT or
 *   ROLLBACK with nothing sent since the BEGIN ends a transaction PostgreSQL never saw: answered
 *   at once, nothing sent.
 * - after a message that ended with `RIDING_COMMIT` succeeded (the unit's last write,
 *   movement-buffer.ts `finish`), answers knex's own COMMIT (or a ROLLBACK, which can no longer
 *   undo anything) at once, and refuses any other statement until then: it would run outside the
 *   committed transaction. The unit's callers are answered only after that COMMIT, as before.
 *
 * Only knex's exact texts are taken: a `begin` written elsewhere (the outbox relay's, migrations')
 * is sent as written. PGlite's connection is not wrapped.
 */

/** The text knex sends to start a transaction at the default isolation level (knex pg-transaction.js). */
const KNEX_BEGIN = 'BEGIN;';
/** What knex sends to end one (knex transaction.js). */
const KNEX_COMMIT = 'COMMIT;';
const KNEX_ROLLBACKS = new Set(['ROLLBACK', 'ROLLBACK;']);
/** The COMMIT a unit's last write carries in its message; named so the connection knows the transaction ended. */
export const RIDING_COMMIT = 'COMMIT /* tally: the unit commits with its last write */';

type Callback = (error: Error | null, result?: unknown) => void;

/** The part of a `pg` client this touches. */
export interface QueryingClient {
  query: (...args: unknown[]) => unknown;
}

interface SimpleQuery {
  readonly text: string;
  readonly values?: readonly unknown[];
  readonly name?: string;
}

/** knex's call shape, `query({ text, values: [] }, callback)`, with nothing that needs the extended protocol. */
function simpleCall(args: readonly unknown[]): { config: SimpleQuery; callback: Callback } | undefined {
  const [config, callback] = args;
  if (args.length !== 2 || typeof callback !== 'function' || !config || typeof config !== 'object') return undefined;
  const query = config as SimpleQuery & { submit?: unknown; rowMode?: unknown; types?: unknown };
  if (typeof query.text !== 'string' || query.name !== undefined || query.submit !== undefined || query.rowMode !== undefined || query.types !== undefined) return undefined;
  if (query.values !== undefined && query.values.length > 0) return undefined;
  return { config: query, callback: callback as Callback };
}

/** What `pg` answers a message of several statements (an array of results), without the BEGIN's at its head. */
function withoutBegin(results: unknown): unknown {
  if (!Array.isArray(results)) return results;
  const rest = results.slice(1);
  return rest.length === 1 ? rest[0] : rest;
}

/** The result `pg` gives a statement that returns no rows (what knex reads of a BEGIN or COMMIT). */
function emptyResult(command: string): unknown {
  return { command, rowCount: null, rows: [], fields: [] };
}

function answerSoon(callback: Callback, error: Error | null, result?: unknown): undefined {
  process.nextTick(() => callback(error, result));
  return undefined;
}

/** The connection's side of a transaction: what it holds back and whether its last message committed. */
interface Boundaries {
  beginHeld: boolean;
  committedAhead: boolean;
}

/** Makes `client` pipeline knex's BEGIN and a unit's riding COMMIT; returns it. Idempotent. */
export function pipelineTransactions<Client extends QueryingClient>(client: Client): Client {
  const marked = client as Client & { tallyPipelined?: true };
  if (marked.tallyPipelined) return client;
  marked.tallyPipelined = true;
  const send = client.query.bind(client);
  const state: Boundaries = { beginHeld: false, committedAhead: false };
  client.query = (...args: unknown[]): unknown => route(send, state, args);
  return client;
}

function route(send: (...args: unknown[]) => unknown, state: Boundaries, args: unknown[]): unknown {
  const call = simpleCall(args);
  const text = call?.config.text;
  if (state.committedAhead) return afterRidingCommit(send, state, args, call);
  if (call && text === KNEX_BEGIN && !state.beginHeld) {
    state.beginHeld = true;
    return answerSoon(call.callback, null, emptyResult('BEGIN'));
  }
  if (!state.beginHeld) return call ? sendNoting(send, state, call.config, call.callback, false) : send(...args);
  state.beginHeld = false;
  if (call && (text === KNEX_COMMIT || KNEX_ROLLBACKS.has(text!))) return answerSoon(call.callback, null, emptyResult(text === KNEX_COMMIT ? 'COMMIT' : 'ROLLBACK'));
  if (call) return sendNoting(send, state, { ...call.config, text: `${KNEX_BEGIN}\n${call.config.text}` }, call.callback, true);
  return sendAfterBegin(send, args);
}

/** Sends a simple statement; notes a riding COMMIT that succeeded; strips the BEGIN it carries. */
function sendNoting(send: (...args: unknown[]) => unknown, state: Boundaries, config: SimpleQuery, callback: Callback, carriesBegin: boolean): unknown {
  const commits = config.text.endsWith(RIDING_COMMIT);
  return send(config, (error: Error | null, results?: unknown) => {
    if (error) return callback(error);
    if (commits) state.committedAhead = true;
    return callback(null, carriesBegin ? withoutBegin(results) : results);
  });
}

/** The transaction committed with its last write: knex's own end is answered, anything else refused. */
function afterRidingCommit(send: (...args: unknown[]) => unknown, state: Boundaries, args: unknown[], call: ReturnType<typeof simpleCall>): unknown {
  const text = call?.config.text;
  if (call && (text === KNEX_COMMIT || KNEX_ROLLBACKS.has(text!))) {
    state.committedAhead = false;
    return answerSoon(call.callback, null, emptyResult(text === KNEX_COMMIT ? 'COMMIT' : 'ROLLBACK'));
  }
  const refusal = new Error('this transaction already committed with its last write: nothing may follow it before knex ends it');
  if (call) return answerSoon(call.callback, refusal);
  const callback = args.at(-1);
  if (typeof callback === 'function') return answerSoon(callback as Callback, refusal);
  return Promise.reject(refusal);
}

/** The BEGIN alone, then `args` once it succeeded; its failure is the query's. */
function sendAfterBegin(send: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  const callback = args.at(-1);
  if (typeof callback === 'function') {
    send(KNEX_BEGIN, (error: Error | null) => (error ? (callback as Callback)(error) : send(...args)));
    return undefined;
  }
  const [first] = args;
  if (first && typeof first === 'object' && typeof (first as { submit?: unknown }).submit === 'function') {
    // A submittable (a cursor, a stream) is handed back at once: the BEGIN is queued ahead of it,
    // and pg runs a connection's queue in order (a BEGIN fails only with its connection, and then so does this).
    send(KNEX_BEGIN, () => undefined);
    return send(...args);
  }
  // The promise form: the query's own promise, after the BEGIN's.
  return (send(KNEX_BEGIN) as Promise<unknown>).then(() => send(...args));
}

/**
 * Whether a unit running on `database` may send its COMMIT with its last write: on PostgreSQL (a
 * connection orm.ts wrapped), in a transaction of its own, never a savepoint inside another, which
 * that COMMIT would end.
 */
export function commitsWithLastWrite(database: SqlEntityManager): boolean {
  const transaction = database.getTransactionContext() as { parentTransaction?: unknown } | undefined;
  return sendsStatementsTogether(database) && transaction !== undefined && transaction.parentTransaction === undefined;
}
