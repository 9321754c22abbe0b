import type { Hash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable, pipeline } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { ValidationError } from '../errors.js';
import { MAX_DESCRIPTION_LENGTH, MAX_EXTERNAL_REF_LENGTH } from '../limits.js';
import { parseCurrency, parseDecimal } from '../money.js';
import type { StatementProfile } from './statement-profile.js';

/**
 * Reading a rail's statement, CSV or JSON lines, as a stream: one line at a time, so a 50 MB file
 * never sits in memory whole. Framework-free; the only I/O is the byte source it is handed.
 */

export type StatementFormat = 'CSV' | 'JSONL';

/** One statement line, validated. Amounts are signed from the bank's side: positive is money into its account at the rail. */
export interface ParsedStatementLine {
  readonly lineNumber: number;
  readonly bookedOn: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly currencyExponent: number;
  readonly reference: string | null;
  readonly description: string | null;
}

/** A line that is not a statement line: the whole file is refused, and the message names the line. */
export class MalformedStatementError extends ValidationError {
  constructor(
    readonly lineNumber: number,
    problem: string,
  ) {
    super(`Line ${lineNumber}: ${problem} Nothing was imported.`, 'content');
  }
}

const DATE_SHAPE = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function bookedOnOf(text: string, lineNumber: number): string {
  const match = DATE_SHAPE.exec(text.trim());
  const date = match ? `${match[1]}-${match[2]}-${match[3]}` : '';
  const parsed = new Date(`${date}T00:00:00Z`);
  if (!match || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date) {
    throw new MalformedStatementError(lineNumber, `the date "${text}" is not a date of the form 2026-11-30.`);
  }
  return date;
}

function optionalText(value: string | undefined, field: string, maxLength: number, lineNumber: number): string | null {
  const text = value?.trim() ?? '';
  if (text === '') return null;
  if (text.length > maxLength || CONTROL_CHARACTERS.test(text)) throw new MalformedStatementError(lineNumber, `the ${field} has more than ${maxLength} characters or control characters.`);
  return text;
}

/** The sign of a line: its direction word when the profile has a direction column, else the amount's own sign. */
function signOf(record: Readonly<Record<string, string>>, profile: StatementProfile, amountText: string, lineNumber: number): { sign: 1n | -1n; magnitude: string } {
  const column = profile.columns.direction;
  if (!column) return amountText.startsWith('-') ? { sign: -1n, magnitude: amountText.slice(1) } : { sign: 1n, magnitude: amountText.replace(/^\+/, '') };
  const word = (record[column] ?? '').trim().toUpperCase();
  if (profile.creditWords.some((credit) => credit.toUpperCase() === word)) return { sign: 1n, magnitude: amountText };
  if (profile.debitWords.some((debit) => debit.toUpperCase() === word)) return { sign: -1n, magnitude: amountText };
  throw new MalformedStatementError(lineNumber, `the direction "${word}" is none of ${[...profile.creditWords, ...profile.debitWords].join(', ')}.`);
}

/** One record (CSV row or JSON object, as text fields) to a line, through the profile's columns. */
export function lineOf(record: Readonly<Record<string, string>>, profile: StatementProfile, lineNumber: number): ParsedStatementLine {
  const { columns } = profile;
  const bookedOn = bookedOnOf(record[columns.date] ?? '', lineNumber);
  const currencyText = (columns.currency ? record[columns.currency]?.trim() : '') || profile.defaultCurrency;
  const scale = parseCurrency(currencyText.toUpperCase());
  if (scale instanceof ValidationError) throw new MalformedStatementError(lineNumber, `the currency "${currencyText}" is not an ISO 4217 code.`);
  const { sign, magnitude } = signOf(record, profile, (record[columns.amount] ?? '').trim().replaceAll(',', ''), lineNumber);
  const minor = parseDecimal(magnitude, scale, 'amount');
  if (minor instanceof ValidationError) throw new MalformedStatementError(lineNumber, `the amount "${record[columns.amount] ?? ''}" is not a decimal amount in ${scale.currency}.`);
  if (minor === 0n) throw new MalformedStatementError(lineNumber, 'the amount is zero.');
  return {
    lineNumber,
    bookedOn,
    amountMinor: sign * minor,
    currency: scale.currency,
    currencyExponent: scale.exponent,
    reference: optionalText(columns.reference ? record[columns.reference] : undefined, 'reference', MAX_EXTERNAL_REF_LENGTH, lineNumber),
    description: optionalText(columns.description ? record[columns.description] : undefined, 'description', MAX_DESCRIPTION_LENGTH, lineNumber),
  };
}

/** Passes the source's bytes on unchanged while feeding them to `hash`: the file's hash is known when the last line is. */
export async function* hashing(source: AsyncIterable<Buffer | string>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    hash.update(bytes);
    yield bytes;
  }
}

function requireColumns(header: readonly string[], profile: StatementProfile): void {
  const required = [profile.columns.date, profile.columns.amount, ...(profile.columns.direction ? [profile.columns.direction] : [])];
  const missing = required.filter((column) => !header.includes(column));
  if (missing.length > 0) throw new MalformedStatementError(1, `the header lacks the column(s) ${missing.map((name) => `"${name}"`).join(', ')} that profile "${profile.name}" maps.`);
}

async function* csvLines(source: AsyncIterable<Buffer>, profile: StatementProfile): AsyncGenerator<ParsedStatementLine> {
  let header: string[] | undefined;
  const parser = parseCsv({ bom: true, skip_empty_lines: true, info: true, columns: (names: string[]) => ((header = names.map((name) => name.trim())), requireColumns(header, profile), header) });
  // pipeline, not pipe: a failing source (a body over its limit) must end the parser with its error, not leave it waiting.
  pipeline(Readable.from(source), parser, () => undefined);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield lineOf(record, profile, info.lines);
    }
  } catch (error) {
    if (error instanceof MalformedStatementError) throw error;
    const lines = (error as { lines?: unknown }).lines;
    if (typeof lines === 'number') throw new MalformedStatementError(lines, `${(error as Error).message.replace(/^[^:]*: /, '')}.`);
    throw error;
  }
}

async function* jsonLines(source: AsyncIterable<Buffer>, profile: StatementProfile): AsyncGenerator<ParsedStatementLine> {
  let lineNumber = 0;
  for await (const text of createInterface({ input: Readable.from(source), crlfDelay: Infinity })) {
    lineNumber += 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new MalformedStatementError(lineNumber, 'it is not a JSON object.');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedStatementError(lineNumber, 'it is not a JSON object.');
    const record = Object.fromEntries(Object.entries(value).map(([key, field]) => [key, field === null || field === undefined ? '' : String(field)]));
    yield lineOf(record, profile, lineNumber);
  }
}

/**
 * The statement's lines in file order. Throws MalformedStatementError at the first bad line (with
 * its number), so the caller's transaction refuses the whole file.
 */
export function readStatementLines(source: AsyncIterable<Buffer>, format: StatementFormat, profile: StatementProfile): AsyncGenerator<ParsedStatementLine> {
  return format === 'CSV' ? csvLines(source, profile) : jsonLines(source, profile);
}
