import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { compactVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  CERTIFICATE_TYP,
  DEACTIVATION_PROOF_TYP,
  signCertificate,
  signDeactivationProof,
  verifyCertificate,
  verifyDeactivationProof,
  type CertificateClaims,
  type DeactivationProof,
} from '../../src/domain/certificate.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const IAT = NOW.getTime() / 1000;
const DAY = 86400;

const pair = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const signer = { kid: 'k1', privateKey: pair.privateKey };
const keys: ReadonlyMap<string, KeyObject> = new Map([['k1', pair.publicKey]]);

function claims(overrides: Partial<CertificateClaims> = {}): CertificateClaims {
  return {
    v: 1,
    iss: 'entitle',
    iat: IAT,
    exp: IAT + 30 * DAY,
    license: {
      id: 'license-1001-3f1c2e4a-9b7d-4c55-8e21-0a6d5b9c7e10',
      serialNumber: 1001,
      key: 'ABCDE-FGHJK-MNPQR-STVWX',
      account: 'acme',
      product: { id: 7, slug: 'cvo-capacity' },
      kind: 'capacity',
      term: 'SUBSCRIPTION',
      service: null,
      group: 'CVO',
      features: ['TIERING', 'BACKUP'],
      metric: { id: 3, unit: 'TiB' },
      quantity: 100,
      startsAt: '2026-11-01T00:00:00.000Z',
      expiresAt: '2027-11-01T00:00:00.000Z',
      graceDays: 30,
      seatLimit: 5,
      status: 'active',
    },
    instance: { id: 'inst-1', installId: 1234567, fingerprint: 'sha256:abc' },
    ...overrides,
  };
}

