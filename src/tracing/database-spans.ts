import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { MikroORM } from '@mikro-orm/postgresql';

/** What knex passes its query events: the statement, and the id that ties a response to it. */
interface KnexQuery {
  readonly __knexQueryUid?: string;
  readonly sql?: string;
}

interface KnexEvents {
  on(event: 'query', listener: (query: KnexQuery) => void): unknown;
  on(event: 'query-response', listener: (response: unknown, query: KnexQuery) => void): unknown;
  on(event: 'query-error', listener: (error: Error, query: KnexQuery) => void): unknown;
}

/** A statement text longer than this is cut: a span carries what it was, not a whole bulk insert. */
const MAX_STATEMENT_CHARACTERS = 2_000;

/**
 * The statement with its literals replaced by `?`: MikroORM inlines some values before knex sees
 * the text, and those are customers' data (ids, amounts, names), which a trace must not carry.
 */
export function withoutLiterals(statement: string): string {
  return statement
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/(?<![\w$])-?\d+(?:\.\d+)?(?![\w])/g, '?');
}

/**
 * A client span per SQL statement, from knex's query events (MikroORM runs every statement through
 * knex; transactions copy these listeners). knex emits `query` on the caller's async path, so the
 * span's parent is the request's span. The statement is kept without its values (withoutLiterals).
 */
export function traceDatabase(orm: MikroORM, tracer: Tracer): void {
  // Embedded PGlite is not knex-backed in the same way; it has nothing to trace here.
  const knex = orm.em.getConnection().getKnex() as unknown as KnexEvents | undefined;
  if (!knex?.on) return;
  const open = new Map<string, Span>();
  knex.on('query', (query) => {
    if (!query.__knexQueryUid) return;
    const statement = withoutLiterals(query.sql ?? '').slice(0, MAX_STATEMENT_CHARACTERS);
    const operation = /^\s*(\w+)/.exec(statement)?.[1]?.toUpperCase() ?? 'SQL';
    open.set(
      query.__knexQueryUid,
      tracer.startSpan(`db ${operation}`, { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.operation.name': operation, 'db.query.text': statement } }),
    );
  });
  const finish = (query: KnexQuery, error?: Error) => {
    const span = query.__knexQueryUid ? open.get(query.__knexQueryUid) : undefined;
    if (!span) return;
    open.delete(query.__knexQueryUid!);
    if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.end();
  };
  knex.on('query-response', (_response, query) => finish(query));
  knex.on('query-error', (error, query) => finish(query, error));
}
