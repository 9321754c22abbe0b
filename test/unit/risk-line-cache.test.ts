import { describe, expect, it } from 'vitest';
import { RiskLineCache, type TailJson } from '../../src/ledger/persistence/risk-line-cache.js';

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
    since_us: String(options.sinceUs ?? NOW_US - 7 * DAY_US),
    lines: options.lines.map(([xid, atUs]) => [String(xid), String(atUs), 'WITHDRAWAL', 'ACH', 'USD', '100', true]),
  };
}

describe('RiskLineCache', () => {
  it('counts from its watermark: lines kept below it plus the tail, each once, however asks interleave', () => {
    const cache = new RiskLineCache();
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: true, settledBelow: 10, lines: [[5, NOW_US - 1], [12, NOW_US - 2]] }));
    // Two asks sent with watermark 10; the first answer settles up to 20, the second (older snapshot) up to 15.
    const first = cache.askFor('a');
    const second = cache.askFor('a');
    const tail = answer('carol', { full: false, settledBelow: 20, lines: [[12, NOW_US - 2], [14, NOW_US - 3], [21, NOW_US - 4]] });
    expect(cache.absorb('a', first, tail).map((line) => Number(line.xid))).toEqual([5, 12, 14, 21]);
    expect(cache.absorb('a', second, answer('carol', { full: false, settledBelow: 15, lines: [[12, NOW_US - 2], [14, NOW_US - 3]] })).map((line) => Number(line.xid))).toEqual([5, 12, 14]);
    expect(cache.size, 'kept: 5, 12, 14 (21 not settled yet)').toBe(3);
    const third = cache.askFor('a');
    expect(third.watermark).toBe('20');
    expect(cache.absorb('a', third, answer('carol', { full: false, settledBelow: 30, lines: [[21, NOW_US - 4]] })).map((line) => Number(line.xid))).toEqual([5, 12, 14, 21]);
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
    expect(cache.absorb('a', next, answer('carol', { full: false, settledBelow: 40, lines: [] })).map((line) => Number(line.xid))).toEqual([5, 30]);
  });

  it('keeps at most its bound of lines, dropping the customer asked least recently', () => {
    const cache = new RiskLineCache({ maxLines: 5, maxAccounts: 10 });
    const lines = (from: number): Array<[number, number]> => [[from, NOW_US - 1], [from + 1, NOW_US - 2]];
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: true, settledBelow: 100, lines: lines(1) }));
    cache.absorb('b', cache.askFor('b'), answer('dave', { full: true, settledBelow: 100, lines: lines(3) }));
    cache.askFor('a');
    cache.absorb('c', cache.askFor('c'), answer('erin', { full: true, settledBelow: 100, lines: lines(5) }));
    expect(cache.size).toBe(4);
    expect(cache.askFor('b').kept, 'dave was asked least recently').toBeUndefined();
    expect(cache.askFor('a').kept).toBeDefined();
  });

  it('drops lines older than a day before the window an answer needed, and reads the window again for an older one', () => {
    const cache = new RiskLineCache();
    cache.absorb('a', cache.askFor('a'), answer('carol', { full: true, settledBelow: 10, lines: [[1, NOW_US - 20 * DAY_US], [2, NOW_US - 1]], sinceUs: NOW_US - 30 * DAY_US }));
    expect(cache.size).toBe(2);
    const ask = cache.askFor('a');
    cache.absorb('a', ask, answer('carol', { full: false, settledBelow: 10, lines: [], sinceUs: NOW_US - 7 * DAY_US }));
    expect(cache.size).toBe(1);
    expect(cache.askFor('a').coveredSinceUs, 'what is kept now starts a day before that window').toBe(String(NOW_US - 8 * DAY_US));
  });
});
