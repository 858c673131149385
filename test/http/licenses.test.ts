import { join } from 'node:path';
import type { Static } from 'typebox';
import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyDeactivationProof } from '../../src/domain/certificate.js';
import type { Instance } from '../../src/domain/instance.js';
import { LicenseSchema, type License } from '../../src/domain/license.js';
import { generateNativeKey, NATIVE_KEY_RANDOM_BYTES } from '../../src/domain/license-key.js';
import { ProblemSchema } from '../../src/http/problems.js';
import type { ActivationSchema } from '../../src/http/v1/licenses/schemas.js';
import {
  InstallResults,
  UninstallResults,
  VerdictSchema,
} from '../../src/http/v1/licenses/schemas.js';
import { readOrCreateSecret } from '../../src/services/token-keys.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const DAY_MS = 86_400_000;
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

// Keys of NetProfiler's documentation (reference 001) and HP's shape.
const NP_KNOWN = 'MMZDK-ZS86U-AVVIP-U82CV-56SXK-AIXT0-VLAPI-7B574';
const NP_UNKNOWN = 'SSIF1-VUDHF-7QGZJ-YUHYW-YYA5J-EK9WS-V4/W4-CC3D6';
const NP_OTHER = 'BAFBG-ABIAA-AAAAA-AAAAA-BRBK6-IAAAA-PU3NC-AK2J6';
const HP_KEY = 'CYIBMJJIHJQA6-IRTEQ2QUNBYCA-CSSDJIEIJFKIQ-VAI2QUJBYC42A';
const RESOURCE_ID = /^license-\d+-[0-9a-f-]{36}$/;
const NATIVE_SHAPE = /^8[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{5}){7}$/;
const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

const cvo = {
  slug: 'cvo',
  name: 'Cloud Volumes ONTAP',
  group: 'CVO',
  features: [
    { id: 'BACKUP', name: 'Backup' },
    { id: 'TIERING', name: 'Tiering' },
  ],
  metrics: [
    { id: 1, name: 'Provisioned capacity', unit: 'TiB' },
    { id: 2, name: 'Controller nodes', unit: 'nodes' },
  ],
};
const sdn = {
  id: 42,
  slug: 'sdn',
  name: 'HP VAN SDN Ctrl Base',
  metrics: [{ id: 7, name: 'Controller nodes', unit: 'nodes' }],
};

type Activation = Static<typeof ActivationSchema>;
type Verdict = Static<typeof VerdictSchema>;
interface Issue {
  name: string;
  reason: string;
}
interface List<T> {
  items: T[];
  metadata: { continue?: string; count?: number };
}
interface KeyResults {
  results: { key: string; result: string }[];
}

async function product(body: Record<string, unknown> = cvo): Promise<number> {
  const response = await h.request({ method: 'POST', url: '/v1/products', body });
  if (response.statusCode !== 201) throw new Error(`product: ${response.body}`);
  return json<{ id: number }>(response).id;
}

async function instance(accountId: string, extra: Record<string, unknown> = {}) {
  const response = await h.request({
    method: 'POST',
    url: '/v1/instances',
    body: { accountId, ...extra },
  });
  if (response.statusCode !== 201) throw new Error(`instance: ${response.body}`);
  return json<Instance>(response);
}

async function issue(body: Record<string, unknown>): Promise<License> {
  const response = await h.request({ method: 'POST', url: '/v1/licenses', body });
  if (response.statusCode !== 201) throw new Error(`license: ${response.body}`);
  return json<License>(response);
}

function activate(license: string, instanceId: string, token?: string) {
  return h.request({
    method: 'POST',
    url: `/v1/licenses/${license}/activate`,
    body: { instance: instanceId },
    token,
  });
}

function deactivate(license: string, instanceId?: string, token?: string) {
  return h.request({
    method: 'POST',
    url: `/v1/licenses/${license}/deactivate`,
    body: instanceId === undefined ? {} : { instance: instanceId },
    token,
  });
}

async function getLicense(ref: string | number): Promise<License> {
  const response = await h.request({ method: 'GET', url: `/v1/licenses/${String(ref)}` });
  expect(response.statusCode).toBe(200);
  return json<License>(response);
}

async function activations(license: string, token?: string): Promise<Activation[]> {
  const response = await h.request({
    method: 'GET',
    url: `/v1/licenses/${license}/activations`,
    token,
  });
  expect(response.statusCode).toBe(200);
  return json<{ items: Activation[] }>(response).items;
}

async function validate(body: Record<string, unknown>, token?: string): Promise<Verdict> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/licenses/validate',
    body,
    token,
  });
  expect(response.statusCode, response.body).toBe(200);
  const verdict = json<Verdict>(response);
  expect(Value.Check(VerdictSchema, verdict)).toBe(true);
  return verdict;
}

async function licenseCount(token?: string, filter?: string): Promise<number> {
  const query = filter === undefined ? '' : `&filter=${encodeURIComponent(filter)}`;
  const response = await h.request({
    method: 'GET',
    url: `/v1/licenses?count=true${query}`,
    token,
  });
  expect(response.statusCode).toBe(200);
  return json<List<License>>(response).metadata.count ?? -1;
}

async function install(body: Record<string, unknown>, token?: string) {
  const response = await h.request({
    method: 'POST',
    url: '/v1/licenses/install',
    body,
    token,
  });
  expect(response.statusCode, response.body).toBe(200);
  const results = json<KeyResults>(response);
  expect(Value.Check(InstallResults, results)).toBe(true);
  return results.results;
}

async function uninstall(body: Record<string, unknown>, token?: string) {
  const response = await h.request({
    method: 'POST',
    url: '/v1/licenses/uninstall',
    body,
    token,
  });
  expect(response.statusCode, response.body).toBe(200);
  const results = json<KeyResults>(response);
  expect(Value.Check(UninstallResults, results)).toBe(true);
  return results.results;
}

/** A native key valid under this harness's secret, from fixed random bytes. */
function nativeKey(fill: number): string {
  const secret = readOrCreateSecret(join(h.dir, 'license-key-secret'));
  return generateNativeKey(Buffer.alloc(NATIVE_KEY_RANDOM_BYTES, fill), secret);
}

/** The key with one symbol replaced by another: the check symbol must catch it. */
function typo(key: string): string {
  const index = 6;
  const replacement = key.charAt(index) === '2' ? '3' : '2';
  return key.slice(0, index) + replacement + key.slice(index + 1);
}

function issueNames(response: { body: string }, list: 'invalidFields' | 'invalidParams') {
  const body = JSON.parse(response.body) as Record<string, Issue[] | undefined>;
  return (body[list] ?? []).map((issue) => issue.name).sort();
}

