import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Entitle,
  EntitleError,
  verifyCertificate,
  type FetchLike,
  type JwkSet,
  type License,
} from '../../sdk/src/index.js';
import { T0, type Harness } from '../helpers/harness.js';
import { listeningHarness, seed } from './listen.js';

let harness: Harness & { url: string };
let sdk: Entitle;
const T0_MS = Date.parse(T0);

/** A fetch that counts requests per path and can rewrite or lose answers. */
function countingFetch(
  rewrite?: (url: string, init: RequestInit, response: Response, n: number) => Promise<Response>,
) {
  const calls: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push(`${init.method ?? 'GET'} ${new URL(url).pathname}`);
    const response = await globalThis.fetch(url, init);
    return rewrite === undefined ? response : rewrite(url, init, response, calls.length);
  };
  return { calls, fetch };
}

const noSleep = { sleeps: [] as number[] };
const recordSleep = (ms: number) => {
  noSleep.sleeps.push(ms);
  return Promise.resolve();
};

beforeAll(async () => {
  harness = await listeningHarness();
  await seed(harness);
  sdk = new Entitle({ url: harness.url, token: harness.operator, sleep: recordSleep });
});
afterAll(async () => {
  await harness.close();
});

describe('SDK: native API resources', () => {
  it('accounts: create, get, update, replace, list across pages, delete', async () => {
    const created = await sdk.accounts.create({ id: 'globex', name: 'Globex' });
    expect(created).toMatchObject({ id: 'globex', name: 'Globex', orgId: null });
    expect((await sdk.accounts.get('globex')).name).toBe('Globex');
    expect((await sdk.accounts.update('globex', { orgId: 'org-1' })).orgId).toBe('org-1');
    expect((await sdk.accounts.replace('globex', { name: 'Globex Inc' })).orgId).toBeNull();
    const ids: string[] = [];
    for await (const account of sdk.accounts.list({ limit: 1 })) ids.push(account.id);
    expect(ids).toEqual(['acme', 'globex']);
    const page = await sdk.accounts.page({ limit: 1, count: true });
    expect(page.metadata).toMatchObject({ count: 2 });
    expect(page.metadata.continue).toBeTypeOf('string');
    await sdk.accounts.delete('globex');
    const missing = await sdk.accounts.get('globex').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(EntitleError);
    expect(missing).toMatchObject({ status: 404, title: 'Resource not found' });
  });

  it('errors carry the problem document and the invalid field names', async () => {
    const error = await sdk.accounts
      .create({ id: 'bad id!', name: '' })
      .catch((e: unknown) => e as EntitleError);
    expect(error).toBeInstanceOf(EntitleError);
    if (!(error instanceof EntitleError)) return;
    expect(error.status).toBe(400);
    expect(error.problem.type).toBe('/problems/invalid-fields');
    expect(error.invalidFields.sort()).toEqual(['id', 'name']);
    const filter = await sdk.accounts
      .page({ filter: 'nme eq 1' })
      .catch((e: unknown) => e as EntitleError);
    expect(filter).toMatchObject({ status: 400 });
    expect((filter as EntitleError).invalidFields).toEqual(['filter']);
    const anonymous = new Entitle({ url: harness.url });
    await expect(anonymous.accounts.page()).rejects.toMatchObject({ status: 401 });
  });

  it('products: create, get by slug, update, list, delete', async () => {
    const product = await sdk.products.create({ slug: 'tmp', name: 'Temporary' });
    expect((await sdk.products.get('tmp')).id).toBe(product.id);
    expect((await sdk.products.update(product.id, { description: 'x' })).description).toBe('x');
    const slugs: string[] = [];
    for await (const p of sdk.products.list()) slugs.push(p.slug);
    expect(slugs).toEqual(['cvo', 'tmp']);
    await sdk.products.delete('tmp');
    await expect(sdk.products.get('tmp')).rejects.toMatchObject({ status: 404 });
  });

  it('licenses: create, batch, get, lookup, update, list, activate, revoke, delete', async () => {
    const license = await sdk.licenses.create({
      accountId: 'acme',
      product: 'cvo',
      serialNumber: 7001,
      quantity: 4,
      features: ['BACKUP'],
    });
    expect(license).toMatchObject({ serialNumber: 7001, accountId: 'acme', quantity: 4 });
    const batch = await sdk.licenses.createBatch([
      { accountId: 'acme', product: 'cvo', serialNumber: 7002 },
      { accountId: 'acme', product: 'cvo', serialNumber: 7003 },
    ]);
    expect(batch.map((l) => l.serialNumber)).toEqual([7002, 7003]);
    expect((await sdk.licenses.get(7001)).id).toBe(license.id);
    expect((await sdk.licenses.lookup(license.key)).serialNumber).toBe(7001);
    expect((await sdk.licenses.update(7001, { description: 'renewed' })).description).toBe(
      'renewed',
    );
    const serials: number[] = [];
    for await (const l of sdk.licenses.list({ filter: 'serialNumber gte 7001', limit: 2 })) {
      serials.push(l.serialNumber);
    }
    expect(serials).toEqual([7001, 7002, 7003]);
    const instance = await sdk.instances.create({ accountId: 'acme', name: 'node-1' });
    await sdk.licenses.activate(7001, instance.id);
    expect((await sdk.licenses.activations(7001)).map((a) => a.instanceId)).toEqual([instance.id]);
    expect((await sdk.licenses.revoke(7003)).state).toBe('revoked');
    await sdk.licenses.delete(7003);
    await expect(sdk.licenses.get(7003)).rejects.toMatchObject({ status: 404 });
    const taken = await sdk.licenses
      .create({ accountId: 'acme', product: 'cvo', serialNumber: 7001 })
      .catch((e: unknown) => e as EntitleError);
    expect(taken).toMatchObject({ status: 409 });
    expect((taken as EntitleError).invalidFields).toEqual(['serialNumber']);
  });

  it('subscriptions: create, get, update with If-Match, list, cancel, delete', async () => {
    const created = await sdk.subscriptions.create({
      type: 'application/astra-subscription',
      version: '1.2',
      terms: 'paid',
      accounts: ['acme'],
      appLimit: 5,
    });
    expect(created).toMatchObject({ status: 'active', accounts: ['acme'], appLimit: 5 });
    expect((await sdk.subscriptions.get(created.id)).revision).toBe(created.revision);
    const updated = await sdk.subscriptions.update(
      created.id,
      { type: created.type, version: created.version, appLimit: 9 },
      { ifMatch: created.revision },
    );
    expect(updated.appLimit).toBe(9);
    await expect(
      sdk.subscriptions.update(
        created.id,
        { type: created.type, version: created.version, appLimit: 1 },
        { ifMatch: created.revision },
      ),
    ).rejects.toMatchObject({ status: 409 });
    const ids: string[] = [];
    for await (const s of sdk.subscriptions.list()) ids.push(s.id);
    expect(ids).toContain(created.id);
    expect((await sdk.subscriptions.cancel(created.id)).status).toBe('inactive');
    await sdk.subscriptions.delete(created.id);
    await expect(sdk.subscriptions.get(created.id)).rejects.toMatchObject({ status: 404 });
  });

  it('webhooks: create (with its secret), get, update, list, delete', async () => {
    const hook = await sdk.webhooks.create({
      accountId: 'acme',
      url: 'https://hooks.example.com/entitle',
      eventTypes: ['license.created'],
    });
    expect(hook.secret).toBeTypeOf('string');
    expect(await sdk.webhooks.get(hook.id)).not.toHaveProperty('secret');
    expect((await sdk.webhooks.update(hook.id, { enabled: false })).enabled).toBe(false);
    const ids: string[] = [];
    for await (const w of sdk.webhooks.list()) ids.push(w.id);
    expect(ids).toEqual([hook.id]);
    await sdk.webhooks.delete(hook.id);
    await expect(sdk.webhooks.get(hook.id)).rejects.toMatchObject({ status: 404 });
  });

  it('events, usage and compliance', async () => {
    const types: string[] = [];
    for await (const event of sdk.events.list({ filter: "resourceType eq 'account'" })) {
      types.push(event.type);
    }
    expect(types).toContain('account.created');
    const sent = await sdk.usage.send([
      { id: 'u-1', account: 'acme', product: 'cvo', metric: 1, kind: 'delta', value: 2, at: T0 },
    ]);
    expect(sent).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const report = await sdk.usage.get('acme', { product: 'cvo', metric: 1 });
    expect(report.consumption.deltas).toBe(2);
    const compliance = await sdk.compliance.get('acme');
    expect(compliance.products.map((p) => p.slug)).toContain('cvo');
    expect(['VALID', 'WARNING', 'NON_COMPLIANT']).toContain(compliance.overallComplianceStatus);
  });
});

