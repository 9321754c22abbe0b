import { isId, queryRows, toBigInt, type Database } from '../persistence/database.js';
import type { Channel } from '../types.js';

export const HOLD_STATUSES = ['ACTIVE', 'CAPTURED', 'VOIDED', 'EXPIRED'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];
export const HOLD_REASONS = ['AUTHORIZATION', 'DEPOSIT_AVAILABILITY', 'RISK_REVIEW'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

/** A hold as the API shows it, with its account's minor-unit exponent to format its amounts. */
export interface HoldView {
  readonly id: string;
  readonly accountId: string;
  readonly reason: HoldReason;
  readonly status: HoldStatus;
  readonly channel: Channel;
  readonly amountMinor: bigint;
  readonly capturedMinor: bigint;
  /** What is still held: nothing once the hold is no longer ACTIVE. */
  readonly remainingMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly description: string | null;
  readonly externalRef: string | null;
  /** Where a card hold was initiated (ISO 3166-1 alpha-2), when the rail said; null is domestic. */
  readonly originCountry: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly releaseAt: Date | null;
  readonly authorizationTransactionId: string;
}

export interface HoldRow {
  id: string;
  account_id: string;
  reason: HoldReason;
  status: HoldStatus;
  channel: Channel;
  amount_minor: string;
  captured_minor: string;
  currency: string;
  currency_exponent: number;
  description: string | null;
  external_ref: string | null;
  origin_country: string | null;
  created_at: Date | string;
  expires_at: Date | string | null;
  release_at: Date | string | null;
  authorization_transaction_id: string;
}

export const HOLD_COLUMNS = `h.id, h.account_id, h.reason, h.status, h.channel, h.amount_minor::text, h.captured_minor::text, h.currency,
  a.currency_exponent, h.description, h.external_ref, h.origin_country, h.created_at, h.expires_at, h.release_at, h.authorization_transaction_id`;

const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

export function holdFromRow(row: HoldRow): HoldView {
  const amountMinor = toBigInt(row.amount_minor);
  const capturedMinor = toBigInt(row.captured_minor);
  return {
    id: row.id,
    accountId: row.account_id,
    reason: row.reason,
    status: row.status,
    channel: row.channel,
    amountMinor,
    capturedMinor,
    remainingMinor: row.status === 'ACTIVE' ? amountMinor - capturedMinor : 0n,
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    description: row.description,
    externalRef: row.external_ref,
    originCountry: row.origin_country,
    createdAt: new Date(row.created_at),
    expiresAt: date(row.expires_at),
    releaseAt: date(row.release_at),
    authorizationTransactionId: row.authorization_transaction_id,
  };
}

/** One hold by id, whoever owns it: callers check visibility (auth/access.ts) before showing it. */
export async function holdById(database: Database, holdId: string): Promise<HoldView | undefined> {
  if (!isId(holdId)) return undefined;
  const [row] = await queryRows<HoldRow>(database, `select ${HOLD_COLUMNS} from holds h join accounts a on a.id = h.account_id where h.id = ?`, [holdId]);
  return row ? holdFromRow(row) : undefined;
}

/** The most recent holds of one account (any status, or those given), newest first, at most `limit`. */
export async function holdsOfAccount(database: Database, accountId: string, statuses: readonly HoldStatus[] | null, limit: number): Promise<HoldView[]> {
  const rows = await queryRows<HoldRow>(
    database,
    `select ${HOLD_COLUMNS} from holds h join accounts a on a.id = h.account_id
      where h.account_id = ? and (?::text[] is null or h.status = any(?::text[]))
      order by h.created_at desc, h.id desc limit ${Math.floor(limit)}`,
    [accountId, statuses ? `{${statuses.join(',')}}` : null, statuses ? `{${statuses.join(',')}}` : null],
  );
  return rows.map(holdFromRow);
}

/** The transactions that captured each of many holds, oldest first per hold, in one query (Hold.captures of a page). */
export async function captureIdsOfHolds(database: Database, holdIds: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await queryRows<{ hold_id: string; transaction_id: string }>(
    database,
    `select hold_id::text, transaction_id::text from hold_transactions where hold_id = any(?::uuid[]) and step = 'CAPTURE' order by hold_id, created_at, transaction_id`,
    [`{${holdIds.join(',')}}`],
  );
  const found = new Map<string, string[]>();
  for (const row of rows) found.set(row.hold_id, [...(found.get(row.hold_id) ?? []), row.transaction_id]);
  return found;
}
