import { describe, expect, it } from 'vitest';
import { RiskLineCache, type TailJson } from '../../src/ledger/persistence/risk-line-cache.js';
import { lineKeys, tallyRiskLines, type LineSource, type RiskLine } from '../../src/ledger/risk/tally-risk-lines.js';

/**
 * What the process keeps of risk lines stays bounded and never counts a line twice
 * (risk-line-cache.ts); the integration tests (risk-line-tail, risk-lines-exact) check the facts
 * against PostgreSQL. Answers here are made by hand, as tally_risk_tail shapes them.
 */
const DAY_US = 24 * 60 * 60 * 1_000_000;
const NOW_US = 1_800_000_000 * 1_000_000;

function answer(customer: string, options: { full: boolean; settledBelow: number; lines: Array<[xid: number, atUs: number]>; sinceUs?: number }): TailJson {
  return {
    customer_id: customer,
    server: 'primary',
    full: options.full,
    settled_below: String(options.settledBelow),
    now_us: String(NOW_US),
    since_us: String(options.sinceUs ?? NOW_US - 8 * DAY_US),
    lines: options.lines.map(([xid, atUs]) => [String(xid), String(atUs), 'WITHDRAWAL', 'ACH', 'USD', '100', true]),
  };
}

/** The transaction ids of the lines an answer counts, as the tally reads them (below each source's watermark). */
function xids(sources: readonly LineSource[]): number[] {
  return sources.flatMap(({ lines, below }) => lines.filter((line) => below === undefined || line.xid < below).map((line) => line.xid));
}

describe('RiskLineCache', () => {
  it('counts from its watermark: lines kept below it plus the tail, each once, however asks interleave', () => {
    const cache = new RiskLineCache();
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: true, settledBelow: 10, lines: [[5, NOW_US - 1], [12, NOW_US - 2]] }));
    // Two asks sent with watermark 10; the first answer settles up to 20, the second (older snapshot) up to 15.
    const first = cache.askFor('a');
    const second = cache.askFor('a');
    const tail = answer('carol', { full: false, settledBelow: 20, lines: [[12, NOW_US - 2], [14, NOW_US - 3], [21, NOW_US - 4]] });
    expect(xids(cache.absorb('a', first, tail))).toEqual([5, 12, 14, 21]);
    expect(xids(cache.absorb('a', second, answer('carol', { full: false, settledBelow: 15, lines: [[12, NOW_US - 2], [14, NOW_US - 3]] })))).toEqual([5, 12, 14]);
    expect(cache.size, 'kept: 5, 12, 14 (21 not settled yet), and the customer').toBe(4);
    const third = cache.askFor('a');
    expect(third.watermark).toBe('20');
    expect(xids(cache.absorb('a', third, answer('carol', { full: false, settledBelow: 30, lines: [[21, NOW_US - 4]] })))).toEqual([5, 12, 14, 21]);
    expect(cache.reads).toEqual({ full: 1, tail: 3 });
  });

  it('does not add a tail to lines that were replaced after the ask was sent', () => {
    const cache = new RiskLineCache();
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: true, settledBelow: 10, lines: [[5, NOW_US - 1]] }));
    const stale = cache.askFor('a');
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: true, settledBelow: 40, lines: [[5, NOW_US - 1], [30, NOW_US - 2]] }));
    cache.absorb('a', stale, answer('carol', { full: false, settledBelow: 20, lines: [[15, NOW_US - 3]] }));
    const next = cache.askFor('a');
    expect(next.watermark).toBe('40');
    expect(xids(cache.absorb('a', next, answer('carol', { full: false, settledBelow: 40, lines: [] })))).toEqual([5, 30]);
  });

  it('counts the lines kept when an ask was sent, even when another answer pruned them meanwhile', () => {
    const cache = new RiskLineCache();
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: true, settledBelow: 10, lines: [[1, NOW_US - 3 * DAY_US], [2, NOW_US - 1]], sinceUs: NOW_US - 9 * DAY_US }));
    const early = cache.askFor('a');
    // A later clock's answer: lines older than its window are dropped.
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: false, settledBelow: 10, lines: [], sinceUs: NOW_US - DAY_US }));
    expect(cache.size).toBe(2);
    expect(xids(cache.absorb('a', early, answer('carol', { full: false, settledBelow: 10, lines: [] })))).toEqual([1, 2]);
  });

  it('keeps at most its bound of lines, dropping the customer asked least recently', () => {
    const cache = new RiskLineCache({ maxLines: 7, maxAccounts: 10 });
    const lines = (from: number): Array<[number, number]> => [[from, NOW_US - 1], [from + 1, NOW_US - 2]];
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: true, settledBelow: 100, lines: lines(1) }));
    cache.absorb('b', cache.askFor('b'), answer('dave', { full: true, settledBelow: 100, lines: lines(3) }));
    cache.askFor('a');
    cache.absorb('c', cache.askFor('c'), answer('erin', { full: true, settledBelow: 100, lines: lines(5) }));
    expect(cache.size, 'two customers of two lines each, and themselves').toBe(6);
    expect(cache.askFor('b').kept, 'dave was asked least recently').toBeUndefined();
    expect(cache.askFor('a').kept).toBeDefined();
  });

  it('drops lines older than where a whole window would start for the latest answer', () => {
    const cache = new RiskLineCache();
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: true, settledBelow: 10, lines: [[1, NOW_US - 20 * DAY_US], [2, NOW_US - 1]], sinceUs: NOW_US - 30 * DAY_US }));
    expect(cache.size).toBe(3);
    const ask = cache.askFor('a');
    cache.absorb('a', ask, answer('carol', { full: false, settledBelow: 10, lines: [], sinceUs: NOW_US - 8 * DAY_US }));
    expect(cache.size).toBe(2);
    expect(cache.askFor('a').coveredSinceUs, 'what is kept now starts there').toBe(String(NOW_US - 8 * DAY_US));
  });
});