describe('SDK: validate', () => {
  let license: License;
  beforeAll(async () => {
    license = await sdk.licenses.create({ accountId: 'acme', product: 'cvo', serialNumber: 8001 });
  });

  it('returns a typed verdict, for good and bad keys', async () => {
    const verdict = await sdk.validate(license.key, { product: 'cvo' });
    expect(verdict).toMatchObject({ valid: true, code: 'VALID' });
    expect(verdict.license?.serialNumber).toBe(8001);
    const unknown = await sdk.validate('nonsense');
    expect(unknown).toMatchObject({ valid: false, code: 'BAD_FORMAT', license: null });
  });

  it('caches verdicts for the TTL the answer gives (Cache-Control max-age), by injected clock', async () => {
    let now = T0_MS;
    // The server sends no TTL today; this answers as a server that does (or a proxy in front).
    const { calls, fetch } = countingFetch(async (_url, _init, response) => {
      const headers = new Headers(response.headers);
      headers.set('cache-control', 'private, max-age=30');
      return new Response(await response.text(), { status: response.status, headers });
    });
    const client = new Entitle({
      url: harness.url,
      token: harness.operator,
      fetch,
      clock: () => now,
    });
    await client.validate(license.key, { product: 'cvo' });
    now += 29_000;
    await client.validate(license.key, { product: 'cvo' });
    expect(calls).toHaveLength(1);
    await client.validate(license.key, { product: 'cvo', feature: 'BACKUP' });
    expect(calls).toHaveLength(2); // other options, other entry
    now += 1_000;
    await client.validate(license.key, { product: 'cvo' });
    expect(calls).toHaveLength(3); // 30 s passed: asked again
  });

  it('uses the default TTL when the answer gives none, and never caches no-store', async () => {
    let now = T0_MS;
    const plain = countingFetch();
    const client = new Entitle({
      url: harness.url,
      token: harness.operator,
      fetch: plain.fetch,
      clock: () => now,
      cache: { defaultTtlSeconds: 5 },
    });
    await client.validate(license.key);
    now += 4_999;
    await client.validate(license.key);
    expect(plain.calls).toHaveLength(1);
    now += 1;
    await client.validate(license.key);
    expect(plain.calls).toHaveLength(2);

    const noStore = countingFetch(async (_url, _init, response) => {
      const headers = new Headers(response.headers);
      headers.set('cache-control', 'no-store');
      return new Response(await response.text(), { status: response.status, headers });
    });
    const uncached = new Entitle({
      url: harness.url,
      token: harness.operator,
      fetch: noStore.fetch,
    });
    await uncached.validate(license.key);
    await uncached.validate(license.key);
    expect(noStore.calls).toHaveLength(2);
  });

  it('keeps at most maxEntries verdicts, dropping the least recently used', async () => {
    const { calls, fetch } = countingFetch();
    const client = new Entitle({
      url: harness.url,
      token: harness.operator,
      fetch,
      clock: () => T0_MS,
      cache: { maxEntries: 2 },
    });
    await client.validate('key-a');
    await client.validate('key-b');
    await client.validate('key-a'); // hit: a is now the most recent
    await client.validate('key-c'); // evicts b
    await client.validate('key-a'); // still cached
    expect(calls).toHaveLength(3);
    await client.validate('key-b');
    expect(calls).toHaveLength(4);
  });

  it('retries 5xx with exponential backoff and jitter, against a server that fails twice', async () => {
    let failures = 2;
    let requests = 0;
    const flaky: Server = createServer((request, response) => {
      requests++;
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (failures > 0) {
          failures--;
          response.writeHead(503, { 'content-type': 'application/problem+json' });
          response.end(
            '{"type":"/problems/unavailable","title":"Unavailable","status":503,"detail":"down"}',
          );
          return;
        }
        void globalThis
          .fetch(`${harness.url}${request.url ?? '/'}`, {
            method: request.method,
            headers: {
              authorization: request.headers.authorization ?? '',
              'content-type': 'application/json',
            },
            body: Buffer.concat(chunks).toString('utf8'),
          })
          .then(async (upstream) => {
            response.writeHead(upstream.status, { 'content-type': 'application/json' });
            response.end(await upstream.text());
          });
      });
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const port = (flaky.address() as AddressInfo).port;
    try {
      const sleeps: number[] = [];
      const client = new Entitle({
        url: `http://127.0.0.1:${String(port)}`,
        token: harness.operator,
        retries: { retries: 3, baseDelayMs: 100, maxDelayMs: 5000 },
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
      });
      const verdict = await client.validate(license.key);
      expect(verdict.code).toBe('VALID');
      expect(requests).toBe(3);
      expect(sleeps).toHaveLength(2);
      // Equal jitter: attempt n waits between half and all of base * 2^n.
      expect(sleeps[0]).toBeGreaterThanOrEqual(50);
      expect(sleeps[0]).toBeLessThanOrEqual(100);
      expect(sleeps[1]).toBeGreaterThanOrEqual(100);
      expect(sleeps[1]).toBeLessThanOrEqual(200);

      failures = 10;
      requests = 0;
      await expect(client.validate('other-key')).rejects.toMatchObject({ status: 503 });
      expect(requests).toBe(4); // the first try and 3 retries
    } finally {
      await new Promise((resolve) => flaky.close(resolve));
    }
  });

  it('does not retry 4xx; retries network errors then reports status 0', async () => {
    const { calls, fetch } = countingFetch();
    const client = new Entitle({
      url: harness.url,
      token: 'not-a-token',
      fetch,
      sleep: recordSleep,
    });
    await expect(client.validate(license.key)).rejects.toMatchObject({ status: 401 });
    expect(calls).toHaveLength(1);

    let attempts = 0;
    const refused = new Entitle({
      url: 'http://127.0.0.1:9',
      retries: 2,
      fetch: () => {
        attempts++;
        return Promise.reject(new TypeError('fetch failed'));
      },
      sleep: recordSleep,
    });
    const error: unknown = await refused.validate('k').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EntitleError);
    expect(error instanceof EntitleError && error.isNetworkError).toBe(true);
    expect(attempts).toBe(3);
  });
});