const proof: DeactivationProof = {
  v: 1,
  iss: 'entitle',
  iat: IAT,
  license: { id: 'license-1001-x', serialNumber: 1001 },
  instance: { id: 'inst-1', installId: 1234567 },
  deactivatedAt: NOW.toISOString(),
};

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs any header and payload, bypassing the checks of signCertificate: what a forger could emit. */
function forge(header: object, payload: unknown, key = pair.privateKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

const header = { alg: 'EdDSA', typ: CERTIFICATE_TYP, kid: 'k1', v: 1 };
const BASE64URL = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');

describe('license certificates', () => {
  it('round-trips: the verified claims are the signed ones', () => {
    const text = signCertificate(claims(), signer);
    expect(verifyCertificate(text, keys, NOW)).toEqual({ ok: true, claims: claims(), kid: 'k1' });
  });

  it('carries the documented header', () => {
    const [encoded = ''] = signCertificate(claims(), signer).split('.');
    expect(Buffer.from(encoded, 'base64url').toString()).toBe(
      '{"alg":"EdDSA","typ":"entitle-license+jws","kid":"k1","v":1}',
    );
  });

  it('verifies with a standard JOSE library', async () => {
    const text = signCertificate(claims(), signer);
    const { payload, protectedHeader } = await compactVerify(text, pair.publicKey, {
      algorithms: ['EdDSA'],
    });
    expect(protectedHeader).toEqual(header);
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(claims());
  });

  it('accepts unlicensed-instance and unlimited certificates', () => {
    const unbound = claims({ instance: null });
    unbound.license = { ...unbound.license, product: null, metric: null, quantity: -1 };
    const result = verifyCertificate(signCertificate(unbound, signer), keys, NOW);
    expect(result.ok).toBe(true);
  });

  it('fails when any single character is changed', () => {
    const text = signCertificate(claims(), signer);
    const replacement = fc.oneof(
      fc.constantFrom(...BASE64URL, '.', '=', ' ', '+', '/', '\n'),
      fc.integer({ min: 0, max: 255 }).map((byte) => String.fromCharCode(byte)),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), replacement, (index, char) => {
        fc.pre(text[index] !== char);
        const tampered = text.slice(0, index) + char + text.slice(index + 1);
        expect(verifyCertificate(tampered, keys, NOW).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('fails for every other base64url character anywhere in the signature', () => {
    const text = signCertificate(claims(), signer);
    const start = text.lastIndexOf('.') + 1;
    for (let index = start; index < text.length; index++) {
      for (const char of BASE64URL) {
        if (char === text[index]) continue;
        const tampered = text.slice(0, index) + char + text.slice(index + 1);
        expect(verifyCertificate(tampered, keys, NOW).ok, `${String(index)} ${char}`).toBe(false);
      }
    }
  });

  it('fails when a character is added or removed', () => {
    const text = signCertificate(claims(), signer);
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.constantFrom(...BASE64URL), (i, char) => {
        expect(verifyCertificate(text.slice(0, i) + text.slice(i + 1), keys, NOW).ok).toBe(false);
        expect(verifyCertificate(text.slice(0, i) + char + text.slice(i), keys, NOW).ok).toBe(
          false,
        );
      }),
    );
  });

  it('names a wrong key BAD_SIGNATURE and a missing one UNKNOWN_KEY', () => {
    const text = signCertificate(claims(), signer);
    expect(verifyCertificate(text, new Map([['k1', other.publicKey]]), NOW)).toEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    expect(verifyCertificate(text, new Map([['k2', pair.publicKey]]), NOW)).toEqual({
      ok: false,
      reason: 'UNKNOWN_KEY',
    });
    const signedByOther = signCertificate(claims(), { kid: 'k1', privateKey: other.privateKey });
    expect(verifyCertificate(signedByOther, keys, NOW)).toMatchObject({ reason: 'BAD_SIGNATURE' });
  });

  it('refuses a private key passed where the public key belongs', () => {
    const text = signCertificate(claims(), signer);
    const result = verifyCertificate(text, new Map([['k1', pair.privateKey]]), NOW);
    expect(result).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('checks issued-at and expiry against the injected time', () => {
    const text = signCertificate(claims(), signer);
    const at = (seconds: number) => new Date(seconds * 1000);
    expect(verifyCertificate(text, keys, at(IAT - 1)).ok).toBe(false);
    expect(verifyCertificate(text, keys, at(IAT - 1))).toMatchObject({ reason: 'NOT_YET_VALID' });
    expect(verifyCertificate(text, keys, at(IAT)).ok).toBe(true);
    expect(verifyCertificate(text, keys, at(IAT + 30 * DAY - 1)).ok).toBe(true);
    expect(verifyCertificate(text, keys, at(IAT + 30 * DAY))).toMatchObject({ reason: 'EXPIRED' });
    expect(
      verifyCertificate(text, keys, at(IAT + 30 * DAY), { clockToleranceSeconds: 60 }).ok,
    ).toBe(true);
    expect(verifyCertificate(text, keys, at(IAT - 30), { clockToleranceSeconds: 60 }).ok).toBe(
      true,
    );
  });

  it("rejects the 'none' algorithm", () => {
    const none = { ...header, alg: 'none' };
    const payload = b64(claims());
    expect(verifyCertificate(`${b64(none)}.${payload}.`, keys, NOW)).toMatchObject({
      reason: 'MALFORMED',
    });
    expect(verifyCertificate(`${b64(none)}.${payload}.AAAA`, keys, NOW)).toMatchObject({
      reason: 'BAD_SIGNATURE',
    });
    // Even with a valid Ed25519 signature, a header that says 'none' is refused.
    expect(verifyCertificate(forge(none, claims()), keys, NOW)).toMatchObject({
      reason: 'BAD_SIGNATURE',
    });
  });

  it('rejects HS256 keyed with the public key (algorithm confusion)', () => {
    const secret = pair.publicKey.export({ format: 'der', type: 'spki' });
    const input = `${b64({ ...header, alg: 'HS256' })}.${b64(claims())}`;
    const mac = createHmac('sha256', secret).update(input).digest('base64url');
    expect(verifyCertificate(`${input}.${mac}`, keys, NOW)).toEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
  });

  it('checks typ, version and crit in the header', () => {
    expect(verifyCertificate(forge({ ...header, typ: 'JWT' }, claims()), keys, NOW)).toMatchObject({
      reason: 'MALFORMED',
    });
    expect(verifyCertificate(forge({ ...header, v: 2 }, claims()), keys, NOW)).toMatchObject({
      reason: 'UNSUPPORTED_VERSION',
    });
    const noVersion = { alg: 'EdDSA', typ: CERTIFICATE_TYP, kid: 'k1' };
    expect(verifyCertificate(forge(noVersion, claims()), keys, NOW)).toMatchObject({
      reason: 'UNSUPPORTED_VERSION',
    });
    expect(
      verifyCertificate(forge({ ...header, crit: ['exp'] }, claims()), keys, NOW),
    ).toMatchObject({ reason: 'BAD_SIGNATURE' });
    expect(verifyCertificate(forge({ ...header, kid: 1 }, claims()), keys, NOW)).toMatchObject({
      reason: 'MALFORMED',
    });
  });

  it('checks the signed claims against the schema', () => {
    const forged = (payload: unknown) => verifyCertificate(forge(header, payload), keys, NOW);
    expect(forged({ ...claims(), v: 2 })).toMatchObject({ reason: 'UNSUPPORTED_VERSION' });
    expect(forged({ ...claims(), iat: 'yesterday' })).toMatchObject({ reason: 'MALFORMED' });
    expect(forged({ ...claims(), exp: IAT })).toMatchObject({ reason: 'MALFORMED' });
    expect(forged({ ...claims(), license: { id: 'x' } })).toMatchObject({ reason: 'MALFORMED' });
    expect(forged([1, 2])).toMatchObject({ reason: 'MALFORMED' });
    // Fields added later within version 1 are ignored, not refused.
    expect(forged({ ...claims(), extra: true }).ok).toBe(true);
  });

  it('refuses text that is not a compact JWS', () => {
    const text = signCertificate(claims(), signer);
    for (const bad of ['', 'a.b', 'a.b.c.d', `${text}=`, ` ${text}`, `${text}\n`, '...']) {
      expect(verifyCertificate(bad, keys, NOW)).toMatchObject({ ok: false, reason: 'MALFORMED' });
    }
    const [, payload = '', signature = ''] = text.split('.');
    expect(verifyCertificate(`bm90IGpzb24.${payload}.${signature}`, keys, NOW)).toMatchObject({
      reason: 'MALFORMED',
    });
  });

  it('refuses to sign claims that would not verify', () => {
    expect(() => signCertificate(claims({ exp: IAT }), signer)).toThrow(/refusing/);
    expect(() => signCertificate({ ...claims(), iat: -1 }, signer)).toThrow(/refusing/);
  });
});

describe('deactivation proofs', () => {
  it('round-trips and carries its own typ', () => {
    const text = signDeactivationProof(proof, signer);
    expect(verifyDeactivationProof(text, keys)).toEqual({ ok: true, proof, kid: 'k1' });
    const [encoded = ''] = text.split('.');
    expect(JSON.parse(Buffer.from(encoded, 'base64url').toString())).toEqual({
      ...header,
      typ: DEACTIVATION_PROOF_TYP,
    });
  });

  it('round-trips a license-level proof, whose instance is null', () => {
    const everyInstance: DeactivationProof = { ...proof, instance: null };
    const text = signDeactivationProof(everyInstance, signer);
    expect(verifyDeactivationProof(text, keys)).toEqual({
      ok: true,
      proof: everyInstance,
      kid: 'k1',
    });
  });

  it('requires instance: null is not the same as absent or half-filled', () => {
    const proofHeader = { ...header, typ: DEACTIVATION_PROOF_TYP };
    const { instance: _omitted, ...withoutInstance } = proof;
    for (const payload of [
      withoutInstance,
      { ...proof, instance: { id: 'inst-1' } },
      { ...proof, instance: { id: '', installId: 1234567 } },
      { ...proof, instance: 'inst-1' },
    ]) {
      expect(verifyDeactivationProof(forge(proofHeader, payload), keys)).toEqual({
        ok: false,
        reason: 'MALFORMED',
      });
      expect(() => signDeactivationProof(payload as DeactivationProof, signer)).toThrow(/refusing/);
    }
  });

  it('fails when any single character is changed', () => {
    const text = signDeactivationProof(proof, signer);
    fc.assert(
      fc.property(
        fc.nat({ max: text.length - 1 }),
        fc.constantFrom(...BASE64URL, '.', '='),
        (index, char) => {
          fc.pre(text[index] !== char);
          const tampered = text.slice(0, index) + char + text.slice(index + 1);
          expect(verifyDeactivationProof(tampered, keys).ok).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('is not interchangeable with a certificate', () => {
    const certificate = signCertificate(claims(), signer);
    const deactivation = signDeactivationProof(proof, signer);
    expect(verifyDeactivationProof(certificate, keys)).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(verifyCertificate(deactivation, keys, NOW)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('names a wrong key and refuses malformed proofs', () => {
    const text = signDeactivationProof(proof, signer);
    expect(verifyDeactivationProof(text, new Map([['k1', other.publicKey]]))).toMatchObject({
      reason: 'BAD_SIGNATURE',
    });
    expect(verifyDeactivationProof(text, new Map())).toMatchObject({ reason: 'UNKNOWN_KEY' });
    const forged = forge(
      { ...header, typ: DEACTIVATION_PROOF_TYP },
      { ...proof, deactivatedAt: 1 },
    );
    expect(verifyDeactivationProof(forged, keys)).toMatchObject({ reason: 'MALFORMED' });
    expect(() => signDeactivationProof({ ...proof, deactivatedAt: 'now' }, signer)).toThrow();
  });
});
