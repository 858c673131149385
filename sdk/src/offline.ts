import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Jwk, JwkSet } from './types.js';

/**
 * Offline verification of Entitle license certificates (docs/certificates.md, format v1):
 * compact JWS, EdDSA over Ed25519, header `{alg, typ: 'entitle-license+jws', kid, v: 1}`.
 * No network and no dependency: node:crypto only.
 */

export interface CertificateClaims {
  v: 1;
  iss: string;
  iat: number;
  exp: number;
  license: {
    id: string;
    serialNumber: number;
    key: string;
    account: string;
    product: { id: number; slug: string } | null;
    kind: string;
    term: string;
    service: string | null;
    group: string | null;
    features: string[];
    metric: { id: number; unit: string } | null;
    quantity: number;
    startsAt: string | null;
    expiresAt: string | null;
    graceDays: number;
    seatLimit: number | null;
    status: string;
  };
  instance: { id: string; installId: number; fingerprint: string | null } | null;
  /** A borrowed floating lease (`leases.checkOut(…, { borrow: true })`): it ends with the lease. */
  lease?: { id: string; expiresAt: string };
}

/** Why a certificate was refused, in the order the checks run. */
export type CertificateFailure =
  | 'MALFORMED'
  | 'UNSUPPORTED_VERSION'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'INSTANCE_MISMATCH'
  | 'FINGERPRINT_MISMATCH';

/** On success the claims are frozen (decoded payloads are cached and shared). */
export type CertificateVerification =
  { ok: true; claims: CertificateClaims; kid: string } | { ok: false; reason: CertificateFailure };

export interface VerifyCertificateOptions {
  /** The time to check the dates at; default now. */
  now?: Date | number;
  /** Clock skew tolerated on `iat` and `exp`, in seconds; default 60. */
  toleranceSeconds?: number;
  /** The instance id this install runs as: the certificate must be bound to it. */
  instance?: string;
  /** When the certificate records a fingerprint, it must equal this one. */
  fingerprint?: string;
}

/** The published keys, as `GET /v1/keys` answers them (or just its `keys` array). */
export type PublicKeys = JwkSet | readonly Jwk[];

const CERTIFICATE_TYP = 'entitle-license+jws';
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** 64 bytes of Ed25519 signature: 86 base64url characters. */
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/;

/** KeyObjects by `kid` and raw key: prepared once, reused by every verification. */
const keyObjects = new Map<string, KeyObject | null>();
const MAX_KEYS = 256;
/** Decoded headers by their base64url text: a server signs thousands with the same one. */
const headers = new Map<string, { kid: string } | CertificateFailure>();
const MAX_HEADERS = 64;

function keyFor(jwk: Jwk): KeyObject | null {
  const id = `${jwk.kid}.${jwk.x}`;
  let key = keyObjects.get(id);
  if (key === undefined) {
    try {
      key =
        jwk.kty === 'OKP' && jwk.crv === 'Ed25519'
          ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' })
          : null;
    } catch {
      key = null;
    }
    if (keyObjects.size >= MAX_KEYS) keyObjects.clear();
    keyObjects.set(id, key);
  }
  return key;
}

function parseHeader(segment: string): { kid: string } | CertificateFailure {
  let header = headers.get(segment);
  if (header === undefined) {
    const parsed = decodeJson(segment);
    if (!isRecord(parsed) || parsed.typ !== CERTIFICATE_TYP) header = 'MALFORMED';
    else if (parsed.v !== 1) header = 'UNSUPPORTED_VERSION';
    // Only EdDSA: 'none', or HS256 keyed with the public key, would let anyone forge one.
    else if (parsed.alg !== 'EdDSA' || 'crit' in parsed) header = 'BAD_SIGNATURE';
    else if (typeof parsed.kid !== 'string') header = 'MALFORMED';
    else header = { kid: parsed.kid };
    if (headers.size >= MAX_HEADERS) headers.clear();
    headers.set(segment, header);
  }
  return header;
}

