import type { LightMyRequestResponse } from 'fastify';
import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import { HpErrorSchema, HpLicenseSchema } from '../../src/http/compat/hp/schemas.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

/**
 * Conformance suite of the HP VAN SDN controller licensing facade (reference 003): the server
 * holds the document's own data (serial 10, install id 1234567, "HP VAN SDN Ctrl Base" with
 * metric "Controller Node", 50, DEMO, base license, the example dates) and every example request
 * of the document is replayed.
 */
let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await h.close();
});

const BASE = '/sdn/v2.0/licenses';
const KEY = 'CYIBMJJIHJQA6-IRTEQ2QUNBYCA-CSSDJIEIJFKIQ-VAI2QUJBYC42A';
const UNKNOWN_KEY = 'AAAAAAAAAAAAA-BBBBBBBBBBBBB-CCCCCCCCCCCCC-DDDDDDDDDDDDD';
const CREATED = '2013-06-25T23:51:09.826Z';
const ACTIVATED = '2013-06-22T23:51:09.826Z';
const EXPIRES = '2023-06-25T23:51:09.826Z';
const READ_AT = '2013-07-01T00:00:00.000Z';

/** The document's sample license, field for field. */
const EXAMPLE = {
  install_id: 1234567,
  serial_no: 10,
  license_metric: 'Controller Node',
  product: 'HP VAN SDN Ctrl Base',
  metric_qty: 50,
  license_type: 'DEMO',
  base_license: true,
  creation_date: CREATED,
  activated_date: ACTIVATED,
  expiry_date: EXPIRES,
  license_status: 'INACTIVE',
  deactivated_key: 'SAMPLE_LICENSE_KEY',
};
type HpLicense = typeof EXAMPLE;

const system = () => ({ principal: systemPrincipal, requestId: null, clock: h.clock });

interface Seeded {
  token: string;
  instanceId: string;
}

/**
 * The document's data, seeded through the services. Serial numbers start at FIRST_SERIAL
 * (100000001): the only way to hold serial 10 is to set the sequence, which this test does
 * through `h.store` (no service sets it; the facade itself never touches the store).
 */
async function seed(
  state: 'issued' | 'installed' | 'deactivated' = 'deactivated',
): Promise<Seeded> {
  h.clock.set(CREATED);
  await h.account('acme');
  await h.services.products.create(system(), {
    id: 1,
    slug: 'hp-van-sdn-ctrl-base',
    name: 'HP VAN SDN Ctrl Base',
    metrics: [{ id: 1, name: 'Controller Node', unit: 'nodes' }],
  });
  await h.store.transaction('test.seed-serial', (tx) =>
    tx.insertInto('sequences').values({ name: 'license_serial', value: 9 }).execute(),
  );
  const instance = await h.services.instances.create(system(), {
    accountId: 'acme',
    installId: 1234567,
  });
  const license = await h.services.licenses.issue(system(), {
    accountId: 'acme',
    product: 1,
    key: KEY,
    term: 'DEMO',
    metricId: 1,
    quantity: 50,
    baseLicense: true,
    expiresAt: EXPIRES,
  });
  expect(license.serialNumber).toBe(10);
  if (state !== 'issued') {
    // The example was activated before it was created: the clock goes back to say so.
    h.clock.set(ACTIVATED);
    await h.services.installs.install(system(), { instance: instance.id, keys: [KEY] });
  }
  if (state === 'deactivated') await h.services.licenses.deactivate(system(), '10', instance.id);
  h.clock.set(READ_AT);
  return {
    token: await h.token('instance', ['acme'], { instance: instance.id }),
    instanceId: instance.id,
  };
}

/** Every documented field with its documented type, and no other. */
function expectHpLicense(value: unknown): asserts value is HpLicense {
  expect(Value.Check(HpLicenseSchema, value), JSON.stringify(value)).toBe(true);
  expect(Object.keys(value as object).sort()).toEqual(Object.keys(EXAMPLE).sort());
}

