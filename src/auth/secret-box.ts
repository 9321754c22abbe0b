import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals small secrets (TOTP seeds) for storage with AES-256-GCM: a stolen database dump alone
 * does not reveal them, and any tampering fails authentication instead of yielding a wrong seed.
 */
const VERSION = 'v1';
const IV_BYTES = 12;

export class SecretBox {
  private readonly key: Buffer;

  constructor(encryptionKey: string) {
    // HKDF turns the configured text into exactly 256 bits, bound to this one purpose.
    this.key = Buffer.from(hkdfSync('sha256', encryptionKey, 'tally', 'tally totp secret v1', 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
  }

  open(box: string): string {
    const [version, iv, tag, sealed] = box.split('.');
    if (version !== VERSION || !iv || !tag || sealed === undefined) throw new Error('not a sealed secret of this version');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
  }
}