describe('SDK: offline certificates', () => {
  let instance: string;
  let certificate: string;
  let keys: JwkSet;

  beforeAll(async () => {
    await sdk.licenses.create({
      accountId: 'acme',
      product: 'cvo',
      serialNumber: 9001,
      features: ['BACKUP'],
    });
    instance = (
      await sdk.instances.create({ accountId: 'acme', name: 'appliance', fingerprint: 'fp-1' })
    ).id;
    await sdk.licenses.activate(9001, instance);
    certificate = (await sdk.licenses.certificate(9001, { instance, ttlSeconds: 86_400 }))
      .certificate;
    keys = await sdk.keys();
  });

  it('verifies a certificate bound to its instance, with no network', () => {
    const result = verifyCertificate(certificate, keys, {
      now: new Date(T0),
      instance,
      fingerprint: 'fp-1',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.claims.license.serialNumber).toBe(9001);
    expect(result.claims.license.features).toEqual(['BACKUP']);
    expect(Object.isFrozen(result.claims.license.features)).toBe(true); // shared, cached
    expect(result.kid).toBe(keys.keys[0]?.kid);
    expect(verifyCertificate(certificate, keys.keys, { now: T0_MS }).ok).toBe(true);
  });

  it('refuses a tampered certificate, a forged signature, a wrong instance and a bad format', () => {
    const [header = '', payload = '', signature = ''] = certificate.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      license: { quantity: number };
    };
    claims.license.quantity = 1000;
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(verifyCertificate(tampered, keys, { now: T0_MS })).toEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(verifyCertificate(flipped, keys, { now: T0_MS })).toEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    expect(
      verifyCertificate(certificate, keys, {
        now: T0_MS,
        instance: '00000000-0000-4000-8000-000000000000',
      }),
    ).toEqual({ ok: false, reason: 'INSTANCE_MISMATCH' });
    expect(verifyCertificate(certificate, keys, { now: T0_MS, fingerprint: 'other' })).toEqual({
      ok: false,
      reason: 'FINGERPRINT_MISMATCH',
    });
    expect(verifyCertificate('not.a-certificate', keys)).toEqual({
      ok: false,
      reason: 'MALFORMED',
    });
    expect(verifyCertificate(`${certificate}.x`, keys)).toEqual({ ok: false, reason: 'MALFORMED' });
    // Characters outside base64url: refused even where a lenient decoder would skip them.
    const spaced = `${header}.${payload.slice(0, 10)}!${payload.slice(10)}.${signature}`;
    expect(verifyCertificate(spaced, keys, { now: T0_MS })).toEqual({
      ok: false,
      reason: 'MALFORMED',
    });
    const plus = `${header}.${payload}.${signature.slice(0, 40)}+${signature.slice(41)}`;
    expect(verifyCertificate(plus, keys, { now: T0_MS })).toEqual({
      ok: false,
      reason: 'MALFORMED',
    });
    // A signature whose last character carries non-zero unused bits is not canonical.
    const last = signature.at(-1) === 'A' ? 'B' : 'A';
    const loose = `${header}.${payload}.${signature.slice(0, -1)}${last}`;
    expect(verifyCertificate(loose, keys, { now: T0_MS })).toEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    expect(verifyCertificate(certificate, { keys: [] })).toEqual({
      ok: false,
      reason: 'UNKNOWN_KEY',
    });
    const none = Buffer.from('{"alg":"none","typ":"entitle-license+jws","kid":"x","v":1}').toString(
      'base64url',
    );
    expect(verifyCertificate(`${none}.${payload}.${signature}`, keys)).toEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
  });

  it('checks the dates with a clock tolerance', () => {
    const exp = T0_MS + 86_400_000;
    expect(verifyCertificate(certificate, keys, { now: exp - 1000 }).ok).toBe(true);
    expect(verifyCertificate(certificate, keys, { now: exp + 30_000 }).ok).toBe(true); // 60 s tolerance
    expect(verifyCertificate(certificate, keys, { now: exp + 61_000 })).toEqual({
      ok: false,
      reason: 'EXPIRED',
    });
    expect(verifyCertificate(certificate, keys, { now: exp, toleranceSeconds: 0 })).toEqual({
      ok: false,
      reason: 'EXPIRED',
    });
    expect(verifyCertificate(certificate, keys, { now: T0_MS - 120_000 })).toEqual({
      ok: false,
      reason: 'NOT_YET_VALID',
    });
  });

  it('verifies with any published key after a rotation', async () => {
    const rotated = await harness.request({ method: 'POST', url: '/v1/keys/rotate' });
    expect(rotated.statusCode).toBe(201);
    const after = await sdk.keys();
    expect(after.keys).toHaveLength(2);
    const fresh = (await sdk.licenses.certificate(9001, { instance })).certificate;
    const oldKid = keys.keys[0]?.kid;
    const newResult = verifyCertificate(fresh, after, { now: T0_MS });
    expect(newResult.ok && newResult.kid).not.toBe(oldKid);
    expect(verifyCertificate(certificate, after, { now: T0_MS })).toMatchObject({
      ok: true,
      kid: oldKid,
    });
    // A verifier that only knows the old key cannot check the new certificate.
    expect(verifyCertificate(fresh, keys, { now: T0_MS })).toEqual({
      ok: false,
      reason: 'UNKNOWN_KEY',
    });
  });

  it('Entitle.offline reads the certificate and keys files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'entitle-offline-'));
    try {
      writeFileSync(join(dir, 'license.jws'), `${certificate}\n`);
      writeFileSync(join(dir, 'keys.json'), JSON.stringify(keys));
      const result = await Entitle.offline(join(dir, 'license.jws'), join(dir, 'keys.json'), {
        now: T0_MS,
        instance,
      });
      expect(result).toMatchObject({ ok: true });
      const late = await Entitle.offline(join(dir, 'license.jws'), join(dir, 'keys.json'), {
        now: T0_MS + 2 * 86_400_000,
      });
      expect(late).toEqual({ ok: false, reason: 'EXPIRED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SDK: reportUsage', () => {
  const used = async () =>
    (await sdk.usage.get('acme', { product: 'cvo', metric: 1, from: '2026-11-01T00:00:00Z' }))
      .consumption.deltas;

  it('a batch whose answer was lost is retried with the same ids and counted once', async () => {
    const before = await used();
    let lost = 0;
    const fetch: FetchLike = async (url, init) => {
      const response = await globalThis.fetch(url, init);
      // The server stored the batch, then the connection dropped before the answer arrived.
      if (new URL(url).pathname === '/v1/usage' && lost === 0) {
        lost++;
        throw new TypeError('fetch failed: socket hang up');
      }
      return response;
    };
    const client = new Entitle({
      url: harness.url,
      token: harness.operator,
      fetch,
      sleep: recordSleep,
      clock: () => T0_MS,
      usage: { flushIntervalMs: 0, flushOnExit: false },
    });
    const ids = client.reportUsage([
      { account: 'acme', product: 'cvo', metric: 1, kind: 'delta', value: 3 },
      { account: 'acme', product: 'cvo', metric: 1, kind: 'delta', value: 4 },
    ]);
    expect(new Set(ids).size).toBe(2);
    expect(client.pendingUsage).toBe(2);
    const result = await client.flush();
    expect(lost).toBe(1);
    expect(result).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    expect(client.pendingUsage).toBe(0);
    expect((await used()) - before).toBe(7);
  });

  it('a batch that failed every retry stays queued with its ids for the next flush', async () => {
    const before = await used();
    let down = true;
    const seen: string[][] = [];
    const fetch: FetchLike = async (url, init) => {
      if (new URL(url).pathname === '/v1/usage') {
        seen.push(
          (JSON.parse(init.body as string) as { records: { id: string }[] }).records.map(
            (r) => r.id,
          ),
        );
      }
      const response = await globalThis.fetch(url, init);
      if (down) throw new TypeError('fetch failed');
      return response;
    };
    const client = new Entitle({
      url: harness.url,
      token: harness.operator,
      fetch,
      retries: 1,
      sleep: recordSleep,
      clock: () => T0_MS,
      usage: { flushIntervalMs: 0, flushOnExit: false },
    });
    client.reportUsage([{ account: 'acme', product: 'cvo', metric: 1, kind: 'delta', value: 5 }]);
    await expect(client.flush()).rejects.toMatchObject({ status: 0 });
    expect(client.pendingUsage).toBe(1);
    down = false;
    expect(await client.close()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(new Set(seen.flat()).size).toBe(1);
    expect((await used()) - before).toBe(5);
  });

  it('flushes on its own once a batch is full', async () => {
    const before = await used();
    const flushed: unknown[] = [];
    const client = new Entitle({
      url: harness.url,
      token: harness.operator,
      clock: () => T0_MS,
      usage: {
        batchSize: 3,
        flushIntervalMs: 0,
        flushOnExit: false,
        onError: (e) => flushed.push(e),
      },
    });
    client.reportUsage([
      { account: 'acme', product: 'cvo', metric: 1, kind: 'delta', value: 1 },
      { account: 'acme', product: 'cvo', metric: 1, kind: 'delta', value: 1 },
    ]);
    expect(client.pendingUsage).toBe(2);
    client.reportUsage([{ account: 'acme', product: 'cvo', metric: 1, kind: 'delta', value: 1 }]);
    await client.flush(); // waits for the flush the full batch started
    expect(flushed).toEqual([]);
    expect(client.pendingUsage).toBe(0);
    expect((await used()) - before).toBe(3);
  });
});
