import { CHANNELS } from '../types.js';
import { FEATURES, WINDOW_FIELDS, WINDOWS_BY_CHANNEL_TYPE, WINDOWS_TYPE, type RiskFeatures } from './features.js';

/**
 * Features as stored in risk_decisions.features (jsonb) and read back for a replay. JSON has no
 * 64-bit integers, so every int feature is stored as its decimal text (`"amount": "500001"`),
 * readable in SQL as `features->>'amount'`; reading turns the declared ints back into bigints.
 * A value that was odd when decided (a float where an int belongs) is stored and read back as it
 * was, so the replay fails on it the same way the decision did.
 */

/** The features as stored: every bigint as its decimal text, in one pass of JSON.stringify (every judged movement stores its features). */
export function featuresJsonText(features: RiskFeatures): string {
  return JSON.stringify(features, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

const INTEGER_TEXT = /^-?\d{1,20}$/;

function decodeInt(value: unknown): unknown {
  return typeof value === 'string' && INTEGER_TEXT.test(value) ? BigInt(value) : value;
}

function decodeWindows(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const stored = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(stored).map((field) => [field, field in WINDOW_FIELDS ? decodeInt(stored[field]) : stored[field]]));
}

function decodeWindowsByChannel(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const stored = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(stored).map((channel) => [channel, (CHANNELS as readonly string[]).includes(channel) ? decodeWindows(stored[channel]) : stored[channel]]));
}

/** The features a stored decision saw, typed as the decide step received them. */
export function featuresFromJson(json: Record<string, unknown>): RiskFeatures {
  const features: Record<string, unknown> = { ...json };
  for (const [name, declaration] of Object.entries(FEATURES)) {
    if (!(name in json)) continue;
    if (declaration.type === 'int') features[name] = decodeInt(json[name]);
    else if (declaration.type === WINDOWS_TYPE) features[name] = decodeWindows(json[name]);
    else if (declaration.type === WINDOWS_BY_CHANNEL_TYPE) features[name] = decodeWindowsByChannel(json[name]);
  }
  return features as unknown as RiskFeatures;
}
