import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { createRequire } from 'node:module';
import { arrayLiteral, quoteLongText, textLiteral } from '../../src/db/sql-literal.js';

/** Strings of the characters that matter to a literal (quotes, backslashes, `?`, newlines, non-ASCII), and others. */
function randomText(random: () => number, length: number): string {
  const alphabet = ["'", '\\', '?', '"', '\n', 'é', '€', '😀', 'a', 'Z', '0', ' ', '{', '}', ':', ','];
  let text = '';
  for (let index = 0; index < length; index++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('textLiteral: the literal pg escapeLiteral makes, built with native replaces', () => {
  it('equals pg.escapeLiteral on every kind of text', () => {
    const random = seeded(7);
    const samples = ['', "'", '\\', "\\'", "it's", 'a\\b', '?', '??', "''\\\\''", JSON.stringify({ reason: "o'brien \\ path" })];
    for (let index = 0; index < 2_000; index++) samples.push(randomText(random, Math.floor(random() * 600)));
    for (const text of samples) expect(textLiteral(text)).toBe(pg.escapeLiteral(text));
  });
});

describe('quoteLongText: long strings become fragments MikroORM inlines verbatim', () => {
  it('formats a statement exactly as MikroORM would have quoted the strings itself', async () => {
    const orm = await MikroORM.init({ dbName: 'unused', entities: [], discovery: { warnWhenNoEntities: false }, connect: false });
    try {
      const platform = orm.em.getPlatform();
      const random = seeded(11);
      for (let index = 0; index < 200; index++) {
        const parameters: unknown[] = [randomText(random, 300 + index), 'short', 42, null, randomText(random, 255), randomText(random, 256), true];
        const sql = 'select ?, ?, ?, ?, ?, ?, ?';
        expect(platform.formatQuery(sql, quoteLongText(parameters))).toBe(platform.formatQuery(sql, parameters));
      }
    } finally {
      await orm.close();
    }
  });

  it('leaves short strings and other values as they are', () => {
    const when = new Date();
    const [short, number, date, long] = quoteLongText(['x'.repeat(255), 1, when, 'y'.repeat(256)]);
    expect(short).toBe('x'.repeat(255));
    expect(number).toBe(1);
    expect(date).toBe(when);
    expect(typeof long).toBe('object');
  });
});

describe('arrayLiteral: the array literal pg makes of a JavaScript array it binds', () => {
  it('equals pg.prepareValue of the same array, nulls and quotes and backslashes included', () => {
    const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils') as { prepareValue: (value: unknown) => string };
    const random = seeded(13);
    for (let index = 0; index < 500; index++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 6) }, () => (random() < 0.2 ? null : randomText(random, Math.floor(random() * 40))));
      expect(arrayLiteral(values)).toBe(prepareValue(values));
    }
    expect(arrayLiteral(['127.0.0.1:5432@1796407998.355699', undefined])).toBe('{"127.0.0.1:5432@1796407998.355699",NULL}');
  });
});