describe('licenses: issue', () => {
  beforeEach(async () => {
    await h.account('acme');
    await product();
  });

  it('issues a license for a product with the product’s defaults', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'acme', product: 'cvo' },
    });
    expect(response.statusCode).toBe(201);
    const license = json<License>(response);
    expect(Value.Check(LicenseSchema, license)).toBe(true);
    expect(response.headers.location).toBe(`/v1/licenses/${license.id}`);
    expect(license.id).toMatch(RESOURCE_ID);
    expect(license.id.startsWith(`license-${String(license.serialNumber)}-`)).toBe(true);
    expect(license.serialNumber).toBe(100_000_001);
    expect(license.key).toMatch(NATIVE_SHAPE);
    expect(license).toMatchObject({
      keyScheme: 'native',
      accountId: 'acme',
      productId: 1,
      kind: 'node',
      service: null,
      group: 'CVO',
      term: 'PERPETUAL',
      metricId: 1,
      quantity: 1,
      features: [],
      baseLicense: false,
      description: 'Cloud Volumes ONTAP',
      createdAt: T0,
      updatedAt: T0,
      startsAt: null,
      activatedAt: null,
      expiresAt: null,
      graceDays: 0,
      seatLimit: null,
      seatsUsed: 0,
      state: 'active',
      deactivatedKey: null,
      orderId: null,
      sku: null,
      labels: {},
    });
    expect(license.validity).toEqual({
      status: 'active',
      valid: true,
      inGrace: false,
      daysRemaining: null,
      graceDaysRemaining: null,
      aboutToExpire: false,
      trialDaysRemaining: null,
    });

    const second = await issue({
      accountId: 'acme',
      product: 1,
      group: null,
      metricId: 2,
      description: 'Two nodes',
      kind: 'capacity',
      service: 'BACKUP',
      term: 'TRIAL',
      quantity: 2,
      features: ['BACKUP'],
      expiresAt: at(10 * DAY_MS),
      graceDays: 3,
      seatLimit: 2,
      orderId: 'PO-1',
      sku: 'SKU-1',
      labels: { env: 'prod' },
    });
    expect(second.serialNumber).toBe(license.serialNumber + 1);
    expect(second.key).not.toBe(license.key);
    expect(second).toMatchObject({
      group: null,
      metricId: 2,
      description: 'Two nodes',
      kind: 'capacity',
      service: 'BACKUP',
      term: 'TRIAL',
      quantity: 2,
      features: ['BACKUP'],
      graceDays: 3,
      seatLimit: 2,
      orderId: 'PO-1',
      sku: 'SKU-1',
      labels: { env: 'prod' },
    });
    expect(second.validity).toMatchObject({
      daysRemaining: 10,
      aboutToExpire: true,
      trialDaysRemaining: 10,
    });
  });

  it('issues a license without a product', async () => {
    const license = await issue({ accountId: 'acme', quantity: -1 });
    expect(license).toMatchObject({
      productId: null,
      group: null,
      metricId: null,
      description: '',
      quantity: -1,
    });
  });

  it('registers NetProfiler, HP and opaque keys issued elsewhere', async () => {
    const netprofiler = await issue({ accountId: 'acme', key: NP_KNOWN.toLowerCase() });
    expect(netprofiler).toMatchObject({ key: NP_KNOWN, keyScheme: 'netprofiler' });
    const hp = await issue({ accountId: 'acme', product: 'cvo', key: HP_KEY.toLowerCase() });
    expect(hp).toMatchObject({ key: HP_KEY, keyScheme: 'hp' });
    const opaque = await issue({ accountId: 'acme', key: 'Vendor/Key:42' });
    expect(opaque).toMatchObject({ key: 'Vendor/Key:42', keyScheme: 'opaque' });
    const native = await issue({ accountId: 'acme', key: nativeKey(7).toLowerCase() });
    expect(native).toMatchObject({ key: nativeKey(7), keyScheme: 'native' });
    expect([netprofiler, hp, opaque, native].map((l) => l.serialNumber)).toEqual([
      100_000_001, 100_000_002, 100_000_003, 100_000_004,
    ]);
  });

  it('answers 409 naming the key when it is registered twice, in any spelling', async () => {
    await issue({ accountId: 'acme', key: NP_KNOWN });
    const again = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'acme', key: NP_KNOWN.toLowerCase() },
    });
    expect(again.statusCode).toBe(409);
    expect(json(again).invalidFields).toEqual([
      { name: 'key', reason: 'another license has this key' },
    ]);
    expect(await licenseCount()).toBe(1);
  });

  it('answers 400 naming key for a malformed key', async () => {
    for (const key of ['ab cd', typo(nativeKey(3)), 'é-key']) {
      const response = await h.request({
        method: 'POST',
        url: '/v1/licenses',
        body: { accountId: 'acme', key },
      });
      expect(response.statusCode, key).toBe(400);
      expect(json(response).type).toBe('/problems/invalid-fields');
      expect(json(response).invalidFields).toEqual([
        { name: 'key', reason: 'License key format not supported' },
      ]);
    }
    expect(await licenseCount()).toBe(0);
  });

  it('answers 400 naming an unknown account, product, metric or feature', async () => {
    const cases: [Record<string, unknown>, Issue[]][] = [
      [{ accountId: 'nobody' }, [{ name: 'accountId', reason: 'no such account: nobody' }]],
      [
        { accountId: 'acme', product: 'nope' },
        [{ name: 'product', reason: 'no such product: nope' }],
      ],
      [{ accountId: 'acme', product: 99 }, [{ name: 'product', reason: 'no such product: 99' }]],
      [
        { accountId: 'acme', product: 'cvo', metricId: 9, features: ['BACKUP', 'NOPE'] },
        [
          { name: 'metricId', reason: "product 'cvo' has no metric 9" },
          { name: 'features.1', reason: "product 'cvo' has no feature 'NOPE'" },
        ],
      ],
    ];
    for (const [body, issues] of cases) {
      const response = await h.request({ method: 'POST', url: '/v1/licenses', body });
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(Value.Check(ProblemSchema, json(response))).toBe(true);
      expect(json(response).invalidFields).toEqual(issues);
    }
    expect(await licenseCount()).toBe(0);
  });

  it('names every field that breaks the schema', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: {
        accountId: 'has space',
        quantity: -2,
        term: 'FOREVER',
        seatLimit: 0,
        service: 'lower',
        expiresAt: 'tomorrow',
        colour: 'red',
      },
    });
    expect(response.statusCode).toBe(400);
    expect(issueNames(response, 'invalidFields')).toEqual([
      'accountId',
      'colour',
      'expiresAt',
      'quantity',
      'seatLimit',
      'service',
      'term',
    ]);
  });

  it('issues a batch in order with increasing serial numbers', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/licenses/batch',
      body: {
        items: [
          { accountId: 'acme', product: 'cvo' },
          { accountId: 'acme', key: NP_KNOWN },
          { accountId: 'acme', product: 'cvo', quantity: 5 },
        ],
      },
    });
    expect(response.statusCode).toBe(201);
    const { items } = json<{ items: License[] }>(response);
    expect(items.every((l) => Value.Check(LicenseSchema, l))).toBe(true);
    expect(items.map((l) => l.serialNumber)).toEqual([100_000_001, 100_000_002, 100_000_003]);
    expect(items.map((l) => l.keyScheme)).toEqual(['native', 'netprofiler', 'native']);
    expect(items[2]?.quantity).toBe(5);
    expect(await licenseCount()).toBe(3);
  });

  it('a batch is all or nothing: one bad item writes no license', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/licenses/batch',
      body: {
        items: [
          { accountId: 'acme', product: 'cvo' },
          { accountId: 'acme', key: NP_KNOWN },
          { accountId: 'acme', product: 'cvo', metricId: 9 },
        ],
      },
    });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidFields).toEqual([
      { name: 'items.2.metricId', reason: "product 'cvo' has no metric 9" },
    ]);
    expect(await licenseCount()).toBe(0);

    const product = await h.request({
      method: 'POST',
      url: '/v1/licenses/batch',
      body: { items: [{ accountId: 'acme' }, { accountId: 'acme', product: 'nope' }] },
    });
    expect(json(product).invalidFields).toEqual([
      { name: 'items.1.product', reason: 'no such product: nope' },
    ]);
    const key = await h.request({
      method: 'POST',
      url: '/v1/licenses/batch',
      body: { items: [{ accountId: 'acme', key: 'ab cd' }] },
    });
    expect(json(key).invalidFields).toEqual([
      { name: 'items.0.key', reason: 'License key format not supported' },
    ]);
    const schema = await h.request({
      method: 'POST',
      url: '/v1/licenses/batch',
      body: { items: [{ accountId: 'acme' }, { accountId: 'acme', quantity: 'many' }] },
    });
    expect(schema.statusCode).toBe(400);
    expect(issueNames(schema, 'invalidFields')).toEqual(['items.1.quantity']);
    expect(await licenseCount()).toBe(0);
    // The serial numbers the failed batches drew were rolled back too.
    expect((await issue({ accountId: 'acme' })).serialNumber).toBe(100_000_001);
  });

  it('a batch names the item whose key is already taken', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/licenses/batch',
      body: {
        items: [
          { accountId: 'acme', key: NP_KNOWN },
          { accountId: 'acme', key: NP_KNOWN.toLowerCase() },
        ],
      },
    });
    expect(response.statusCode).toBe(409);
    expect(await licenseCount()).toBe(0);
    expect(json(response).invalidFields).toEqual([
      { name: 'items.1.key', reason: 'another license has this key' },
    ]);
  });

  it('refuses a quantity too large to convert between units, naming it', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'acme', quantity: 1e308 },
    });
    expect(response.statusCode).toBe(400);
    expect(
      json<{ invalidFields: { name: string }[] }>(response).invalidFields.map((f) => f.name),
    ).toContain('quantity');
    expect(await licenseCount()).toBe(0);
  });

  it('keeps a serial number issued elsewhere; the sequence steps over kept serials', async () => {
    const kept = await issue({ accountId: 'acme', serialNumber: 100_000_002 });
    expect(kept.serialNumber).toBe(100_000_002);
    expect(kept.id).toMatch(/^license-100000002-/);
    const first = await issue({ accountId: 'acme' });
    const second = await issue({ accountId: 'acme' });
    expect([first.serialNumber, second.serialNumber]).toEqual([100_000_001, 100_000_003]);
    const taken = await h.request({
      method: 'POST',
      url: '/v1/licenses/batch',
      body: { items: [{ accountId: 'acme' }, { accountId: 'acme', serialNumber: 100_000_001 }] },
    });
    expect(taken.statusCode).toBe(409);
    expect(json(taken).invalidFields).toEqual([
      { name: 'items.1.serialNumber', reason: 'another license has this serial number' },
    ]);
    expect(await licenseCount()).toBe(3);
  });
});

