import { describe, expect, it } from 'vitest';
import { KeptLinesIndex } from '../../src/ledger/risk/kept-lines-index.js';
import { lineKeys, tallyRiskLines, type RiskLine } from '../../src/ledger/risk/tally-risk-lines.js';

/**
 * Counting the lines a process keeps through their index (kept-lines-index.ts) gives exactly what
 * counting them one by one gives: for random histories with lines at every window's edge, lines
 * appended out of time order, asks that count fewer lines than the index has seen, unsafe amounts,
 * and a tail counted with them. The one-by-one pass is the reference (risk-lines-exact checks that
 * one against PostgreSQL).
 */
const MINUTE_US = 60 * 1_000_000;
const NOW_US = 1_800_000_000 * 1_000_000;
const EDGES_US = [0, 10 * MINUTE_US, 60 * MINUTE_US, 24 * 60 * MINUTE_US, 7 * 24 * 60 * MINUTE_US];
const KINDS = ['WITHDRAWAL', 'TRANSFER', 'DEPOSIT'] as const;
const CHANNELS = ['CASH', 'ACH', 'WIRE'] as const;

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function lineAt(xid: number, atUs: number, amountMinor: bigint, next: () => number): RiskLine {
  const kind = KINDS[Math.floor(next() * KINDS.length)]!;
  const channel = CHANNELS[Math.floor(next() * CHANNELS.length)]!;
  const currency = next() < 0.8 ? 'USD' : 'EUR';
  const amount = Number(amountMinor);
  return { xid, atUs, kind, channel, currency, amountMinor, amount: Number.isSafeInteger(amount) ? amount : Number.NaN, outgoing: kind !== 'DEPOSIT' && next() < 0.8, keys: lineKeys(kind, channel, currency) };
}

/** A time near a window's edge (exactly on it, a microsecond either side) or anywhere in nine days, sometimes after now. */
function timeOf(next: () => number): number {
  const pick = next();
  if (pick < 0.5) return NOW_US - EDGES_US[Math.floor(next() * EDGES_US.length)]! + Math.floor(next() * 3) - 1;
  return NOW_US - Math.floor(next() * 9 * 24 * 60 * MINUTE_US) + (pick > 0.95 ? 5 * MINUTE_US : 0);
}

describe('KeptLinesIndex', () => {
  it('counts what a pass over the lines counts, however lines arrive and however many an ask counts', () => {
    for (let seed = 1; seed <= 200; seed += 1) {
      const next = random(seed);
      const lines: RiskLine[] = [];
      const index = new KeptLinesIndex();
      const day = { dayStartUs: NOW_US - Math.floor(next() * 20) * 60 * MINUTE_US, dayEndUs: NOW_US + Math.floor(next() * 20) * 60 * MINUTE_US };
      for (let round = 0; round < 12; round += 1) {
        const added = Math.floor(next() * 25);
        for (let count = 0; count < added; count += 1) lines.push(lineAt(lines.length, timeOf(next), BigInt(1 + Math.floor(next() * 100_000)), next));
        // An ask made before some of these lines were added counts only the first upTo.
        const upTo = Math.floor(next() * (lines.length + 1));
        const tail = [lineAt(10_000 + round, timeOf(next), 7n, next)];
        const at = { nowUs: NOW_US - (next() < 0.3 ? Math.floor(next() * 30) * MINUTE_US : 0), ...day };
        const indexed = tallyRiskLines([{ lines, below: upTo, indexed: { index, upTo } }, { lines: tail }], at);
        const oneByOne = tallyRiskLines([{ lines, below: upTo }, { lines: tail }], at);
        expect(indexed, `seed ${seed}, round ${round}`).toEqual(oneByOne);
      }
    }
  });

  it('falls back to bigints when a total is not exact in a double, and agrees with the pass', () => {
    const next = random(7);
    const big = 2n ** 53n - 1n;
    const lines = [lineAt(0, NOW_US - 1, big, next), lineAt(1, NOW_US - 2, big, next), lineAt(2, NOW_US - 3, 1n, next)].map((line) => ({ ...line, kind: 'WITHDRAWAL', channel: 'CASH' as const, outgoing: true, keys: lineKeys('WITHDRAWAL', 'CASH', 'USD'), currency: 'USD' }));
    const at = { nowUs: NOW_US, dayStartUs: NOW_US - MINUTE_US, dayEndUs: NOW_US + MINUTE_US };
    const indexed = tallyRiskLines([{ lines, below: 3, indexed: { index: new KeptLinesIndex(), upTo: 3 } }], at);
    expect(indexed.outgoing[0]!.windows['7d'].sumMinor).toBe(2n * big + 1n);
    expect(indexed.cashToday[0]!.sumMinor).toBe(2n * big + 1n);
    expect(indexed).toEqual(tallyRiskLines([{ lines, below: 3 }], at));
  });
});
