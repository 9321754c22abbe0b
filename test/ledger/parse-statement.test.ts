import { describe, expect, it } from 'vitest';
import { MalformedStatementError, readStatementLines, type ParsedStatementLine, type StatementFormat } from '../../src/ledger/reconciliation/parse-statement.js';
import type { StatementProfile } from '../../src/ledger/reconciliation/statement-profile.js';

/** Reading statements through a profile: what a line becomes, and which line a bad file names. */
const DEFAULT: StatementProfile = {
  name: 'default',
  columns: { date: 'date', amount: 'amount', direction: 'direction', reference: 'reference', description: 'description', currency: 'currency' },
  creditWords: ['CREDIT', 'CR', 'C'],
  debitWords: ['DEBIT', 'DR', 'D'],
  defaultCurrency: 'USD',
};
const SIGNED: StatementProfile = { ...DEFAULT, name: 'signed', columns: { date: 'Date', amount: 'Amount', reference: 'Ref' } };

async function read(text: string, format: StatementFormat = 'CSV', profile = DEFAULT): Promise<ParsedStatementLine[]> {
  async function* chunks(): AsyncGenerator<Buffer> {
    // Split mid-line, as a network would.
    for (let start = 0; start < text.length; start += 7) yield Buffer.from(text.slice(start, start + 7));
  }
  const lines: ParsedStatementLine[] = [];
  for await (const line of readStatementLines(chunks(), format, profile)) lines.push(line);
  return lines;
}

async function refusal(text: string, format: StatementFormat = 'CSV', profile = DEFAULT): Promise<string> {
  try {
    await read(text, format, profile);
  } catch (error) {
    if (error instanceof MalformedStatementError) return `${error.lineNumber}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('readStatementLines', () => {
  it('reads CSV (BOM, quotes, thousands separators, direction words in any case) with each record\'s line number', async () => {
    const lines = await read('\ufeffdate,amount,direction,reference,description,currency\n2026-11-30,"1,250.00",cr,A-1,"Payroll, Acme",USD\n\n2026-12-01,15,Debit,,Fee,JPY\n');
    expect(lines).toEqual([
      { lineNumber: 2, bookedOn: '2026-11-30', amountMinor: 125000n, currency: 'USD', currencyExponent: 2, reference: 'A-1', description: 'Payroll, Acme' },
      { lineNumber: 4, bookedOn: '2026-12-01', amountMinor: -15n, currency: 'JPY', currencyExponent: 0, reference: null, description: 'Fee' },
    ]);
  });

  it('reads JSON lines, and signed amounts when the profile has no direction column', async () => {
    const lines = await read('{"Date":"2026-11-30T10:00:00Z","Amount":-3.5,"Ref":"X"}\n\n{"Date":"2026-11-30","Amount":"2"}\n', 'JSONL', SIGNED);
    expect(lines.map((line) => [line.lineNumber, line.amountMinor, line.reference])).toEqual([[1, -350n, 'X'], [3, 200n, null]]);
  });

  it.each([
    ['a bad date', 'date,amount,direction\n2026-02-30,1.00,CR\n', '2'],
    ['a bad amount', 'date,amount,direction\n2026-11-30,1.00,CR\n2026-11-30,1.001,CR\n', '3'],
    ['a zero amount', 'date,amount,direction\n2026-11-30,0.00,CR\n', '2'],
    ['an unknown direction', 'date,amount,direction\n2026-11-30,1.00,UP\n', '2'],
    ['an unknown currency', 'date,amount,direction,currency\n2026-11-30,1.00,CR,XYZ\n', '2'],
    ['a missing column in the header', 'date,amount\n2026-11-30,1.00\n', '1'],
    ['a row with too many fields', 'date,amount,direction\n2026-11-30,1.00,CR\n2026-11-30,1.00,CR,extra\n', '3'],
  ])('refuses %s, naming its line', async (_name, text, line) => {
    expect(await refusal(text)).toMatch(new RegExp(`^${line}: Line ${line}: .* Nothing was imported\\.$`));
  });

  it('refuses a JSON line that is not an object', async () => {
    expect(await refusal('{"date":"2026-11-30","amount":"1","direction":"CR"}\n[1]\n', 'JSONL')).toMatch(/^2: Line 2: it is not a JSON object/);
  });
});

describe('a failing source', () => {
  it.each(['CSV', 'JSONL'] as const)('ends a %s read with the source\'s error (a body over its limit), never a hang', async (format) => {
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from(format === 'CSV' ? 'date,amount,direction\n2026-11-30,1.00,CR\n' : '{"date":"2026-11-30","amount":"1","direction":"CR"}\n');
      throw new Error('body too large');
    }
    const lines: ParsedStatementLine[] = [];
    await expect((async () => {
      for await (const line of readStatementLines(source(), format, DEFAULT)) lines.push(line);
    })()).rejects.toThrow('body too large');
  });
});
