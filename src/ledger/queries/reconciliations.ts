import sql, { empty, type Sql } from 'sql-template-tag';
import { ValidationError } from '../errors.js';
import { formatMinor } from '../money.js';
import { isId, queryStatement, toBigInt, type Database } from '../persistence/database.js';
import { readRun, RUN_COLUMNS, runViewOf, type RunView } from '../persistence/reconciliation-runs.js';
import type { BreakKind } from '../reconciliation/match-statement.js';
import type { BreakStatus } from '../reconciliation/break-snapshot.js';
import type { Channel } from '../types.js';
import { idCursor } from './id-cursor.js';

/** A break as the report lists it. */
export interface BreakView {
  readonly id: string;
  readonly runId: string;
  readonly kind: BreakKind;
  readonly status: BreakStatus;
  /** "line 3: 2026-11-30 +125.00 ref ACH-1001", or null for a ledger entry's break. */
  readonly statementLine: string | null;
  readonly lineNumber: number | null;
  /** Public ids of the break's ledger entries. */
  readonly entryIds: readonly string[];
  readonly amountMinor: bigint;
  readonly currencyExponent: number;
  readonly candidates: readonly string[];
  readonly dueAt: Date;
  readonly createdAt: Date;
  readonly resolvedAt: Date | null;
  readonly resolutionReason: string | null;
  readonly adjustmentTransactionId: string | null;
}

interface BreakRow {
  id: string;
  run_id: string;
  kind: BreakKind;
  status: BreakStatus;
  line_number: number | null;
  booked_on: string | null;
  line_amount_minor: string | null;
  reference: string | null;
  entry_public_ids: string[];
  amount_minor: string;
  currency_exponent: number;
  candidates: string[];
  due_at: Date | string;
  created_at: Date | string;
  resolved_at: Date | string | null;
  resolution_reason: string | null;
  adjustment_transaction_id: string | null;
}

const BREAK_SELECT = sql`select b.id, b.run_id, b.kind, b.status, l.line_number, l.booked_on::text as booked_on, l.amount_minor::text as line_amount_minor, l.reference,
         coalesce((select array_agg(e.public_id::text order by e.id) from entries e where e.id = any(b.entry_ids)), '{}') as entry_public_ids,
         b.amount_minor::text as amount_minor, s.currency_exponent, b.candidates::text[] as candidates, b.due_at, b.created_at, b.resolved_at, b.resolution_reason, b.adjustment_transaction_id
    from reconciliation_breaks b
    join reconciliation_runs r on r.id = b.run_id
    join statement_imports s on s.id = r.statement_id
    left join statement_lines l on l.id = b.line_id`;

function describeLine(row: BreakRow): string | null {
  if (row.line_number === null || row.line_amount_minor === null) return null;
  const amount = toBigInt(row.line_amount_minor);
  const signed = `${amount > 0n ? '+' : ''}${formatMinor(amount, row.currency_exponent)}`;
  return `line ${row.line_number}: ${row.booked_on} ${signed}${row.reference ? ` ref ${row.reference}` : ''}`;
}

function breakViewOf(row: BreakRow): BreakView {
  const at = (value: Date | string) => new Date(value);
  return {
    id: row.id,
    runId: row.run_id,
    kind: row.kind,
    status: row.status,
    statementLine: describeLine(row),
    lineNumber: row.line_number,
    entryIds: row.entry_public_ids,
    amountMinor: toBigInt(row.amount_minor),
    currencyExponent: row.currency_exponent,
    candidates: row.candidates,
    dueAt: at(row.due_at),
    createdAt: at(row.created_at),
    resolvedAt: row.resolved_at === null ? null : at(row.resolved_at),
    resolutionReason: row.resolution_reason,
    adjustmentTransactionId: row.adjustment_transaction_id,
  };
}

export async function breakById(database: Database, breakId: string): Promise<BreakView | undefined> {
  if (!isId(breakId)) return undefined;
  const [row] = await queryStatement<BreakRow>(database, sql`${BREAK_SELECT} where b.id = ${breakId}::uuid`);
  return row && breakViewOf(row);
}

export interface Page<Item> {
  readonly lines: readonly { readonly cursor: string; readonly node: Item }[];
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
}

const breakCursor = idCursor('reconciliation-break:');
const runCursor = idCursor('reconciliation-run:');

/**
 * A run's breaks, open ones first by due time (so a break open past RECONCILIATION_SLA comes
 * before the rest), then resolved ones; ties by id. `after` continues from a break of this order.
 */
export async function breaksPage(database: Database, runId: string, first: number, after: string | null): Promise<Page<BreakView> | ValidationError> {
  let from: Sql = empty;
  if (after !== null) {
    let afterId: string;
    try {
      afterId = breakCursor.decode(after);
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
    from = sql`and (b.status <> 'OPEN', b.due_at, b.id) > (select c.status <> 'OPEN', c.due_at, c.id from reconciliation_breaks c where c.id = ${afterId}::uuid)`;
  }
  const rows = await queryStatement<BreakRow>(
    database,
    sql`${BREAK_SELECT} where b.run_id = ${runId}::uuid ${from} order by b.status <> 'OPEN', b.due_at, b.id limit ${first + 1}::integer`,
  );
  return {
    lines: rows.slice(0, first).map((row) => ({ cursor: breakCursor.encode(row.id), node: breakViewOf(row) })),
    hasNextPage: rows.length > first,
    hasPreviousPage: after !== null,
  };
}

export async function runById(database: Database, runId: string): Promise<RunView | undefined> {
  return isId(runId) ? readRun(database, sql`r.id = ${runId}::uuid`) : undefined;
}

/** Runs newest first, of one channel or all. */
export async function runsPage(database: Database, channel: Channel | null, first: number, after: string | null): Promise<Page<RunView> | ValidationError> {
  let from: Sql = empty;
  if (after !== null) {
    let afterId: string;
    try {
      afterId = runCursor.decode(after);
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
    from = sql`and (r.created_at, r.id) < (select c.created_at, c.id from reconciliation_runs c where c.id = ${afterId}::uuid)`;
  }
  const byChannel = channel ? sql`and r.channel = ${channel}` : empty;
  const rows = await queryStatement<Parameters<typeof runViewOf>[0]>(
    database,
    sql`select ${RUN_COLUMNS} from reconciliation_runs r join statement_imports s on s.id = r.statement_id
         where true ${byChannel} ${from} order by r.created_at desc, r.id desc limit ${first + 1}::integer`,
  );
  return {
    lines: rows.slice(0, first).map((row) => ({ cursor: runCursor.encode(row.id), node: runViewOf(row) })),
    hasNextPage: rows.length > first,
    hasPreviousPage: after !== null,
  };
}
