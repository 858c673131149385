import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import {
  signCertificate,
  signDeactivationProof,
  verifyDeactivationProof,
  type CertificateClaims,
  type CertificateSigner,
  type DeactivationProof,
  type DeactivationProofVerification,
} from '../domain/certificate.js';
import { requireRole } from '../domain/principal.js';
import type { Store, Tx } from '../store/database.js';
import {
  extendSignedUntil,
  findCurrentSigningKey,
  insertSigningKey,
  listPublishedSigningKeys,
  listSigningKeys,
  retireSigningKeysExcept,
  type SigningKeyRow,
} from '../store/signing-keys.repository.js';
import { recordChange } from './audit.js';
import type { SecretBox } from './secret-box.js';
import type { ServiceContext } from './context.js';

/** A public key as published in `/v1/keys` (RFC 8037 OKP JWK). */
export interface Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface SigningKeySummary {
  kid: string;
  algorithm: string;
  createdAt: string;
  retiredAt: string | null;
  /** The latest expiry of a certificate the key signed; a retired key is published until then. */
  signedUntil: string | null;
  published: boolean;
}

export interface Rotation {
  kid: string;
  retired: string[];
}

/**
 * The server's Ed25519 key ring. New certificates are signed with the current key, created on
 * first use; a rotation makes a new current key, and each retired key stays published until the
 * last certificate it signed has expired.
 */
/** What a signing key's private half is sealed as: bound to its kid. */
export const sealedAs = (kid: string) => `signing-key:${kid}`;

export function signingKeyService(store: Store, box: SecretBox) {
  // Key material never changes for a kid, so parsed keys can be kept for the life of the process.
  const privateKeys = new Map<string, KeyObject>();
  const publicKeys = new Map<string, KeyObject>();

  async function currentSigner(tx: Tx, now: Date): Promise<CertificateSigner> {
    const row = (await findCurrentSigningKey(tx)) ?? (await createKey(tx, box, now));
    let privateKey = privateKeys.get(row.kid);
    if (privateKey === undefined) {
      privateKey = createPrivateKey(box.open(row.private_key, sealedAs(row.kid)));
      privateKeys.set(row.kid, privateKey);
    }
    return { kid: row.kid, privateKey };
  }

  function publicKeyOf(row: SigningKeyRow): KeyObject {
    let key = publicKeys.get(row.kid);
    if (key === undefined) {
      key = createPublicKey(row.public_key);
      publicKeys.set(row.kid, key);
    }
    return key;
  }

  const keyMap = (rows: SigningKeyRow[]) =>
    new Map(rows.map((row) => [row.kid, publicKeyOf(row)] as const));

  return {
    /**
     * Signs a certificate inside the caller's transaction, and keeps the signing key published at
     * least until the certificate expires.
     */
    async signCertificate(tx: Tx, claims: CertificateClaims, now: Date): Promise<string> {
      const signer = await currentSigner(tx, now);
      const text = signCertificate(claims, signer);
      await extendSignedUntil(tx, signer.kid, secondsToIso(claims.exp));
      return text;
    },

    /** Signs a deactivation proof with the current key, inside the caller's transaction. */
    async signDeactivationProof(tx: Tx, proof: DeactivationProof, now: Date): Promise<string> {
      return signDeactivationProof(proof, await currentSigner(tx, now));
    },

    /** The JWK set of `/v1/keys`: the current key and every retired key still needed. */
    async publishedKeys(now: Date): Promise<{ keys: Jwk[] }> {
      const rows = await store.read((db) => listPublishedSigningKeys(db, now.toISOString()));
      return { keys: rows.map((row) => toJwk(row.kid, publicKeyOf(row))) };
    },

    /** The published keys by kid, to verify certificates in the server itself. */
    async verificationKeys(now: Date): Promise<Map<string, KeyObject>> {
      return keyMap(await store.read((db) => listPublishedSigningKeys(db, now.toISOString())));
    },

    /**
     * Verifies a deactivation proof with every key the server ever had: proofs do not expire,
     * so a proof outlives the publication of the key that signed it.
     */
    async verifyDeactivationProof(text: string): Promise<DeactivationProofVerification> {
      return verifyDeactivationProof(text, keyMap(await store.read(listSigningKeys)));
    },

    /** Every key with its publication state (operators only; never the private key). */
    async list(ctx: ServiceContext): Promise<SigningKeySummary[]> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now().toISOString();
      const rows = await store.read(listSigningKeys);
      return rows.map((row) => toSummary(row, now));
    },

    /** Makes a new current key and retires the others (operators only). */
    async rotate(ctx: ServiceContext): Promise<Rotation> {
      requireRole(ctx.principal, ['operator']);
      return store.transaction('signing-key.rotate', async (tx) => {
        const now = ctx.clock.now();
        const { kid } = await createKey(tx, box, now);
        const retired = await retireSigningKeysExcept(tx, kid, now.toISOString());
        await recordChange(tx, ctx, {
          type: 'signing-key.rotated',
          accountId: null,
          resourceType: 'signing-key',
          resourceId: kid,
          after: { kid, retired },
        });
        return { kid, retired };
      });
    },
  };
}

/** A new key pair; the private half is stored sealed, and answered in the clear for use now. */
async function createKey(tx: Tx, box: SecretBox, now: Date): Promise<SigningKeyRow> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const row: SigningKeyRow = {
    kid: thumbprint(createPublicKey(publicKey)),
    algorithm: 'EdDSA',
    public_key: publicKey,
    private_key: privateKey,
    created_at: now.toISOString(),
    retired_at: null,
    signed_until: null,
  };
  await insertSigningKey(tx, { ...row, private_key: box.seal(privateKey, sealedAs(row.kid)) });
  return row;
}

/** The kid is the key's RFC 7638 JWK thumbprint: derived from the key, unique, checkable by anyone. */
function thumbprint(publicKey: KeyObject): string {
  const { x } = toJwk('', publicKey);
  const canonical = JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x });
  return createHash('sha256').update(canonical).digest('base64url');
}

function toJwk(kid: string, publicKey: KeyObject): Jwk {
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('signing key is not an Ed25519 key');
  return { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' };
}

function toSummary(row: SigningKeyRow, now: string): SigningKeySummary {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
    signedUntil: row.signed_until,
    published: row.retired_at === null || (row.signed_until !== null && row.signed_until > now),
  };
}

function secondsToIso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

export type SigningKeyService = ReturnType<typeof signingKeyService>;