/** The example exactly, but for the deactivated key, which is a signed proof, not a sample. */
function expectExample(value: unknown, status = 'INACTIVE'): void {
  expectHpLicense(value);
  expect({ ...value, deactivated_key: 'SAMPLE_LICENSE_KEY' }).toEqual({
    ...EXAMPLE,
    license_status: status,
  });
  if (status === 'INACTIVE') expect(value.deactivated_key).toMatch(/^\S{40,}$/);
  else expect(value.deactivated_key).toBeNull();
}

/** HP clients compare the header as a string: exactly `application/json`, no charset. */
function expectJson(response: { headers: Record<string, unknown> }): void {
  expect(response.headers['content-type']).toBe('application/json');
}

/** Bare values (install id, is-licensed, compliance level) are text/plain. */
function expectText(response: { headers: Record<string, unknown> }): void {
  expect(response.headers['content-type']).toBe('text/plain');
}

function expectError(response: LightMyRequestResponse, status: number, error: string): void {
  expect(response.statusCode, response.body).toBe(status);
  expectJson(response);
  const body = json(response);
  expect(Value.Check(HpErrorSchema, body)).toBe(true);
  expect(body.error).toBe(error);
  expect(String(body.message).length).toBeGreaterThan(0);
}

const text = { 'content-type': 'text/plain' };

