import sql, { join } from 'sql-template-tag';
import type { StoredOutcome } from '../commands/command.js';
import type { LockedAccount } from '../commands/unit-state.js';
import { queryRows, queryStatement, runStatement, toBigInt, type Database } from './database.js';
import { riskFactsAfterLocks, unitRiskFactsOf, type FoldedRiskFacts, type RiskAsk, type RiskFactsAfterLocks, type UnitRiskFacts } from './risk-facts.js';
import type { AccountStatus } from '../types.js';

/**
 * Exactly once (law 5): one outcome per (user, idempotency key). The claim row is inserted first,
 * so a concurrent request with the same key waits on the unique index until the first commits,
 * then replays its outcome; if the first rolls back (or frees a key it stored nothing under), the
 * waiter takes the claim and runs.
 */

/** One command's claim: its key, what it is, and the customer accounts to lock if the key is ours. */
export interface KeyClaim {
  readonly userId: string;
  readonly key: string;
  readonly command: string;
  readonly requestHash: string;
  readonly accountIds: readonly string[];
  /** The risk step's ask (Prefetch.riskOf), read after the locks when the statement reads facts. */
  readonly riskOf?: RiskAsk | undefined;
}

export interface ClaimedUnit {
  /** `userId key` of every claim this statement inserted. */
  readonly claimed: ReadonlySet<string>;
  /** The customer accounts of the claimed commands, locked in id order. */
  readonly accounts: readonly LockedAccount[];
  /** The database clock read after the row locks were granted. */
  readonly lockedAt: Date;
  /** The claimed commands' risk facts, read after the locks; undefined when the statement was not asked to. */
  readonly riskFacts?: UnitRiskFacts | undefined;
}

export function claimName(userId: string, key: string): string {
  return `${userId} ${key}`;
}

interface LockedAccountJson {
  id: string;
  currency: string;
  currency_exponent: number;
  status: AccountStatus;
  posted_minor: string;
  pending_minor: string;
  overdraft_limit_minor: string;
  version: number;
  owner_ids: string[] | null;
}

const asJson = <Value>(value: Value | string): Value => (typeof value === 'string' ? (JSON.parse(value) as Value) : value);

/**
 * Claims every key of a unit and locks the union of the claimed commands' accounts, in one
 * statement. The locks depend on the claims (the account ids are read from the claim's rows, in an
 * InitPlan that finishes the inserts first), so a request whose key another request holds waits on
 * the unique index holding no account lock, and locks nothing if the other one committed. Rows are
 * locked in id order (ORDER BY runs below the lock step), so two units over the same accounts queue
 * instead of deadlocking; `FOR NO KEY UPDATE` still lets entries reference the rows concurrently.
 * Internal accounts are never locked: their balance is derived. The clock is read after the locks
 * (it depends on them), so a later version of an account never carries an earlier time. With
 * `riskFacts`, the same statement then reads the risk facts of the commands' asks, after
 * the locks and with fresh snapshots (risk-facts.ts riskFactsAfterLocks): no round trip of their own.
 */