/**
 * Verifies a license certificate with no network: Ed25519 signature by any published key (so
 * certificates signed before a rotation still verify), `iat`/`exp` with a clock tolerance, and
 * the instance binding when `instance` is given.
 *
 * @example
 * const keys = await (await fetch('https://entitle.example.com/v1/keys')).json();
 * const result = verifyCertificate(certificate, keys, { instance: myInstanceId });
 * if (result.ok) enable(result.claims.license.features);
 * else console.error(result.reason); // 'EXPIRED', 'BAD_SIGNATURE', …
 */
export function verifyCertificate(
  certificate: string,
  publicKeys: PublicKeys,
  options: VerifyCertificateOptions = {},
): CertificateVerification {
  const text = certificate.trim();
  const firstDot = text.indexOf('.');
  const secondDot = text.indexOf('.', firstDot + 1);
  // The full character check runs only when a signature fails: a text that verifies is exactly
  // what the server signed, and the server emits canonical base64url only.
  if (firstDot < 1 || secondDot < firstDot + 2 || text.indexOf('.', secondDot + 1) !== -1) {
    return { ok: false, reason: 'MALFORMED' };
  }
  const header = parseHeader(text.slice(0, firstDot));
  if (typeof header === 'string') return { ok: false, reason: header };
  const list = isKeyList(publicKeys) ? publicKeys : publicKeys.keys;
  const jwk = list.find((candidate) => candidate.kid === header.kid);
  if (jwk === undefined) return { ok: false, reason: 'UNKNOWN_KEY' };
  const key = keyFor(jwk);
  const encodedSignature = text.slice(secondDot + 1);
  // Canonical base64url only: the unused low bits of the last character must be zero.
  if (key === null || !SIGNATURE.test(encodedSignature) || !canonicalTail(encodedSignature)) {
    return { ok: false, reason: COMPACT_JWS.test(text) ? 'BAD_SIGNATURE' : 'MALFORMED' };
  }
  const signature = Buffer.from(encodedSignature, 'base64url');
  let verified: boolean;
  try {
    verified = verify(null, ascii(text, secondDot), key, signature);
  } catch {
    verified = false;
  }
  if (!verified)
    return { ok: false, reason: COMPACT_JWS.test(text) ? 'BAD_SIGNATURE' : 'MALFORMED' };
  const claims = claimsOf(text.slice(firstDot + 1, secondDot));
  if (typeof claims === 'string') return { ok: false, reason: claims };
  const nowMs =
    options.now === undefined
      ? Date.now()
      : typeof options.now === 'number'
        ? options.now
        : options.now.getTime();
  const seconds = nowMs / 1000;
  const tolerance = options.toleranceSeconds ?? 60;
  if (claims.iat > seconds + tolerance) return { ok: false, reason: 'NOT_YET_VALID' };
  if (claims.exp <= seconds - tolerance) return { ok: false, reason: 'EXPIRED' };
  if (options.instance !== undefined && claims.instance?.id !== options.instance) {
    return { ok: false, reason: 'INSTANCE_MISMATCH' };
  }
  if (
    options.fingerprint !== undefined &&
    claims.instance?.fingerprint != null &&
    claims.instance.fingerprint !== options.fingerprint
  ) {
    return { ok: false, reason: 'FINGERPRINT_MISMATCH' };
  }
  return { ok: true, claims, kid: header.kid };
}

/** 64 bytes take 86 characters; the last one carries 2 data bits, so its low 4 bits are zero. */
function canonicalTail(encoded: string): boolean {
  const last = encoded.charCodeAt(encoded.length - 1);
  const value =
    last >= 65 && last <= 90
      ? last - 65
      : last >= 97 && last <= 122
        ? last - 71
        : last >= 48 && last <= 57
          ? last + 4
          : last === 45
            ? 62
            : 63;
  return (value & 0x0f) === 0;
}

