import type { MikroORM } from '@mikro-orm/postgresql';
import type { RateLimits } from './rate-limits.js';
import type { SecretBox } from './secret-box.js';
import type { TokenSigner } from './tokens.js';

/** What sign-in, refresh and two-factor need, built once per process. */
export interface AuthServices {
  readonly orm: MikroORM;
  readonly signer: TokenSigner;
  readonly limits: RateLimits;
  readonly secretBox: SecretBox;
}
