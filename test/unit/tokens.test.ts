import { describe, expect, it } from 'vitest';
import { TokenSigner } from '../../src/auth/tokens.js';

const secret = 'a-test-secret-that-is-long-enough-for-hs256-000';

/** The same token with one signature character changed (still valid base64url). */
function tampered(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}

describe('access token verification with the per-process cache', () => {
  it('a verified token keeps its claims on the next use', async () => {
    const signer = new TokenSigner(secret);
    const { token, expiresAt } = await signer.issueAccessToken('user-1', 'CUSTOMER');
    const first = await signer.verifyAccessToken(token);
    expect(first).toEqual({ userId: 'user-1', role: 'CUSTOMER', expiresAt });
    expect(await signer.verifyAccessToken(token)).toEqual(first);
  });

  it('a remembered token is refused once it expires', async () => {
    const signer = new TokenSigner(secret, 60);
    const { token, expiresAt } = await signer.issueAccessToken('user-1', 'CUSTOMER');
    expect(await signer.verifyAccessToken(token)).toBeDefined();
    expect(await signer.verifyAccessToken(token, expiresAt.getTime() - 1)).toBeDefined();
    expect(await signer.verifyAccessToken(token, expiresAt.getTime())).toBeUndefined();
    expect(await signer.verifyAccessToken(token, expiresAt.getTime() + 60_000)).toBeUndefined();
  });

  it('a token differing in one signature byte from a remembered one is refused', async () => {
    const signer = new TokenSigner(secret);
    const { token } = await signer.issueAccessToken('user-1', 'OPERATOR');
    expect(await signer.verifyAccessToken(token)).toBeDefined();
    expect(await signer.verifyAccessToken(tampered(token))).toBeUndefined();
  });

  it('a token remembered by one signer means nothing to a signer with another secret', async () => {
    const signer = new TokenSigner(secret);
    const { token } = await signer.issueAccessToken('user-1', 'CUSTOMER');
    expect(await signer.verifyAccessToken(token)).toBeDefined();
    expect(await new TokenSigner(`${secret}-other`).verifyAccessToken(token)).toBeUndefined();
  });

  it('a refused token is not remembered as valid, and stays refused', async () => {
    const signer = new TokenSigner(secret);
    const { token } = await signer.issueAccessToken('user-1', 'CUSTOMER');
    const forged = tampered(token);
    expect(await signer.verifyAccessToken(forged)).toBeUndefined();
    expect(await signer.verifyAccessToken(forged)).toBeUndefined();
  });
});
