import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import sql from 'sql-template-tag';
import { ForbiddenError, IdempotencyConflictError, NotFoundError, ValidationError } from '../errors.js';
import { isId, canonicalId, type Database } from '../persistence/database.js';
import { internalAccountCode } from '../decide/internal-accounts.js';
import { internalAccountId } from '../persistence/internal-accounts.js';
import { completeRun, countOpenLines, insertBreaks, insertMatches, insertRun, readOpenEntries, readOpenLines, readRun, readRunInputs, recordProgress, type RunView } from '../persistence/reconciliation-runs.js';
import { readStatementImport, type StatementImportView } from '../persistence/statement-imports.js';
import { breakDueAt, localDateOf } from '../reconciliation/break-deadline.js';
import { driftWindow, matchStatement, type LedgerEntryFact, type MatchResult, type StatementLineFact } from '../reconciliation/match-statement.js';
import { RUN_PAGE_LINES, type ReconciliationPolicy } from '../reconciliation/reconciliation-policy.js';
import { widestDrift } from '../reconciliation/strategies.js';
import type { Actor } from '../types.js';
import { checkIdempotencyKey } from './idempotency.js';

export interface ReconcileInput {
  readonly statementId: string;
  readonly idempotencyKey: string;
}

export interface ReconcileResult {
  readonly run: RunView;
  readonly replayed: boolean;
}

/** Writes the run's audit line inside the unit that completes it. */
export type AuditReconciliation = (database: Database, run: { runId: string; statementId: string; idempotencyKey: string }) => Promise<void>;

/** A concurrent run of the same statement matched a line or entry first: read again and match what is left. */
const MAX_RUN_ATTEMPTS = 3;
const UNIQUE_VIOLATION = '23505';

const isUniqueViolation = (error: unknown) => (error as { code?: string } | undefined)?.code === UNIQUE_VIOLATION;

/** The statement's open lines, page by page, recording progress after each page. */
async function readLines(orm: MikroORM, statementId: string, runId: string): Promise<StatementLineFact[]> {
  const lines: StatementLineFact[] = [];
  for (;;) {
    const page = await readOpenLines(orm.em.fork(), statementId, lines.at(-1)?.lineNumber ?? 0, RUN_PAGE_LINES);
    lines.push(...page);
    await recordProgress(orm.em.fork(), runId, lines.length);
    if (page.length < RUN_PAGE_LINES) return lines;
  }
}

/** The settlement account's open entries that could match: the statement's period widened by the widest drift (and a day for time zones). */
async function readEntries(orm: MikroORM, statement: StatementImportView, policy: ReconciliationPolicy): Promise<LedgerEntryFact[]> {
  const database = orm.em.fork();
  const accountId = await internalAccountId(database, internalAccountCode(statement.channel), { currency: statement.currency, exponent: statement.currencyExponent });
  const drift = widestDrift(policy.match);
  const first = driftWindow(statement.from, drift).from;
  const last = driftWindow(statement.to, drift).to;
  const from = new Date(Date.parse(`${first}T00:00:00Z`) - 86_400_000);
  const to = new Date(Date.parse(`${last}T00:00:00Z`) + 2 * 86_400_000);
  const entries = await readOpenEntries(database, accountId, from, to);
  return entries
    .map((entry) => ({ ...entry, bookedOn: localDateOf(entry.createdAt, policy.calendar) }))
    .filter((entry) => entry.bookedOn >= first && entry.bookedOn <= last);
}

/** One attempt: read, match (pure), and write every match, break and total in one unit with its audit line. */
async function runOnce(orm: MikroORM, run: RunView, statement: StatementImportView, policy: ReconciliationPolicy, audit: AuditReconciliation, now: Date): Promise<void> {
  const lines = await readLines(orm, statement.id, run.id);
  const entries = await readEntries(orm, statement, policy);
  const result = matchStatement(lines, entries, run.config);
  await orm.em.fork().transactional(async (database) => {
    await insertMatches(database, run.id, result.matches, now);
    await insertBreaks(database, run.id, result.breaks, breakDueAt(now, policy.slaBusinessDays, policy.calendar), now);
    await completeRun(database, run.id, result, { lineIds: lines.map((line) => line.id), entryIds: entries.map((entry) => entry.id) }, now);
    await audit(database, { runId: run.id, statementId: statement.id, idempotencyKey: run.idempotencyKey });
  });
}

/**
 * An operator reconciles an imported statement against its channel's settlement account (issue
 * 10 §1). Checks in order: 1 operator (FORBIDDEN); 2 the key (malformed: VALIDATION; used for
 * another statement: IDEMPOTENCY_CONFLICT; for this one: the run, replayed); 3 the statement
 * exists (NOT_FOUND). The run is recorded first with its inputs (the strategy configuration), then
 * reads the statement's unmatched lines page by page (its progress) and the account's unmatched
 * entries, matches them purely, and writes matches, breaks and totals in one unit. Only lines and
 * entries no earlier run matched take part; the matched-once indexes are the last word, and a run
 * that loses a race to another reads again.
 */
export async function reconcile(orm: MikroORM, actor: Actor, input: ReconcileInput, policy: ReconciliationPolicy, audit: AuditReconciliation, now = new Date()): Promise<ReconcileResult | ValidationError | ForbiddenError | NotFoundError | IdempotencyConflictError> {
  if (actor.role !== 'OPERATOR') return new ForbiddenError('Only operators reconcile statements.');
  const malformedKey = checkIdempotencyKey(input.idempotencyKey);
  if (malformedKey) return malformedKey;
  const statementId = isId(input.statementId) ? canonicalId(input.statementId) : undefined;
  const earlier = await readRun(orm.em.fork(), sql`r.requested_by = ${actor.userId}::uuid and r.idempotency_key = ${input.idempotencyKey}`);
  if (earlier) return earlier.statementId === statementId ? { run: earlier, replayed: true } : new IdempotencyConflictError();
  const statement = statementId ? await readStatementImport(orm.em.fork(), statementId) : undefined;
  if (!statement) return new NotFoundError('No such statement.');
  const id = randomUUID();
  const recorded = await insertRun(orm.em.fork(), {
    id, statementId: statement.id, channel: statement.channel, config: policy.match, linesTotal: await countOpenLines(orm.em.fork(), statement.id),
    requestedBy: actor.userId, idempotencyKey: input.idempotencyKey, now,
  });
  // The same key, concurrently: the other request recorded its run first; this one answers it.
  if (!recorded) return reconcile(orm, actor, input, policy, audit, now);
  const run = (await readRun(orm.em.fork(), sql`r.id = ${id}::uuid`))!;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await runOnce(orm, run, statement, policy, audit, now);
      break;
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= MAX_RUN_ATTEMPTS) throw error;
    }
  }
  return { run: (await readRun(orm.em.fork(), sql`r.id = ${id}::uuid`))!, replayed: false };
}

/**
 * Runs a completed run's matching again from its recorded inputs (the lines and entries it
 * considered, its strategies) with the same pure matcher: the result a run must reproduce.
 */
export async function replayRun(orm: MikroORM, runId: string, calendar: ReconciliationPolicy['calendar']): Promise<MatchResult | undefined> {
  const database = orm.em.fork();
  const run = await readRun(database, sql`r.id = ${runId}::uuid`);
  if (!run || run.status !== 'COMPLETED') return undefined;
  const { lines, entries } = await readRunInputs(database, runId);
  return matchStatement(lines, entries.map((entry) => ({ ...entry, bookedOn: localDateOf(entry.createdAt, calendar) })), run.config);
}