describe('HP VAN SDN licensing: the document examples', () => {
  it('GET /sdn/v2.0/licenses lists the licenses installed on this controller', async () => {
    const { token } = await seed();
    const response = await h.request({ method: 'GET', url: BASE, token });
    expect(response.statusCode).toBe(200);
    expectJson(response);
    const body = json<{ licenses: unknown[] }>(response);
    expect(Object.keys(body)).toEqual(['licenses']);
    expect(body.licenses).toHaveLength(1);
    expectExample(body.licenses[0]);
  });

  it('GET ?key="…" (quoted as in the example) returns {"license": …}', async () => {
    const { token } = await seed();
    const response = await h.request({
      method: 'GET',
      url: `${BASE}?key=${encodeURIComponent(`"${KEY}"`)}`,
      token,
    });
    expect(response.statusCode).toBe(200);
    expectJson(response);
    const body = json(response);
    expect(Object.keys(body)).toEqual(['license']);
    expectExample(body.license);
  });

  it('GET ?key=… also takes the key unquoted, and the literal quotes of a raw URL', async () => {
    const { token } = await seed();
    for (const url of [`${BASE}?key=${KEY}`, `${BASE}?key="${KEY}"`]) {
      const response = await h.request({ method: 'GET', url, token });
      expect(response.statusCode, url).toBe(200);
      expectExample(json(response).license);
    }
  });

  it('POST /sdn/v2.0/licenses with the raw key (text/plain) installs it', async () => {
    const { token } = await seed('issued');
    h.clock.set(ACTIVATED);
    const response = await h.request({
      method: 'POST',
      url: BASE,
      token,
      body: KEY,
      headers: text,
    });
    expect(response.statusCode, response.body).toBe(200);
    expectJson(response);
    const body = json(response);
    expect(Object.keys(body)).toEqual(['license']);
    expectExample(body.license, 'ACTIVE');
    const list = json<{ licenses: HpLicense[] }>(
      await h.request({ method: 'GET', url: BASE, token }),
    );
    expect(list.licenses.map((l) => [l.serial_no, l.license_status])).toEqual([[10, 'ACTIVE']]);
  });

  it('POST takes the key as a JSON string or quoted text, and installing again is harmless', async () => {
    const { token } = await seed('issued');
    h.clock.set(ACTIVATED);
    const asJson = await h.request({
      method: 'POST',
      url: BASE,
      token,
      body: JSON.stringify(KEY),
      headers: { 'content-type': 'application/json' },
    });
    expect(asJson.statusCode, asJson.body).toBe(200);
    expectExample(json(asJson).license, 'ACTIVE');
    const quoted = await h.request({
      method: 'POST',
      url: BASE,
      token,
      body: `"${KEY}"`,
      headers: text,
    });
    expect(quoted.statusCode, quoted.body).toBe(200);
    expectExample(json(quoted).license, 'ACTIVE');
  });

  it('GET /sdn/v2.0/licenses/installid returns the bare install id', async () => {
    const { token } = await seed();
    const response = await h.request({ method: 'GET', url: `${BASE}/installid`, token });
    expect(response.statusCode).toBe(200);
    expectText(response);
    expect(response.body).toBe('1234567');
  });

  it('GET /sdn/v2.0/licenses/10 returns the license by serial number', async () => {
    const { token } = await seed();
    const response = await h.request({ method: 'GET', url: `${BASE}/10`, token });
    expect(response.statusCode).toBe(200);
    expectJson(response);
    const body = json(response);
    expect(Object.keys(body)).toEqual(['license']);
    expectExample(body.license);
  });

  it('POST /sdn/v2.0/licenses/10/action with "deactivate" deactivates it', async () => {
    const { token } = await seed('installed');
    const before = json(await h.request({ method: 'GET', url: `${BASE}/10`, token }));
    expectExample(before.license, 'ACTIVE');
    const response = await h.request({
      method: 'POST',
      url: `${BASE}/10/action`,
      token,
      body: 'deactivate',
      headers: text,
    });
    expect(response.statusCode, response.body).toBe(200);
    expectJson(response);
    const body = json(response);
    expect(Object.keys(body)).toEqual(['license']);
    expectExample(body.license);
    // Again, as a JSON string: already deactivated here, it answers the license unchanged.
    const again = await h.request({
      method: 'POST',
      url: `${BASE}/10/action`,
      token,
      body: JSON.stringify('deactivate'),
      headers: { 'content-type': 'application/json' },
    });
    expect(again.statusCode).toBe(200);
    expect(json(again)).toEqual(body);
  });

  it('GET /islicensed?product_id=1 is a bare true, then false once deactivated', async () => {
    const { token } = await seed('installed');
    const url = `${BASE}/islicensed?product_id=1`;
    const licensed = await h.request({ method: 'GET', url, token });
    expect(licensed.statusCode).toBe(200);
    expectText(licensed);
    expect(licensed.body).toBe('true');
    await h.request({
      method: 'POST',
      url: `${BASE}/10/action`,
      token,
      body: 'deactivate',
      headers: text,
    });
    const unlicensed = await h.request({ method: 'GET', url, token });
    expect(unlicensed.statusCode).toBe(200);
    expect(unlicensed.body).toBe('false');
  });

  it('GET /compliance?product_id=1&metric_id=1 is a bare number between 0 and 1', async () => {
    const { token, instanceId } = await seed('installed');
    const url = `${BASE}/compliance?product_id=1&metric_id=1`;
    const full = await h.request({ method: 'GET', url, token });
    expect(full.statusCode).toBe(200);
    expectText(full);
    expect(full.body).toBe('1');
    // Only half a node licensed on this controller: half compliant.
    await h.services.licenses.deactivate(system(), '10', instanceId);
    const half = await h.services.licenses.issue(system(), {
      accountId: 'acme',
      product: 1,
      metricId: 1,
      quantity: 0.5,
    });
    await h.services.installs.install(system(), { instance: instanceId, keys: [half.key] });
    const partial = await h.request({ method: 'GET', url, token });
    expect(partial.statusCode).toBe(200);
    expect(JSON.parse(partial.body)).toBe(0.5);
  });
});