/**
 * Scratch buffers reused across calls (verification is synchronous, so never shared): they
 * spare two allocations per certificate on the hot path.
 */
let inputScratch = Buffer.allocUnsafe(2048);
let payloadScratch = Buffer.allocUnsafe(2048);

/** The first `length` characters of `text` as ASCII bytes. */
function ascii(text: string, length: number): Buffer {
  if (inputScratch.length < length) inputScratch = Buffer.allocUnsafe(length * 2);
  const written = inputScratch.write(text.slice(0, length), 0, 'latin1');
  return inputScratch.subarray(0, written);
}

/**
 * Decoded and type-checked claims by payload text. Only the decoding is cached — the signature
 * over that exact text is verified on every call — so re-checking the same certificate (what an
 * application does every few minutes) skips the JSON work. The claims are frozen: shared.
 */
const payloads = new Map<string, CertificateClaims | 'MALFORMED' | 'UNSUPPORTED_VERSION'>();
const MAX_PAYLOADS = 256;

function claimsOf(segment: string): CertificateClaims | 'MALFORMED' | 'UNSUPPORTED_VERSION' {
  let claims = payloads.get(segment);
  if (claims === undefined) {
    const decoded = decodePayload(segment);
    if (!isRecord(decoded)) claims = 'MALFORMED';
    else if (decoded.v !== 1) claims = 'UNSUPPORTED_VERSION';
    else if (!isClaims(decoded)) claims = 'MALFORMED';
    else claims = deepFreeze(decoded);
    if (payloads.size >= MAX_PAYLOADS) payloads.clear();
    payloads.set(segment, claims);
  }
  return claims;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function decodePayload(segment: string): unknown {
  const size = Math.ceil((segment.length * 3) / 4);
  if (payloadScratch.length < size) payloadScratch = Buffer.allocUnsafe(size * 2);
  try {
    const written = payloadScratch.write(segment, 0, 'base64url');
    return JSON.parse(payloadScratch.toString('utf8', 0, written)) as unknown;
  } catch {
    return undefined;
  }
}

function isKeyList(keys: PublicKeys): keys is readonly Jwk[] {
  return Array.isArray(keys);
}

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isInt = (value: unknown): value is number => Number.isInteger(value);
const isStr = (value: unknown): value is string => typeof value === 'string';
const isNullableStr = (value: unknown) => value === null || typeof value === 'string';

/** The type check of every claim the SDK reads (unknown extra claims are allowed). */
function isClaims(
  claims: Record<string, unknown>,
): claims is Record<string, unknown> & CertificateClaims {
  const { license, instance } = claims;
  if (!isStr(claims.iss) || !isInt(claims.iat) || !isInt(claims.exp) || claims.exp <= claims.iat) {
    return false;
  }
  if (!isRecord(license)) return false;
  const product = license.product;
  const metric = license.metric;
  return (
    isStr(license.id) &&
    isInt(license.serialNumber) &&
    isStr(license.key) &&
    isStr(license.account) &&
    (product === null || (isRecord(product) && isInt(product.id) && isStr(product.slug))) &&
    isStr(license.kind) &&
    isStr(license.term) &&
    isNullableStr(license.service) &&
    isNullableStr(license.group) &&
    Array.isArray(license.features) &&
    license.features.every(isStr) &&
    (metric === null || (isRecord(metric) && isInt(metric.id) && isStr(metric.unit))) &&
    typeof license.quantity === 'number' &&
    isNullableStr(license.startsAt) &&
    isNullableStr(license.expiresAt) &&
    isInt(license.graceDays) &&
    (license.seatLimit === null || isInt(license.seatLimit)) &&
    isStr(license.status) &&
    (instance === null ||
      (isRecord(instance) &&
        isStr(instance.id) &&
        isInt(instance.installId) &&
        isNullableStr(instance.fingerprint)))
  );
}
