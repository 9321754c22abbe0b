import { transientFailure } from '../../ledger/commands/transient-failure.js';
import type { Database } from '../sql.js';

/**
 * Whether a read that failed on a replica should be asked of the primary instead: the replica is
 * gone or unreachable (a lost or refused connection, no pooled connection in time), or it
 * cancelled the read for a conflict with the WAL it was replaying (40001, 40P01 on a standby).
 * Anything else (a statement timeout, a bad query) would fail on the primary too.
 */
export function isReplicaFailure(error: unknown): boolean {
  if (transientFailure(error) !== undefined) return true;
  const candidate = error as { name?: unknown; message?: unknown } | undefined;
  return candidate?.name === 'KnexTimeoutError' || (typeof candidate?.message === 'string' && /Timeout acquiring a connection/.test(candidate.message));
}

/**
 * The replica's unit of work, except that a statement the replica fails (isReplicaFailure) is run
 * on the primary, and so is every later one of the same request: the client gets its answer, never
 * the replica's trouble. Only `execute` is routed; it is all the ledger's read queries use.
 */
export function withPrimaryFallback(replica: Database, primary: () => Database, failed: (error: unknown) => void): Database {
  let onPrimary = false;
  const execute: Database['execute'] = async (...args: Parameters<Database['execute']>) => {
    if (onPrimary) return primary().execute(...args);
    try {
      return await replica.execute(...args);
    } catch (error) {
      if (!isReplicaFailure(error)) throw error;
      onPrimary = true;
      failed(error);
      return primary().execute(...args);
    }
  };
  return new Proxy(replica, { get: (target, property, receiver) => (property === 'execute' ? execute : Reflect.get(target, property, receiver)) });
}
