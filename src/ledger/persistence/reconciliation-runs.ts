import { randomUUID } from 'node:crypto';
import sql, { join, type Sql } from 'sql-template-tag';
import type { MatchConfig } from '../reconciliation/strategies.js';
import type { LedgerEntryFact, MatchResult, StatementLineFact } from '../reconciliation/match-statement.js';
import type { Channel } from '../types.js';
import { queryStatement, toBigInt, type Database } from './database.js';

/** A reconciliation run as the API shows it (its breaks are paged apart). */
export interface RunView {
  readonly id: string;
  readonly statementId: string;
  readonly channel: Channel;
  readonly status: 'RUNNING' | 'COMPLETED';
  readonly config: MatchConfig;
  readonly currencyExponent: number;
  readonly linesTotal: number;
  readonly linesDone: number;
  readonly matched: { count: number; totalMinor: bigint };
  readonly unmatchedLedger: { count: number; totalMinor: bigint };
  readonly unmatchedStatement: { count: number; totalMinor: bigint };
  readonly mismatched: { count: number; totalMinor: bigint };
  readonly netDifferenceMinor: bigint;
  readonly requestedBy: string;
  readonly idempotencyKey: string;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
}

interface RunRow {
  id: string;
  statement_id: string;
  channel: Channel;
  status: 'RUNNING' | 'COMPLETED';
  config: MatchConfig;
  currency_exponent: number;
  lines_total: number;
  lines_done: number;
  matched_count: number;
  matched_minor: string;
  unmatched_ledger_count: number;
  unmatched_ledger_minor: string;
  unmatched_statement_count: number;
  unmatched_statement_minor: string;
  mismatched_count: number;
  mismatched_minor: string;
  net_difference_minor: string;
  requested_by: string;
  idempotency_key: string;
  created_at: Date | string;
  completed_at: Date | string | null;
}

export const RUN_COLUMNS = sql`r.id, r.statement_id, r.channel, r.status, r.config, s.currency_exponent, r.lines_total, r.lines_done,
  r.matched_count, r.matched_minor::text as matched_minor, r.unmatched_ledger_count, r.unmatched_ledger_minor::text as unmatched_ledger_minor,
  r.unmatched_statement_count, r.unmatched_statement_minor::text as unmatched_statement_minor, r.mismatched_count, r.mismatched_minor::text as mismatched_minor,
  r.net_difference_minor::text as net_difference_minor, r.requested_by, r.idempotency_key, r.created_at, r.completed_at`;

export function runViewOf(row: RunRow): RunView {
  return {
    id: row.id,
    statementId: row.statement_id,
    channel: row.channel,
    status: row.status,
    config: row.config,
    currencyExponent: row.currency_exponent,
    linesTotal: row.lines_total,
    linesDone: row.lines_done,
    matched: { count: row.matched_count, totalMinor: toBigInt(row.matched_minor) },
    unmatchedLedger: { count: row.unmatched_ledger_count, totalMinor: toBigInt(row.unmatched_ledger_minor) },
    unmatchedStatement: { count: row.unmatched_statement_count, totalMinor: toBigInt(row.unmatched_statement_minor) },
    mismatched: { count: row.mismatched_count, totalMinor: toBigInt(row.mismatched_minor) },
    netDifferenceMinor: toBigInt(row.net_difference_minor),
    requestedBy: row.requested_by,
    idempotencyKey: row.idempotency_key,
    createdAt: new Date(row.created_at),
    completedAt: row.completed_at === null ? null : new Date(row.completed_at),
  };
}

export async function readRun(database: Database, where: Sql): Promise<RunView | undefined> {
  const [row] = await queryStatement<RunRow>(database, sql`select ${RUN_COLUMNS} from reconciliation_runs r join statement_imports s on s.id = r.statement_id where ${where}`);
  return row && runViewOf(row);
}

export interface NewRun {
  readonly id: string;
  readonly statementId: string;
  readonly channel: Channel;
  readonly config: MatchConfig;
  readonly linesTotal: number;
  readonly requestedBy: string;
  readonly idempotencyKey: string;
  readonly now: Date;
}

/** Records a run and its inputs before it reads anything, so its progress can be watched; false when the key was used already. */
export async function insertRun(database: Database, run: NewRun): Promise<boolean> {
  const rows = await queryStatement<{ id: string }>(
    database,
    sql`insert into reconciliation_runs (id, statement_id, channel, status, config, lines_total, requested_by, idempotency_key, created_at)
        values (${run.id}::uuid, ${run.statementId}::uuid, ${run.channel}, 'RUNNING', ${JSON.stringify(run.config)}::jsonb, ${run.linesTotal}::integer,
                ${run.requestedBy}::uuid, ${run.idempotencyKey}, ${run.now.toISOString()}::timestamptz)
        on conflict (requested_by, idempotency_key) do nothing returning id`,
  );
  return rows.length === 1;
}

