/**
 * Which failures of a unit the envelope runs again (run-command.ts). Every retry is safe because
 * the unit claims its idempotency keys in the same transaction as its effects: a unit that did
 * commit before its answer was lost is replayed, one that did not commits now.
 */

/** Serialization failures and deadlocks: the unit lost a race and rolled back whole. */
const CONFLICT_SQL_STATES: ReadonlySet<string> = new Set(['40001', '40P01']);

/**
 * The server went away under the unit or refused it as a standby: connection exceptions (class
 * 08), an administrator or crash shutdown (57P01-57P03), a read-only transaction (25006, a
 * connection that reached a node that is no longer the primary), and a new connection refused
 * because the server has no slot left (53300, too_many_connections: the unit never began; a
 * bench run beside other work on the box met it as "internal server error"). A failover (README
 * "High availability") raises these; the pool has already dropped the dead connection, so the
 * next attempt runs on a fresh one, on the new leader once HAProxy routes there.
 */
const CONNECTION_SQL_STATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '25006', '53300']);

/** Socket errors node-postgres passes on as they are, with no SQLSTATE. */
const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * node-postgres's own words when the socket closed under a query (it sets no code), and knex's
 * when a statement of the unit came after its transaction had already ended that way (a BEGIN on
 * a connection that died in the pool): in both the unit rolled back, or never began. knex puts
 * the failed statement's SQL and " - " before the driver's message.
 */
const LOST_CONNECTION_MESSAGE = /(^| - )(Connection terminated( unexpectedly)?|Client has encountered a connection error.*|Transaction query already complete.*)$/;

/** What a connection lost without a SQLSTATE is counted as: 08006, connection_failure. */
export const CONNECTION_FAILURE = '08006';

/**
 * The SQLSTATE a retry is counted under (tally_unit_retries_total), or undefined when the failure
 * is not transient and must reach the caller.
 */
export function transientFailure(error: unknown): string | undefined {
  const candidate = error as { sqlState?: unknown; code?: unknown; message?: unknown } | undefined;
  const states = [candidate?.sqlState, candidate?.code].filter((state): state is string => typeof state === 'string');
  const conflict = states.find((state) => CONFLICT_SQL_STATES.has(state));
  if (conflict) return conflict;
  const connection = states.find((state) => CONNECTION_SQL_STATES.has(state) || state.startsWith('08'));
  if (connection) return connection;
  if (states.some((state) => SOCKET_ERROR_CODES.has(state))) return CONNECTION_FAILURE;
  if (typeof candidate?.message === 'string' && LOST_CONNECTION_MESSAGE.test(candidate.message)) return CONNECTION_FAILURE;
  return undefined;
}

/**
 * Whether the failure is a lost or refused connection (not a lost race): the transport answers it
 * as "busy, retry" (src/transport/overload.ts) when it outlasts the envelope's own retries.
 */
export function isLostConnection(error: unknown): boolean {
  const state = transientFailure(error);
  return state !== undefined && !CONFLICT_SQL_STATES.has(state);
}
