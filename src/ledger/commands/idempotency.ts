import { createHash } from 'node:crypto';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../limits.js';
import { ValidationError } from '../errors.js';
import { queryRows, runStatement, type Database } from '../persistence/database.js';
import { lockCustomerAccountsSql, lockParameters, snapshotsOf, type LockedAccountRow } from '../persistence/lock-accounts.js';
import type { AccountSnapshot } from '../types.js';

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
  /**
   * The account's stored minor-unit exponent, so a replay formats the amounts as the first answer
   * did. Outcomes stored before it existed were given it by the migration that added the column.
   */
  readonly currencyExponent: number;
  readonly postedMinor: string;
  readonly pendingMinor: string;
  readonly version: number;
  readonly asOf: string;
}

export type Claim =
  /** The key is ours; `accounts` holds the snapshots of the accounts locked with it. */
  | { readonly kind: 'claimed'; readonly accounts: ReadonlyMap<string, AccountSnapshot> }
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

export interface ClaimRequest {
  readonly userId: string;
  readonly key: string;
  readonly command: string;
  readonly requestHash: string;
  /** Customer accounts the command will move money on: locked in the claim's own round trip. */
  readonly lockAccountIds?: readonly string[];
}

const CLAIM_SQL = `
  insert into idempotency_records (user_id, key, command, request_hash, outcome)
  values (?, ?, ?, ?, '{"inFlight":true}'::jsonb)
  on conflict (user_id, key) do nothing`;

/**
 * Claims the key, and for a money movement locks its accounts in the same statement. The lock
 * depends on the claim's row (the lateral subquery reads `claim.claimed`), so it runs only after
 * the claim inserted: a duplicate request waits on the unique index holding no locks, exactly as
 * a lone claim would, and gets no rows back.
 */
async function claimAndLock(database: Database, request: ClaimRequest, accountIds: readonly string[]): Promise<Claim | undefined> {
  const rows = await queryRows<LockedAccountRow | { id: null }>(
    database,
    `with claim as (${CLAIM_SQL} returning true as claimed)
     select locked.* from claim left join lateral (${lockCustomerAccountsSql('claim.claimed')}) locked on true`,
    [request.userId, request.key, request.command, request.requestHash, ...lockParameters(accountIds, request.userId)],
  );
  if (rows.length === 0) return undefined;
  return { kind: 'claimed', accounts: snapshotsOf(rows.filter((row): row is LockedAccountRow => row.id !== null)) };
}

async function claimOnly(database: Database, request: ClaimRequest): Promise<Claim | undefined> {
  const inserted = await runStatement(database, CLAIM_SQL, [request.userId, request.key, request.command, request.requestHash]);
  return inserted === 1 ? { kind: 'claimed', accounts: new Map() } : undefined;
}

export async function claimIdempotencyKey(database: Database, request: ClaimRequest): Promise<Claim> {
  const { lockAccountIds } = request;
  const claimed = lockAccountIds?.length ? await claimAndLock(database, request, lockAccountIds) : await claimOnly(database, request);
  if (claimed) return claimed;
  const [existing] = await queryRows<{ command: string; request_hash: string; outcome: StoredOutcome | string }>(
    database,
    `select command, request_hash, outcome from idempotency_records where user_id = ? and key = ?`,
    [request.userId, request.key],
  );
  if (!existing) throw new Error('idempotency record vanished after a conflicting insert');
  if (existing.command !== request.command || existing.request_hash !== request.requestHash) return { kind: 'conflict' };
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