/** Progress of a long run (issue 10 §1: runs over 10,000 lines report it), committed on its own. */
export async function recordProgress(database: Database, runId: string, linesDone: number): Promise<void> {
  await queryStatement(database, sql`update reconciliation_runs set lines_done = ${linesDone}::integer where id = ${runId}::uuid and status = 'RUNNING'`);
}

/** How many lines of the statement no run has matched yet. */
export async function countOpenLines(database: Database, statementId: string): Promise<number> {
  const [row] = await queryStatement<{ count: number }>(
    database,
    sql`select count(*)::int as count from statement_lines l where l.statement_id = ${statementId}::uuid
         and not exists (select 1 from reconciliation_matched_lines m where m.line_id = l.id)`,
  );
  return row?.count ?? 0;
}

/** One page of the statement's unmatched lines after `afterLine`, in line order. */
export async function readOpenLines(database: Database, statementId: string, afterLine: number, limit: number): Promise<StatementLineFact[]> {
  const rows = await queryStatement<{ id: string; line_number: number; booked_on: string; amount_minor: string; reference: string | null }>(
    database,
    sql`select l.id, l.line_number, l.booked_on::text as booked_on, l.amount_minor::text as amount_minor, l.reference
          from statement_lines l
         where l.statement_id = ${statementId}::uuid and l.line_number > ${afterLine}::integer
           and not exists (select 1 from reconciliation_matched_lines m where m.line_id = l.id)
         order by l.line_number limit ${limit}::integer`,
  );
  return rows.map((row) => ({ id: row.id, lineNumber: row.line_number, bookedOn: row.booked_on, amountMinor: toBigInt(row.amount_minor), reference: row.reference }));
}

/**
 * The settlement account's POSTED entries created in [from, to) that no run has matched, signed
 * from the bank's side (a debit of the settlement account is money the rail owes the bank: +).
 */
export async function readOpenEntries(database: Database, accountId: string, from: Date, to: Date): Promise<Omit<LedgerEntryFact, 'bookedOn'>[]> {
  const rows = await queryStatement<{ id: string; public_id: string; created_at: Date | string; signed_minor: string; external_ref: string | null }>(
    database,
    sql`select e.id::text as id, e.public_id, e.created_at, (case e.direction when 'DEBIT' then e.amount_minor else -e.amount_minor end)::text as signed_minor, t.external_ref
          from entries e join ledger_transactions t on t.id = e.transaction_id
         where e.account_id = ${accountId}::uuid and e.account_version is null and e.layer = 'POSTED'
           and e.created_at >= ${from.toISOString()}::timestamptz and e.created_at < ${to.toISOString()}::timestamptz
           and not exists (select 1 from reconciliation_matched_entries m where m.entry_id = e.id)
         order by e.created_at, e.id`,
  );
  return rows.map((row) => ({ id: row.id, publicId: row.public_id, createdAt: new Date(row.created_at), amountMinor: toBigInt(row.signed_minor), externalRef: row.external_ref }));
}

/** Writes one match and its members; the primary keys of the member tables refuse a second match of either. */
export async function insertMatch(database: Database, match: { runId: string | null; breakId: string | null; strategy: string; lineIds: readonly string[]; entryIds: readonly string[]; now: Date }): Promise<void> {
  const id = randomUUID();
  const lines = match.lineIds.map((lineId) => sql`(${lineId}::uuid, ${id}::uuid)`);
  const entries = match.entryIds.map((entryId) => sql`(${entryId}::bigint, ${id}::uuid)`);
  const parts = [
    sql`header as (insert into reconciliation_matches (id, run_id, break_id, strategy, created_at) values (${id}::uuid, ${match.runId}::uuid, ${match.breakId}::uuid, ${match.strategy}, ${match.now.toISOString()}::timestamptz))`,
    ...(lines.length ? [sql`member_lines as (insert into reconciliation_matched_lines (line_id, match_id) values ${join(lines)})`] : []),
    ...(entries.length ? [sql`member_entries as (insert into reconciliation_matched_entries (entry_id, match_id) values ${join(entries)})`] : []),
  ];
  await queryStatement(database, sql`with ${join(parts, ',\n')} select 1`);
}

