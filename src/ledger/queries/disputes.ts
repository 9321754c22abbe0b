import { ValidationError } from '../errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../limits.js';
import { isId, queryRows, toBigInt, type Database } from '../persistence/database.js';
import { DISPUTE_STATUSES, type DisputeEventStep, type DisputeReason, type DisputeStatus } from '../disputes/dispute-states.js';
import type { Actor } from '../types.js';

/** A dispute as the API shows it. */
export interface DisputeView {
  readonly id: string;
  readonly transactionId: string;
  readonly accountId: string;
  readonly status: DisputeStatus;
  readonly reason: DisputeReason;
  readonly description: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly createdAt: Date;
  readonly provisionalCreditBy: Date;
  readonly resolutionBy: Date;
  readonly reversalNotBefore: Date | null;
  readonly creditTransactionId: string | null;
  /** The credit came before the outcome (a PROVISIONALLY_CREDITED step), not with a resolution for the customer. */
  readonly creditWasProvisional: boolean;
  readonly creditReversalTransactionId: string | null;
  /** The nearest deadline still ahead of the bank (the credit while it is due, then the resolution); null once resolved. */
  readonly nextDeadline: Date | null;
}

/** One step of a dispute's history. */
export interface DisputeEventView {
  readonly sequence: number;
  readonly step: DisputeEventStep;
  readonly status: DisputeStatus;
  readonly at: Date;
  readonly actorId: string;
  readonly actorUsername: string;
  readonly actorRole: string;
  readonly note: string | null;
  readonly transactionId: string | null;
}

/** The most steps a dispute can have: opened, investigated, credited, noticed, resolved. */
export const MAX_DISPUTE_EVENTS = 5;

// What the bank owes next: the provisional credit while it is due, then the resolution.
const NEXT_DEADLINE = `case when d.status in ('OPEN', 'INVESTIGATING') then least(d.provisional_credit_by, d.resolution_by)
                           when d.status = 'PROVISIONALLY_CREDITED' then d.resolution_by end`;
const SORT_KEY = `coalesce(${NEXT_DEADLINE}, 'infinity'::timestamptz)`;

const COLUMNS = `d.id, d.transaction_id, d.account_id, d.status, d.reason, d.description, d.amount_minor::text as amount_minor, d.currency,
  d.currency_exponent, d.created_at, d.provisional_credit_by, d.resolution_by, d.reversal_not_before, d.credit_transaction_id,
  d.credit_reversal_transaction_id, ${NEXT_DEADLINE} as next_deadline, ${SORT_KEY}::text as sort_key,
  exists (select 1 from dispute_events de where de.dispute_id = d.id and de.step = 'PROVISIONALLY_CREDITED') as credit_was_provisional`;

interface DisputeRow {
  id: string;
  transaction_id: string;
  account_id: string;
  status: DisputeStatus;
  reason: DisputeReason;
  description: string | null;
  amount_minor: string;
  currency: string;
  currency_exponent: number;
  created_at: Date | string;
  provisional_credit_by: Date | string;
  resolution_by: Date | string;
  reversal_not_before: Date | string | null;
  credit_transaction_id: string | null;
  credit_reversal_transaction_id: string | null;
  next_deadline: Date | string | null;
  sort_key: string;
  credit_was_provisional: boolean;
}

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

function disputeFromRow(row: DisputeRow): DisputeView {
  return {
    id: row.id,
    transactionId: row.transaction_id,
    accountId: row.account_id,
    status: row.status,
    reason: row.reason,
    description: row.description,
    amountMinor: toBigInt(row.amount_minor),
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    createdAt: new Date(row.created_at),
    provisionalCreditBy: new Date(row.provisional_credit_by),
    resolutionBy: new Date(row.resolution_by),
    reversalNotBefore: dateOrNull(row.reversal_not_before),
    creditTransactionId: row.credit_transaction_id,
    creditWasProvisional: row.credit_was_provisional,
    creditReversalTransactionId: row.credit_reversal_transaction_id,
    nextDeadline: dateOrNull(row.next_deadline),
  };
}

/** Customers see the disputes of the accounts they own; operators see every dispute. */
function visibility(viewer: Actor): { readonly clause: string; readonly parameters: unknown[] } {
  if (viewer.role === 'OPERATOR') return { clause: 'true', parameters: [] };
  return { clause: 'd.account_id in (select account_id from user_accounts where user_id = ?)', parameters: [viewer.userId] };
}

