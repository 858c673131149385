import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  verifyCertificate,
  type CertificateClaims,
  type DeactivationProof,
} from '../../src/domain/certificate.js';
import { JwkSetSchema, type JwkSet } from '../../src/http/v1/keys/list.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

const DAY_MS = 86_400_000;
const checkJwkSet = Compile(JwkSetSchema);

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

function claims(ttlDays: number): CertificateClaims {
  const iat = Math.floor(h.clock.now().getTime() / 1000);
  return {
    v: 1,
    iss: 'entitle',
    iat,
    exp: iat + ttlDays * 86400,
    license: {
      id: 'license-1001-3f1c2e4a-9b7d-4c55-8e21-0a6d5b9c7e10',
      serialNumber: 1001,
      key: 'ABCDE-FGHJK-MNPQR-STVWX',
      account: 'acme',
      product: { id: 1, slug: 'cvo' },
      kind: 'node',
      term: 'PERPETUAL',
      service: null,
      group: null,
      features: [],
      metric: null,
      quantity: -1,
      startsAt: null,
      expiresAt: null,
      graceDays: 0,
      seatLimit: null,
      status: 'active',
    },
    instance: null,
  };
}

function sign(ttlDays: number): Promise<string> {
  return h.store.transaction('t', (tx) =>
    h.services.signingKeys.signCertificate(tx, claims(ttlDays), h.clock.now()),
  );
}

/** The published keys, fetched anonymously and checked against the response schema. */
async function publishedKeys(): Promise<JwkSet> {
  const response = await h.request({ method: 'GET', url: '/v1/keys', token: null });
  expect(response.statusCode).toBe(200);
  const body = json<JwkSet>(response);
  expect(checkJwkSet.Check(body)).toBe(true);
  return body;
}

async function publishedKids(): Promise<string[]> {
  return (await publishedKeys()).keys.map((key) => key.kid);
}

/** What an offline verifier does: turn the JWK set into a kid → key map. */
function keyMap(set: JwkSet): Map<string, KeyObject> {
  return new Map(
    set.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })]),
  );
}

function kidOf(certificate: string): string {
  const [header = ''] = certificate.split('.');
  return (JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string }).kid;
}

describe('GET /v1/keys', () => {
  it('is public, cacheable, and empty until the first certificate is signed', async () => {
    const response = await h.request({ method: 'GET', url: '/v1/keys', token: null });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(json(response)).toEqual({ keys: [] });
  });

  it('publishes the key that verifies a signed certificate', async () => {
    const certificate = await sign(30);
    const set = await publishedKeys();
    expect(set.keys).toHaveLength(1);
    expect(set.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(set.keys[0]?.kid).toBe(kidOf(certificate));
    const result = verifyCertificate(certificate, keyMap(set), h.clock.now());
    expect(result).toMatchObject({ ok: true, claims: claims(30) });
  });

  it('signs with one key until it is rotated', async () => {
    const first = await sign(30);
    const second = await sign(60);
    expect(kidOf(second)).toBe(kidOf(first));
    expect(await publishedKids()).toEqual([kidOf(first)]);
  });

  it('serves the same keys the server verifies with', async () => {
    const certificate = await sign(1);
    const keys = await h.services.signingKeys.verificationKeys(h.clock.now());
    expect([...keys.keys()]).toEqual(await publishedKids());
    expect(verifyCertificate(certificate, keys, h.clock.now()).ok).toBe(true);
  });
});

describe('POST /v1/keys/rotate', () => {
  it('is for operators only', async () => {
    await h.account('acme');
    const viewer = await h.token('viewer', ['acme']);
    const admin = await h.token('admin', ['acme']);
    for (const token of [viewer, admin]) {
      const response = await h.request({ method: 'POST', url: '/v1/keys/rotate', token });
      expect(response.statusCode).toBe(403);
      expect(json(response).type).toBe('/problems/forbidden');
    }
    expect(
      (await h.request({ method: 'POST', url: '/v1/keys/rotate', token: null })).statusCode,
    ).toBe(401);
    expect(await publishedKids()).toEqual([]);
  });

  it('creates a key and publishes it ahead of its first certificate', async () => {
    const response = await h.request({ method: 'POST', url: '/v1/keys/rotate' });
    expect(response.statusCode).toBe(201);
    const { kid, retired } = json<{ kid: string; retired: string[] }>(response);
    expect(retired).toEqual([]);
    expect(await publishedKids()).toEqual([kid]);
    expect(kidOf(await sign(1))).toBe(kid);
  });

  it('keeps an old key published until its certificates expire', async () => {
    const old = await sign(30);
    h.clock.advance(DAY_MS);
    const response = await h.request({ method: 'POST', url: '/v1/keys/rotate' });
    expect(response.statusCode).toBe(201);
    const rotation = json<{ kid: string; retired: string[] }>(response);
    expect(rotation.retired).toEqual([kidOf(old)]);

    const fresh = await sign(7);
    expect(kidOf(fresh)).toBe(rotation.kid);
    expect(await publishedKids()).toEqual([rotation.kid, kidOf(old)]);
    const set = await publishedKeys();
    expect(verifyCertificate(old, keyMap(set), h.clock.now()).ok).toBe(true);
    expect(verifyCertificate(fresh, keyMap(set), h.clock.now()).ok).toBe(true);

    // The old certificate expires 30 days after it was issued: one second before, still there.
    h.clock.advance(29 * DAY_MS - 1000);
    expect(await publishedKids()).toEqual([rotation.kid, kidOf(old)]);
    h.clock.advance(1000);
    expect(await publishedKids()).toEqual([rotation.kid]);
  });

  it('drops a retired key that never signed anything at once', async () => {
    const first = json<{ kid: string }>(
      await h.request({ method: 'POST', url: '/v1/keys/rotate' }),
    );
    const second = json<{ kid: string; retired: string[] }>(
      await h.request({ method: 'POST', url: '/v1/keys/rotate' }),
    );
    expect(second.retired).toEqual([first.kid]);
    expect(await publishedKids()).toEqual([second.kid]);
  });

  it('records a signing-key.rotated event', async () => {
    const { kid } = json<{ kid: string }>(
      await h.request({ method: 'POST', url: '/v1/keys/rotate' }),
    );
    const events = json<{ items: { type: string; resourceId: string; accountId: null }[] }>(
      await h.request({
        method: 'GET',
        url: `/v1/events?filter=${encodeURIComponent("type eq 'signing-key.rotated'")}`,
      }),
    );
    expect(events.items).toMatchObject([
      {
        type: 'signing-key.rotated',
        resourceType: 'signing-key',
        resourceId: kid,
        accountId: null,
      },
    ]);
  });
});

describe('deactivation proofs', () => {
  it.each([
    ['one instance', { id: 'inst-1', installId: 1234567 }],
    ['every instance (license-level)', null],
  ])(
    'stay verifiable by the server after their key is no longer published: %s',
    async (_, instance) => {
      const proof: DeactivationProof = {
        v: 1,
        iss: 'entitle',
        iat: Math.floor(h.clock.now().getTime() / 1000),
        license: { id: 'license-1001-x', serialNumber: 1001 },
        instance,
        deactivatedAt: h.clock.now().toISOString(),
      };
      const text = await h.store.transaction('t', (tx) =>
        h.services.signingKeys.signDeactivationProof(tx, proof, h.clock.now()),
      );
      await h.request({ method: 'POST', url: '/v1/keys/rotate' });
      expect(await publishedKids()).not.toContain(kidOf(text));
      expect(await h.services.signingKeys.verifyDeactivationProof(text)).toMatchObject({
        ok: true,
        proof,
      });
    },
  );
});
