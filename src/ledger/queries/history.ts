import { ValidationError } from '../errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../limits.js';
import { parseDecimal, type CurrencyScale } from '../money.js';
import { queryRows, toBigInt, type Database } from '../persistence/database.js';
import { signedAmount, type Channel, type Direction, type Layer, type TransactionKind } from '../types.js';
import { REVERSAL_JOIN, TRANSACTION_COLUMNS, transactionFromRow, type TransactionRow, type TransactionView } from './transactions.js';

/**
 * An account's history: one line per entry on the account, newest first. Lines are keyed by the
 * account version they produced, which never changes once written, so cursors stay valid while
 * new transactions arrive.
 */
export interface HistoryLine {
  readonly transaction: TransactionView;
  readonly direction: Direction;
  /** Signed, from this account's side: + money in, - money out; the account's net change (a wire's principal and fee). */
  readonly amountMinor: bigint;
  /** Where the amount lands: POSTED, or PENDING for a hold. */
  readonly layer: Layer;
  readonly balanceAfterMinor: bigint;
  /** What is held on the account right after this line. */
  readonly pendingAfterMinor: bigint;
  readonly version: number;
  readonly cursor: string;
}

export interface HistoryFilter {
  readonly kinds?: readonly TransactionKind[] | null;
  readonly channels?: readonly Channel[] | null;
  /** Inclusive. */
  readonly from?: Date | null;
  /** Exclusive. */
  readonly to?: Date | null;
  /** Bounds on the line's unsigned amount, in the account's currency. */
  readonly minAmount?: string | null;
  readonly maxAmount?: string | null;
}

export interface HistoryPageRequest {
  readonly first?: number | null;
  readonly after?: string | null;
  readonly last?: number | null;
  readonly before?: string | null;
  readonly filter?: HistoryFilter | null;
}

export interface HistoryPage {
  readonly lines: HistoryLine[];
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
}

const CURSOR_PREFIX = 'v1:';