describe('tallyRiskLines', () => {
  const line = (xid: number, ageUs: number, amountMinor: bigint): RiskLine => ({
    xid,
    atUs: NOW_US - ageUs,
    kind: 'WITHDRAWAL',
    channel: 'CASH',
    currency: 'USD',
    amountMinor,
    amount: Number.isSafeInteger(Number(amountMinor)) ? Number(amountMinor) : Number.NaN,
    outgoing: true,
    keys: lineKeys('WITHDRAWAL', 'CASH', 'USD'),
  });
  const at = { nowUs: NOW_US, dayStartUs: NOW_US - DAY_US / 2, dayEndUs: NOW_US + DAY_US / 2 };

  it('puts a line in every window it falls in, (now − L, now], and skips those at or above a source\'s watermark', () => {
    const tenMinutes = 10 * 60 * 1_000_000;
    const { outgoing, cashToday } = tallyRiskLines([{ lines: [line(1, 0, 5n), line(2, tenMinutes, 7n), line(3, tenMinutes - 1, 11n), line(9, 1, 1000n)], below: 9 }], at);
    expect(outgoing).toHaveLength(1);
    expect(outgoing[0]!.windows['10m']).toEqual({ count: 2n, sumMinor: 16n });
    expect(outgoing[0]!.windows['1h']).toEqual({ count: 3n, sumMinor: 23n });
    expect(cashToday).toEqual([{ kind: 'WITHDRAWAL', currency: 'USD', sumMinor: 23n }]);
  });

  it('counts exactly in bigints when a total would not be exact in a double', () => {
    const big = 2n ** 53n - 1n;
    const { outgoing, cashToday } = tallyRiskLines([{ lines: [line(1, 1, big), line(2, 2, big), line(3, 3, 1n)] }], at);
    expect(outgoing[0]!.windows['7d'].sumMinor).toBe(2n * big + 1n);
    expect(cashToday[0]!.sumMinor).toBe(2n * big + 1n);
    const { outgoing: huge } = tallyRiskLines([{ lines: [line(1, 1, 2n ** 60n + 1n)] }], at);
    expect(huge[0]!.windows['10m'].sumMinor).toBe(2n ** 60n + 1n);
  });
});
