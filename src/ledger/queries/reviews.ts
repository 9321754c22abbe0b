import sql, { empty, raw } from 'sql-template-tag';
import { ValidationError } from '../errors.js';
import { DEFAULT_PAGE_SIZE } from '../limits.js';
import { isId, queryStatement, type Database } from '../persistence/database.js';
import { reviewFieldsFromRow, type ReviewRowBase } from '../persistence/review-row.js';
import type { RuleVerdict } from '../risk/decide-risk.js';
import type { Channel } from '../types.js';
import { pageSize } from './history.js';
import { idCursor } from './id-cursor.js';

export const REVIEW_STATUSES = ['PENDING', 'APPROVED', 'DECLINED', 'EXPIRED'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** A review as reads show it, with what its decision recorded. */
export interface ReviewView {
  readonly id: string;
  readonly status: ReviewStatus;
  readonly kind: 'DEPOSIT' | 'WITHDRAWAL' | 'TRANSFER';
  readonly channel: Channel;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly accountId: string;
  readonly counterpartyAccountId: string | null;
  readonly holdId: string | null;
  readonly transactionId: string | null;
  readonly decisionId: string;
  readonly verdicts: readonly RuleVerdict[];
  /** The decision's features as stored (ints as decimal text). */
  readonly features: Record<string, unknown>;
  readonly requestedBy: string;
  readonly createdAt: Date;
  readonly dueAt: Date;
  readonly decidedAt: Date | null;
  readonly note: string | null;
}

interface ReviewRow extends ReviewRowBase {
  transaction_id: string | null;
  decision_id: string;
  verdicts: RuleVerdict[];
  features: Record<string, unknown>;
  created_at: Date | string;
  decided_at: Date | string | null;
  note: string | null;
}

const REVIEW_COLUMNS = `r.id, r.status, r.kind, r.channel, r.amount_minor::text, r.currency, r.currency_exponent, r.account_id, r.counterparty_account_id,
  r.hold_id, r.transaction_id, r.decision_id, d.verdicts, d.features, r.requested_by, r.created_at, r.due_at, r.decided_at, r.note`;

function reviewFromRow(row: ReviewRow): ReviewView {
  return {
    ...reviewFieldsFromRow(row),
    transactionId: row.transaction_id,
    decisionId: row.decision_id,
    verdicts: row.verdicts,
    features: row.features,
    createdAt: new Date(row.created_at),
    decidedAt: row.decided_at === null ? null : new Date(row.decided_at),
    note: row.note,
  };
}

/** Reviews by id (ids that are not ids, or name no review, are absent). */
export async function reviewsByIds(database: Database, ids: readonly string[]): Promise<Map<string, ReviewView>> {
  const wanted = ids.filter(isId);
  if (wanted.length === 0) return new Map();
  const rows = await queryStatement<ReviewRow>(
    database,
    sql`select ${raw(REVIEW_COLUMNS)} from reviews r join risk_decisions d on d.id = r.decision_id where r.id = any(${`{${wanted.join(',')}}`}::uuid[])`,
  );
  return new Map(rows.map((row) => [row.id, reviewFromRow(row)]));
}

/** The review a transaction belongs to: the hold's transaction of a review, or the movement its approval posted. */
export async function reviewIdsOfTransactions(database: Database, transactionIds: readonly string[]): Promise<Map<string, string>> {
  const wanted = transactionIds.filter(isId);
  if (wanted.length === 0) return new Map();
  const rows = await queryStatement<{ transaction_id: string; review_id: string }>(
    database,
    sql`select t.id as transaction_id, r.id as review_id
          from unnest(${`{${wanted.join(',')}}`}::uuid[]) as t (id)
          join reviews r on r.transaction_id = t.id
                         or r.hold_id = (select h.id from holds h where h.authorization_transaction_id = t.id and h.reason = 'RISK_REVIEW')`,
  );
  return new Map(rows.map((row) => [row.transaction_id, row.review_id]));
}

export interface ReviewEdge {
  readonly review: ReviewView;
  readonly cursor: string;
}

export interface ReviewPage {
  readonly lines: ReviewEdge[];
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
}

const REVIEW_CURSOR = idCursor('r1:');

/**
 * The operators' queue: every review, newest first, a page at a time; a cursor names a review and
 * the next page is the ones created before it (stable while new reviews arrive and reviews are decided).
 */
export async function reviewsPage(database: Database, request: { first?: number | null; after?: string | null; statuses?: readonly ReviewStatus[] | null }): Promise<ReviewPage> {
  const limit = pageSize(request.first, 'first') ?? DEFAULT_PAGE_SIZE;
  const afterId = request.after ? REVIEW_CURSOR.decode(request.after) : undefined;
  if (afterId !== undefined) {
    const [known] = await queryStatement<{ id: string }>(database, sql`select id from reviews where id = ${afterId}::uuid`);
    if (!known) throw new ValidationError('after is not a cursor of this connection.', 'after');
  }
  const onlyStatuses = request.statuses ? sql`and r.status = any(${`{${request.statuses.join(',')}}`}::text[])` : empty;
  const beforeCursor = afterId === undefined ? empty : sql`and (r.created_at, r.id) < (select c.created_at, c.id from reviews c where c.id = ${afterId}::uuid)`;
  const rows = await queryStatement<ReviewRow>(
    database,
    sql`select ${raw(REVIEW_COLUMNS)} from reviews r join risk_decisions d on d.id = r.decision_id
         where true ${onlyStatuses} ${beforeCursor}
         order by r.created_at desc, r.id desc
         limit ${limit + 1}`,
  );
  const lines = rows.slice(0, limit).map((row) => {
    const review = reviewFromRow(row);
    return { review, cursor: REVIEW_CURSOR.encode(review.id) };
  });
  return { lines, hasNextPage: rows.length > limit, hasPreviousPage: afterId !== undefined && lines.length > 0 };
}