export function encodeCursor(version: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${version}`).toString('base64url');
}

export function decodeCursor(cursor: string, field: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const version = Number(text.slice(CURSOR_PREFIX.length));
  if (!text.startsWith(CURSOR_PREFIX) || !Number.isSafeInteger(version) || version < 0 || encodeCursor(version) !== cursor) {
    throw new ValidationError(`${field} is not a cursor of this connection.`, field);
  }
  return version;
}

/** A page size as given (`first`/`last`), refused outside 0..MAX_PAGE_SIZE; undefined when not given. */
export function pageSize(value: number | null | undefined, field: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw new ValidationError(`${field} must be between 0 and ${MAX_PAGE_SIZE}.`, field);
  }
  return value;
}

/** Filter conditions on the joined entry `e` and transaction `t`, with their parameters. */
function filterConditions(filter: HistoryFilter | null | undefined, scale: CurrencyScale): { sql: string; parameters: unknown[] } {
  const conditions: string[] = [];
  const parameters: unknown[] = [];
  if (!filter) return { sql: '', parameters };
  if (filter.kinds) {
    conditions.push(`t.kind = any(?::text[])`);
    parameters.push(`{${filter.kinds.join(',')}}`);
  }
  if (filter.channels) {
    conditions.push(`t.channel = any(?::text[])`);
    parameters.push(`{${filter.channels.join(',')}}`);
  }
  if (filter.from) {
    conditions.push(`t.created_at >= ?`);
    parameters.push(filter.from.toISOString());
  }
  if (filter.to) {
    conditions.push(`t.created_at < ?`);
    parameters.push(filter.to.toISOString());
  }
  for (const [field, operator] of [['minAmount', '>='], ['maxAmount', '<=']] as const) {
    const text = filter[field];
    if (text === null || text === undefined) continue;
    const minor = parseDecimal(text, scale, `filter.${field}`);
    if (minor instanceof ValidationError) throw minor;
    conditions.push(`e.amount_minor ${operator} ?`);
    parameters.push(minor.toString());
  }
  return { sql: conditions.map((condition) => ` and ${condition}`).join(''), parameters };
}

/** An account whose history is read, with the currency and stored exponent its filter amounts are parsed in. */
export interface HistoryAccount {
  readonly id: string;
  readonly currency: string;
  readonly currencyExponent: number;
}

type HistoryRow = TransactionRow & {
  page_account_id: string;
  direction: Direction;
  amount_minor: string;
  layer: Layer;
  balance_after_minor: string;
  pending_after_minor: string;
  account_version: number;
};

/**
 * The same page of history (same size, cursors and filter) of many accounts in one query per
 * currency: `accounts { transactions(first: n) }` reads every account's page at once instead of
 * one query (and one pooled connection) per account. The transactions come joined; their entries
 * are batched by the caller. Forward pages (`first`/`after`) walk from newest to oldest; backward
 * pages (`last`/`before`) return the lines just newer than `before`, still listed newest first.
 */
export async function historyPages(database: Database, accounts: readonly HistoryAccount[], request: HistoryPageRequest): Promise<Map<string, HistoryPage>> {
  const first = pageSize(request.first, 'first');
  const last = pageSize(request.last, 'last');
  if (first !== undefined && last !== undefined) throw new ValidationError('Pass first or last, not both.', 'last');
  const after = request.after ? decodeCursor(request.after, 'after') : undefined;
  const before = request.before ? decodeCursor(request.before, 'before') : undefined;
  const backward = last !== undefined || (first === undefined && before !== undefined && after === undefined);
  const limit = (backward ? last : first) ?? DEFAULT_PAGE_SIZE;

  const bounds: string[] = [];
  const boundParameters: unknown[] = [];
  if (after !== undefined) {
    bounds.push(' and e.account_version < ?');
    boundParameters.push(after);
  }
  if (before !== undefined) {
    bounds.push(' and e.account_version > ?');
    boundParameters.push(before);
  }
  const pages = new Map<string, HistoryPage>();
  const scaleKey = (account: HistoryAccount) => `${account.currency}:${account.currencyExponent}`;
  const scales = new Map(accounts.map((account) => [scaleKey(account), { currency: account.currency, exponent: account.currencyExponent }]));
  for (const [key, scale] of scales) {
    const ids = accounts.filter((account) => scaleKey(account) === key).map((account) => account.id);
    // Parsed per currency and stored exponent: a filter amount is in the account's own units.
    const filter = filterConditions(request.filter, scale);
    const rows = await queryRows<HistoryRow>(
      database,
      `select a.id::text as page_account_id, p.*
         from unnest(?::uuid[]) as a(id)
         cross join lateral (
           select e.direction, e.amount_minor::text, e.layer, e.balance_after_minor::text, e.pending_after_minor::text, e.account_version, ${TRANSACTION_COLUMNS}
             from entries e join ledger_transactions t on t.id = e.transaction_id ${REVERSAL_JOIN}
            where e.account_id = a.id and e.account_version is not null${bounds.join('')}${filter.sql}
            order by e.account_version ${backward ? 'asc' : 'desc'}
            limit ?) p`,
      [`{${ids.join(',')}}`, ...boundParameters, ...filter.parameters, limit + 1],
    );
    const rowsByAccount = new Map<string, HistoryRow[]>(ids.map((id) => [id, []]));
    for (const row of rows) rowsByAccount.get(row.page_account_id)?.push(row);
    for (const [id, accountRows] of rowsByAccount) pages.set(id, pageOf(accountRows, limit, backward, after, before));
  }
  return pages;
}

/** One account's page from its rows (at most limit + 1, in query order). */
function pageOf(rows: HistoryRow[], limit: number, backward: boolean, after: number | undefined, before: number | undefined): HistoryPage {
  const hasMore = rows.length > limit;
  const pageRows = rows.slice(0, limit);
  if (backward) pageRows.reverse();
  const lines = pageRows.map((row) => ({
    transaction: transactionFromRow(row),
    direction: row.direction,
    amountMinor: signedAmount(row.direction, toBigInt(row.amount_minor)),
    layer: row.layer,
    balanceAfterMinor: toBigInt(row.balance_after_minor),
    pendingAfterMinor: toBigInt(row.pending_after_minor),
    version: row.account_version,
    cursor: encodeCursor(row.account_version),
  }));
  return {
    lines,
    hasNextPage: backward ? before !== undefined && lines.length > 0 : hasMore,
    hasPreviousPage: backward ? hasMore : after !== undefined && lines.length > 0,
  };
}
