import { sign, verify, type KeyObject } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * License certificates and deactivation proofs: JWS compact serialization (RFC 7515) signed with
 * EdDSA over Ed25519 (RFC 8037), so that any JOSE library — or plain Ed25519 and base64url — can
 * verify them offline. The format is documented in docs/certificates.md; a change that an old
 * verifier would misread bumps `v`. Claims may gain fields within a version: verifiers ignore
 * fields they do not know.
 */
export const CERTIFICATE_VERSION = 1;
export const CERTIFICATE_TYP = 'entitle-license+jws';
export const DEACTIVATION_PROOF_TYP = 'entitle-deactivation+jws';

const Seconds = Type.Integer({ minimum: 0, description: 'Seconds since the Unix epoch.' });
const Timestamp = Type.String({ format: 'date-time' });
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const CertificateLicenseSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  serialNumber: Type.Integer({ minimum: 0 }),
  key: Type.String({ minLength: 1 }),
  account: Type.String({ minLength: 1 }),
  product: Type.Union([Type.Object({ id: Type.Integer(), slug: Type.String() }), Type.Null()]),
  kind: Type.String(),
  term: Type.String(),
  service: NullableString,
  group: NullableString,
  features: Type.Array(Type.String()),
  metric: Type.Union([Type.Object({ id: Type.Integer(), unit: Type.String() }), Type.Null()]),
  quantity: Type.Number({ description: 'In the metric unit; -1 = unlimited.' }),
  startsAt: Type.Union([Timestamp, Type.Null()]),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  graceDays: Type.Integer({ minimum: 0 }),
  seatLimit: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  status: Type.String(),
});

export const CertificateInstanceSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  installId: Type.Integer(),
  fingerprint: NullableString,
});

/** The payload of a license certificate (version 1). */
export const CertificateClaimsSchema = Type.Object({
  v: Type.Literal(CERTIFICATE_VERSION),
  iss: Type.String(),
  iat: Seconds,
  exp: Seconds,
  license: CertificateLicenseSchema,
  instance: Type.Union([CertificateInstanceSchema, Type.Null()]),
  /** A borrowed floating lease: the certificate lasts as long as the lease. */
  lease: Type.Optional(Type.Object({ id: Type.String(), expiresAt: Timestamp })),
});
export type CertificateClaims = Static<typeof CertificateClaimsSchema>;

/** The payload of a deactivation proof: license L (serial S) left instance I, or all, at time T. */
export const DeactivationProofSchema = Type.Object({
  v: Type.Literal(CERTIFICATE_VERSION),
  iss: Type.String(),
  iat: Seconds,
  license: Type.Object({ id: Type.String({ minLength: 1 }), serialNumber: Type.Integer() }),
  /** Null when the license left every instance at once. */
  instance: Type.Union([
    Type.Object({ id: Type.String({ minLength: 1 }), installId: Type.Integer() }),
    Type.Null(),
  ]),
  deactivatedAt: Timestamp,
});
export type DeactivationProof = Static<typeof DeactivationProofSchema>;

/** The key a certificate is signed with; `kid` names it in the header and in `/v1/keys`. */
export interface CertificateSigner {
  kid: string;
  privateKey: KeyObject;
}

/** Why a signed document was refused, in the order the checks run. */
export type SignatureFailure =
  'MALFORMED' | 'UNSUPPORTED_VERSION' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE';
export type CertificateFailure = SignatureFailure | 'NOT_YET_VALID' | 'EXPIRED';

export type CertificateVerification =
  { ok: true; claims: CertificateClaims; kid: string } | { ok: false; reason: CertificateFailure };
export type DeactivationProofVerification =
  { ok: true; proof: DeactivationProof; kid: string } | { ok: false; reason: SignatureFailure };

export interface VerifyOptions {
  /** Clock skew tolerated on `iat` and `exp`, in seconds; default 0. */
  clockToleranceSeconds?: number;
}

const checkClaims = Compile(CertificateClaimsSchema);
const checkProof = Compile(DeactivationProofSchema);

/**
 * Signs a license certificate.
 *
 * @example
 * const text = signCertificate(claims, { kid: 'k1', privateKey });
 * // 'eyJhbGciOiJFZERTQSIsInR5cCI6ImVudGl0bGUtbGljZW5zZStqd3MiLCJraWQiOiJrMSIsInYiOjF9.eyJ2Ijox….<sig>'
 */
export function signCertificate(claims: CertificateClaims, signer: CertificateSigner): string {
  if (!checkClaims.Check(claims) || claims.exp <= claims.iat) {
    throw new Error('refusing to sign certificate claims that would not verify');
  }
  return signJws(CERTIFICATE_TYP, claims, signer);
}

/**
 * Verifies a license certificate with the published keys (kid → Ed25519 public key) at `now`.
 *
 * @example
 * const result = verifyCertificate(text, new Map([[kid, publicKey]]), new Date());
 * if (result.ok) console.log(result.claims.license.features);
 * else console.log(result.reason); // e.g. 'EXPIRED'
 */
