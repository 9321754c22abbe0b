import { createHash, randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ForbiddenError, IdempotencyConflictError, ValidationError } from '../errors.js';
import type { Database } from '../persistence/database.js';
import { insertStatementHeader, insertStatementLines, readEarlierImport, readProfile, type StatementImportView } from '../persistence/statement-imports.js';
import { hashing, MalformedStatementError, readStatementLines, type ParsedStatementLine, type StatementFormat } from '../reconciliation/parse-statement.js';
import { DEFAULT_PROFILE_NAME } from '../reconciliation/statement-profile.js';
import { CHANNELS, type Actor, type Channel } from '../types.js';
import { checkIdempotencyKey } from './idempotency.js';

export interface ImportStatementInput {
  readonly channel: string;
  readonly format: StatementFormat;
  readonly profile: string | null;
  readonly idempotencyKey: string;
  /** The file's bytes, as they arrive (a request body) or at once (the mutation's content). */
  readonly content: AsyncIterable<Buffer | string>;
}

export interface ImportedStatement {
  readonly statement: StatementImportView;
  readonly replayed: boolean;
}

/** Writes the import's audit line inside its transaction (a port: the ledger does not know the audit log). */
export type AuditStatementImport = (database: Database, imported: StatementImportView) => Promise<void>;

/** Lines written per statement while a file streams in: bounds memory whatever the file's size. */
const LINES_PER_BATCH = 1_000;

/** Thrown inside the transaction to roll it back when the file turns out to be imported already. */
class AlreadyImported extends Error {}

/** Statements come from a rail, which INTERNAL (transfers inside the bank) is not. */
function channelOf(text: string): Channel | ValidationError {
  return (CHANNELS as readonly string[]).includes(text) && text !== 'INTERNAL' ? (text as Channel) : new ValidationError('channel must be a rail (not INTERNAL).', 'channel');
}

/** Statement lines of one currency: a settlement account holds one. */
function checkCurrency(first: ParsedStatementLine | undefined, line: ParsedStatementLine): void {
  if (first && (line.currency !== first.currency || line.currencyExponent !== first.currencyExponent)) {
    throw new MalformedStatementError(line.lineNumber, `the currency ${line.currency} differs from the statement's ${first.currency}.`);
  }
}

/** Reads, validates and writes every line in one transaction; throws AlreadyImported or MalformedStatementError to roll back. */
async function writeStatement(database: Database, actor: Actor, input: ImportStatementInput, channel: Channel, profileName: string, now: Date): Promise<StatementImportView> {
  const profile = await readProfile(database, profileName);
  if (!profile) throw new ValidationError(`No statement profile is named "${profileName}".`, 'profile');
  const hash = createHash('sha256');
  const id = randomUUID();
  let first: ParsedStatementLine | undefined;
  let batch: ParsedStatementLine[] = [];
  let lines = 0;
  let totalMinor = 0n;
  let from = '';
  let to = '';
  for await (const line of readStatementLines(hashing(input.content, hash), input.format, profile)) {
    checkCurrency(first, line);
    first ??= line;
    lines += 1;
    totalMinor += line.amountMinor;
    if (from === '' || line.bookedOn < from) from = line.bookedOn;
    if (line.bookedOn > to) to = line.bookedOn;
    batch.push(line);
    if (batch.length >= LINES_PER_BATCH) {
      await insertStatementLines(database, id, batch);
      batch = [];
    }
  }
  await insertStatementLines(database, id, batch);
  if (!first) throw new ValidationError('The statement has no lines. Nothing was imported.', 'content');
  const fileHash = hash.digest('hex');
  const header = { id, channel, profile: profile.name, format: input.format, fileHash, lines, totalMinor, currency: first.currency, currencyExponent: first.currencyExponent, from, to };
  if (!(await insertStatementHeader(database, { ...header, importedBy: actor.userId, idempotencyKey: input.idempotencyKey, now }))) throw new AlreadyImported(fileHash);
  return { ...header, importedBy: actor.userId, idempotencyKey: input.idempotencyKey, createdAt: now };
}

/**
 * An operator imports a rail's statement (issue 10 §1). Checks in order: 1 the actor is an
 * operator (FORBIDDEN, before a byte is read); 2 the key; 3 the channel; 4 the profile exists;
 * 5 every line, in file order (the first bad one refuses the whole file, naming its line);
 * 6 at least one line, of one currency. The lines stream into one transaction in batches; the
 * header is written last, when the file's SHA-256 is known: the same file on the same channel
 * (or the same key) imported before rolls this one back and answers the earlier import, replayed.
 * A key that imported a different file is IDEMPOTENCY_CONFLICT. The audit line commits with the import.
 */
export async function importStatement(orm: MikroORM, actor: Actor, input: ImportStatementInput, audit: AuditStatementImport): Promise<ImportedStatement | ValidationError | ForbiddenError | IdempotencyConflictError> {
  if (actor.role !== 'OPERATOR') return new ForbiddenError('Only operators import statements.');
  const malformedKey = checkIdempotencyKey(input.idempotencyKey);
  if (malformedKey) return malformedKey;
  const channel = channelOf(input.channel);
  if (channel instanceof ValidationError) return channel;
  const profileName = input.profile ?? DEFAULT_PROFILE_NAME;
  try {
    const statement = await orm.em.fork().transactional(async (database) => {
      const written = await writeStatement(database, actor, input, channel, profileName, new Date());
      await audit(database, written);
      return written;
    });
    return { statement, replayed: false };
  } catch (error) {
    if (error instanceof ValidationError) return error;
    if (!(error instanceof AlreadyImported)) throw error;
    const earlier = await readEarlierImport(orm.em.fork(), channel, error.message, actor.userId, input.idempotencyKey);
    if (earlier.sameKey && earlier.sameKey.fileHash !== error.message) return new IdempotencyConflictError();
    const statement = earlier.sameFile ?? earlier.sameKey;
    if (!statement) throw new Error('a statement import conflicted with one that cannot be found');
    return { statement, replayed: true };
  }
}
