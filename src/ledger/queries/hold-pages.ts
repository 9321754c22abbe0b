import sql, { empty, raw } from 'sql-template-tag';
import { ValidationError } from '../errors.js';
import { DEFAULT_PAGE_SIZE } from '../limits.js';
import { queryStatement, type Database } from '../persistence/database.js';
import { pageSize } from './history.js';
import { idCursor } from './id-cursor.js';
import { HOLD_COLUMNS, holdFromRow, type HoldRow, type HoldStatus, type HoldView } from './holds.js';

/**
 * Query.holds: one account's holds, newest first, a page at a time (Relay, forward only). A
 * cursor names a hold of the account; the next page is the holds placed before it (by creation
 * time, then id, as the holds_account index orders them). What a hold was placed at never
 * changes, so a cursor keeps its place while new holds arrive (they come before it) and while
 * holds change status (the cursor's hold is found whatever its status, not only within the filter).
 */
export interface HoldPageRequest {
  readonly first?: number | null;
  readonly after?: string | null;
  /** Only these statuses; null or absent: all of them. */
  readonly statuses?: readonly HoldStatus[] | null;
}

export interface HoldEdge {
  readonly hold: HoldView;
  readonly cursor: string;
}

export interface HoldPage {
  readonly lines: HoldEdge[];
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
}

const HOLD_CURSOR = idCursor('h1:');

export const encodeHoldCursor = HOLD_CURSOR.encode;

/** One page of an account the caller may see (checked before: auth/access.ts). */
export async function holdsPage(database: Database, accountId: string, request: HoldPageRequest): Promise<HoldPage> {
  const limit = pageSize(request.first, 'first') ?? DEFAULT_PAGE_SIZE;
  const afterId = request.after ? HOLD_CURSOR.decode(request.after) : undefined;
  if (afterId !== undefined) {
    // A cursor of another account's (or no) hold is refused alike: it tells nothing about that hold.
    const [known] = await queryStatement<{ id: string }>(database, sql`select id from holds where id = ${afterId}::uuid and account_id = ${accountId}::uuid`);
    if (!known) throw new ValidationError('after is not a cursor of this connection.', 'after');
  }
  // Named fragments, each with its own parameters; absent ones add nothing, so the holds_account
  // index (account_id, created_at, id) serves the walk.
  const onlyStatuses = request.statuses ? sql`and h.status = any(${`{${request.statuses.join(',')}}`}::text[])` : empty;
  const beforeCursor = afterId === undefined ? empty : sql`and (h.created_at, h.id) < (select c.created_at, c.id from holds c where c.id = ${afterId}::uuid)`;
  const rows = await queryStatement<HoldRow>(
    database,
    sql`select ${raw(HOLD_COLUMNS)} from holds h join accounts a on a.id = h.account_id
         where h.account_id = ${accountId}::uuid ${onlyStatuses} ${beforeCursor}
         order by h.created_at desc, h.id desc
         limit ${limit + 1}`,
  );
  const lines = rows.slice(0, limit).map((row) => {
    const hold = holdFromRow(row);
    return { hold, cursor: encodeHoldCursor(hold.id) };
  });
  return { lines, hasNextPage: rows.length > limit, hasPreviousPage: afterId !== undefined && lines.length > 0 };
}