/** Writes a run's matches in batches: one statement per table per batch. */
export async function insertMatches(database: Database, runId: string, matches: MatchResult['matches'], now: Date): Promise<void> {
  const BATCH = 1_000;
  for (let start = 0; start < matches.length; start += BATCH) {
    const batch = matches.slice(start, start + BATCH).map((match) => ({ ...match, id: randomUUID() }));
    const headers = batch.map((match) => sql`(${match.id}::uuid, ${runId}::uuid, ${match.strategy}, ${now.toISOString()}::timestamptz)`);
    const lines = batch.flatMap((match) => match.lineIds.map((lineId) => sql`(${lineId}::uuid, ${match.id}::uuid)`));
    const entries = batch.flatMap((match) => match.entryIds.map((entryId) => sql`(${entryId}::bigint, ${match.id}::uuid)`));
    await queryStatement(database, sql`insert into reconciliation_matches (id, run_id, strategy, created_at) values ${join(headers)}`);
    if (lines.length) await queryStatement(database, sql`insert into reconciliation_matched_lines (line_id, match_id) values ${join(lines)}`);
    if (entries.length) await queryStatement(database, sql`insert into reconciliation_matched_entries (entry_id, match_id) values ${join(entries)}`);
  }
}

/** Writes a run's breaks in batches, each with its due time. */
export async function insertBreaks(database: Database, runId: string, breaks: MatchResult['breaks'], dueAt: Date, now: Date): Promise<void> {
  const BATCH = 1_000;
  const uuidArray = (ids: readonly string[]) => `{${ids.join(',')}}`;
  for (let start = 0; start < breaks.length; start += BATCH) {
    const rows = breaks.slice(start, start + BATCH).map(
      (item) => sql`(${randomUUID()}::uuid, ${runId}::uuid, ${item.kind}, ${item.lineId}::uuid, ${uuidArray(item.entryIds)}::bigint[], ${item.amountMinor.toString()}::bigint,
                     ${uuidArray(item.candidates)}::uuid[], ${dueAt.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)`,
    );
    await queryStatement(database, sql`insert into reconciliation_breaks (id, run_id, kind, line_id, entry_ids, amount_minor, candidates, due_at, created_at) values ${join(rows)}`);
  }
}

/** Completes a run with its totals and the lines and entries it considered (its recorded inputs). */
export async function completeRun(database: Database, runId: string, result: MatchResult, considered: { lineIds: readonly string[]; entryIds: readonly string[] }, now: Date): Promise<void> {
  await queryStatement(
    database,
    sql`update reconciliation_runs set status = 'COMPLETED', lines_done = ${considered.lineIds.length}::integer, completed_at = ${now.toISOString()}::timestamptz,
          considered_entry_ids = ${`{${considered.entryIds.join(',')}}`}::bigint[], considered_line_ids = ${`{${considered.lineIds.join(',')}}`}::uuid[],
          matched_count = ${result.matched.count}::integer, matched_minor = ${result.matched.totalMinor.toString()}::bigint,
          unmatched_ledger_count = ${result.unmatchedLedger.count}::integer, unmatched_ledger_minor = ${result.unmatchedLedger.totalMinor.toString()}::bigint,
          unmatched_statement_count = ${result.unmatchedStatement.count}::integer, unmatched_statement_minor = ${result.unmatchedStatement.totalMinor.toString()}::bigint,
          mismatched_count = ${result.mismatched.count}::integer, mismatched_minor = ${result.mismatched.totalMinor.toString()}::bigint,
          net_difference_minor = ${result.netDifferenceMinor.toString()}::bigint
        where id = ${runId}::uuid`,
  );
}

/** The inputs a completed run recorded: the lines and entries it considered (entries without their local date). */
export async function readRunInputs(database: Database, runId: string): Promise<{ lines: StatementLineFact[]; entries: Omit<LedgerEntryFact, 'bookedOn'>[] }> {
  const lines = await queryStatement<{ id: string; line_number: number; booked_on: string; amount_minor: string; reference: string | null }>(
    database,
    sql`select l.id, l.line_number, l.booked_on::text as booked_on, l.amount_minor::text as amount_minor, l.reference
          from reconciliation_runs r join statement_lines l on l.id = any(r.considered_line_ids) where r.id = ${runId}::uuid order by l.line_number`,
  );
  const entries = await queryStatement<{ id: string; public_id: string; created_at: Date | string; signed_minor: string; external_ref: string | null }>(
    database,
    sql`select e.id::text as id, e.public_id, e.created_at, (case e.direction when 'DEBIT' then e.amount_minor else -e.amount_minor end)::text as signed_minor, t.external_ref
          from reconciliation_runs r join entries e on e.id = any(r.considered_entry_ids) join ledger_transactions t on t.id = e.transaction_id
         where r.id = ${runId}::uuid order by e.created_at, e.id`,
  );
  return {
    lines: lines.map((row) => ({ id: row.id, lineNumber: row.line_number, bookedOn: row.booked_on, amountMinor: toBigInt(row.amount_minor), reference: row.reference })),
    entries: entries.map((row) => ({ id: row.id, publicId: row.public_id, createdAt: new Date(row.created_at), amountMinor: toBigInt(row.signed_minor), externalRef: row.external_ref })),
  };
}
