import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Secrets Entitle must give back (webhook signing secrets, upstream service tokens, certificate
 * signing keys' private halves) are stored sealed: AES-256-GCM under a key derived from the
 * license-key secret of the data dir (HKDF with its own label, so the two uses never share a
 * key), bound to the row they belong to. A copy of the database alone (a dump, a backup) does
 * not reveal them.
 */
export interface SecretBox {
  /** The stored form of `plain`, for the row `context` names (e.g. `webhook:<id>`). */
  seal(plain: string, context: string): string;
  /** The secret of a stored value; a value stored before sealing existed comes back as it is. */
  open(stored: string, context: string): string;
  /** Whether a stored value is sealed (the others are sealed by the next housekeeping pass). */
  isSealed(stored: string): boolean;
}

const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function secretBox(keySecret: Uint8Array): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', keySecret, '', 'entitle secrets at rest v1', 32));
  return {
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(stored, context) {
      if (!stored.startsWith(PREFIX)) return stored;
      const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        const body = raw.subarray(IV_BYTES + TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        throw new Error(
          `the stored secret of ${context} does not open with this data dir's license-key secret (another server's data dir, or a changed secret file)`,
        );
      }
    },
    isSealed: (stored) => stored.startsWith(PREFIX),
  };
}