export async function claimKeysAndLock(database: Database, claims: readonly KeyClaim[], riskFacts?: RiskFactsAfterLocks): Promise<ClaimedUnit> {
  const requested = join(
    claims.map(
      (claim) =>
        sql`(${claim.userId}::uuid, ${claim.key}::text, ${claim.command}::text, ${claim.requestHash}::text, ${`{${claim.accountIds.join(',')}}`}::uuid[])`,
    ),
  );
  const asks = claims.flatMap((claim) => (claim.riskOf ? [claim.riskOf] : []));
  const riskColumn = riskFacts ? sql`, ${riskFactsAfterLocks(riskFacts, asks)} as risk_facts` : sql``;
  const [row] = await queryStatement<{
    claimed: Array<{ user_id: string; key: string }> | string;
    accounts: LockedAccountJson[] | string;
    locked_at: Date | string;
    risk_facts?: FoldedRiskFacts[] | string;
  }>(
    database,
    sql`with requested (user_id, key, command, request_hash, account_ids) as (values ${requested}),
     claim as (
       insert into idempotency_records (user_id, key, command, request_hash, outcome)
       select distinct on (user_id, key) user_id, key, command, request_hash, '{"inFlight":true}'::jsonb from requested
       on conflict (user_id, key) do nothing
       returning user_id, key),
     locked as (
       select a.id, a.currency, a.currency_exponent, a.status, a.posted_minor::text as posted_minor,
              a.pending_minor::text as pending_minor, a.overdraft_limit_minor::text as overdraft_limit_minor, a.version,
              array(select ua.user_id::text from user_accounts ua where ua.account_id = a.id) as owner_ids
         from accounts a
        where a.holder = 'CUSTOMER' and a.id = any(array(
                select unnest(r.account_ids) from requested r join claim c on c.user_id = r.user_id and c.key = r.key))
        order by a.id
          for no key update of a),
     waited as (select clock_timestamp() as locked_at from (select count(*) from locked) as all_locked)
     select (select coalesce(json_agg(json_build_object('user_id', c.user_id, 'key', c.key)), '[]'::json) from claim c) as claimed,
            (select coalesce(json_agg(l order by l.id), '[]'::json) from locked l) as accounts,
            (select locked_at from waited) as locked_at${riskColumn}`,
  );
  if (!row) throw new Error('the claim statement returned no row');
  return {
    claimed: new Set(asJson(row.claimed).map((claim) => claimName(claim.user_id, claim.key))),
    accounts: asJson(row.accounts).map((account) => ({
      id: account.id,
      currency: account.currency,
      currencyExponent: account.currency_exponent,
      status: account.status,
      postedMinor: toBigInt(account.posted_minor),
      pendingMinor: toBigInt(account.pending_minor),
      overdraftLimitMinor: toBigInt(account.overdraft_limit_minor),
      version: account.version,
      ownerIds: account.owner_ids ?? [],
    })),
    lockedAt: new Date(row.locked_at),
    ...(row.risk_facts !== undefined ? { riskFacts: unitRiskFactsOf(asJson(row.risk_facts), riskFacts!) } : {}),
  };
}

/** An earlier request's record under a key this unit could not claim. */
export interface PriorRecord {
  readonly command: string;
  readonly requestHash: string;
  readonly outcome: StoredOutcome;
}

/** The records of keys another (committed) request holds: replays or conflicts. */
export async function readPriorRecords(database: Database, keys: ReadonlyArray<{ userId: string; key: string }>): Promise<Map<string, PriorRecord>> {
  if (keys.length === 0) return new Map();
  const rows = await queryStatement<{ user_id: string; key: string; command: string; request_hash: string; outcome: StoredOutcome | string }>(
    database,
    sql`select user_id, key, command, request_hash, outcome from idempotency_records
         where (user_id, key) in (${join(keys.map(({ userId, key }) => sql`(${userId}::uuid, ${key}::text)`))})`,
  );
  return new Map(
    rows.map((row) => [claimName(row.user_id, row.key), { command: row.command, requestHash: row.request_hash, outcome: asJson(row.outcome) }]),
  );
}

/** Stores a business failure under the key this unit claimed (a success is stored by its write). */
export async function recordOutcome(database: Database, userId: string, key: string, outcome: StoredOutcome): Promise<void> {
  const updated = await runStatement(database, `update idempotency_records set outcome = ?::jsonb where user_id = ? and key = ?`, [
    JSON.stringify(outcome),
    userId,
    key,
  ]);
  if (updated !== 1) throw new Error('idempotency claim missing when recording the outcome');
}

/**
 * Deletes claims this unit made but stored nothing under (VALIDATION failures, Stripe's rule): at
 * commit they never existed, so the corrected request may reuse the key, and a request waiting on
 * one of them takes it then.
 */
export async function freeClaims(database: Database, keys: ReadonlyArray<{ userId: string; key: string }>): Promise<void> {
  if (keys.length === 0) return;
  await queryStatement(
    database,
    sql`delete from idempotency_records where (user_id, key) in (${join(keys.map(({ userId, key }) => sql`(${userId}::uuid, ${key}::text)`))})`,
  );
}

/** The users' rows locked (serialising one user's concurrent opens) and their accounts counted. */
export async function lockOwnersAndCount(database: Database, userIds: readonly string[]): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  // NO KEY UPDATE: the idempotency claim just inserted holds KEY SHARE on the user's row, which
  // FOR UPDATE would conflict with (two opens would deadlock each other).
  const rows = await queryRows<{ id: string; accounts: number }>(
    database,
    `select u.id, (select count(*)::int from user_accounts where user_id = u.id) as accounts
       from users u where u.id = any(?::uuid[]) order by u.id for no key update`,
    [`{${userIds.join(',')}}`],
  );
  return new Map(rows.map((row) => [row.id, row.accounts]));
}
