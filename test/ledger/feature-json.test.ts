import { describe, expect, it } from 'vitest';
import { featuresFromJson, featuresJsonText } from '../../src/ledger/risk/feature-json.js';
import { emptyWindows, type RiskFeatures } from '../../src/ledger/risk/features.js';
import { quietFeatures } from './risk-fixtures.js';

/**
 * featuresJsonText writes the features of every judged movement by hand (plain values only) and
 * falls back to JSON.stringify for anything else: both must write exactly what JSON.stringify with
 * bigints as decimal text writes, quiet channels left out, so a stored decision reads back the same.
 */
function generic(features: RiskFeatures): string {
  const used = Object.fromEntries(Object.entries(features.outgoingByChannel).filter(([, windows]) => !Object.values(windows).every((value) => value === 0n)));
  return JSON.stringify({ ...features, outgoingByChannel: used }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

const busy = { ...emptyWindows(), count_10m: 3n, sum_10m: 12_345n, count_7d: 100n, sum_7d: 9_007_199_254_740_993n };

const cases: Record<string, RiskFeatures> = {
  quiet: quietFeatures(),
  'a busy customer on two rails': quietFeatures({ amount: 500_001n, balance: -25n, outgoing: busy, outgoingByChannel: { ...quietFeatures().outgoingByChannel, CASH: busy, WIRE: { ...busy, sum_24h: 1n } } }),
  'a text that needs escaping': quietFeatures({ accountStatus: 'O"PEN\\\n\u2028' }),
  'a float where an int belongs': quietFeatures({ amount: 1.5 as unknown as bigint, balance: Number.NaN as unknown as bigint }),
  'an array (odd data)': quietFeatures({ kind: ['DEPOSIT'] as unknown as string }),
  'a date (odd data, has toJSON)': quietFeatures({ kind: new Date(0) as unknown as string }),
  'an undefined feature (odd data)': quietFeatures({ currency: undefined as unknown as string }),
};

describe('featuresJsonText', () => {
  it.each(Object.entries(cases))('writes what JSON.stringify writes: %s', (_name, features) => {
    expect(featuresJsonText(features)).toBe(generic(features));
  });

  it('reads back the features it wrote', () => {
    const features = cases['a busy customer on two rails']!;
    expect(featuresFromJson(JSON.parse(featuresJsonText(features)) as Record<string, unknown>)).toEqual(features);
  });
});
