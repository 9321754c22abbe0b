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
 * Failures keep a unit inside its transaction: a message carrying the BEGIN that fails (one that
 * does not parse runs nothing, its BEGIN neither) leaves the connection refusing everything until
 * knex ends the transaction, with a ROLLBACK; while a riding COMMIT is on its way nothing else is
 * sent. Only knex's exact texts are taken: a `begin` written elsewhere (the outbox relay's,
 * migrations') is sent as written. PGlite's connection is not wrapped.
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

/**
 * Where the connection's transaction stands, as far as the wrapper must know:
 * - `plain`: nothing held; statements go as they come (inside a transaction whose BEGIN went, or outside one);
 * - `beginHeld`: knex's BEGIN was answered and waits for the next statement;
 * - `failedWithBegin`: the message that carried the BEGIN failed. PostgreSQL reads a whole message
 *   before running it, so one that does not parse ran nothing, its BEGIN neither: what follows
 *   would run outside any transaction. Like an aborted transaction, the connection refuses every
 *   statement until knex ends it; knex's COMMIT is sent as a ROLLBACK (ending whatever began) and answered with an error;
 * - `committing`: a message ending with RIDING_COMMIT is on its way; anything sent now would run after it;
 * - `committed`: it succeeded; knex's own COMMIT (or ROLLBACK, which can undo nothing now) is
 *   answered without being sent, and anything else is refused.
 */
type Boundary = 'plain' | 'beginHeld' | 'failedWithBegin' | 'committing' | 'committed';

interface Connection {
  boundary: Boundary;
  readonly send: (...args: unknown[]) => unknown;
}

/** Makes `client` pipeline knex's BEGIN and a unit's riding COMMIT; returns it. Idempotent. */
export function pipelineTransactions<Client extends QueryingClient>(client: Client): Client {
  const marked = client as Client & { tallyPipelined?: true };
  if (marked.tallyPipelined) return client;
  marked.tallyPipelined = true;
  const connection: Connection = { boundary: 'plain', send: client.query.bind(client) };
  client.query = (...args: unknown[]): unknown => route(connection, args);
  return client;
}

const isEnd = (text: string | undefined): boolean => text === KNEX_COMMIT || KNEX_ROLLBACKS.has(text ?? '');
const endResult = (text: string): unknown => emptyResult(text === KNEX_COMMIT ? 'COMMIT' : 'ROLLBACK');

function route(connection: Connection, args: unknown[]): unknown {
  const call = simpleCall(args);
  const text = call?.config.text;
  switch (connection.boundary) {
    case 'committing':
      return refuse(args, 'this transaction is committing with its last write: nothing may be sent until that is answered');
    case 'committed':
      if (call && isEnd(text)) {
        connection.boundary = 'plain';
        return answerSoon(call.callback, null, endResult(text!));
      }
      return refuse(args, 'this transaction already committed with its last write: nothing may follow it before knex ends it');
    case 'failedWithBegin':
      return afterFailedBegin(connection, args, call);
    case 'beginHeld':
      connection.boundary = 'plain';
      // Nothing was sent since the BEGIN: PostgreSQL never saw this transaction.
      if (call && isEnd(text)) return answerSoon(call.callback, null, endResult(text!));
      if (call) return sendSimple(connection, { ...call.config, text: `${KNEX_BEGIN}\n${call.config.text}` }, call.callback, true);
      return sendAfterBegin(connection.send, args);
    case 'plain':
      if (call && text === KNEX_BEGIN) {
        connection.boundary = 'beginHeld';
        return answerSoon(call.callback, null, emptyResult('BEGIN'));
      }
      return call ? sendSimple(connection, call.config, call.callback, false) : connection.send(...args);
  }
}

/** A simple statement, perhaps carrying the held BEGIN or ending with RIDING_COMMIT: the boundary follows its answer. */
function sendSimple(connection: Connection, config: SimpleQuery, callback: Callback, carriesBegin: boolean): unknown {
  const commits = config.text.endsWith(RIDING_COMMIT);
  if (commits) connection.boundary = 'committing';
  return connection.send(config, (error: Error | null, results?: unknown) => {
    if (error) {
      // A failed riding COMMIT ended nothing the caller can use: knex's ROLLBACK goes as written.
      connection.boundary = carriesBegin ? 'failedWithBegin' : 'plain';
      return callback(error);
    }
    if (commits) connection.boundary = 'committed';
    return callback(null, carriesBegin ? withoutBegin(results) : results);
  });
}

/** The message carrying the BEGIN failed: only knex's end goes through, as a ROLLBACK. */
function afterFailedBegin(connection: Connection, args: unknown[], call: ReturnType<typeof simpleCall>): unknown {
  const text = call?.config.text;
  if (!call || !isEnd(text)) return refuse(args, 'the first statement of this transaction failed: roll it back before sending anything else');
  connection.boundary = 'plain';
  return connection.send({ text: 'ROLLBACK' }, (error: Error | null, result?: unknown) => {
    if (text !== KNEX_COMMIT) return call.callback(error, result);
    return call.callback(error ?? new Error('the first statement of this transaction failed: it was rolled back, not committed'));
  });
}

/** An error for a query the boundary does not allow, in the caller's call form. */
function refuse(args: unknown[], message: string): unknown {
  const refusal = new Error(message);
  const call = simpleCall(args);
  if (call) return answerSoon(call.callback, refusal);
  const callback = args.at(-1);
  if (typeof callback === 'function') return answerSoon(callback as Callback, refusal);
  return Promise.reject(refusal);
}

/**
 * The BEGIN alone, then `args`. knex's call form (a callback) runs the query only once the BEGIN
 * succeeded, its failure being the query's; any other form is queued right behind the BEGIN, in
 * the order pg runs a connection's queue (a BEGIN fails only with its connection, and then so does
 * what follows it).
 */
function sendAfterBegin(send: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  const callback = args.at(-1);
  if (typeof callback === 'function') {
    send(KNEX_BEGIN, (error: Error | null) => (error ? (callback as Callback)(error) : send(...args)));
    return undefined;
  }
  send(KNEX_BEGIN, () => undefined);
  return send(...args);
}

/**
 * Whether a unit running on `database` may send its COMMIT with its last write: on PostgreSQL,
 * through a pool orm.ts wrapped (notePipelinedPool), in a transaction of its own, never a
 * savepoint inside another, which that COMMIT would end.
 */
export function commitsWithLastWrite(database: SqlEntityManager): boolean {
  const transaction = database.getTransactionContext() as { parentTransaction?: unknown } | undefined;
  return sendsStatementsTogether(database) && pipelinedPools.has(poolOf(database)) && transaction !== undefined && transaction.parentTransaction === undefined;
}

/** The knex client whose pool hands out `database`'s connections. */
const poolOf = (database: SqlEntityManager): object => database.getConnection().getKnex().client as object;

/** The pools whose connections orm.ts wrapped: without the wrapper a statement between the riding COMMIT and knex's own would run in autocommit. */
const pipelinedPools = new WeakSet<object>();

/** Notes that `database`'s pool wraps every connection it makes (orm.ts), so its units may commit with their last write. */
export function notePipelinedPool(database: SqlEntityManager): void {
  pipelinedPools.add(poolOf(database));
}