describe('licenses: read', () => {
  beforeEach(async () => {
    await h.account('acme');
    await product();
  });

  it('gets a license by resource id and by serial number', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    expect(await getLicense(license.id)).toEqual(license);
    expect(await getLicense(license.serialNumber)).toEqual(license);
    const missing = await h.request({ method: 'GET', url: '/v1/licenses/999999' });
    expect(missing.statusCode).toBe(404);
    expect(json(missing).type).toBe('/problems/not-found');
    const missingId = await h.request({
      method: 'GET',
      url: `/v1/licenses/license-100000001-${MISSING_UUID}`,
    });
    expect(missingId.statusCode).toBe(404);
  });

  it('answers 400 naming the path parameter for a malformed license reference', async () => {
    for (const ref of ['nope', 'license-1-xyz', '1234567890123456']) {
      const response = await h.request({ method: 'GET', url: `/v1/licenses/${ref}` });
      expect(response.statusCode, ref).toBe(400);
      expect(json(response).type).toBe('/problems/invalid-params');
      expect(issueNames(response, 'invalidParams')).toEqual(['license']);
    }
  });

  it('looks a license up by its key in any accepted spelling', async () => {
    const key = nativeKey(0);
    expect(key).toContain('0');
    const native = await issue({ accountId: 'acme', key });
    const netprofiler = await issue({ accountId: 'acme', key: NP_UNKNOWN });
    const lookup = (spelling: string) =>
      h.request({ method: 'GET', url: `/v1/licenses/lookup?key=${encodeURIComponent(spelling)}` });
    for (const spelling of [
      key,
      key.toLowerCase(),
      key.replace(/-/g, ''),
      key.toLowerCase().replace(/-/g, '').replace(/0/g, 'o'),
      key.replace(/-/g, ' '),
    ]) {
      const response = await lookup(spelling);
      expect(response.statusCode, spelling).toBe(200);
      expect(json(response)).toEqual(native);
    }
    expect(json(await lookup(NP_UNKNOWN.toLowerCase()))).toEqual(netprofiler);
    const unknown = await lookup(nativeKey(1));
    expect(unknown.statusCode).toBe(404);
    const typoed = await lookup(typo(key));
    expect(typoed.statusCode).toBe(404);
    const none = await h.request({ method: 'GET', url: '/v1/licenses/lookup' });
    expect(none.statusCode).toBe(400);
    expect(issueNames(none, 'invalidParams')).toEqual(['key']);
  });

  it('filters a list on every BlueXP parameter and on expiresAt', async () => {
    await h.account('other');
    const a = await issue({ accountId: 'acme', product: 'cvo', service: 'BACKUP' });
    const b = await issue({
      accountId: 'acme',
      kind: 'capacity',
      service: 'TIERING',
      group: 'DATA_SERVICES',
      expiresAt: '2026-12-01T00:00:00.000Z',
    });
    const c = await issue({
      accountId: 'other',
      kind: 'data-service',
      expiresAt: '2027-06-01T00:00:00.000Z',
    });
    const ids = async (filter: string) => {
      const response = await h.request({
        method: 'GET',
        url: `/v1/licenses?filter=${encodeURIComponent(filter)}`,
      });
      expect(response.statusCode, filter).toBe(200);
      return json<List<License>>(response).items.map((l) => l.id);
    };
    expect(await ids("accountId eq 'acme'")).toEqual([a.id, b.id]);
    expect(await ids(`serialNumber eq ${String(b.serialNumber)}`)).toEqual([b.id]);
    expect(await ids(`serialNumber gt ${String(a.serialNumber)}`)).toEqual([b.id, c.id]);
    expect(await ids(`resourceId eq '${c.id}'`)).toEqual([c.id]);
    expect(await ids("licenseType eq 'capacity'")).toEqual([b.id]);
    expect(await ids("licenseType eq 'node'")).toEqual([a.id]);
    expect(await ids("service eq 'BACKUP'")).toEqual([a.id]);
    expect(await ids("group eq 'CVO'")).toEqual([a.id]);
    expect(await ids("group eq 'DATA_SERVICES' and accountId eq 'acme'")).toEqual([b.id]);
    expect(await ids("expiresAt lt '2027-01-01T00:00:00Z'")).toEqual([b.id]);
    expect(await ids("expiresAt gt '2027-01-01T00:00:00Z'")).toEqual([c.id]);

    const partial = await h.request({
      method: 'GET',
      url: `/v1/licenses?orderBy=serialNumber%20desc&limit=1&include=serialNumber,state&count=true`,
    });
    const page = json<List<Partial<License>>>(partial);
    expect(page.items).toEqual([{ serialNumber: c.serialNumber, state: 'active' }]);
    expect(page.metadata.count).toBe(3);
    expect(typeof page.metadata.continue).toBe('string');

    const bad = await h.request({
      method: 'GET',
      url: `/v1/licenses?filter=${encodeURIComponent("colour eq 'red'")}`,
    });
    expect(bad.statusCode).toBe(400);
    expect(issueNames(bad, 'invalidParams')).toEqual(['filter']);
  });
});

