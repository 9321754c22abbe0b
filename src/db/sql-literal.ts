import { RawQueryFragment } from '@mikro-orm/core';

/**
 * Long text parameters, quoted once with native string replaces. MikroORM's `execute` inlines
 * every parameter into the statement's text (db/sql.ts), quoting strings with pg's
 * `escapeLiteral`, which builds the literal one character at a time: about 17 µs per kilobyte
 * here, paid on every JSON document a statement carries (a unit's movement rows, its risk
 * decisions, about 1 kB each). `replaceAll` makes the same literal about 20 times faster. A
 * parameter handed to MikroORM as a raw fragment is inserted as it is, so the literal must be
 * exactly what `escapeLiteral` would have made: `'…'` with quotes doubled, or ` E'…'` with
 * quotes and backslashes doubled when the text holds a backslash
 * (test/unit/sql-literal.test.ts compares the two).
 */

/** Shorter strings are left to MikroORM: a fragment costs more than quoting a short string. */
const LONG_TEXT = 256;

/** The literal pg's `escapeLiteral(text)` makes, built with native replaces. */
export function textLiteral(text: string): string {
  const quoted = text.replaceAll("'", "''");
  return text.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

/** The parameters with each long string already quoted, as a fragment MikroORM inlines verbatim; the rest as they were. */
export function quoteLongText(parameters: readonly unknown[]): unknown[] {
  return parameters.map((value) => (typeof value === 'string' && value.length >= LONG_TEXT ? new RawQueryFragment(textLiteral(value)) : value));
}

/**
 * A PostgreSQL array literal of text values (`{"a",NULL}`), each element quoted, for a statement
 * to cast (`::uuid[]`): one parameter for a whole column of values, not one per value. The same
 * text pg makes of a JavaScript array it binds (test/unit/sql-literal.test.ts compares the two).
 */
export function arrayLiteral(values: ReadonlyArray<string | null | undefined>): string {
  return `{${values.map((value) => (value == null ? 'NULL' : `"${value.replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}