export function verifyCertificate(
  text: string,
  keys: ReadonlyMap<string, KeyObject>,
  now: Date,
  options: VerifyOptions = {},
): CertificateVerification {
  const verified = verifyJws(text, CERTIFICATE_TYP, keys);
  if (!verified.ok) return verified;
  const claims = parseClaims(verified.payload, checkClaims);
  if (typeof claims === 'string') return { ok: false, reason: claims };
  if (claims.exp <= claims.iat) return { ok: false, reason: 'MALFORMED' };
  const seconds = now.getTime() / 1000;
  const tolerance = options.clockToleranceSeconds ?? 0;
  if (claims.iat > seconds + tolerance) return { ok: false, reason: 'NOT_YET_VALID' };
  if (claims.exp <= seconds - tolerance) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, claims, kid: verified.kid };
}

/**
 * Signs a deactivation proof (HP's `deactivated_key`). Proofs do not expire.
 *
 * @example
 * const proof = signDeactivationProof(
 *   { v: 1, iss: 'entitle', iat, license: { id, serialNumber }, instance: { id, installId },
 *     deactivatedAt: '2026-11-23T12:00:00.000Z' },
 *   signer,
 * );
 */
export function signDeactivationProof(proof: DeactivationProof, signer: CertificateSigner): string {
  if (!checkProof.Check(proof)) {
    throw new Error('refusing to sign a deactivation proof that would not verify');
  }
  return signJws(DEACTIVATION_PROOF_TYP, proof, signer);
}

/**
 * Verifies a deactivation proof. There is no time check: the proof records a past event.
 *
 * @example
 * const result = verifyDeactivationProof(text, keys);
 * if (result.ok) console.log(result.proof.license.serialNumber, result.proof.deactivatedAt);
 */
export function verifyDeactivationProof(
  text: string,
  keys: ReadonlyMap<string, KeyObject>,
): DeactivationProofVerification {
  const verified = verifyJws(text, DEACTIVATION_PROOF_TYP, keys);
  if (!verified.ok) return verified;
  const proof = parseClaims(verified.payload, checkProof);
  if (typeof proof === 'string') return { ok: false, reason: proof };
  return { ok: true, proof, kid: verified.kid };
}

function signJws(typ: string, payload: object, signer: CertificateSigner): string {
  // Key order is part of the documented format, so that every server emits the same header.
  const header = { alg: 'EdDSA', typ, kid: signer.kid, v: CERTIFICATE_VERSION };
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature = sign(null, Buffer.from(input, 'ascii'), signer.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** Three non-empty base64url segments, nothing else: no padding, no whitespace. */
const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;
const ED25519_SIGNATURE_BYTES = 64;

type JwsResult =
  { ok: true; payload: unknown; kid: string } | { ok: false; reason: SignatureFailure };

/** The guards, in order: shape, header (typ, version, algorithm, key), signature, payload JSON. */
function verifyJws(text: string, typ: string, keys: ReadonlyMap<string, KeyObject>): JwsResult {
  const parts = COMPACT_JWS.exec(text);
  if (parts === null) return { ok: false, reason: 'MALFORMED' };
  const [, encodedHeader = '', encodedPayload = '', encodedSignature = ''] = parts;
  const header = decodeJson(encodedHeader);
  if (!isRecord(header) || header.typ !== typ) return { ok: false, reason: 'MALFORMED' };
  if (header.v !== CERTIFICATE_VERSION) return { ok: false, reason: 'UNSUPPORTED_VERSION' };
  // Only EdDSA: 'none', or HS256 keyed with the public key, would let anyone forge a certificate.
  if (header.alg !== 'EdDSA' || 'crit' in header) return { ok: false, reason: 'BAD_SIGNATURE' };
  if (typeof header.kid !== 'string') return { ok: false, reason: 'MALFORMED' };
  const key = keys.get(header.kid);
  if (key === undefined) return { ok: false, reason: 'UNKNOWN_KEY' };
  const signature = decodeCanonical(encodedSignature);
  const input = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
  if (signature?.length !== ED25519_SIGNATURE_BYTES || !verifiesWith(key, input, signature)) {
    return { ok: false, reason: 'BAD_SIGNATURE' };
  }
  const payload = decodeJson(encodedPayload);
  if (payload === undefined) return { ok: false, reason: 'MALFORMED' };
  return { ok: true, payload, kid: header.kid };
}

function verifiesWith(key: KeyObject, input: Buffer, signature: Buffer): boolean {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') return false;
  try {
    return verify(null, input, key, signature);
  } catch {
    return false;
  }
}

function parseClaims<T>(
  payload: unknown,
  checker: { Check(value: unknown): value is T },
): T | 'MALFORMED' | 'UNSUPPORTED_VERSION' {
  if (!isRecord(payload)) return 'MALFORMED';
  if (payload.v !== CERTIFICATE_VERSION) return 'UNSUPPORTED_VERSION';
  return checker.Check(payload) ? payload : 'MALFORMED';
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Decodes base64url only in its canonical form. Node ignores the unused low bits of the last
 * character, so without this check several signature strings would decode to one signature.
 */
function decodeCanonical(segment: string): Buffer | undefined {
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