describe('licenses: change', () => {
  let inst: Instance;
  beforeEach(async () => {
    await h.account('acme');
    await product();
    inst = await instance('acme');
  });

  it('suspends and resumes a license', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    expect((await activate(license.id, inst.id)).statusCode).toBe(201);
    h.clock.advance(60_000);
    const suspended = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { state: 'suspended' },
    });
    expect(suspended.statusCode).toBe(200);
    expect(json<License>(suspended)).toMatchObject({
      state: 'suspended',
      seatsUsed: 1,
      updatedAt: at(60_000),
      validity: { status: 'suspended', valid: false },
    });
    const verdict = await validate({ key: license.key, instance: inst.id });
    expect(verdict).toMatchObject({
      valid: false,
      code: 'SUSPENDED',
      detail: 'The license is suspended.',
    });

    const resumed = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.serialNumber}`,
      body: { state: 'active' },
    });
    expect(resumed.statusCode).toBe(200);
    expect(json(resumed).state).toBe('active');
    expect((await validate({ key: license.key, instance: inst.id })).code).toBe('VALID');
  });

  // A deactivated license that is suspended and resumed comes back inactive, not active.
  it('suspending and resuming a deactivated license keeps it inactive', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    await activate(license.id, inst.id);
    const inactive = json<License>(await deactivate(license.id, inst.id));
    expect(inactive.state).toBe('inactive');
    const suspended = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { state: 'suspended' },
    });
    expect(json(suspended).state).toBe('suspended');
    const resumed = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { state: 'active' },
    });
    expect(resumed.statusCode).toBe(200);
    expect((await validate({ key: license.key })).code).toBe('NOT_ACTIVATED');
    expect(json<License>(resumed)).toMatchObject({
      state: 'inactive',
      seatsUsed: 0,
      deactivatedKey: inactive.deactivatedKey,
    });
  });

  it('patches only the given fields and checks them against the product', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo', features: ['BACKUP'] });
    const patched = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { description: 'Renamed', quantity: 10, metricId: 2, labels: { a: 'b' } },
    });
    expect(patched.statusCode).toBe(200);
    expect(json<License>(patched)).toEqual({
      ...license,
      description: 'Renamed',
      quantity: 10,
      metricId: 2,
      labels: { a: 'b' },
    });
    const bad = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { metricId: 9, features: ['NOPE'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(issueNames(bad, 'invalidFields')).toEqual(['features.0', 'metricId']);
    const schema = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { state: 'revoked', key: 'x' },
    });
    expect(schema.statusCode).toBe(400);
    expect(issueNames(schema, 'invalidFields')).toEqual(['key', 'state']);
    const empty = await h.request({ method: 'PATCH', url: `/v1/licenses/${license.id}`, body: {} });
    expect(empty.statusCode).toBe(400);
    expect((await getLicense(license.id)).description).toBe('Renamed');
  });

  it('revokes a license, ending its activations', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    const second = await instance('acme');
    await activate(license.id, inst.id);
    await activate(license.id, second.id);
    h.clock.advance(5_000);
    const revoked = await h.request({ method: 'POST', url: `/v1/licenses/${license.id}/revoke` });
    expect(revoked.statusCode).toBe(200);
    expect(Value.Check(LicenseSchema, json(revoked))).toBe(true);
    expect(json<License>(revoked)).toMatchObject({
      state: 'revoked',
      seatsUsed: 0,
      validity: { status: 'revoked', valid: false },
    });
    expect((await activations(license.id)).map((a) => a.deactivatedAt)).toEqual([
      at(5_000),
      at(5_000),
    ]);
    expect((await getLicense(license.id)).seatsUsed).toBe(0);
    expect(await validate({ key: license.key, instance: inst.id })).toMatchObject({
      valid: false,
      code: 'REVOKED',
    });
  });

  it('a revoked license cannot be resumed or suspended by PATCH', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    await h.request({ method: 'POST', url: `/v1/licenses/${license.id}/revoke` });
    for (const state of ['active', 'suspended'] as const) {
      const response = await h.request({
        method: 'PATCH',
        url: `/v1/licenses/${license.id}`,
        body: { state },
      });
      expect(response.statusCode, state).toBe(409);
      expect(json(response).type).toBe('/problems/conflict');
      expect(json(response).invalidFields).toEqual([
        { name: 'state', reason: `cannot change from revoked to ${state}` },
      ]);
    }
    expect((await getLicense(license.id)).state).toBe('revoked');
    expect((await validate({ key: license.key })).code).toBe('REVOKED');
  });

  it('deletes a license and its activations', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    await activate(license.id, inst.id);
    const deleted = await h.request({ method: 'DELETE', url: `/v1/licenses/${license.id}` });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await h.request({ method: 'GET', url: `/v1/licenses/${license.id}` })).statusCode).toBe(
      404,
    );
    expect(await h.store.db.selectFrom('activations').selectAll().execute()).toEqual([]);
    expect((await validate({ key: license.key })).code).toBe('UNKNOWN_KEY');
    const again = await h.request({ method: 'DELETE', url: `/v1/licenses/${license.id}` });
    expect(again.statusCode).toBe(404);
  });
});

describe('licenses: roles and isolation', () => {
  let mine: License;
  let theirs: License;
  beforeEach(async () => {
    await h.account('tenant-a');
    await h.account('tenant-b');
    await product();
    mine = await issue({ accountId: 'tenant-a', product: 'cvo', key: NP_KNOWN });
    theirs = await issue({ accountId: 'tenant-b', product: 'cvo', key: NP_OTHER });
  });

  it('only operators issue, change, revoke and delete licenses', async () => {
    for (const role of ['admin', 'viewer', 'service'] as const) {
      const token = await h.token(role, ['tenant-a']);
      for (const [method, url, body] of [
        ['POST', '/v1/licenses', { accountId: 'tenant-a' }],
        ['POST', '/v1/licenses/batch', { items: [{ accountId: 'tenant-a' }] }],
        ['PATCH', `/v1/licenses/${mine.id}`, { description: 'x' }],
        ['POST', `/v1/licenses/${mine.id}/revoke`, undefined],
        ['DELETE', `/v1/licenses/${mine.id}`, undefined],
      ] as const) {
        const response = await h.request({ method, url, token, body });
        expect(response.statusCode, `${role} ${method} ${url}`).toBe(403);
        expect(json(response).type).toBe('/problems/forbidden');
      }
      expect(
        (await h.request({ method: 'GET', url: `/v1/licenses/${mine.id}`, token })).statusCode,
      ).toBe(200);
    }
    expect(await getLicense(mine.id)).toEqual(mine);
    expect(await licenseCount()).toBe(2);
  });

  it('an admin of A gets 404 on B’s license by id, by serial and by key', async () => {
    const admin = await h.token('admin', ['tenant-a']);
    const byId = await h.request({ method: 'GET', url: `/v1/licenses/${theirs.id}`, token: admin });
    expect(byId.statusCode).toBe(404);
    const bySerial = await h.request({
      method: 'GET',
      url: `/v1/licenses/${String(theirs.serialNumber)}`,
      token: admin,
    });
    expect(bySerial.statusCode).toBe(404);
    const missing = await h.request({ method: 'GET', url: '/v1/licenses/999', token: admin });
    expect(String(json(bySerial).detail).replace(String(theirs.serialNumber), 'X')).toBe(
      String(json(missing).detail).replace('999', 'X'),
    );
    const lookup = await h.request({
      method: 'GET',
      url: `/v1/licenses/lookup?key=${encodeURIComponent(NP_OTHER)}`,
      token: admin,
    });
    const lookupMissing = await h.request({
      method: 'GET',
      url: `/v1/licenses/lookup?key=${encodeURIComponent(NP_UNKNOWN)}`,
      token: admin,
    });
    expect(lookup.statusCode).toBe(404);
    expect(json(lookup).detail).toBe(json(lookupMissing).detail);
    for (const verb of ['activations', 'revoke'] as const) {
      const response = await h.request({
        method: verb === 'revoke' ? 'POST' : 'GET',
        url: `/v1/licenses/${theirs.id}/${verb}`,
        token: admin,
      });
      expect(response.statusCode, verb).toBe(404);
    }
    const mineByKey = await h.request({
      method: 'GET',
      url: `/v1/licenses/lookup?key=${encodeURIComponent(NP_KNOWN.toLowerCase())}`,
      token: admin,
    });
    expect(json(mineByKey).id).toBe(mine.id);
  });

  it('a list never contains another account’s licenses', async () => {
    const viewer = await h.token('viewer', ['tenant-a']);
    const list = json<List<License>>(
      await h.request({ method: 'GET', url: '/v1/licenses?count=true', token: viewer }),
    );
    expect(list.items.map((l) => l.id)).toEqual([mine.id]);
    expect(list.metadata.count).toBe(1);
    expect(await licenseCount(viewer, "accountId eq 'tenant-b'")).toBe(0);
    expect(await licenseCount(viewer, `key eq '${NP_OTHER}'`)).toBe(0);
    expect(await licenseCount()).toBe(2);
  });
});

describe('licenses: activation', () => {
  let first: Instance;
  let second: Instance;
  beforeEach(async () => {
    await h.account('acme');
    await product();
    first = await instance('acme');
    second = await instance('acme');
  });

  it('activates with 201, and again on the same instance with 200 and no change', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo', seatLimit: 1 });
    h.clock.advance(1_000);
    const response = await activate(license.id, first.id);
    expect(response.statusCode).toBe(201);
    const activated = json<License>(response);
    expect(Value.Check(LicenseSchema, activated)).toBe(true);
    expect(activated).toMatchObject({
      seatsUsed: 1,
      state: 'active',
      activatedAt: at(1_000),
      updatedAt: at(1_000),
    });
    h.clock.advance(1_000);
    const again = await activate(String(license.serialNumber), first.id);
    expect(again.statusCode).toBe(200);
    expect(json(again)).toEqual(activated);
    expect(await activations(license.id)).toEqual([
      {
        instanceId: first.id,
        installId: first.installId,
        deviceSerial: first.deviceSerial,
        activatedAt: at(1_000),
        deactivatedAt: null,
      },
    ]);
  });

  it('answers 409 seat-limit-reached when every seat is taken', async () => {
    const license = await issue({ accountId: 'acme', seatLimit: 1 });
    await activate(license.id, first.id);
    const refused = await activate(license.id, second.id);
    expect(refused.statusCode).toBe(409);
    expect(Value.Check(ProblemSchema, json(refused))).toBe(true);
    expect(json(refused).type).toBe('/problems/seat-limit-reached');
    expect(json(refused).detail).toBe(`All 1 seats of license '${license.id}' are in use.`);
    expect((await getLicense(license.id)).seatsUsed).toBe(1);
    expect(await activations(license.id)).toHaveLength(1);
  });

  it('answers 409 license-not-usable for a revoked, suspended, expired or future license', async () => {
    const revoked = await issue({ accountId: 'acme' });
    await h.request({ method: 'POST', url: `/v1/licenses/${revoked.id}/revoke` });
    const suspended = await issue({ accountId: 'acme' });
    await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${suspended.id}`,
      body: { state: 'suspended' },
    });
    const expired = await issue({ accountId: 'acme', expiresAt: at(-DAY_MS) });
    const future = await issue({ accountId: 'acme', startsAt: at(DAY_MS) });
    for (const [license, why] of [
      [revoked, 'it is revoked.'],
      [suspended, 'it is suspended.'],
      [expired, 'it has expired.'],
      [future, 'it is not valid yet.'],
    ] as const) {
      const response = await activate(license.id, first.id);
      expect(response.statusCode, why).toBe(409);
      expect(json(response).type).toBe('/problems/license-not-usable');
      expect(json(response).detail).toBe(`License '${license.id}' cannot be activated: ${why}`);
    }
    expect(await h.store.db.selectFrom('activations').selectAll().execute()).toEqual([]);
  });

  it('activates an expired license within its grace period', async () => {
    const license = await issue({ accountId: 'acme', expiresAt: at(-DAY_MS), graceDays: 3 });
    expect((await activate(license.id, first.id)).statusCode).toBe(201);
  });

  it('answers 404 for an instance of another account, and 400 for a bad instance id', async () => {
    await h.account('other');
    const foreign = await instance('other');
    const license = await issue({ accountId: 'acme' });
    const response = await activate(license.id, foreign.id);
    expect(response.statusCode).toBe(404);
    expect(json(response).detail).toBe(`Instance '${foreign.id}' was not found.`);
    expect((await activate(license.id, MISSING_UUID)).statusCode).toBe(404);
    const bad = await activate(license.id, 'not-a-uuid');
    expect(bad.statusCode).toBe(400);
    expect(issueNames(bad, 'invalidFields')).toEqual(['instance']);
    expect((await getLicense(license.id)).seatsUsed).toBe(0);
  });

  it('an instance token activates only for its own instance; a viewer not at all', async () => {
    const license = await issue({ accountId: 'acme' });
    const token = await h.token('instance', ['acme'], { instance: first.id });
    const other = await activate(license.id, second.id, token);
    expect(other.statusCode).toBe(403);
    expect(json(other).type).toBe('/problems/forbidden');
    expect((await activate(license.id, first.id, token)).statusCode).toBe(201);
    const viewer = await h.token('viewer', ['acme']);
    expect((await activate(license.id, second.id, viewer)).statusCode).toBe(403);
    const admin = await h.token('admin', ['acme']);
    expect((await activate(license.id, second.id, admin)).statusCode).toBe(201);
    expect((await deactivate(license.id, second.id, token)).statusCode).toBe(403);
    expect((await deactivate(license.id, undefined, token)).statusCode).toBe(403);
    expect((await getLicense(license.id)).seatsUsed).toBe(2);
    // An instance token sees its own activation only.
    expect((await activations(license.id, token)).map((a) => a.instanceId)).toEqual([first.id]);
    expect((await deactivate(license.id, first.id, token)).statusCode).toBe(200);
  });

  it('deactivating one instance frees its seat for another', async () => {
    const third = await instance('acme');
    const license = await issue({ accountId: 'acme', seatLimit: 2 });
    await activate(license.id, first.id);
    await activate(license.id, second.id);
    expect((await activate(license.id, third.id)).statusCode).toBe(409);
    h.clock.advance(1_000);
    const response = await deactivate(license.id, first.id);
    expect(response.statusCode).toBe(200);
    expect(json<License>(response)).toMatchObject({
      seatsUsed: 1,
      state: 'active',
      deactivatedKey: null,
      updatedAt: at(1_000),
    });
    expect((await activate(license.id, third.id)).statusCode).toBe(201);
    expect((await getLicense(license.id)).seatsUsed).toBe(2);
  });

  it('the last deactivation makes the license inactive with a signed deactivated key', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    await activate(license.id, first.id);
    await activate(license.id, second.id);
    h.clock.advance(1_000);
    expect(json<License>(await deactivate(license.id, first.id)).state).toBe('active');
    h.clock.advance(1_000);
    const response = await deactivate(license.id, second.id);
    expect(response.statusCode).toBe(200);
    const inactive = json<License>(response);
    expect(Value.Check(LicenseSchema, inactive)).toBe(true);
    expect(inactive).toMatchObject({
      state: 'inactive',
      seatsUsed: 0,
      validity: { status: 'inactive', valid: true },
    });
    expect(typeof inactive.deactivatedKey).toBe('string');

    const keys = await h.services.signingKeys.verificationKeys(h.clock.now());
    const verified = verifyDeactivationProof(inactive.deactivatedKey ?? '', keys);
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.proof).toMatchObject({
      v: 1,
      iss: 'entitle',
      license: { id: license.id, serialNumber: license.serialNumber },
      instance: { id: second.id, installId: second.installId },
      deactivatedAt: at(2_000),
    });
    const tampered = `${inactive.deactivatedKey ?? ''}x`;
    expect(verifyDeactivationProof(tampered, keys).ok).toBe(false);
    expect(await getLicense(license.id)).toEqual(inactive);

    const listed = await activations(license.id);
    expect(listed.map((a) => [a.instanceId, a.deactivatedAt])).toEqual([
      [first.id, at(1_000)],
      [second.id, at(2_000)],
    ]);
    expect((await validate({ key: license.key })).code).toBe('NOT_ACTIVATED');

    // Activating again clears the deactivated key.
    const again = await activate(license.id, first.id);
    expect(again.statusCode).toBe(201);
    expect(json<License>(again)).toMatchObject({
      state: 'active',
      deactivatedKey: null,
      seatsUsed: 1,
      activatedAt: T0,
    });
    expect((await activations(license.id)).map((a) => a.deactivatedAt)).toEqual([
      at(1_000),
      at(2_000),
      null,
    ]);
  });

  it('deactivates every instance at once, with a proof naming no instance', async () => {
    const license = await issue({ accountId: 'acme' });
    await activate(license.id, first.id);
    await activate(license.id, second.id);
    const response = await deactivate(license.id);
    expect(response.statusCode).toBe(200);
    const inactive = json<License>(response);
    expect(inactive).toMatchObject({ state: 'inactive', seatsUsed: 0 });
    const verified = await h.services.signingKeys.verifyDeactivationProof(
      inactive.deactivatedKey ?? '',
    );
    expect(verified.ok && verified.proof.instance).toBeNull();
    expect(verified.ok && verified.proof.license.id).toBe(license.id);
  });

  it('answers 409 when deactivating an instance that holds no activation', async () => {
    const license = await issue({ accountId: 'acme' });
    await activate(license.id, first.id);
    const response = await deactivate(license.id, second.id);
    expect(response.statusCode).toBe(409);
    expect(json(response).type).toBe('/problems/conflict');
    expect(json(response).detail).toBe(
      `License '${license.id}' is not activated on instance '${second.id}'.`,
    );
    await deactivate(license.id, first.id);
    expect((await deactivate(license.id, first.id)).statusCode).toBe(409);
    expect((await getLicense(license.id)).state).toBe('inactive');
  });
});

