import { ValidationError } from '../ledger/errors.js';
import type { MovementItem, MovementItemKind } from '../ledger/commands/post-movements.js';
import { CHANNELS, type Channel } from '../ledger/types.js';

/** The item kinds, as MovementItemInput's fields (and a CSV file's `kind` column) name them. */
export const MOVEMENT_ITEM_KINDS: readonly MovementItemKind[] = ['deposit', 'withdraw', 'transfer', 'authorizeHold', 'captureHold', 'voidHold'];

/** What each field of an item's input must be: text (ids accept whole numbers too, as GraphQL's ID does). */
type FieldKind = 'id' | 'text' | 'optionalText' | 'channel' | 'optionalInt' | 'optionalBoolean';

const FIELDS: Readonly<Record<MovementItemKind, Readonly<Record<string, FieldKind>>>> = {
  deposit: { accountId: 'id', amount: 'text', channel: 'channel', description: 'optionalText', externalRef: 'optionalText', idempotencyKey: 'text' },
  withdraw: { accountId: 'id', amount: 'text', channel: 'channel', description: 'optionalText', externalRef: 'optionalText', idempotencyKey: 'text' },
  transfer: { fromAccountId: 'id', toAccountId: 'id', amount: 'text', description: 'optionalText', idempotencyKey: 'text' },
  authorizeHold: {
    accountId: 'id', amount: 'text', channel: 'channel', description: 'optionalText', externalRef: 'optionalText', expiresInSeconds: 'optionalInt', idempotencyKey: 'text',
  },
  captureHold: { holdId: 'id', amount: 'optionalText', final: 'optionalBoolean', idempotencyKey: 'text' },
  voidHold: { holdId: 'id', idempotencyKey: 'text' },
};

const isMissing = (value: unknown) => value === undefined || value === null;

/** One field as its command takes it, or undefined when it does not have the kind it must have. */
function fieldValue(kind: FieldKind, value: unknown): { value: unknown } | undefined {
  switch (kind) {
    case 'id':
      return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)) ? { value: String(value) } : undefined;
    case 'text':
      return typeof value === 'string' ? { value } : undefined;
    case 'optionalText':
      return isMissing(value) ? { value: undefined } : typeof value === 'string' ? { value } : undefined;
    case 'channel':
      return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value) ? { value: value as Channel } : undefined;
    case 'optionalInt':
      return isMissing(value) ? { value: undefined } : typeof value === 'number' && Number.isInteger(value) ? { value } : undefined;
    case 'optionalBoolean':
      return isMissing(value) ? { value: undefined } : typeof value === 'boolean' ? { value } : undefined;
  }
}

/**
 * A MovementItemInput (from GraphQL, or one line of a POST /v1/batches file) as the batch's item,
 * or VALIDATION naming the field at fault (`items[3].deposit.amount`). Checks, in order: exactly
 * one kind is given; the kind's input is an object; each of its fields has the kind it must have;
 * it has no other field. The rest (amounts, keys, text lengths) the item's command decides.
 */
export function movementItemOf(given: unknown, index: number): MovementItem | ValidationError {
  const at = `items[${index}]`;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return new ValidationError(`Item ${index} is not an object.`, at);
  const entries = Object.entries(given).filter(([, value]) => !isMissing(value));
  const [first] = entries;
  if (entries.length !== 1 || !first || !(MOVEMENT_ITEM_KINDS as readonly string[]).includes(first[0])) {
    return new ValidationError(`Item ${index} must give exactly one of ${MOVEMENT_ITEM_KINDS.join(', ')}.`, at);
  }
  const kind = first[0] as MovementItemKind;
  const input: unknown = first[1];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return new ValidationError(`Item ${index}: ${kind} must be an object.`, `${at}.${kind}`);
  const expected = FIELDS[kind];
  const unknownField = Object.keys(input).find((name) => !(name in expected));
  if (unknownField) return new ValidationError(`Item ${index}: ${kind} has no field ${unknownField}.`, `${at}.${kind}.${unknownField}`);
  const normalised: Record<string, unknown> = {};
  for (const [name, fieldKind] of Object.entries(expected)) {
    const value = fieldValue(fieldKind, (input as Record<string, unknown>)[name]);
    if (!value) return new ValidationError(`Item ${index}: ${kind}.${name} is missing or not a ${fieldKind === 'channel' ? 'channel' : fieldKind.replace('optional', '').toLowerCase()}.`, `${at}.${kind}.${name}`);
    if (value.value !== undefined) normalised[name] = value.value;
  }
  // As the single authorizeHold mutation passes it: the same key then names the same request in either.
  if (kind === 'authorizeHold') for (const name of ['description', 'externalRef', 'expiresInSeconds']) normalised[name] ??= null;
  return { kind, input: normalised } as unknown as MovementItem;
}

/** Every item, or the first that is malformed: bad input changes nothing, so one bad item refuses the batch. */
export function movementItemsOf(given: readonly unknown[]): MovementItem[] | ValidationError {
  const items: MovementItem[] = [];
  for (const [index, item] of given.entries()) {
    const parsed = movementItemOf(item, index);
    if (parsed instanceof ValidationError) return parsed;
    items.push(parsed);
  }
  return items;
}