describe('HP VAN SDN licensing: auth', () => {
  it("accepts the controller's X-Auth-Token header as well as Bearer", async () => {
    const { token } = await seed();
    const response = await h.request({
      method: 'GET',
      url: `${BASE}/installid`,
      token: null,
      headers: { 'x-auth-token': token },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('1234567');
  });

  it('401 without a token, with a bad token, on every route', async () => {
    await seed();
    for (const [method, url] of [
      ['GET', BASE],
      ['GET', `${BASE}?key=${KEY}`],
      ['POST', BASE],
      ['GET', `${BASE}/installid`],
      ['GET', `${BASE}/10`],
      ['POST', `${BASE}/10/action`],
      ['GET', `${BASE}/islicensed?product_id=1`],
      ['GET', `${BASE}/compliance?product_id=1&metric_id=1`],
    ] as const) {
      expectError(await h.request({ method, url, token: null }), 401, 'UnauthorizedException');
      expectError(
        await h.request({ method, url, token: null, headers: { 'x-auth-token': 'nonsense' } }),
        401,
        'UnauthorizedException',
      );
    }
  });

  it('404 for a token that names no controller (not an instance token)', async () => {
    await seed();
    const admin = await h.token('admin', ['acme']);
    expectError(
      await h.request({ method: 'GET', url: BASE, token: admin }),
      404,
      'NotFoundException',
    );
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/installid`, token: admin }),
      404,
      'NotFoundException',
    );
  });
});

describe('HP VAN SDN licensing: errors', () => {
  it('404 for a serial number or key that is not installed here, or no route', async () => {
    const { token } = await seed();
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/99`, token }),
      404,
      'NotFoundException',
    );
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/abc`, token }),
      404,
      'NotFoundException',
    );
    expectError(
      await h.request({ method: 'GET', url: `${BASE}?key=${UNKNOWN_KEY}`, token }),
      404,
      'NotFoundException',
    );
    expectError(
      await h.request({
        method: 'POST',
        url: `${BASE}/99/action`,
        token,
        body: 'deactivate',
        headers: text,
      }),
      404,
      'NotFoundException',
    );
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/10/nothing`, token }),
      404,
      'NotFoundException',
    );
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/islicensed?product_id=77`, token }),
      404,
      'NotFoundException',
    );
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/compliance?product_id=1&metric_id=9`, token }),
      404,
      'NotFoundException',
    );
  });

  it('405 with Allow for a method the path does not support', async () => {
    const { token } = await seed();
    const cases = [
      // POST /{serial_no} deactivates with {"action": "deactivate"} (issue 13).
      ['DELETE', `${BASE}/10`, 'GET, HEAD, POST'],
      ['PUT', BASE, 'GET, HEAD, POST'],
      ['POST', `${BASE}/installid`, 'GET, HEAD'],
      ['GET', `${BASE}/10/action`, 'POST'],
    ] as const;
    for (const [method, url, allow] of cases) {
      const response = await h.request({ method, url, token });
      expectError(response, 405, 'MethodNotAllowedException');
      expect(response.headers.allow, url).toBe(allow);
    }
  });

  it('400 for a malformed or unknown key, an unknown action, and missing parameters', async () => {
    const { token } = await seed();
    const bad = await h.request({
      method: 'POST',
      url: BASE,
      token,
      body: 'not a key',
      headers: text,
    });
    expectError(bad, 400, 'IllegalArgumentException');
    expect(json(bad).message).toBe('License key format not supported');
    const unknown = await h.request({
      method: 'POST',
      url: BASE,
      token,
      body: UNKNOWN_KEY,
      headers: text,
    });
    expectError(unknown, 400, 'IllegalArgumentException');
    expect(json(unknown).message).toBe('Unrecognized License');
    // Refused, not kept: the controller still lists only serial 10.
    const list = json<{ licenses: HpLicense[] }>(
      await h.request({ method: 'GET', url: BASE, token }),
    );
    expect(list.licenses.map((l) => l.serial_no)).toEqual([10]);
    expectError(
      await h.request({ method: 'POST', url: BASE, token, body: { key: KEY } }),
      400,
      'IllegalArgumentException',
    );
    expectError(
      await h.request({
        method: 'POST',
        url: `${BASE}/10/action`,
        token,
        body: 'activate',
        headers: text,
      }),
      400,
      'IllegalArgumentException',
    );
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/islicensed`, token }),
      400,
      'IllegalArgumentException',
    );
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/compliance?product_id=1&metric_id=x`, token }),
      400,
      'IllegalArgumentException',
    );
  });

  it('400 for a key that cannot be installed now (expired)', async () => {
    await seed('issued');
    h.clock.set('2024-01-01T00:00:00.000Z');
    const instance = (await h.services.instances.list(system(), {})).rows[0];
    const token = await h.token('instance', ['acme'], { instance: instance?.id ?? '' });
    const response = await h.request({
      method: 'POST',
      url: BASE,
      token,
      body: KEY,
      headers: text,
    });
    expectError(response, 400, 'IllegalStateException');
    expect(json(response).message).toBe('License not usable');
  });

  it('503 when the licensing service fails', async () => {
    const { token } = await seed();
    vi.spyOn(h.services.licenses, 'installedOn').mockRejectedValue(new Error('database is gone'));
    const response = await h.request({ method: 'GET', url: BASE, token });
    expectError(response, 503, 'ServiceUnavailableException');
    expect(response.body).not.toContain('database is gone');
  });

  it('text/plain is accepted by this facade only, not by the native API', async () => {
    await seed();
    const native = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: 'x',
      headers: text,
    });
    expect(native.statusCode).toBe(415);
  });
});

