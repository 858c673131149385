import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import { buildApp } from '../../src/http/app.js';
import { requestForLog } from '../../src/http/log.js';
import { readOrCreateSecret } from '../../src/services/token-keys.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';
import {
  fillPath,
  loadOperations,
  problemWith,
  sampleOf,
  surfaceOf,
  type Operation,
} from './openapi-walk.js';

/**
 * Forged tokens, another account's resources on every route, SQL-significant characters in every
 * query value, response headers, and secrets kept out of the log.
 */

const NOW_S = Math.floor(Date.parse(T0) / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Claims of a good admin token of `acme`; each forgery changes one thing. */
function claims(extra: JWTPayload = {}): JWTPayload {
  return {
    sub: 'mallory',
    role: 'admin',
    accounts: ['acme'],
    typ: 'user',
    iat: NOW_S - 60,
    exp: NOW_S + 3600,
    ...extra,
  };
}

async function sign(
  payload: JWTPayload,
  key: Parameters<SignJWT['sign']>[0],
  header: { alg: string; kid?: string },
  { iss = 'entitle', aud = 'entitle' }: { iss?: string; aud?: string } = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ typ: 'JWT', ...header })
    .setIssuer(iss)
    .setAudience(aud)
    .sign(key);
}

/** Flips the payload of a signed token, keeping its header and signature. */
function tamper(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
    string,
    unknown
  >;
  change(decoded);
  return `${header}.${b64(decoded)}.${signature}`;
}

function expect401(response: LightMyRequestResponse, what: string): void {
  expect(response.statusCode, `${what}: ${response.body}`).toBe(401);
  expect(problemWith(response, 'GET', 'native'), what).toBeNull();
}

const PROTECTED = ['/v1/accounts', '/v1/licenses', '/v1/accounts/acme', '/v1/events'] as const;

async function expectRejected(h: Harness, token: string, what: string): Promise<void> {
  for (const url of PROTECTED) expect401(await h.request({ method: 'GET', url, token }), what);
  // The facades verify the same way and answer 401 in their own format.
  const astra = await h.request({
    method: 'GET',
    url: '/accounts/acme/core/v1/subscriptions',
    token,
  });
  expect(astra.statusCode, what).toBe(401);
  expect(problemWith(astra, 'GET', 'astra'), what).toBeNull();
  const hp = await h.request({
    method: 'GET',
    url: '/sdn/v2.0/licenses',
    token: null,
    headers: { 'x-auth-token': token },
  });
  expect(hp.statusCode, what).toBe(401);
  expect(problemWith(hp, 'GET', 'hp'), what).toBeNull();
}

