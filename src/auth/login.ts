import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { InvalidCredentialsError } from '../ledger/errors.js';
import { RefreshTokenSchema } from '../entities/refresh-token.entity.js';
import { UserSchema } from '../entities/user.entity.js';
import { verifyPassword } from './passwords.js';
import { hashRefreshToken, newRefreshToken, REFRESH_TOKEN_TTL_SECONDS, type TokenSigner } from './tokens.js';

export interface IssuedTokens {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
  readonly tokenType: 'Bearer';
}

/** Username and password in, a token pair out; any mismatch is the same INVALID_CREDENTIALS. */
export async function generateToken(
  orm: MikroORM,
  signer: TokenSigner,
  username: string,
  password: string,
): Promise<IssuedTokens | InvalidCredentialsError> {
  const em = orm.em.fork();
  const user = await em.findOne(UserSchema, { username }, { fields: ['id', 'role', 'passwordHash'] });
  if (!(await verifyPassword(user?.passwordHash, password)) || !user) return new InvalidCredentialsError();
  const access = await signer.issueAccessToken(user.id, user.role);
  const refreshToken = newRefreshToken();
  const refreshTokenExpiresAt = new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000);
  em.create(RefreshTokenSchema, {
    id: randomUUID(),
    userId: user.id,
    tokenHash: hashRefreshToken(refreshToken),
    familyId: randomUUID(),
    expiresAt: refreshTokenExpiresAt,
  });
  await em.flush();
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt,
    tokenType: 'Bearer',
  };
}
