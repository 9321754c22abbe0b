import { createHash } from 'node:crypto';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../limits.js';
import { ValidationError } from '../errors.js';
import { queryRows, runStatement, type Database } from '../persistence/database.js';

/**
 * Exactly once (law 5): one outcome per (user, idempotency key). The claim row is inserted first,
 * so a concurrent request with the same key waits on the unique index until the first commits,
 * then replays its outcome; if the first rolls back, the waiter takes the claim and runs.
 */

/** The first outcome of a command, stored as JSON and returned again on every replay. */
export type StoredOutcome =
  | { readonly ok: true; readonly transactionId?: string; readonly accountId?: string; readonly balances?: readonly StoredBalance[] }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly field?: string };

export interface StoredBalance {
  readonly accountId: string;
  readonly currency: string;
  readonly postedMinor: string;
  readonly pendingMinor: string;
  readonly version: number;
  readonly asOf: string;
}

export type Claim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'replay'; readonly outcome: StoredOutcome }
  | { readonly kind: 'conflict' };

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export function checkIdempotencyKey(key: string): ValidationError | undefined {
  if (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE_ASCII.test(key) || key.trim() === '') {
    return new ValidationError(
      `idempotencyKey must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, not only spaces.`,
      'idempotencyKey',
    );
  }
  return undefined;
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
}

/** A fingerprint of what was asked: the same key with a different request is a conflict. */
export function hashRequest(command: string, request: unknown): string {
  return createHash('sha256').update(command).update('\0').update(canonicalJson(request)).digest('hex');
}

export async function claimIdempotencyKey(
  database: Database,
  userId: string,
  key: string,
  command: string,
  requestHash: string,
): Promise<Claim> {
  const inserted = await runStatement(
    database,
    `insert into idempotency_records (user_id, key, command, request_hash, outcome)
     values (?, ?, ?, ?, '{"inFlight":true}'::jsonb)
     on conflict (user_id, key) do nothing`,
    [userId, key, command, requestHash],
  );
  if (inserted === 1) return { kind: 'claimed' };
  const [existing] = await queryRows<{ command: string; request_hash: string; outcome: StoredOutcome | string }>(
    database,
    `select command, request_hash, outcome from idempotency_records where user_id = ? and key = ?`,
    [userId, key],
  );
  if (!existing) throw new Error('idempotency record vanished after a conflicting insert');
  if (existing.command !== command || existing.request_hash !== requestHash) return { kind: 'conflict' };
  const outcome = typeof existing.outcome === 'string' ? (JSON.parse(existing.outcome) as StoredOutcome) : existing.outcome;
  return { kind: 'replay', outcome };
}

export async function recordOutcome(database: Database, userId: string, key: string, outcome: StoredOutcome): Promise<void> {
  const updated = await runStatement(
    database,
    `update idempotency_records set outcome = ?::jsonb where user_id = ? and key = ?`,
    [JSON.stringify(outcome), userId, key],
  );
  if (updated !== 1) throw new Error('idempotency claim missing when recording the outcome');
}
