import { createHash } from 'node:crypto';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../limits.js';
import { ValidationError } from '../errors.js';

/**
 * Idempotency keys as the envelope checks and fingerprints them; their records live in
 * persistence/idempotency-records.ts.
 */

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export function checkIdempotencyKey(key: string): ValidationError | undefined {
  if (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE_ASCII.test(key) || key.trim() === '') {
    return new ValidationError(
      `idempotencyKey must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, not only spaces.`,
      'idempotencyKey',
    );
  }
  return undefined;
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
}

/** A fingerprint of what was asked: the same key with a different request is a conflict. */
export function hashRequest(command: string, request: unknown): string {
  return createHash('sha256').update(command).update('\0').update(canonicalJson(request)).digest('hex');
}
