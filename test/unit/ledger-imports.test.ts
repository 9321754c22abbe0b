import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The ledger is plain TypeScript below the API (DESIGN.md): what it needs from auth or the API it is given (ports), never imports. */
const LEDGER = fileURLToPath(new URL('../../src/ledger', import.meta.url));
const OUTSIDE = ['auth', 'resolvers', 'schema', 'transport'];

function sourcesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the ledger imports nothing above it', () => {
  it(`no file under src/ledger imports from src/${OUTSIDE.join(', src/')}`, () => {
    const files = sourcesUnder(LEDGER);
    expect(files.length).toBeGreaterThan(20);
    const upward = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '((?:\.\.\/)+)([a-z-]+)\//g)]
        .filter((match) => {
          const depth = relative(LEDGER, file).split('/').length - 1;
          return match[1]!.length / 3 === depth + 1 && OUTSIDE.includes(match[2]!);
        })
        .map((match) => `${relative(LEDGER, file)}: ${match[0]}`),
    );
    expect(upward).toEqual([]);
  });
});
