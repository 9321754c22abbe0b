import { hash, verify } from '@node-rs/argon2';

// @node-rs/argon2's Algorithm.Argon2id; its const enum cannot be imported under verbatimModuleSyntax.
const ARGON2ID = 2;

/** OWASP's argon2id baseline (m=19 MiB, t=2, p=1): strong, and fast enough for a login. */
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

// Verifying against this when the username is unknown keeps both failures equally slow, so
// response time does not reveal which usernames exist.
const decoyHash = hashPassword('decoy password that matches nothing');

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  if (passwordHash === undefined) {
    await verify(await decoyHash, password);
    return false;
  }
  return verify(passwordHash, password);
}
