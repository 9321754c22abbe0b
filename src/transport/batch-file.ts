import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { ValidationError } from '../errors/shared-errors.js';
import { MAX_BATCH_ITEMS } from '../ledger/limits.js';
import { MOVEMENT_ITEM_KINDS } from '../resolvers/batch-items.js';

/** The two file formats POST /v1/batches reads. */
export type BatchFileFormat = 'JSONL' | 'CSV';

/** A CSV file's columns: `kind` names the item's kind, the others are its input's fields (empty = not given). */
export const BATCH_CSV_COLUMNS = [
  'kind', 'accountId', 'fromAccountId', 'toAccountId', 'holdId', 'amount', 'channel', 'description', 'externalRef', 'expiresInSeconds', 'final', 'idempotencyKey',
] as const;

const tooMany = () => new ValidationError(`A batch may carry at most ${MAX_BATCH_ITEMS} items; split the file.`, 'items');

/** Each line a MovementItemInput as JSON (`{"deposit": {...}}`); blank lines are skipped. */
async function jsonLinesItems(body: AsyncIterable<Buffer>): Promise<unknown[] | ValidationError> {
  const items: unknown[] = [];
  let line = 0;
  for await (const text of createInterface({ input: Readable.from(body), crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    if (items.length === MAX_BATCH_ITEMS) return tooMany();
    try {
      items.push(JSON.parse(text));
    } catch {
      return new ValidationError(`Line ${line} is not JSON.`, `line ${line}`);
    }
  }
  return items;
}

/** A CSV row as the MovementItemInput it stands for: the kind's fields, numbers and booleans typed. */
function csvItem(record: Record<string, string>): unknown {
  const { kind = '', ...fields } = record;
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === '' || value === undefined) continue;
    if (name === 'expiresInSeconds') input[name] = /^\d+$/.test(value) ? Number(value) : value;
    else if (name === 'final') input[name] = value === 'true' ? true : value === 'false' ? false : value;
    else input[name] = value;
  }
  // An unknown kind is kept as given: the item parser names it as the field at fault.
  return { [(MOVEMENT_ITEM_KINDS as readonly string[]).includes(kind) ? kind : `kind ${kind}`]: input };
}

/** A header row (any order, a subset of BATCH_CSV_COLUMNS with `kind`), then one item a row. */
async function csvItems(body: AsyncIterable<Buffer>): Promise<unknown[] | ValidationError> {
  let unknownColumn: string | undefined;
  const parser = parseCsv({
    bom: true,
    skip_empty_lines: true,
    trim: true,
    columns: (names: string[]) => {
      unknownColumn = names.find((name) => !(BATCH_CSV_COLUMNS as readonly string[]).includes(name)) ?? (names.includes('kind') ? undefined : 'kind (missing)');
      return names;
    },
  });
  // pipeline, not pipe: a failing body (over its limit) must end the parser with its error.
  pipeline(Readable.from(body), parser, () => undefined);
  const items: unknown[] = [];
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      if (unknownColumn) return new ValidationError(`Unknown CSV column ${unknownColumn}; the columns are ${BATCH_CSV_COLUMNS.join(', ')}.`, 'columns');
      if (items.length === MAX_BATCH_ITEMS) return tooMany();
      items.push(csvItem(record));
    }
  } catch (error) {
    if (error instanceof ValidationError) return error;
    return new ValidationError(`The CSV is malformed: ${(error as Error).message}`, 'content');
  }
  if (unknownColumn) return new ValidationError(`Unknown CSV column ${unknownColumn}; the columns are ${BATCH_CSV_COLUMNS.join(', ')}.`, 'columns');
  return items;
}

/**
 * Reads a batch file as it arrives, item by item, and stops at the first item past the bound (the
 * rest is never read). The items are checked as the mutation's are (resolvers/batch-items.ts).
 */
export function readBatchFile(body: AsyncIterable<Buffer>, format: BatchFileFormat): Promise<unknown[] | ValidationError> {
  return format === 'CSV' ? csvItems(body) : jsonLinesItems(body);
}
