import { ValidationError } from '../errors.js';
import { parseCurrency } from '../money.js';
import type { StatementProfile } from './statement-profile.js';

/** A profile's name: what `?profile=` and `importStatement(profile:)` pass. */
const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_COLUMN_NAME_LENGTH = 100;
const MAX_DIRECTION_WORDS = 10;
const MAX_DIRECTION_WORD_LENGTH = 20;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function checkColumn(name: string | undefined, field: string, required: boolean): ValidationError | undefined {
  if (name === undefined) return required ? new ValidationError(`columns.${field} is required.`, `columns.${field}`) : undefined;
  if (name.trim() === '' || name.length > MAX_COLUMN_NAME_LENGTH || CONTROL_CHARACTERS.test(name)) {
    return new ValidationError(`columns.${field} must be 1-${MAX_COLUMN_NAME_LENGTH} characters without control characters.`, `columns.${field}`);
  }
  return undefined;
}

function checkWords(words: readonly string[], field: string): ValidationError | undefined {
  if (words.length < 1 || words.length > MAX_DIRECTION_WORDS || words.some((word) => word.trim() === '' || word.length > MAX_DIRECTION_WORD_LENGTH || CONTROL_CHARACTERS.test(word))) {
    return new ValidationError(`${field} needs 1-${MAX_DIRECTION_WORDS} words of 1-${MAX_DIRECTION_WORD_LENGTH} characters.`, field);
  }
  return undefined;
}

/**
 * A statement profile an operator saves, checked in order: the name; the date and amount columns
 * (required), then the optional ones; the direction words (a word may not mean both); the default
 * currency. Pure; the first failure is the answer.
 */
export function checkProfile(profile: StatementProfile): ValidationError | undefined {
  if (!PROFILE_NAME.test(profile.name)) return new ValidationError('name must be 1-64 lower-case letters, digits, "-" or "_", starting with a letter or digit.', 'name');
  const { columns } = profile;
  const columnError =
    checkColumn(columns.date, 'date', true) ??
    checkColumn(columns.amount, 'amount', true) ??
    checkColumn(columns.direction, 'direction', false) ??
    checkColumn(columns.reference, 'reference', false) ??
    checkColumn(columns.description, 'description', false) ??
    checkColumn(columns.currency, 'currency', false);
  if (columnError) return columnError;
  const wordError = checkWords(profile.creditWords, 'creditWords') ?? checkWords(profile.debitWords, 'debitWords');
  if (wordError) return wordError;
  const credits = new Set(profile.creditWords.map((word) => word.toUpperCase()));
  if (profile.debitWords.some((word) => credits.has(word.toUpperCase()))) return new ValidationError('A word cannot mean both credit and debit.', 'debitWords');
  if (parseCurrency(profile.defaultCurrency) instanceof ValidationError) return new ValidationError('defaultCurrency must be an ISO 4217 code.', 'defaultCurrency');
  return undefined;
}
