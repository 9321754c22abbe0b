import assert from 'node:assert/strict';
import { GraphQLError } from 'graphql';
import type { Context } from '../context.js';
import { isOperator } from '../auth/access.js';
import { recordAudit, type AuditOrigin } from '../auth/audit.js';
import { importStatement, type AuditStatementImport, type ImportedStatement } from '../ledger/commands/import-statement.js';
import { reconcile, type AuditReconciliation } from '../ledger/commands/reconcile.js';
import { resolveBreak, type ResolveBreakInput } from '../ledger/commands/resolve-break.js';
import { failureOf } from '../ledger/commands/run-command.js';
import { expectErrorOf, ForbiddenError, IdempotencyConflictError, NotFoundError, ValidationError } from '../ledger/errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../ledger/limits.js';
import type { RunView } from '../ledger/persistence/reconciliation-runs.js';
import { breakById, breaksPage, runById, runsPage, type BreakView, type Page } from '../ledger/queries/reconciliations.js';
import type { StatementFormat } from '../ledger/reconciliation/parse-statement.js';
import type { StatementProfile } from '../ledger/reconciliation/statement-profile.js';
import { saveStatementProfile } from '../ledger/commands/save-statement-profile.js';
import { listProfiles } from '../ledger/persistence/statement-imports.js';
import type { Actor, Channel } from '../ledger/types.js';
import { viewerOf } from './viewer.js';

/** The most a statement sent as the mutation's `content` may weigh; larger files go through the streamed REST door. */
export const MAX_STATEMENT_CONTENT_BYTES = 1024 * 1024;

export const IMPORT_STATEMENT_ERROR_CLASSES = [ValidationError, ForbiddenError, IdempotencyConflictError] as const;
export const RECONCILE_ERROR_CLASSES = [ValidationError, ForbiddenError, NotFoundError, IdempotencyConflictError] as const;
export const RESOLVE_BREAK_ERROR_CLASSES = [ValidationError, ForbiddenError, NotFoundError, IdempotencyConflictError] as const;

/** An import's audit line, written in the import's transaction. */
export function auditImport(origin: AuditOrigin, viewer: Actor): AuditStatementImport {
  return (database, imported) =>
    recordAudit(database, origin, {
      action: 'operator.import_statement',
      outcome: 'OK',
      actorUserId: viewer.userId,
      target: imported.id,
      details: { channel: imported.channel, lines: imported.lines, fileHash: imported.fileHash, profile: imported.profile, idempotencyKey: imported.idempotencyKey },
    });
}

function auditRun(origin: AuditOrigin, viewer: Actor): AuditReconciliation {
  return (database, run) =>
    recordAudit(database, origin, { action: 'operator.reconcile', outcome: 'OK', actorUserId: viewer.userId, target: run.runId, details: { statementId: run.statementId, idempotencyKey: run.idempotencyKey } });
}

/** The file as one chunk: the same reader as the streamed door, so both hash and parse alike. */
async function* once(content: string): AsyncGenerator<Buffer> {
  yield Buffer.from(content, 'utf8');
}

export function resolveImportStatement(
  context: Context,
  input: { channel: Channel; format: StatementFormat; profile: string | null; content: string; idempotencyKey: string },
): Promise<ImportedStatement | InstanceType<(typeof IMPORT_STATEMENT_ERROR_CLASSES)[number]>> {
  const viewer = viewerOf(context);
  if (isOperator(viewer) && Buffer.byteLength(input.content, 'utf8') > MAX_STATEMENT_CONTENT_BYTES) {
    return Promise.resolve(new ValidationError(`content may be at most ${MAX_STATEMENT_CONTENT_BYTES} bytes; send larger files to POST /v1/reconciliation/statements.`, 'content'));
  }
  return importStatement(context.orm, viewer, { ...input, content: once(input.content) }, auditImport(context, viewer));
}

export async function resolveReconcile(context: Context, input: { statementId: string; idempotencyKey: string }): Promise<RunView | InstanceType<(typeof RECONCILE_ERROR_CLASSES)[number]>> {
  const viewer = viewerOf(context);
  const result = await reconcile(context.orm, viewer, input, context.reconciliation, auditRun(context, viewer));
  return 'run' in result ? result.run : result;
}

/** Resolves a break through the ledger's envelope, audited in its unit (a refusal as DENIED with its code). */
export async function resolveResolveBreak(context: Context, input: ResolveBreakInput): Promise<BreakView | InstanceType<(typeof RESOLVE_BREAK_ERROR_CLASSES)[number]>> {
  const viewer = viewerOf(context);
  const result = await resolveBreak(context.orm, viewer, input, {
    withinUnit: (database, [first]) =>
      recordAudit(database, context, {
        action: 'operator.resolve_break',
        outcome: first?.outcome.ok ? 'OK' : 'DENIED',
        actorUserId: viewer.userId,
        target: input.breakId,
        details: { action: input.action, reason: input.reason, entryIds: input.entryIds, idempotencyKey: input.idempotencyKey, replayed: first?.replayed ?? false, ...(first && !first.outcome.ok ? { code: first.outcome.code } : {}) },
      }),
  });
  const failure = failureOf(result.outcome);
  if (failure) return expectErrorOf(RESOLVE_BREAK_ERROR_CLASSES, failure);
  assert.ok(result.outcome.ok && 'breakId' in result.outcome);
  const resolved = await breakById(context.orm.em.fork(), result.outcome.breakId);
  assert.ok(resolved, 'a resolved break is missing');
  return resolved;
}

/** Reports are for operators: a customer or service is refused before anything is read. */
function requireOperator(context: Context): void {
  if (!isOperator(viewerOf(context))) throw new GraphQLError('Only operators may read reconciliations.', { extensions: { code: 'FORBIDDEN' } });
}

function pageSize(first: number | null): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  // Thrown as the typed error itself: a GraphQLError coded VALIDATION would be masked as an internal error (graphql-errors.ts).
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) throw new ValidationError(`first must be 0 to ${MAX_PAGE_SIZE}.`, 'first');
  return size;
}

function unwrap<Item>(page: Page<Item> | ValidationError): Page<Item> {
  if (page instanceof ValidationError) throw page;
  return page;
}

export async function readReconciliation(context: Context, runId: string): Promise<RunView | null> {
  requireOperator(context);
  return (await runById(context.database, runId)) ?? null;
}

export async function readReconciliations(context: Context, channel: Channel | null, first: number | null, after: string | null): Promise<Page<RunView>> {
  requireOperator(context);
  return unwrap(await runsPage(context.database, channel, pageSize(first), after));
}

export async function readBreaks(context: Context, run: RunView, first: number | null, after: string | null): Promise<Page<BreakView>> {
  requireOperator(context);
  return unwrap(await breaksPage(context.database, run.id, pageSize(first), after));
}

/** Profiles an operator can list at once: a bank has a handful of file layouts. */
export const MAX_STATEMENT_PROFILES = 100;

export async function readStatementProfiles(context: Context): Promise<StatementProfile[]> {
  requireOperator(context);
  return listProfiles(context.database, MAX_STATEMENT_PROFILES);
}

/** Operators save a profile; its audit line commits with it. */
export function resolveSaveStatementProfile(context: Context, profile: StatementProfile): Promise<StatementProfile | ValidationError | ForbiddenError> {
  const viewer = viewerOf(context);
  return saveStatementProfile(context.orm, viewer, profile, (database, saved) =>
    recordAudit(database, context, { action: 'operator.save_statement_profile', outcome: 'OK', actorUserId: viewer.userId, target: saved.name, details: { ...saved } }),
  );
}
