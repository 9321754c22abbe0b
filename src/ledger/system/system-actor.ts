import type { Actor } from '../types.js';

/**
 * The system principal: who acts for work nobody clicks (hold expiries, scheduled releases, later
 * fraud and dispute steps). A reserved user row (migration 20261201110000): a fixed id, the
 * username `@system`, which no user can register (usernames are lower-case letters, digits, dots,
 * dashes and underscores), an argon2id hash of a password nobody knows (no one signs in as it),
 * and the OPERATOR role, so its commands may act on any customer account. Its transactions and
 * idempotency records name it like any other initiator.
 */
export const SYSTEM_USER_ID = '00000000-0000-4000-8000-000000000000';
export const SYSTEM_USERNAME = '@system';

export const SYSTEM_ACTOR: Actor = { userId: SYSTEM_USER_ID, role: 'OPERATOR' };

/** Step names are lower-case words joined by dashes or underscores: `expire`, `release-availability`. */
const STEP_NAME = /^[a-z][a-z_-]{0,31}$/;

/**
 * The deterministic idempotency key of one scheduled step on one subject (`expire:<holdId>`): a
 * step retried after a crash presents the same key, so it happens once and the retry replays.
 */
export function systemKey(step: string, subjectId: string): string {
  if (!STEP_NAME.test(step)) throw new Error(`system step ${JSON.stringify(step)} is not a step name`);
  if (subjectId.length === 0 || subjectId.includes(':')) throw new Error(`system subject ${JSON.stringify(subjectId)} must be a non-empty id`);
  return `${step}:${subjectId}`;
}