describe('licenses: install and uninstall keys', () => {
  let box: Instance;
  let known: License;
  beforeEach(async () => {
    await h.account('acme');
    await h.account('other');
    await product();
    box = await instance('acme');
    known = await issue({
      accountId: 'acme',
      product: 'cvo',
      key: NP_KNOWN,
      description: 'SteelCentral Virtual Flow Gateway',
    });
  });

  it('answers per key, in order, as NetProfiler does', async () => {
    const results = await install({ instance: box.id, keys: [NP_KNOWN, NP_UNKNOWN, 'abcd'] });
    expect(results).toEqual([
      { key: NP_KNOWN, result: 'success' },
      { key: NP_UNKNOWN, result: 'Unrecognized License' },
      { key: 'abcd', result: 'License key format not supported' },
    ]);
    expect((await getLicense(known.id)).seatsUsed).toBe(1);
    expect((await activations(known.id)).map((a) => a.instanceId)).toEqual([box.id]);

    const invalid = await h.request({
      method: 'GET',
      url: `/v1/licenses?filter=${encodeURIComponent("state eq 'invalid'")}`,
    });
    const items = json<List<License>>(invalid).items;
    expect(items).toHaveLength(1);
    expect(Value.Check(LicenseSchema, items[0])).toBe(true);
    expect(items[0]).toMatchObject({
      key: NP_UNKNOWN,
      keyScheme: 'netprofiler',
      accountId: 'acme',
      productId: null,
      description: 'Unrecognized License',
      state: 'invalid',
      validity: { status: 'invalid', valid: false },
    });
    expect(await licenseCount()).toBe(2);
    const other = await instance('acme');
    const refused = await activate(items[0]?.id ?? '', other.id);
    expect(refused.statusCode).toBe(409);
    expect(json(refused).type).toBe('/problems/license-not-usable');
  });

  it('installing again is harmless: already installed, no new rows', async () => {
    await install({ instance: box.id, keys: [NP_KNOWN, NP_UNKNOWN] });
    const again = await install({
      instance: box.id,
      keys: ['abcd', NP_UNKNOWN.toLowerCase(), NP_KNOWN],
    });
    expect(again).toEqual([
      { key: 'abcd', result: 'License key format not supported' },
      { key: NP_UNKNOWN.toLowerCase(), result: 'already installed' },
      { key: NP_KNOWN, result: 'already installed' },
    ]);
    expect(await licenseCount()).toBe(2);
    expect(await activations(known.id)).toHaveLength(1);
    expect((await getLicense(known.id)).seatsUsed).toBe(1);
  });

  it('a key repeated in one request is already installed the second time', async () => {
    expect(
      await install({ instance: box.id, keys: [NP_KNOWN, NP_UNKNOWN, NP_KNOWN, NP_UNKNOWN] }),
    ).toEqual([
      { key: NP_KNOWN, result: 'success' },
      { key: NP_UNKNOWN, result: 'Unrecognized License' },
      { key: NP_KNOWN, result: 'already installed' },
      { key: NP_UNKNOWN, result: 'already installed' },
    ]);
    expect(await licenseCount()).toBe(2);
    expect((await getLicense(known.id)).seatsUsed).toBe(1);
  });

  it('an unrecognized key is deleted when the last instance holding it uninstalls it', async () => {
    const other = await instance('acme');
    expect(await install({ instance: box.id, keys: [NP_UNKNOWN] })).toEqual([
      { key: NP_UNKNOWN, result: 'Unrecognized License' },
    ]);
    expect(await install({ instance: other.id, keys: [NP_UNKNOWN] })).toEqual([
      { key: NP_UNKNOWN, result: 'Unrecognized License' },
    ]);
    const invalid = "state eq 'invalid'";
    expect(await licenseCount(undefined, invalid)).toBe(1);
    expect(await uninstall({ instance: box.id, keys: [NP_UNKNOWN] })).toEqual([
      { key: NP_UNKNOWN, result: 'success' },
    ]);
    expect(await licenseCount(undefined, invalid)).toBe(1);
    expect(await uninstall({ instance: other.id, keys: [NP_UNKNOWN] })).toEqual([
      { key: NP_UNKNOWN, result: 'success' },
    ]);
    expect(await licenseCount(undefined, invalid)).toBe(0);
  });

  it('echoes each key as given, in any accepted spelling', async () => {
    const spelled = ` ${NP_KNOWN.toLowerCase()} `;
    expect(await install({ instance: box.id, keys: [spelled] })).toEqual([
      { key: spelled, result: 'success' },
    ]);
  });

  it('treats a key of another account as unrecognized and stores nothing', async () => {
    const theirs = await issue({ accountId: 'other', key: NP_OTHER });
    expect(await install({ instance: box.id, keys: [NP_OTHER] })).toEqual([
      { key: NP_OTHER, result: 'Unrecognized License' },
    ]);
    expect(await licenseCount()).toBe(2);
    expect(await getLicense(theirs.id)).toEqual(theirs);
    expect(await activations(theirs.id)).toEqual([]);
    const admin = await h.token('admin', ['acme']);
    expect(await licenseCount(admin)).toBe(1);
    expect(await uninstall({ instance: box.id, keys: [NP_OTHER] })).toEqual([
      { key: NP_OTHER, result: 'not installed' },
    ]);
    expect(await licenseCount()).toBe(2);
  });

  it('answers Seat limit reached and License not usable', async () => {
    const limited = await issue({ accountId: 'acme', key: HP_KEY, seatLimit: 1 });
    const other = await instance('acme');
    expect(await install({ instance: box.id, keys: [HP_KEY] })).toEqual([
      { key: HP_KEY, result: 'success' },
    ]);
    expect(await install({ instance: other.id, keys: [HP_KEY] })).toEqual([
      { key: HP_KEY, result: 'Seat limit reached' },
    ]);
    expect((await getLicense(limited.id)).seatsUsed).toBe(1);
    await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${known.id}`,
      body: { state: 'suspended' },
    });
    expect(await install({ instance: other.id, keys: [NP_KNOWN] })).toEqual([
      { key: NP_KNOWN, result: 'License not usable' },
    ]);
  });

  it('uninstalls: success, then not installed; unrecognized keys are removed', async () => {
    await install({ instance: box.id, keys: [NP_KNOWN, NP_UNKNOWN] });
    h.clock.advance(1_000);
    expect(await uninstall({ instance: box.id, keys: [NP_UNKNOWN, NP_KNOWN] })).toEqual([
      { key: NP_UNKNOWN, result: 'success' },
      { key: NP_KNOWN, result: 'success' },
    ]);
    expect(await licenseCount()).toBe(1);
    expect((await getLicense(known.id)).seatsUsed).toBe(0);
    expect((await activations(known.id)).map((a) => a.deactivatedAt)).toEqual([at(1_000)]);
    expect(await uninstall({ instance: box.id, keys: [NP_KNOWN, 'ab cd', NP_UNKNOWN] })).toEqual([
      { key: NP_KNOWN, result: 'not installed' },
      { key: 'ab cd', result: 'License key format not supported' },
      { key: NP_UNKNOWN, result: 'not installed' },
    ]);
  });

  it('uninstall answers format not supported for an unknown opaque key (NetProfiler’s example)', async () => {
    const truncated = 'SSIF1-VUDHF-7QGZJ-YUHYW-YYA5J-EK9WS-V4/W4-CC3D';
    expect(await uninstall({ instance: box.id, keys: ['abcd', truncated] })).toEqual([
      { key: 'abcd', result: 'License key format not supported' },
      { key: truncated, result: 'License key format not supported' },
    ]);
    // A registered opaque key is a key like any other.
    await issue({ accountId: 'acme', key: 'abcd' });
    expect(await install({ instance: box.id, keys: ['abcd'] })).toEqual([
      { key: 'abcd', result: 'success' },
    ]);
    expect(await uninstall({ instance: box.id, keys: ['abcd'] })).toEqual([
      { key: 'abcd', result: 'success' },
    ]);
  });

  it('installs into an account wallet without an instance', async () => {
    expect(await install({ accountId: 'acme', keys: [NP_UNKNOWN, NP_KNOWN] })).toEqual([
      { key: NP_UNKNOWN, result: 'Unrecognized License' },
      { key: NP_KNOWN, result: 'already installed' },
    ]);
    expect(await licenseCount(undefined, "state eq 'invalid'")).toBe(1);
    expect((await getLicense(known.id)).seatsUsed).toBe(0);
    expect(await uninstall({ accountId: 'acme', keys: [NP_UNKNOWN, NP_KNOWN] })).toEqual([
      { key: NP_UNKNOWN, result: 'success' },
      { key: NP_KNOWN, result: 'issued licenses are removed by the vendor' },
    ]);
    expect(await licenseCount()).toBe(1);
  });

  it('an instance token installs on its own instance only', async () => {
    const token = await h.token('instance', ['acme'], { instance: box.id });
    expect(await install({ keys: [NP_KNOWN] }, token)).toEqual([
      { key: NP_KNOWN, result: 'success' },
    ]);
    expect((await activations(known.id)).map((a) => a.instanceId)).toEqual([box.id]);
    const other = await instance('acme');
    const refused = await h.request({
      method: 'POST',
      url: '/v1/licenses/install',
      token,
      body: { instance: other.id, keys: [NP_KNOWN] },
    });
    expect(refused.statusCode).toBe(403);
    expect(await uninstall({ keys: [NP_KNOWN] }, token)).toEqual([
      { key: NP_KNOWN, result: 'success' },
    ]);
  });

  it('refuses bad requests, viewers and other accounts', async () => {
    const neither = await h.request({
      method: 'POST',
      url: '/v1/licenses/install',
      body: { keys: [NP_KNOWN] },
    });
    expect(neither.statusCode).toBe(400);
    expect(json(neither).invalidFields).toEqual([
      { name: 'instance', reason: 'name an instance or an accountId' },
    ]);
    const empty = await h.request({
      method: 'POST',
      url: '/v1/licenses/install',
      body: { instance: box.id, keys: [] },
    });
    expect(empty.statusCode).toBe(400);
    expect(issueNames(empty, 'invalidFields')).toEqual(['keys']);
    const mismatch = await h.request({
      method: 'POST',
      url: '/v1/licenses/uninstall',
      body: { instance: box.id, accountId: 'other', keys: [NP_KNOWN] },
    });
    expect(mismatch.statusCode).toBe(400);
    expect(issueNames(mismatch, 'invalidFields')).toEqual(['accountId']);
    const viewer = await h.token('viewer', ['acme']);
    const byViewer = await h.request({
      method: 'POST',
      url: '/v1/licenses/install',
      token: viewer,
      body: { instance: box.id, keys: [NP_KNOWN] },
    });
    expect(byViewer.statusCode).toBe(403);
    const admin = await h.token('admin', ['other']);
    for (const body of [
      { instance: box.id, keys: [NP_KNOWN] },
      { accountId: 'acme', keys: [NP_KNOWN] },
    ]) {
      const response = await h.request({
        method: 'POST',
        url: '/v1/licenses/install',
        token: admin,
        body,
      });
      expect(response.statusCode, JSON.stringify(body)).toBe(404);
    }
    expect((await getLicense(known.id)).seatsUsed).toBe(0);
  });
});

describe('licenses: validate', () => {
  let box: Instance;
  beforeEach(async () => {
    await h.account('acme');
    await product();
    await product(sdn);
    box = await instance('acme', { fingerprint: 'fp-A' });
  });

  async function activated(extra: Record<string, unknown> = {}): Promise<License> {
    const license = await issue({ accountId: 'acme', product: 'cvo', ...extra });
    expect((await activate(license.id, box.id)).statusCode).toBe(201);
    return license;
  }

  it('VALID, with the license and its entitlements', async () => {
    const license = await activated({ features: ['BACKUP'], seatLimit: 3 });
    const verdict = await validate({ key: license.key, instance: box.id });
    expect(verdict).toMatchObject({ valid: true, code: 'VALID', detail: 'The license is valid.' });
    expect(verdict.license?.id).toBe(license.id);
    expect(verdict.license?.seatsUsed).toBe(1);
    expect(verdict.entitlements).toEqual({
      product: { id: 1, slug: 'cvo', name: 'Cloud Volumes ONTAP' },
      features: ['BACKUP'],
      metric: { id: 1, name: 'Provisioned capacity', unit: 'TiB' },
      quantity: 1,
      seatLimit: 3,
      seatsUsed: 1,
      expiresAt: null,
      graceDays: 0,
    });
    const any = await issue({ accountId: 'acme', product: 'cvo', metricId: 2 });
    const all = await validate({ key: any.key.toLowerCase() });
    expect(all.code).toBe('VALID');
    expect(all.entitlements).toMatchObject({
      features: ['BACKUP', 'TIERING'],
      metric: { id: 2, name: 'Controller nodes', unit: 'nodes' },
    });
  });

  it('IN_GRACE after expiry within the grace period, then EXPIRED', async () => {
    const license = await activated({ expiresAt: at(DAY_MS), graceDays: 7 });
    h.clock.advance(2 * DAY_MS);
    const grace = await validate({ key: license.key, instance: box.id });
    expect(grace).toMatchObject({ valid: true, code: 'IN_GRACE' });
    expect(grace.license?.validity).toMatchObject({
      status: 'expired',
      inGrace: true,
      graceDaysRemaining: 6,
    });
    h.clock.advance(6 * DAY_MS);
    const expired = await validate({ key: license.key, instance: box.id });
    expect(expired).toMatchObject({
      valid: false,
      code: 'EXPIRED',
      detail: `The license expired on ${at(DAY_MS)}.`,
    });
  });

  it('NOT_YET_VALID before the start, VALID from it', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo', startsAt: at(DAY_MS) });
    expect(await validate({ key: license.key })).toMatchObject({
      valid: false,
      code: 'NOT_YET_VALID',
    });
    h.clock.advance(DAY_MS);
    expect((await validate({ key: license.key })).code).toBe('VALID');
  });

  it('SUSPENDED and REVOKED', async () => {
    const suspended = await activated();
    await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${suspended.id}`,
      body: { state: 'suspended' },
    });
    expect(await validate({ key: suspended.key, instance: box.id })).toMatchObject({
      valid: false,
      code: 'SUSPENDED',
    });
    const revoked = await activated();
    await h.request({ method: 'POST', url: `/v1/licenses/${revoked.id}/revoke` });
    expect(await validate({ key: revoked.key, instance: box.id })).toMatchObject({
      valid: false,
      code: 'REVOKED',
      detail: 'The license has been revoked.',
    });
  });

  it('NOT_ACTIVATED on an instance without the license, and once deactivated', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    expect(await validate({ key: license.key, instance: box.id })).toMatchObject({
      valid: false,
      code: 'NOT_ACTIVATED',
      detail: 'The license is not activated on this instance.',
    });
    expect((await validate({ key: license.key })).code).toBe('VALID');
    await activate(license.id, box.id);
    await deactivate(license.id, box.id);
    expect(await validate({ key: license.key })).toMatchObject({
      valid: false,
      code: 'NOT_ACTIVATED',
      detail: 'The license is deactivated.',
    });
  });

  it('EXPIRED for a deactivated license past its end', async () => {
    const license = await activated({ expiresAt: at(DAY_MS) });
    await deactivate(license.id, box.id);
    h.clock.advance(2 * DAY_MS);
    const verdict = await validate({ key: license.key });
    expect(verdict).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(verdict.license?.validity.status).toBe('expired');
    expect((await validate({ key: license.key, instance: box.id })).code).toBe('EXPIRED');
  });

  it('SEATS_EXHAUSTED for an instance when every seat is taken elsewhere', async () => {
    const license = await activated({ seatLimit: 1 });
    const other = await instance('acme');
    expect(await validate({ key: license.key, instance: other.id })).toMatchObject({
      valid: false,
      code: 'SEATS_EXHAUSTED',
      detail: 'All 1 seats of the license are in use.',
    });
    expect((await validate({ key: license.key, instance: box.id })).code).toBe('VALID');
  });

  it('FINGERPRINT_MISMATCH when the fingerprint differs from the instance’s', async () => {
    const license = await activated();
    expect(
      await validate({ key: license.key, instance: box.id, fingerprint: 'fp-B' }),
    ).toMatchObject({ valid: false, code: 'FINGERPRINT_MISMATCH' });
    expect((await validate({ key: license.key, instance: box.id, fingerprint: 'fp-A' })).code).toBe(
      'VALID',
    );
  });

  it('PRODUCT_MISMATCH for another or an unknown product', async () => {
    const license = await activated();
    for (const requested of ['sdn', '42', 'nope']) {
      expect(
        await validate({ key: license.key, instance: box.id, product: requested }),
        requested,
      ).toMatchObject({
        valid: false,
        code: 'PRODUCT_MISMATCH',
        detail: `The license is not for product '${requested}'.`,
      });
    }
    for (const requested of ['cvo', '1']) {
      expect((await validate({ key: license.key, product: requested })).code, requested).toBe(
        'VALID',
      );
    }
  });

  it('FEATURE_NOT_LICENSED for a feature the license lacks', async () => {
    const license = await activated({ features: ['BACKUP'] });
    expect(
      await validate({ key: license.key, instance: box.id, feature: 'TIERING' }),
    ).toMatchObject({
      valid: false,
      code: 'FEATURE_NOT_LICENSED',
      detail: "The license does not include feature 'TIERING'.",
    });
    expect((await validate({ key: license.key, instance: box.id, feature: 'BACKUP' })).code).toBe(
      'VALID',
    );
  });

  it('UNKNOWN_KEY for an unknown key and for another account’s key alike', async () => {
    await h.account('other');
    const theirs = await issue({ accountId: 'other', key: NP_OTHER });
    const admin = await h.token('admin', ['acme']);
    const unknown = await validate({ key: NP_UNKNOWN }, admin);
    expect(unknown).toEqual({
      valid: false,
      code: 'UNKNOWN_KEY',
      detail: 'The license key is not recognized.',
      license: null,
      entitlements: null,
    });
    expect(await validate({ key: theirs.key }, admin)).toEqual(unknown);
    expect(await validate({ key: nativeKey(5) }, admin)).toEqual(unknown);
    // An unrecognized key kept by an install is no license either.
    await install({ accountId: 'acme', keys: [NP_UNKNOWN] });
    expect(await validate({ key: NP_UNKNOWN })).toEqual(unknown);
  });

  it('BAD_FORMAT for a native key with one symbol changed and for junk', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    for (const key of [typo(license.key), typo(license.key).toLowerCase(), 'ab cd', 'clé']) {
      expect(await validate({ key }), key).toEqual({
        valid: false,
        code: 'BAD_FORMAT',
        detail: 'License key format not supported.',
        license: null,
        entitlements: null,
      });
    }
  });

  // An unregistered opaque string is no key: BAD_FORMAT, as install says "format not supported".
  it('BAD_FORMAT for NetProfiler’s abcd', async () => {
    expect(await validate({ key: 'abcd' })).toMatchObject({ valid: false, code: 'BAD_FORMAT' });
  });

  it('answers 400 for a malformed request', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['key']],
      [{ key: 'x', colour: 'red' }, ['colour']],
      [{ key: 'x', instance: 'not-a-uuid' }, ['instance']],
      [{ key: '' }, ['key']],
    ];
    for (const [body, fields] of cases) {
      const response = await h.request({ method: 'POST', url: '/v1/licenses/validate', body });
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(json(response).type).toBe('/problems/invalid-fields');
      expect(issueNames(response, 'invalidFields')).toEqual(fields);
    }
    const missing = await h.request({
      method: 'POST',
      url: '/v1/licenses/validate',
      body: { key: NP_KNOWN, instance: MISSING_UUID },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('an instance token validates for its own instance and is marked seen once a minute', async () => {
    const license = await activated({ seatLimit: 1 });
    const other = await instance('acme');
    const own = await h.token('instance', ['acme'], { instance: box.id });
    const theirs = await h.token('instance', ['acme'], { instance: other.id });
    expect((await validate({ key: license.key }, own)).code).toBe('VALID');
    expect((await validate({ key: license.key }, theirs)).code).toBe('SEATS_EXHAUSTED');
    const refused = await h.request({
      method: 'POST',
      url: '/v1/licenses/validate',
      token: theirs,
      body: { key: license.key, instance: box.id },
    });
    expect(refused.statusCode).toBe(403);

    const seen = async () =>
      json<Instance>(await h.request({ method: 'GET', url: `/v1/instances/${box.id}` })).lastSeenAt;
    expect(await seen()).toBe(T0);
    h.clock.advance(30_000);
    await validate({ key: license.key }, own);
    expect(await seen()).toBe(T0);
    h.clock.advance(61_000);
    await validate({ key: license.key }, own);
    expect(await seen()).toBe(at(91_000));
    // A validation that names no instance marks none.
    h.clock.advance(120_000);
    await validate({ key: license.key });
    expect(await seen()).toBe(at(91_000));
  });

  it('every role may validate', async () => {
    const license = await activated();
    for (const role of ['admin', 'viewer', 'service'] as const) {
      const token = await h.token(role, ['acme']);
      expect((await validate({ key: license.key, instance: box.id }, token)).code, role).toBe(
        'VALID',
      );
    }
  });
});

