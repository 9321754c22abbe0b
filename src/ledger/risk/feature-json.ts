import { CHANNELS } from '../types.js';
import { emptyWindows, FEATURES, WINDOW_FIELDS, WINDOWS_BY_CHANNEL_TYPE, WINDOWS_TYPE, type OutgoingWindows, type RiskFeatures } from './features.js';

/**
 * Features as stored in risk_decisions.features (jsonb) and read back for a replay. JSON has no
 * 64-bit integers, so every int feature is stored as its decimal text (`"amount": "500001"`),
 * readable in SQL as `features->>'amount'`; reading turns the declared ints back into bigints.
 * A value that was odd when decided (a float where an int belongs) is stored and read back as it
 * was, so the replay fails on it the same way the decision did.
 *
 * `outgoingByChannel` keeps only the channels the customer used: a channel whose eight windows are
 * all zero is left out, and reading puts it back as zeros (every feature is still there for a
 * replay). Written in full, the eleven channels made a decision's features 1.8 kB of JSON, past
 * PostgreSQL's 2 kB threshold, so every judged movement's row was compressed (issue 9: the step's
 * cost); a customer who moved money on one rail now stores about 0.5 kB.
 */

const WINDOW_FIELD_NAMES = Object.keys(WINDOW_FIELDS);
/** The shared zeros every unused channel of a movement's features is (features.ts): quiet at a glance. */
const ZERO_WINDOWS = emptyWindows();

function isQuiet(windows: unknown): boolean {
  if (windows === ZERO_WINDOWS) return true;
  return windows !== null && typeof windows === 'object' && WINDOW_FIELD_NAMES.every((field) => (windows as Record<string, unknown>)[field] === 0n);
}

/** The channels worth storing: those with a window that is not zero (or not a bigint: odd data is stored as it was). */
function usedChannels(byChannel: Readonly<Record<string, OutgoingWindows>>): Record<string, OutgoingWindows> {
  return Object.fromEntries(Object.entries(byChannel).filter(([, windows]) => !isQuiet(windows)));
}

/** JSON.stringify with every bigint as its decimal text: the generic path, for features of any shape. */
function jsonWithBigintText(value: unknown): string {
  return JSON.stringify(value, (_key, part: unknown) => (typeof part === 'bigint' ? part.toString() : part));
}

const QUOTED_KEYS = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = QUOTED_KEYS.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    // Feature and window names are a few dozen; the bound only guards against odd data.
    if (QUOTED_KEYS.size < 1_000) QUOTED_KEYS.set(key, quoted);
  }
  return quoted;
}

/**
 * What jsonWithBigintText writes, for values made only of bigints, strings, booleans, numbers, null
 * and plain objects of them (every feature a decide computes); undefined for anything else, which
 * then takes the generic path. Written by hand because JSON.stringify calls its replacer for every
 * key, which made the features' text a visible part of every judged movement's CPU (issue 9).
 */
function plainJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return `"${value}"`;
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
      let text = '';
      for (const key of Object.keys(value)) {
        const part = plainJson((value as Record<string, unknown>)[key]);
        if (part === undefined) return undefined;
        text += `${text === '' ? '' : ','}${quotedKey(key)}:${part}`;
      }
      return `{${text}}`;
    }
    default:
      return undefined;
  }
}

/** The features as stored: every bigint as its decimal text, quiet channels left out (every judged movement stores its features). */
export function featuresJsonText(features: RiskFeatures): string {
  const stored = { ...features, outgoingByChannel: usedChannels(features.outgoingByChannel) };
  return plainJson(stored) ?? jsonWithBigintText(stored);
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

/** Every channel: the stored ones decoded, the quiet ones (left out when stored) back as zeros. */
function decodeWindowsByChannel(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const stored = value as Record<string, unknown>;
  const quiet = Object.fromEntries(CHANNELS.filter((channel) => !(channel in stored)).map((channel) => [channel, emptyWindows()]));
  const decoded = Object.fromEntries(Object.keys(stored).map((channel) => [channel, (CHANNELS as readonly string[]).includes(channel) ? decodeWindows(stored[channel]) : stored[channel]]));
  return { ...quiet, ...decoded };
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