/** One dispute the viewer may see, or undefined (not found and not theirs look the same). */
export async function visibleDispute(database: Database, viewer: Actor, disputeId: string): Promise<DisputeView | undefined> {
  if (!isId(disputeId)) return undefined;
  const seen = visibility(viewer);
  const [row] = await queryRows<DisputeRow>(database, `select ${COLUMNS} from disputes d where d.id = ? and ${seen.clause}`, [disputeId, ...seen.parameters]);
  return row ? disputeFromRow(row) : undefined;
}

export interface DisputePage {
  readonly disputes: ReadonlyArray<DisputeView & { readonly cursor: string }>;
  readonly hasNextPage: boolean;
}

/**
 * A page of the disputes the viewer may see, nearest deadline first: overdue ones lead (their
 * deadline is in the past), resolved ones (no deadline) come last. The cursor is the position in
 * that order, (next deadline, id), which a dispute keeps until its next step.
 */
export async function disputesPage(
  database: Database,
  viewer: Actor,
  request: { readonly statuses: readonly DisputeStatus[] | null; readonly first: number | null; readonly after: string | null },
): Promise<DisputePage | ValidationError> {
  const first = request.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) return new ValidationError(`first must be between 1 and ${MAX_PAGE_SIZE}.`, 'first');
  const after = request.after === null ? undefined : decodeDisputeCursor(request.after);
  if (after instanceof ValidationError) return after;
  const seen = visibility(viewer);
  const statuses = request.statuses?.length ? request.statuses : DISPUTE_STATUSES;
  const rows = await queryRows<DisputeRow>(
    database,
    `select ${COLUMNS} from disputes d
      where ${seen.clause} and d.status = any(?::text[]) ${after ? `and (${SORT_KEY}, d.id) > (?::timestamptz, ?::uuid)` : ''}
      order by ${SORT_KEY}, d.id limit ?`,
    [...seen.parameters, `{${statuses.join(',')}}`, ...(after ? [after.sortKey, after.id] : []), first + 1],
  );
  return {
    disputes: rows.slice(0, first).map((row) => ({ ...disputeFromRow(row), cursor: Buffer.from(JSON.stringify([row.sort_key, row.id])).toString('base64url') })),
    hasNextPage: rows.length > first,
  };
}

function decodeDisputeCursor(cursor: string): { sortKey: string; id: string } | ValidationError {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string' && isId(parsed[1])
        && (parsed[0] === 'infinity' || !Number.isNaN(Date.parse(parsed[0])))) {
      return { sortKey: parsed[0], id: parsed[1] };
    }
  } catch {
    // Not a cursor this API gave out.
  }
  return new ValidationError('after is not a cursor of this list.', 'after');
}

/** The events of several disputes, each dispute's in order. */
export async function eventsOfDisputes(database: Database, disputeIds: readonly string[]): Promise<Map<string, DisputeEventView[]>> {
  const found = new Map<string, DisputeEventView[]>(disputeIds.map((id) => [id, []]));
  if (disputeIds.length === 0) return found;
  const rows = await queryRows<{
    dispute_id: string; sequence: number; step: DisputeEventStep; status: DisputeStatus; created_at: Date | string;
    actor_id: string; username: string; role: string; note: string | null; transaction_id: string | null;
  }>(
    database,
    `select de.dispute_id, de.sequence, de.step, de.status, de.created_at, de.actor_id, u.username, u.role, de.note, de.transaction_id
       from dispute_events de join users u on u.id = de.actor_id
      where de.dispute_id = any(?::uuid[]) order by de.dispute_id, de.sequence`,
    [`{${disputeIds.join(',')}}`],
  );
  for (const row of rows) {
    found.get(row.dispute_id)?.push({
      sequence: row.sequence, step: row.step, status: row.status, at: new Date(row.created_at), actorId: row.actor_id,
      actorUsername: row.username, actorRole: row.role, note: row.note, transactionId: row.transaction_id,
    });
  }
  return found;
}

/** How many steps a dispute has had (its last event's sequence): what a change notice carries. */
export async function disputeSequence(database: Database, disputeId: string): Promise<number> {
  const [row] = await queryRows<{ sequence: number }>(database, `select coalesce(max(sequence), 0)::int as sequence from dispute_events where dispute_id = ?`, [disputeId]);
  return row?.sequence ?? 0;
}
