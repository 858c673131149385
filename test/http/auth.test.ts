import { generateKeyPairSync, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, json, type Harness } from '../helpers/harness.js';

const nowSeconds = () => Math.floor(Date.parse('2026-11-23T12:00:00Z') / 1000);

function secretOf(h: Harness): Uint8Array {
  return Buffer.from(readFileSync(h.tokenConfig.secretFile, 'utf8').trim(), 'base64url');
}

async function signHs256(
  key: Uint8Array,
  payload: JWTPayload,
  header: Record<string, unknown> = {},
) {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', ...header }).sign(key);
}

const operatorClaims = (extra: JWTPayload = {}): JWTPayload => ({
  sub: 'someone',
  role: 'operator',
  accounts: '*',
  typ: 'user',
  iss: 'entitle',
  aud: 'entitle',
  iat: nowSeconds(),
  exp: nowSeconds() + 3600,
  ...extra,
});

describe('bearer tokens (HS256 default)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const get = (token: string | null, headers: Record<string, string> = {}) =>
    h.request({ method: 'GET', url: '/v1/accounts', token, headers });

  it('accepts a token signed with the stored secret', async () => {
    const token = await signHs256(secretOf(h), operatorClaims());
    expect((await get(token)).statusCode).toBe(200);
  });

  it("accepts HP's X-Auth-Token header in place of Authorization", async () => {
    const ok = await h.request({
      method: 'GET',
      url: '/v1/accounts',
      token: null,
      headers: { 'x-auth-token': h.operator },
    });
    expect(ok.statusCode).toBe(200);
    const bad = await h.request({
      method: 'GET',
      url: '/v1/accounts',
      token: null,
      headers: { 'x-auth-token': 'nope' },
    });
    expect(bad.statusCode).toBe(401);
    expect(json(bad).detail).toBe('The bearer token is malformed.');
  });

  it('keeps the generated secret private (mode 0600)', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(h.tokenConfig.secretFile).mode & 0o777).toBe(0o600);
  });

  it('answers 401 with WWW-Authenticate when the token is missing', async () => {
    const response = await get(null);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="entitle"');
    expect(json(response)).toMatchObject({
      type: '/problems/missing-token',
      title: 'Missing bearer token',
      status: 401,
    });
  });

  it('answers 401 for a non-bearer Authorization header', async () => {
    const response = await h.request({
      method: 'GET',
      url: '/v1/accounts',
      token: null,
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect(response.statusCode).toBe(401);
    expect(json(response).detail).toBe("The Authorization header must be 'Bearer <token>'.");
  });

  const rejected: [string, () => Promise<string>, string][] = [
    ['malformed', () => Promise.resolve('not.a.jwt'), 'The bearer token is malformed.'],
    [
      'expired',
      () =>
        signHs256(
          secretOf(h),
          operatorClaims({ exp: nowSeconds() - 60, iat: nowSeconds() - 3600 }),
        ),
      'The bearer token has expired.',
    ],
    [
      'not yet valid',
      () => signHs256(secretOf(h), operatorClaims({ nbf: nowSeconds() + 600 })),
      'The bearer token is not valid yet.',
    ],
    [
      'another audience',
      () => signHs256(secretOf(h), operatorClaims({ aud: 'someone-else' })),
      'The bearer token was issued for another audience.',
    ],
    [
      'another issuer',
      () => signHs256(secretOf(h), operatorClaims({ iss: 'mallory' })),
      'The bearer token was issued by an unknown issuer.',
    ],
    [
      'another secret',
      () => signHs256(new Uint8Array(32).fill(7), operatorClaims()),
      "The bearer token's signature is invalid.",
    ],
    [
      'no expiry',
      () => signHs256(secretOf(h), operatorClaims({ exp: undefined })),
      "The bearer token's 'exp' claim is missing or invalid.",
    ],
    [
      'alg none',
      () => {
        const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        return Promise.resolve(
          `${encode({ alg: 'none', typ: 'JWT' })}.${encode(operatorClaims())}.`,
        );
      },
      "The bearer token's signing algorithm is not accepted.",
    ],
    [
      'unknown role',
      () => signHs256(secretOf(h), operatorClaims({ role: 'superuser' })),
      "The bearer token's claims are malformed (/role: must be equal to one of the allowed values).",
    ],
    [
      'operator without every account',
      () => signHs256(secretOf(h), operatorClaims({ accounts: ['a'] })),
      "The bearer token's claims are inconsistent: claim 'accounts': operator tokens cover every account: use '*'.",
    ],
  ];
  for (const [name, make, detail] of rejected) {
    it(`answers 401 for a token that is ${name}`, async () => {
      const response = await get(await make());
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toContain('invalid_token');
      expect(json(response)).toMatchObject({
        type: '/problems/invalid-token',
        status: 401,
        detail,
      });
    });
  }

  it('expires a minted token when the clock passes its ttl', async () => {
    await h.account('acme');
    const token = await h.token('viewer', ['acme'], { ttlSeconds: 60 });
    expect((await get(token)).statusCode).toBe(200);
    h.clock.advance(2 * 60_000);
    expect(json(await get(token)).detail).toBe('The bearer token has expired.');
  });

  it('answers 403 for a role that may not do this', async () => {
    await h.account('acme');
    const viewer = await h.token('viewer', ['acme']);
    const response = await h.request({
      method: 'POST',
      url: '/v1/products',
      token: viewer,
      body: { slug: 'p', name: 'P' },
    });
    expect(response.statusCode).toBe(403);
    expect(json(response)).toMatchObject({
      type: '/problems/forbidden',
      title: 'Operation not permitted',
    });
  });

  it('mints tokens over the API, storing only their hash', async () => {
    await h.account('acme');
    const response = await h.request({
      method: 'POST',
      url: '/v1/tokens',
      body: { subject: 'acme-admin', role: 'admin', accounts: ['acme'], ttlSeconds: 3600 },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const issued = json<{ id: string; token: string; expiresAt: string }>(response);
    expect(issued.expiresAt).toBe('2026-11-23T13:00:00.000Z');
    expect((await get(issued.token)).statusCode).toBe(200);
    const rows = await h.store.db
      .selectFrom('tokens')
      .selectAll()
      .where('id', '=', issued.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toBe(createHash('sha256').update(issued.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(issued.token);
  });

  it('refuses to mint a token for unknown accounts or inconsistent claims', async () => {
    const unknown = await h.request({
      method: 'POST',
      url: '/v1/tokens',
      body: { subject: 's', role: 'admin', accounts: ['ghost'] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(json(unknown).invalidFields).toEqual([
      { name: 'accounts', reason: 'no such account: ghost' },
    ]);
    const instance = await h.request({
      method: 'POST',
      url: '/v1/tokens',
      body: { subject: 's', role: 'instance', accounts: '*' },
    });
    expect(instance.statusCode).toBe(400);
    expect(
      json<{ invalidFields: { name: string }[] }>(instance).invalidFields.map((f) => f.name),
    ).toEqual(['accounts', 'instance']);
  });

  it('binds instance tokens to a registered instance of their accounts', async () => {
    await h.account('acme');
    await h.account('other');
    const instance = await h.instance('other');
    for (const id of ['00000000-0000-4000-8000-000000000000', instance]) {
      const response = await h.request({
        method: 'POST',
        url: '/v1/tokens',
        body: { subject: 's', role: 'instance', accounts: ['acme'], instance: id },
      });
      expect(response.statusCode).toBe(400);
      expect(json(response).invalidFields).toEqual([
        { name: 'instance', reason: `no instance '${id}' in the token's accounts` },
      ]);
    }
    const ok = await h.request({
      method: 'POST',
      url: '/v1/tokens',
      body: { subject: 's', role: 'instance', accounts: ['other'], instance },
    });
    expect(ok.statusCode).toBe(201);
  });

  it('lets only operators mint tokens', async () => {
    await h.account('acme');
    const admin = await h.token('admin', ['acme']);
    const response = await h.request({
      method: 'POST',
      url: '/v1/tokens',
      token: admin,
      body: { subject: 's', role: 'admin', accounts: ['acme'] },
    });
    expect(response.statusCode).toBe(403);
  });
});

describe('bearer tokens (EdDSA key pair)', () => {
  it('signs and verifies with the configured key and refuses HS256 tokens', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const probe = await createHarness();
    const keyFile = join(probe.dir, 'token-key.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const h = await createHarness({ tokenConfig: { privateKeyFile: keyFile } });
    try {
      expect(h.keys.algorithm).toBe('EdDSA');
      const ok = await h.request({ method: 'GET', url: '/v1/accounts' });
      expect(ok.statusCode).toBe(200);
      const hs = await signHs256(secretOf(probe), operatorClaims());
      const response = await h.request({ method: 'GET', url: '/v1/accounts', token: hs });
      expect(response.statusCode).toBe(401);
      expect(json(response).detail).toBe("The bearer token's signing algorithm is not accepted.");
    } finally {
      await h.close();
      await probe.close();
    }
  });
});

describe('bearer tokens (other key types)', () => {
  it('signs with ES384 for a P-384 key, and refuses a private and public key of two pairs', async () => {
    const probe = await createHarness();
    try {
      const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
      const privateFile = join(probe.dir, 'p384.pem');
      writeFileSync(privateFile, p384.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const h = await createHarness({ tokenConfig: { privateKeyFile: privateFile } });
      try {
        expect(h.keys.algorithm).toBe('ES384');
        expect((await h.request({ method: 'GET', url: '/v1/accounts' })).statusCode).toBe(200);
      } finally {
        await h.close();
      }
      const otherPublic = join(probe.dir, 'other.pub.pem');
      writeFileSync(
        otherPublic,
        generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({
          type: 'spki',
          format: 'pem',
        }),
      );
      await expect(
        createHarness({ tokenConfig: { privateKeyFile: privateFile, publicKeyFile: otherPublic } }),
      ).rejects.toThrow('the token private key and public key files are not one key pair');
    } finally {
      await probe.close();
    }
  });
});

describe('bearer tokens (external issuer JWKS)', () => {
  let server: Server;
  let url: string;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');

  beforeEach(async () => {
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'EdDSA', use: 'sig' };
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/jwks.json`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("verifies the issuer's tokens and refuses to mint its own", async () => {
    const h = await createHarness({ tokenConfig: { jwksUrl: url } });
    try {
      expect(h.keys.canSign).toBe(false);
      const good = await new SignJWT(operatorClaims())
        .setProtectedHeader({ alg: 'EdDSA', kid: 'idp-1' })
        .sign(privateKey);
      expect(
        (await h.request({ method: 'GET', url: '/v1/accounts', token: good })).statusCode,
      ).toBe(200);
      const forged = await new SignJWT(operatorClaims())
        .setProtectedHeader({ alg: 'EdDSA', kid: 'idp-1' })
        .sign(other.privateKey);
      expect(
        (await h.request({ method: 'GET', url: '/v1/accounts', token: forged })).statusCode,
      ).toBe(401);
      const minted = await h.request({
        method: 'POST',
        url: '/v1/tokens',
        token: good,
        body: { subject: 's', role: 'operator', accounts: '*' },
      });
      expect(minted.statusCode).toBe(409);
      expect(json(minted).detail).toContain('cannot mint tokens');
    } finally {
      await h.close();
    }
  });
});