describe('HP VAN SDN licensing: isolation', () => {
  it("another account's controller sees none of it", async () => {
    await seed();
    await h.account('globex');
    const other = await h.services.instances.create(system(), { accountId: 'globex' });
    const token = await h.token('instance', ['globex'], { instance: other.id });
    const list = await h.request({ method: 'GET', url: BASE, token });
    expect(json(list)).toEqual({ licenses: [] });
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/10`, token }),
      404,
      'NotFoundException',
    );
    expectError(
      await h.request({ method: 'GET', url: `${BASE}?key=${KEY}`, token }),
      404,
      'NotFoundException',
    );
    expectError(
      await h.request({
        method: 'POST',
        url: `${BASE}/10/action`,
        token,
        body: 'deactivate',
        headers: text,
      }),
      404,
      'NotFoundException',
    );
    const install = await h.request({ method: 'POST', url: BASE, token, body: KEY, headers: text });
    expectError(install, 400, 'IllegalArgumentException');
    expect(json(install).message).toBe('Unrecognized License');
  });

  it('another controller of the same account sees only what is installed on it', async () => {
    await seed();
    const second = await h.services.instances.create(system(), { accountId: 'acme' });
    const token = await h.token('instance', ['acme'], { instance: second.id });
    expect(json(await h.request({ method: 'GET', url: BASE, token }))).toEqual({ licenses: [] });
    expectError(
      await h.request({ method: 'GET', url: `${BASE}/10`, token }),
      404,
      'NotFoundException',
    );
    const installId = await h.request({ method: 'GET', url: `${BASE}/installid`, token });
    expect(Number(installId.body)).toBe(second.installId);
  });
});

describe('services.licenses.installedOn (the service behind the list)', () => {
  it('lists licenses activated on the instance now or before, by serial, and nothing else', async () => {
    const { instanceId } = await seed('deactivated');
    const live = await h.services.licenses.issue(system(), {
      accountId: 'acme',
      product: 1,
      metricId: 1,
      quantity: 2,
    });
    await h.services.licenses.issue(system(), { accountId: 'acme', product: 1 });
    await h.services.installs.install(system(), { instance: instanceId, keys: [live.key] });
    const installed = await h.services.licenses.installedOn(system(), instanceId);
    expect(installed.map((l) => [l.serialNumber, l.state, l.validity.status])).toEqual([
      [10, 'inactive', 'inactive'],
      [live.serialNumber, 'active', 'active'],
    ]);
  });

  it("refuses an instance token for another instance's list, and hides other accounts", async () => {
    const { instanceId } = await seed();
    const second = await h.services.instances.create(system(), { accountId: 'acme' });
    const secondToken = await h.services.tokens.authenticate(
      await h.token('instance', ['acme'], { instance: second.id }),
      h.clock,
    );
    await expect(
      h.services.licenses.installedOn(
        { principal: secondToken, requestId: null, clock: h.clock },
        instanceId,
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await h.account('globex');
    const admin = await h.services.tokens.authenticate(await h.token('admin', ['globex']), h.clock);
    await expect(
      h.services.licenses.installedOn(
        { principal: admin, requestId: null, clock: h.clock },
        instanceId,
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
