import { randomUUID } from 'node:crypto';
import sql, { join } from 'sql-template-tag';
import type { StatementProfile } from '../reconciliation/statement-profile.js';
import type { ParsedStatementLine, StatementFormat } from '../reconciliation/parse-statement.js';
import type { Channel } from '../types.js';
import { queryStatement, toBigInt, type Database } from './database.js';

/** An imported statement as the API shows it. */
export interface StatementImportView {
  readonly id: string;
  readonly channel: Channel;
  readonly profile: string;
  readonly lines: number;
  readonly totalMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly from: string;
  readonly to: string;
  readonly fileHash: string;
  readonly importedBy: string;
  readonly idempotencyKey: string;
  readonly createdAt: Date;
}

interface ProfileRow {
  name: string;
  columns: StatementProfile['columns'];
  credit_words: string[];
  debit_words: string[];
  default_currency: string;
}

const profileOf = (row: ProfileRow): StatementProfile => ({ name: row.name, columns: row.columns, creditWords: row.credit_words, debitWords: row.debit_words, defaultCurrency: row.default_currency });

export async function readProfile(database: Database, name: string): Promise<StatementProfile | undefined> {
  const [row] = await queryStatement<ProfileRow>(database, sql`select name, columns, credit_words, debit_words, default_currency from statement_profiles where name = ${name}`);
  return row && profileOf(row);
}

/** Every stored profile, by name (a handful: one per bank file layout). */
export async function listProfiles(database: Database, limit: number): Promise<StatementProfile[]> {
  return (await queryStatement<ProfileRow>(database, sql`select name, columns, credit_words, debit_words, default_currency from statement_profiles order by name limit ${limit}::integer`)).map(profileOf);
}

/** Saves a profile under its name, replacing the one stored (files already imported keep their lines). */
export async function saveProfile(database: Database, profile: StatementProfile): Promise<void> {
  await queryStatement(
    database,
    sql`insert into statement_profiles (name, columns, credit_words, debit_words, default_currency)
        values (${profile.name}, ${JSON.stringify(profile.columns)}::jsonb, array(select jsonb_array_elements_text(${JSON.stringify(profile.creditWords)}::jsonb)), array(select jsonb_array_elements_text(${JSON.stringify(profile.debitWords)}::jsonb)), ${profile.defaultCurrency})
        on conflict (name) do update set columns = excluded.columns, credit_words = excluded.credit_words, debit_words = excluded.debit_words, default_currency = excluded.default_currency`,
  );
}

/** Inserts one batch of parsed lines of a statement whose header is written last (the foreign key is deferred). */
export async function insertStatementLines(database: Database, statementId: string, lines: readonly ParsedStatementLine[]): Promise<void> {
  if (lines.length === 0) return;
  const rows = lines.map(
    (line) => sql`(${randomUUID()}::uuid, ${statementId}::uuid, ${line.lineNumber}::integer, ${line.bookedOn}::date, ${line.amountMinor.toString()}::bigint, ${line.reference}::text, ${line.description}::text)`,
  );
  await queryStatement(database, sql`insert into statement_lines (id, statement_id, line_number, booked_on, amount_minor, reference, description) values ${join(rows)}`);
}

export interface StatementHeader {
  readonly id: string;
  readonly channel: Channel;
  readonly profile: string;
  readonly format: StatementFormat;
  readonly fileHash: string;
  readonly lines: number;
  readonly totalMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly from: string;
  readonly to: string;
  readonly importedBy: string;
  readonly idempotencyKey: string;
  readonly now: Date;
}

/**
 * Writes the header once the whole file is read; false when the file (channel, hash) or the key
 * was imported already. A concurrent import of the same file waits here on the unique index for
 * the first one's commit, then writes nothing: one import.
 */
export async function insertStatementHeader(database: Database, header: StatementHeader): Promise<boolean> {
  const rows = await queryStatement<{ id: string }>(
    database,
    sql`insert into statement_imports (id, channel, profile, format, file_hash, line_count, total_minor, currency, currency_exponent, period_from, period_to, imported_by, idempotency_key, created_at)
        values (${header.id}::uuid, ${header.channel}, ${header.profile}, ${header.format}, ${header.fileHash}, ${header.lines}::integer, ${header.totalMinor.toString()}::bigint,
                ${header.currency}, ${header.currencyExponent}::smallint, ${header.from}::date, ${header.to}::date, ${header.importedBy}::uuid, ${header.idempotencyKey}, ${header.now.toISOString()}::timestamptz)
        on conflict do nothing returning id`,
  );
  return rows.length === 1;
}

interface ImportRow {
  id: string;
  channel: Channel;
  profile: string;
  line_count: number;
  total_minor: string;
  currency: string;
  currency_exponent: number;
  period_from: string;
  period_to: string;
  file_hash: string;
  imported_by: string;
  idempotency_key: string;
  created_at: Date | string;
}

const IMPORT_COLUMNS = sql`id, channel, profile, line_count, total_minor::text as total_minor, currency, currency_exponent, period_from::text as period_from, period_to::text as period_to,
  file_hash, imported_by, idempotency_key, created_at`;

function viewOf(row: ImportRow): StatementImportView {
  return {
    id: row.id,
    channel: row.channel,
    profile: row.profile,
    lines: row.line_count,
    totalMinor: toBigInt(row.total_minor),
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    from: row.period_from,
    to: row.period_to,
    fileHash: row.file_hash,
    importedBy: row.imported_by,
    idempotencyKey: row.idempotency_key,
    createdAt: new Date(row.created_at),
  };
}

/** The import of the same file on the channel, or the one made under the same user's key. */
export async function readEarlierImport(database: Database, channel: Channel, fileHash: string, userId: string, idempotencyKey: string): Promise<{ sameFile?: StatementImportView; sameKey?: StatementImportView }> {
  const rows = await queryStatement<ImportRow>(
    database,
    sql`select ${IMPORT_COLUMNS} from statement_imports where (channel = ${channel} and file_hash = ${fileHash}) or (imported_by = ${userId}::uuid and idempotency_key = ${idempotencyKey})`,
  );
  const views = rows.map(viewOf);
  const sameFile = views.find((view) => view.channel === channel && view.fileHash === fileHash);
  const sameKey = views.find((view) => view.importedBy === userId && view.idempotencyKey === idempotencyKey);
  return { ...(sameFile ? { sameFile } : {}), ...(sameKey ? { sameKey } : {}) };
}

export async function readStatementImport(database: Database, statementId: string): Promise<StatementImportView | undefined> {
  const [row] = await queryStatement<ImportRow>(database, sql`select ${IMPORT_COLUMNS} from statement_imports where id = ${statementId}::uuid`);
  return row && viewOf(row);
}