describe('is-licensed and compliance level', () => {
  let box: Instance;
  beforeEach(async () => {
    await h.account('acme');
    await h.account('other');
    await product();
    await product(sdn);
    box = await instance('acme');
  });

  async function isLicensed(query: string, token?: string) {
    const response = await h.request({ method: 'GET', url: `/v1/is-licensed?${query}`, token });
    expect(response.statusCode, response.body).toBe(200);
    return json<{ product: number; licensed: boolean; licenses: string[] }>(response);
  }

  async function level(query: string, token?: string) {
    const response = await h.request({
      method: 'GET',
      url: `/v1/compliance-level?${query}`,
      token,
    });
    expect(response.statusCode, response.body).toBe(200);
    return json<{ product: number; metric: number; entitled: number; used: number; level: number }>(
      response,
    );
  }

  it('is-licensed for an account and for an instance', async () => {
    expect(await isLicensed('product=cvo&account=acme')).toEqual({
      product: 1,
      licensed: false,
      licenses: [],
    });
    const license = await issue({ accountId: 'acme', product: 'cvo' });
    expect(await isLicensed('product=cvo&account=acme')).toEqual({
      product: 1,
      licensed: true,
      licenses: [license.id],
    });
    expect((await isLicensed('product=1&account=other')).licensed).toBe(false);
    expect((await isLicensed('product=sdn&account=acme')).licensed).toBe(false);
    expect(await isLicensed(`product=cvo&instance=${box.id}`)).toEqual({
      product: 1,
      licensed: false,
      licenses: [],
    });
    await activate(license.id, box.id);
    expect(await isLicensed(`product=cvo&instance=${box.id}`)).toEqual({
      product: 1,
      licensed: true,
      licenses: [license.id],
    });
    const token = await h.token('instance', ['acme'], { instance: box.id });
    expect((await isLicensed('product=cvo', token)).licensed).toBe(true);
    const admin = await h.token('admin', ['acme']);
    expect((await isLicensed('product=cvo', admin)).licenses).toEqual([license.id]);
  });

  it('is-licensed is false once expired, revoked or deactivated', async () => {
    const expiring = await issue({ accountId: 'acme', product: 'cvo', expiresAt: at(DAY_MS) });
    await activate(expiring.id, box.id);
    expect((await isLicensed(`product=cvo&instance=${box.id}`)).licensed).toBe(true);
    h.clock.advance(2 * DAY_MS);
    expect(await isLicensed(`product=cvo&instance=${box.id}`)).toMatchObject({
      licensed: false,
      licenses: [],
    });
    expect((await isLicensed('product=cvo&account=acme')).licensed).toBe(false);

    const revoked = await issue({ accountId: 'acme', product: 'cvo' });
    await activate(revoked.id, box.id);
    expect((await isLicensed(`product=cvo&instance=${box.id}`)).licenses).toEqual([revoked.id]);
    await h.request({ method: 'POST', url: `/v1/licenses/${revoked.id}/revoke` });
    expect((await isLicensed(`product=cvo&instance=${box.id}`)).licensed).toBe(false);
    expect((await isLicensed('product=cvo&account=acme')).licensed).toBe(false);

    const deactivated = await issue({ accountId: 'acme', product: 'cvo' });
    await activate(deactivated.id, box.id);
    expect((await isLicensed('product=cvo&account=acme')).licenses).toEqual([deactivated.id]);
    await deactivate(deactivated.id, box.id);
    expect((await isLicensed(`product=cvo&instance=${box.id}`)).licensed).toBe(false);
    expect((await isLicensed('product=cvo&account=acme')).licensed).toBe(false);
  });

  it('compliance level follows HP: entitled over instances in use, at most 1', async () => {
    const nothing = await level('product=sdn&metric=7&account=acme');
    expect(nothing).toEqual({ product: 42, metric: 7, entitled: 0, used: 0, level: 1 });

    const two = await issue({ accountId: 'acme', product: 'sdn', quantity: 2 });
    expect(two.metricId).toBe(7);
    expect(await level('product=42&metric=7&account=acme')).toEqual({
      product: 42,
      metric: 7,
      entitled: 2,
      used: 0,
      level: 1,
    });
    const boxes = [box, ...(await Promise.all([1, 2, 3].map(() => instance('acme'))))];
    for (const b of boxes) expect((await activate(two.id, b.id)).statusCode).toBe(201);
    expect(await level('product=sdn&metric=7&account=acme')).toEqual({
      product: 42,
      metric: 7,
      entitled: 2,
      used: 4,
      level: 0.5,
    });
    const admin = await h.token('admin', ['acme']);
    expect((await level('product=sdn&metric=7', admin)).level).toBe(0.5);
    expect(await level(`product=sdn&metric=7&instance=${box.id}`)).toEqual({
      product: 42,
      metric: 7,
      entitled: 2,
      used: 1,
      level: 1,
    });
    expect((await level('product=sdn&metric=7&account=other')).level).toBe(1);

    await issue({ accountId: 'acme', product: 'sdn', quantity: -1 });
    expect(await level('product=sdn&metric=7&account=acme')).toEqual({
      product: 42,
      metric: 7,
      entitled: -1,
      used: 4,
      level: 1,
    });
  });

  it('compliance level leaves out licenses that are no longer valid', async () => {
    const expiring = await issue({
      accountId: 'acme',
      product: 'sdn',
      quantity: 4,
      expiresAt: at(DAY_MS),
    });
    const lasting = await issue({ accountId: 'acme', product: 'sdn', quantity: 1 });
    const other = await instance('acme');
    await activate(expiring.id, box.id);
    await activate(lasting.id, other.id);
    expect(await level('product=sdn&metric=7&account=acme')).toMatchObject({
      entitled: 5,
      used: 2,
      level: 1,
    });
    h.clock.advance(2 * DAY_MS);
    expect(await level('product=sdn&metric=7&account=acme')).toMatchObject({
      entitled: 1,
      used: 2,
      level: 0.5,
    });
  });

  it('a capacity metric counts no instances', async () => {
    const license = await issue({ accountId: 'acme', product: 'cvo', quantity: 10 });
    await activate(license.id, box.id);
    expect(await level('product=cvo&metric=1&account=acme')).toEqual({
      product: 1,
      metric: 1,
      entitled: 10,
      used: 0,
      level: 1,
    });
    expect((await level('product=cvo&metric=2&account=acme')).entitled).toBe(0);
  });

  it('answers 404 for an unknown product or metric and for another account', async () => {
    for (const url of [
      '/v1/is-licensed?product=nope&account=acme',
      '/v1/compliance-level?product=nope&metric=1',
      '/v1/compliance-level?product=sdn&metric=9',
      `/v1/is-licensed?product=cvo&instance=${MISSING_UUID}`,
    ]) {
      const response = await h.request({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(json(response).type).toBe('/problems/not-found');
    }
    const admin = await h.token('admin', ['other']);
    for (const url of [
      '/v1/is-licensed?product=cvo&account=acme',
      `/v1/is-licensed?product=cvo&instance=${box.id}`,
      '/v1/compliance-level?product=sdn&metric=7&account=acme',
    ]) {
      expect((await h.request({ method: 'GET', url, token: admin })).statusCode, url).toBe(404);
    }
  });

  it('answers 400 naming each bad query parameter', async () => {
    const cases: [string, string[]][] = [
      ['/v1/is-licensed', ['product']],
      ['/v1/is-licensed?product=cvo&instance=nope', ['instance']],
      ['/v1/is-licensed?product=cvo&colour=red', ['colour']],
      ['/v1/is-licensed?product=cvo&account=has%20space', ['account']],
      ['/v1/compliance-level?product=sdn', ['metric']],
      ['/v1/compliance-level?product=sdn&metric=abc', ['metric']],
    ];
    for (const [url, fields] of cases) {
      const response = await h.request({ method: 'GET', url });
      expect(response.statusCode, url).toBe(400);
      expect(json(response).type).toBe('/problems/invalid-params');
      expect(issueNames(response, 'invalidParams')).toEqual(fields);
    }
  });
});

describe('licenses: validation reads the catalog through a cache', () => {
  it('sees a product change made through this process at once', async () => {
    await h.account('acme');
    const productId = await product({
      slug: 'cached',
      name: 'Cached',
      features: [{ id: 'A', name: 'A' }],
    });
    const license = await issue({ accountId: 'acme', product: productId });
    const validate = async () =>
      json<{ entitlements: { features: string[]; product: { name: string } } }>(
        await h.request({
          method: 'POST',
          url: '/v1/licenses/validate',
          body: { key: license.key },
        }),
      ).entitlements;
    expect(await validate()).toMatchObject({ features: ['A'], product: { name: 'Cached' } });
    const patched = await h.request({
      method: 'PATCH',
      url: `/v1/products/${String(productId)}`,
      body: { name: 'Renamed', features: [{ id: 'B', name: 'B' }] },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(await validate()).toMatchObject({ features: ['B'], product: { name: 'Renamed' } });
  });
});