describe('forged tokens (HS256 shared secret)', () => {
  let h: Harness;
  let secret: Uint8Array;
  beforeAll(async () => {
    h = await createHarness();
    await h.account('acme');
    secret = readOrCreateSecret(h.tokenConfig.secretFile);
  });
  afterAll(async () => {
    await h.close();
  });

  it('accepts the control token, so the rejections below are the forgeries', async () => {
    const good = await sign(claims(), secret, { alg: 'HS256' });
    const response = await h.request({ method: 'GET', url: '/v1/accounts/acme', token: good });
    expect(response.statusCode, response.body).toBe(200);
  });

  it('rejects every forgery with 401', async () => {
    const other = randomBytes(32);
    const good = await h.token('admin', ['acme']);
    const forged: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(), iss: 'entitle', aud: 'entitle' })}.`,
      'alg none, signature kept': `${b64({ alg: 'none' })}.${good.split('.')[1] ?? ''}.${good.split('.')[2] ?? ''}`,
      'alg NONE': `${b64({ alg: 'NONE' })}.${b64({ ...claims(), iss: 'entitle', aud: 'entitle' })}.`,
      expired: await sign(claims({ iat: NOW_S - 7200, exp: NOW_S - 3600 }), secret, {
        alg: 'HS256',
      }),
      'not yet valid': await sign(claims({ nbf: NOW_S + 3600 }), secret, { alg: 'HS256' }),
      'wrong audience': await sign(claims(), secret, { alg: 'HS256' }, { aud: 'someone-else' }),
      'wrong issuer': await sign(claims(), secret, { alg: 'HS256' }, { iss: 'evil' }),
      'another secret': await sign(claims(), other, { alg: 'HS256' }),
      'unknown kid, another secret': await sign(claims(), other, { alg: 'HS256', kid: 'unknown' }),
      'HS512 with the secret': await sign(claims(), secret, { alg: 'HS512' }),
      'tampered role': tamper(good, (p) => {
        p.role = 'operator';
        p.accounts = '*';
      }),
      'tampered accounts': tamper(good, (p) => {
        p.accounts = ['globex'];
      }),
      'tampered expiry': tamper(good, (p) => {
        p.exp = NOW_S + 10 * 365 * 86400;
      }),
      'no exp': await new SignJWT({ ...claims(), exp: undefined })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('entitle')
        .setAudience('entitle')
        .sign(secret),
      'unknown role': await sign(claims({ role: 'god' }), secret, { alg: 'HS256' }),
      'operator without *': await sign(claims({ role: 'operator', accounts: ['acme'] }), secret, {
        alg: 'HS256',
      }),
      garbage: 'garbage',
      'three dots': 'a.b.c',
      'empty segments': '..',
      'huge token': 'a'.repeat(50_000),
      'signature only': `..${good.split('.')[2] ?? ''}`,
    };
    for (const [what, token] of Object.entries(forged)) await expectRejected(h, token, what);
    // And no token, or the wrong scheme.
    expect401(await h.request({ method: 'GET', url: '/v1/accounts', token: null }), 'no token');
    expect401(
      await h.request({
        method: 'GET',
        url: '/v1/accounts',
        token: null,
        headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      }),
      'basic auth',
    );
  });
});

describe('forged tokens (RS256 key pair)', () => {
  let h: Harness;
  let publicPem: string;
  beforeAll(async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const dir = mkdtempSync(join(tmpdir(), 'entitle-rs-'));
    writeFileSync(
      join(dir, 'private.pem'),
      pair.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    writeFileSync(join(dir, 'public.pem'), publicPem);
    h = await createHarness({
      tokenConfig: {
        privateKeyFile: join(dir, 'private.pem'),
        publicKeyFile: join(dir, 'public.pem'),
      },
    });
    await h.account('acme');
  });
  afterAll(async () => {
    await h.close();
  });

  it('signs with RS256 and accepts its own tokens', async () => {
    expect(h.keys.algorithm).toBe('RS256');
    const response = await h.request({ method: 'GET', url: '/v1/accounts/acme' });
    expect(response.statusCode, response.body).toBe(200);
  });

  it('rejects HS256 signed with the public key text, and other keys', async () => {
    const pem = new TextEncoder().encode(publicPem);
    await expectRejected(h, await sign(claims(), pem, { alg: 'HS256' }), 'HS256 with public PEM');
    await expectRejected(
      h,
      await sign(claims(), new TextEncoder().encode(publicPem.trim()), { alg: 'HS256' }),
      'HS256 with trimmed public PEM',
    );
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expectRejected(h, await sign(claims(), stranger, { alg: 'RS256' }), 'another RSA key');
    await expectRejected(
      h,
      await sign(claims(), stranger, { alg: 'RS256', kid: 'unknown' }),
      'unknown kid',
    );
    await expectRejected(
      h,
      `${b64({ alg: 'none' })}.${b64({ ...claims(), iss: 'entitle', aud: 'entitle' })}.`,
      'alg none',
    );
  });
});

describe('forged tokens (external issuer, JWKS)', () => {
  let h: Harness;
  let server: Server;
  let issuerKey: KeyObject;
  beforeAll(async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    issuerKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    h = await createHarness({ tokenConfig: { jwksUrl: `http://127.0.0.1:${String(port)}/jwks` } });
    // No token can be minted here: create the account through the service as the system.
    await h.services.accounts.create(
      { principal: systemPrincipal, requestId: null, clock: h.clock },
      { id: 'acme', name: 'Acme' },
    );
  });
  afterAll(async () => {
    await h.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('accepts the issuer key by its kid and rejects an unknown kid', async () => {
    const good = await sign(claims(), issuerKey, { alg: 'ES256', kid: 'k1' });
    const response = await h.request({ method: 'GET', url: '/v1/accounts/acme', token: good });
    expect(response.statusCode, response.body).toBe(200);
    await expectRejected(
      h,
      await sign(claims(), issuerKey, { alg: 'ES256', kid: 'unknown' }),
      'unknown kid',
    );
    await expectRejected(
      h,
      await sign(claims(), new TextEncoder().encode('x'.repeat(32)), { alg: 'HS256', kid: 'k1' }),
      'HS256 with the kid of the JWKS',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Tenancy on every route

interface Seeded {
  license: string;
  key: string;
  serial: string;
  subscription: string;
  instance: string;
  webhook: string;
  group: string;
}

async function seedAccount(h: Harness, account: string): Promise<Seeded> {
  await h.account(account);
  const created = async (url: string, body: unknown) => {
    const response = await h.request({ method: 'POST', url, body });
    if (response.statusCode !== 201) throw new Error(`${url}: ${response.body}`);
    return json(response);
  };
  const license = await created('/v1/licenses', {
    accountId: account,
    product: 'cvo',
    seatLimit: 5,
  });
  const subscription = await created('/v1/subscriptions', {
    type: 'application/astra-subscription',
    version: '1.2',
    terms: 'paid',
    accounts: [account],
  });
  const webhook = await created('/v1/webhooks', {
    accountId: account,
    url: `https://hooks.example.com/${account}`,
    eventTypes: ['license.created'],
  });
  const group = await created(`/v1/accounts/${account}/groups`, { groupName: `${account} admins` });
  return {
    license: String(license.id),
    key: String(license.key),
    serial: String(license.serialNumber),
    subscription: String(subscription.id),
    instance: await h.instance(account),
    webhook: String(webhook.id),
    group: String(group.guid),
  };
}

/** Values for parameters that are not globex's: the product and metric are shared. */
const OTHER_PARAMS: Record<string, string> = {
  metric: '1',
  metric_id: '1',
  product: 'cvo',
  product_id: 'cvo',
  deliveryId: '00000000-0000-4000-8000-000000000000',
  orderId: 'PO-1',
};

describe("another account's resources on every route", () => {
  let h: Harness;
  let mine: Seeded;
  let theirs: Seeded;
  let operations: Operation[];
  beforeAll(async () => {
    h = await createHarness();
    const product = await h.request({
      method: 'POST',
      url: '/v1/products',
      body: { slug: 'cvo', name: 'CVO', metrics: [{ id: 1, name: 'Capacity', unit: 'TiB' }] },
    });
    expect(product.statusCode, product.body).toBe(201);
    mine = await seedAccount(h, 'acme');
    theirs = await seedAccount(h, 'globex');
    operations = await loadOperations(h);
  }, 30_000);
  afterAll(async () => {
    await h.close();
  });

  /** Globex's id for a path parameter; undefined when the parameter is not account-owned. */
  function theirId(name: string): string | undefined {
    switch (name) {
      case 'accountId':
      case 'account_id':
      case 'tenantGuid':
        return 'globex';
      case 'license':
      case 'licenseId':
      case 'resourceId':
        return theirs.license;
      case 'serial_no':
        return theirs.serial;
      case 'subscriptionId':
      case 'subscription_id':
        return theirs.subscription;
      case 'instanceId':
        return theirs.instance;
      case 'webhookId':
        return theirs.webhook;
      case 'guid':
        return theirs.group;
      default:
        return undefined;
    }
  }

  /** A body naming globex wherever the sample names an account, instance or license. */
  function bodyFor(op: Operation): unknown {
    if (op.body === undefined) return undefined;
    const sample = sampleOf(op.body.schema);
    const replace = (value: unknown, key = ''): unknown => {
      if (Array.isArray(value)) return value.map((v) => replace(v, key));
      if (typeof value === 'object' && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v, k)]));
      }
      if (/^account(Id|s)?$/.test(key)) return 'globex';
      if (/^instance(Id)?$/.test(key)) return theirs.instance;
      if (/^license(Id)?$/.test(key)) return theirs.license;
      if (key === 'key') return theirs.key;
      return value;
    };
    return replace(sample);
  }

  /**
   * Whether a body names a secret as a whole value: the serial 100000002 must not match inside a
   * number such as a metrics sum 0.0100000002 (a flake seen once in twelve runs).
   */
  function mentions(body: string, secret: string): boolean {
    const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![\\w.])${escaped}(?![\\w])`).test(body);
  }

  /** Everything of globex's that must never reach an acme token. */
  const secrets = () => [
    theirs.license,
    theirs.key,
    theirs.subscription,
    theirs.instance,
    theirs.webhook,
    theirs.group,
    theirs.serial,
    'hooks.example.com/globex',
    'globex admins',
  ];

  async function snapshot(): Promise<string[]> {
    const urls = [
      `/v1/licenses/${theirs.license}`,
      `/v1/subscriptions/${theirs.subscription}`,
      `/v1/instances/${theirs.instance}`,
      `/v1/webhooks/${theirs.webhook}`,
      `/v1/accounts/globex/groups/${theirs.group}`,
      '/v1/accounts/globex',
    ];
    return Promise.all(urls.map(async (url) => (await h.request({ method: 'GET', url })).body));
  }

  it('never answers an acme token with globex data, and changes nothing of globex', async () => {
    const before = await snapshot();
    const acmeInstance = mine.instance;
    const tokens = {
      admin: await h.token('admin', ['acme']),
      viewer: await h.token('viewer', ['acme']),
      service: await h.token('service', ['acme']),
      instance: await h.token('instance', ['acme'], { instance: acmeInstance }),
    };
    const failures: string[] = [];
    let tried = 0;
    for (const op of operations) {
      const names = op.params.filter((p) => p.in === 'path').map((p) => p.name);
      const scoped = names.some((name) => theirId(name) !== undefined);
      const url = fillPath(op.path, (name) =>
        encodeURIComponent(theirId(name) ?? OTHER_PARAMS[name] ?? 'cvo'),
      );
      const query = op.params
        .filter((p) => p.in === 'query' && (p.required || /^(account|instance|key)/.test(p.name)))
        .map((p) => {
          const value =
            p.name === 'key'
              ? theirs.key
              : p.name === 'instance'
                ? theirs.instance
                : /^account/.test(p.name)
                  ? 'globex'
                  : (OTHER_PARAMS[p.name] ?? 'cvo');
          return `${p.name}=${encodeURIComponent(value)}`;
        })
        .join('&');
      for (const [role, token] of Object.entries(tokens)) {
        tried++;
        const full = query === '' ? url : `${url}?${query}`;
        const response = await h.request({
          method: op.method,
          url: full,
          token: null,
          headers: {
            ...(op.surface === 'hp'
              ? { 'x-auth-token': token }
              : { authorization: `Bearer ${token}` }),
          },
          body: bodyFor(op),
        });
        const where = `${op.method} ${full} as ${role}: ${String(response.statusCode)}`;
        const wrong = problemWith(response, op.method, surfaceOf(full));
        if (wrong !== null) failures.push(`${where}: ${wrong}`);
        // An id the caller sent may come back in a 404's detail; anything else of globex's may not.
        const sent = `${full} ${JSON.stringify(bodyFor(op) ?? null)}`;
        const leaked = secrets().filter(
          (secret) => mentions(response.body, secret) && !sent.includes(secret),
        );
        if (leaked.length > 0) failures.push(`${where}: leaks ${leaked.join(', ')}`);
        if (scoped && response.statusCode < 400 && op.method !== 'GET') {
          failures.push(`${where}: a write on globex's resource succeeded`);
        }
        if (scoped && response.statusCode < 300 && op.method === 'GET') {
          failures.push(`${where}: read globex's resource`);
        }
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(tried).toBeGreaterThan(300);
    expect(await snapshot()).toEqual(before);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// SQL-significant characters

describe('SQL-significant characters in query values', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
    await h.account('acme');
    await h.account('globex');
    await h.request({ method: 'POST', url: '/v1/products', body: { slug: 'cvo', name: 'CVO' } });
    await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'acme', product: 'cvo' },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  const NASTY = ["'", '"', ';', '--', '%', '_', '\\', "' OR 1=1 --", "'; DELETE FROM accounts; --"];

  async function counts(): Promise<string> {
    const bodies = await Promise.all(
      ['/v1/accounts', '/v1/licenses', '/v1/products', '/v1/events?limit=1000'].map(
        async (url) =>
          json<{ items: unknown[] }>(await h.request({ method: 'GET', url })).items.length,
      ),
    );
    return bodies.join(',');
  }

  it('a quoted injection in a filter matches nothing', async () => {
    for (const filter of [
      "name eq 'x'' OR ''1''=''1'",
      "name eq '%'",
      "name eq '_'",
      "name eq '\\'",
      "id eq 'acme'' --'",
      "id ne 'x'' OR 1=1'",
    ]) {
      const response = await h.request({
        method: 'GET',
        url: `/v1/accounts?filter=${encodeURIComponent(filter)}`,
      });
      expect(response.statusCode, `${filter}: ${response.body}`).toBe(200);
      const items = json<{ items: { id: string }[] }>(response).items;
      // `ne` is the one operator under which a non-matching value keeps every row.
      if (filter.startsWith('id ne')) expect(items).toHaveLength(2);
      else expect(items, filter).toEqual([]);
    }
  });

  it('changes nothing and never fails, in every string query parameter of every GET', async () => {
    const before = await counts();
    const operations = (await loadOperations(h)).filter((op) => op.method === 'GET');
    let tried = 0;
    for (const op of operations) {
      const url = fillPath(op.path, (name) => (/account|tenant/i.test(name) ? 'acme' : 'x'));
      const names = op.params.filter((p) => p.in === 'query').map((p) => p.name);
      for (const name of names) {
        for (const nasty of NASTY) {
          const values =
            name === 'filter'
              ? [`id eq '${nasty.replaceAll("'", "''")}'`, `id eq ${nasty}`, nasty]
              : [nasty];
          for (const value of values) {
            tried++;
            const full = `${url}?${name}=${encodeURIComponent(value)}`;
            const response = await h.request({ method: 'GET', url: full });
            expect(problemWith(response, 'GET', surfaceOf(full)), full).toBeNull();
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(300);
    expect(await counts()).toBe(before);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// Headers

describe('response headers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
    await h.account('acme');
  });
  afterAll(async () => {
    await h.close();
  });

  it('no x-powered-by, and a content-type on every response with a body', async () => {
    const operations = await loadOperations(h);
    for (const op of operations) {
      const url = fillPath(op.path, (name) => (/account|tenant/i.test(name) ? 'acme' : 'x'));
      for (const token of [undefined, null]) {
        const response = await h.request({
          method: op.method,
          url,
          token,
          ...(op.body === undefined ? {} : { body: {} }),
        });
        const where = `${op.method} ${url}`;
        expect(response.headers['x-powered-by'], where).toBeUndefined();
        expect(response.headers.server, where).toBeUndefined();
        if (response.rawPayload.length > 0) {
          expect(response.headers['content-type'], where).toBeDefined();
        }
        expect(response.headers['x-request-id'], where).toBeDefined();
      }
    }
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/nope']) {
      const response = await h.request({ method: 'GET', url, token: null });
      expect(response.headers['x-powered-by'], url).toBeUndefined();
      if (response.rawPayload.length > 0)
        expect(response.headers['content-type'], url).toBeDefined();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets in the log

describe('keys and tokens never appear in the log', () => {
  let h: Harness;
  let lines: string[];
  let closeApp: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await closeApp?.();
    closeApp = undefined;
  });
  afterAll(async () => {
    await h.close();
  });

  it('logs requests at trace level without a bearer token, X-Auth-Token or license key', async () => {
    lines = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // The production logger options of src/server.ts, at the most verbose level.
    const app = await buildApp({
      services: h.services,
      clock: h.clock,
      logger: {
        level: 'trace',
        stream,
        redact: ['req.headers.authorization'],
        serializers: { req: requestForLog },
      },
    });
    closeApp = () => app.close();
    const send = (options: {
      method: 'GET' | 'POST' | 'DELETE';
      url: string;
      token?: string | null;
      headers?: Record<string, string>;
      payload?: unknown;
      contentType?: string;
    }) =>
      app.inject({
        method: options.method,
        url: options.url,
        headers: {
          ...(options.token === null
            ? {}
            : { authorization: `Bearer ${options.token ?? h.operator}` }),
          ...(options.contentType === undefined ? {} : { 'content-type': options.contentType }),
          ...options.headers,
        },
        ...(options.payload === undefined
          ? {}
          : { payload: options.payload as Record<string, unknown> }),
      });

    await send({ method: 'POST', url: '/v1/accounts', payload: { id: 'acme', name: 'Acme' } });
    const product = await send({
      method: 'POST',
      url: '/v1/products',
      payload: { slug: 'cvo', name: 'CVO', features: [{ id: 'BACKUP', name: 'Backup' }] },
    });
    expect(product.statusCode, product.body).toBe(201);
    const created = await send({
      method: 'POST',
      url: '/v1/licenses',
      payload: { accountId: 'acme', product: 'cvo' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const license = json<{ id: string; key: string; serialNumber: number }>(created);
    const external = 'CYIBMJJIHJQA6-IRTEQ2QUNBYCA-CSSDJIEIJFKIQ-VAI2QUJBYC42A';
    await send({
      method: 'POST',
      url: '/v1/licenses',
      payload: { accountId: 'acme', product: 'cvo', key: external },
    });
    const instance = await h.instance('acme');
    const instanceToken = await h.token('instance', ['acme'], { instance });
    const admin = await h.token('admin', ['acme']);
    const bad = `${admin.slice(0, -4)}AAAA`;
    const redeemable = json<{ token: string }>(
      await send({
        method: 'POST',
        url: '/v1/activation-tokens',
        payload: { count: 1, license: { product: 'cvo' } },
      }),
    ).token;

    const key = license.key;
    const q = encodeURIComponent;
    await send({ method: 'GET', url: `/v1/licenses/lookup?key=${q(key)}` });
    await send({ method: 'GET', url: `/v1/licenses/lookup?key=${q(external)}` });
    await send({ method: 'GET', url: `/v1/licenses/lookup?key=${q(`${key}x`)}` });
    await send({ method: 'POST', url: '/v1/licenses/validate', payload: { key, product: 'cvo' } });
    await send({ method: 'POST', url: '/v1/licenses/validate', payload: { key: `${key}'` } });
    await send({ method: 'POST', url: '/v1/licenses/install', payload: { key, instance } });
    await send({
      method: 'POST',
      url: '/v1/activation-tokens/redeem',
      token: admin,
      payload: { token: redeemable, accountId: 'acme' },
    });
    await send({
      method: 'POST',
      url: '/v1/activation-tokens/redeem',
      token: admin,
      payload: { token: redeemable, accountId: 'acme' },
    });
    // HP: X-Auth-Token, the key as text, and ?key= (also on a path the router refuses).
    const hp = { 'x-auth-token': instanceToken };
    await send({
      method: 'GET',
      url: `/sdn/v2.0/licenses?key=${q(external)}`,
      token: null,
      headers: hp,
    });
    await send({
      method: 'GET',
      url: `/sdn/v2.0/licenses?key="${q(key)}"`,
      token: null,
      headers: hp,
    });
    await send({
      method: 'POST',
      url: '/sdn/v2.0/licenses',
      token: null,
      headers: hp,
      payload: external,
      contentType: 'text/plain',
    });
    await send({
      method: 'GET',
      url: `/sdn/v2.0/licenses/%zz?key=${q(key)}`,
      token: null,
      headers: hp,
    });
    await send({
      method: 'GET',
      url: `/v1/licenses/%zz?key=${q(key)}`,
      token: null,
      headers: { authorization: `Bearer ${bad}` },
    });
    await send({
      method: 'GET',
      url: `/v1/licenses/${'a'.repeat(200)}?key=${q(key)}`,
    });
    await send({
      method: 'GET',
      url: '/sdn/v2.0/licenses',
      token: null,
      headers: { 'x-auth-token': bad },
    });
    // NetProfiler and BlueXP take keys in bodies.
    await send({
      method: 'POST',
      url: '/api/mgmt.licenses/1.0/licenses',
      token: instanceToken,
      payload: [key, external],
    });
    await send({
      method: 'POST',
      url: '/license/licenses',
      token: admin,
      payload: { accountId: 'acme', licenseKey: key, serialNumber: 'x' },
    });
    // Bad and malformed tokens, and a body that does not parse.
    await send({ method: 'GET', url: '/v1/accounts', token: bad });
    await send({ method: 'GET', url: '/v1/accounts', token: 'garbage' });
    await send({
      method: 'POST',
      url: '/v1/licenses/validate',
      payload: `{"key":"${key}"`,
      contentType: 'application/json',
    });
    await send({
      method: 'POST',
      url: '/v1/licenses/validate',
      payload: `key=${key}`,
      contentType: 'text/plain',
    });

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(20);
    const secrets: Record<string, string> = {
      operator: h.operator,
      admin,
      'bad token': bad,
      'instance token': instanceToken,
      'token signature': admin.split('.')[2] ?? 'x',
      'native key': key,
      'external key': external,
      'activation token': redeemable,
    };
    // The masked form keeps the first and last group of a key; no middle group may appear.
    for (const group of key.split('-').slice(1, -1)) secrets[`key group ${group}`] = group;
    for (const group of external.split('-').slice(1, -1)) secrets[`key group ${group}`] = group;
    const found = Object.entries(secrets).filter(([, secret]) => log.includes(secret));
    expect(
      found.map(([what]) => what),
      found
        .map(
          ([what, s]) =>
            `${what}: …${log.slice(Math.max(0, log.indexOf(s) - 200), log.indexOf(s) + 50)}`,
        )
        .join('\n'),
    ).toEqual([]);
  });
});
