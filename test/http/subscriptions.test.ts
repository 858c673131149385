import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { Value } from 'typebox/value';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ChargeSchema,
  SubscriptionSchema,
  type Charge,
  type Subscription,
} from '../../src/domain/subscription.js';
import { buildApp } from '../../src/http/app.js';
import { ProblemSchema } from '../../src/http/problems.js';
import type { App } from '../../src/http/types.js';
import { createServices } from '../../src/services/index.js';
import type { UsageReader } from '../../src/services/subscriptions.js';
import { readOrCreateSecret } from '../../src/services/token-keys.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

/**
 * Subscriptions over HTTP. The validation cases come from the Astra subscription field tables
 * (reference 002): every field with a wrong type, a length or range outside the table, and an
 * undefined enum value. The examples of the document must all be accepted.
 */

let h: Harness;
let app: App;
/** Usage the charges read, by metric unit: what the usage store would report. */
let usage: Map<string, number>;

async function open(): Promise<void> {
  h = await createHarness();
  usage = new Map();
  const reader: UsageReader = {
    used: (_db, _accounts, _product, unit) => Promise.resolve(usage.get(unit) ?? 0),
  };
  const services = createServices(h.store, h.keys, {
    keySecret: readOrCreateSecret(join(h.dir, 'license-key-secret')),
    usageReader: reader,
  });
  app = await buildApp({ services, clock: h.clock });
  await h.account('acme');
  await h.account('globex');
}

async function shut(): Promise<void> {
  await app.close();
  await h.close();
}

const DAY_MS = 86_400_000;
const TYPE = 'application/astra-subscription';
const MISSING = '00000000-0000-4000-8000-000000000000';

interface Issue {
  name: string;
  reason: string;
}
interface List<T> {
  items: T[];
  metadata: { continue?: string; count?: number };
}

function request(options: {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: options.method,
    url: options.url,
    headers: { authorization: `Bearer ${options.token ?? h.operator}`, ...options.headers },
    ...(options.body === undefined ? {} : { payload: options.body as Record<string, unknown> }),
  });
}

async function create(body: Record<string, unknown> = {}): Promise<Subscription> {
  const response = await request({
    method: 'POST',
    url: '/v1/subscriptions',
    body: { type: TYPE, version: '1.2', terms: 'paid', accounts: ['acme'], ...body },
  });
  if (response.statusCode !== 201) throw new Error(`subscription: ${response.body}`);
  return json<Subscription>(response);
}

function put(id: string, body: Record<string, unknown>, headers?: Record<string, string>) {
  return request({ method: 'PUT', url: `/v1/subscriptions/${id}`, body, headers });
}

async function charges(id: string): Promise<Charge[]> {
  const response = await request({ method: 'GET', url: `/v1/subscriptions/${id}/charges` });
  expect(response.statusCode).toBe(200);
  return json<List<Charge>>(response).items;
}

function expectProblem(response: LightMyRequestResponse, status: number, slug: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const body = json(response);
  expect(Value.Check(ProblemSchema, body)).toBe(true);
  expect(body.type).toBe(`/problems/${slug}`);
  return body as { invalidFields?: Issue[]; invalidParams?: Issue[]; detail: string };
}

// ---------------------------------------------------------------------------------------------
// Examples of the Astra document (reference 002), verbatim.

const CREATE_EXAMPLE = { type: TYPE, version: '1.2', terms: 'trial' };
const PUT_EXAMPLE = {
  type: TYPE,
  version: '1.2',
  customerProfileID: '2157047189',
  paymentProfileID: 'E7CEB0A9F1BECA32A02493E1B31D5955',
  paymentExpiry: '2022-05-01T00:00:00Z',
};
const CREATE_RESPONSE_EXAMPLE = {
  type: TYPE,
  version: '1.2',
  id: '40b4106f-b743-5d83-95c7-d539b2b45f63',
  customerProfileID: '2157047189',
  paymentProfileID: 'E7CEB0A9F1BECA32A02493E1B31D5955',
  paymentExpiry: '2022-02-01T00:00:00Z',
  purchaseOrderNumber: '72384632',
  marketplace: 'netapp',
  licenseSN: '278343',
  terms: 'trial',
  status: 'active',
  appLimit: 0,
  namespaceLimit: 10,
  subscriptionPeriod: 90,
  gracePeriod: 7,
  reminderBeforePeriod: 30,
  onboardStatus: 'in progress',
  costPerAppUnit: 0,
  costPerNamespaceUnit: 0.005,
  metadata: {
    labels: [],
    creationTimestamp: '2022-10-06T20:58:16.305662Z',
    modificationTimestamp: '2022-10-06T20:58:16.305662Z',
    createdBy: '8f84cf09-8036-51e4-b579-bd30cb07b269',
  },
};
const LIST_EXAMPLE_ITEMS = [
  {
    type: TYPE,
    version: '1.1',
    id: 'd4c865c9-64a7-4661-ae4a-3307dffcd3da',
    customerProfileID: '2157047189',
    paymentProfileID: 'E7CEB0A9F1BECA32A02493E1B31D5955',
    paymentExpiry: '2022-02-01T00:00:00Z',
    purchaseOrderNumber: '72384632',
    marketplace: 'netapp',
    licenseSN: '278343',
    terms: 'trial',
    status: 'inactive',
    appLimit: 0,
    namespaceLimit: 10,
    subscriptionPeriod: 90,
    gracePeriod: 7,
    reminderBeforePeriod: 30,
    onboardStatus: 'success',
    costPerAppUnit: 0,
    costPerNamespaceUnit: 0.005,
    metadata: {
      labels: [],
      creationTimestamp: '2020-05-06T12:24:52.256624Z',
      modificationTimestamp: '2020-05-06T12:24:52.256624Z',
      createdBy: '11c0cfa1-4f27-4ef7-a21c-cb452fc5c9aa',
    },
  },
  {
    type: TYPE,
    version: '1.1',
    id: '4c43ed8b-078f-4fe3-b8c6-5d515f6382e6',
    customerProfileID: '2157047189',
    paymentProfileID: 'E7CEB0A9F1BECA32A02493E1B31D5955',
    paymentExpiry: '2022-05-01T00:00:00Z',
    purchaseOrderNumber: '92374658',
    marketplace: 'netapp',
    licenseSN: '374623',
    terms: 'paid',
    status: 'active',
    appLimit: 0,
    namespaceLimit: -1,
    subscriptionPeriod: -1,
    gracePeriod: -1,
    reminderBeforePeriod: -1,
    onboardStatus: 'success',
    costPerAppUnit: 0,
    costPerNamespaceUnit: 0.005,
    metadata: {
      labels: [],
      creationTimestamp: '2020-08-06T12:24:52.256624Z',
      modificationTimestamp: '2020-08-06T12:24:52.256624Z',
      createdBy: '11c0cfa1-4f27-4ef7-a21c-cb452fc5c9aa',
    },
  },
];
const GET_EXAMPLE = { ...CREATE_RESPONSE_EXAMPLE, onboardStatus: 'success' };

describe('the examples of the Astra document', () => {
  beforeEach(open);
  afterEach(shut);

  it('accepts the create example (with the accounts Entitle needs)', async () => {
    const response = await request({
      method: 'POST',
      url: '/v1/subscriptions',
      body: { ...CREATE_EXAMPLE, accounts: ['acme'] },
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = json<Subscription>(response);
    expect(Value.Check(SubscriptionSchema, body)).toBe(true);
    expect(body).toMatchObject({ terms: 'trial', status: 'active', costPerAppUnit: 0 });
  });

  it('accepts the PUT example', async () => {
    const subscription = await create();
    const response = await put(subscription.id, PUT_EXAMPLE);
    expect(response.statusCode, response.body).toBe(200);
    expect(json<Subscription>(response)).toMatchObject({
      customerProfileID: '2157047189',
      paymentProfileID: 'E7CEB0A9F1BECA32A02493E1B31D5955',
      paymentExpiry: '2022-05-01T00:00:00Z',
      terms: 'paid',
    });
  });

  it.each([
    ['create response', CREATE_RESPONSE_EXAMPLE],
    ['list item 1', LIST_EXAMPLE_ITEMS[0]],
    ['list item 2', LIST_EXAMPLE_ITEMS[1]],
    ['get response', GET_EXAMPLE],
  ])(
    'accepts the %s example as a PUT body, with the id of the subscription',
    async (_, example) => {
      const subscription = await create();
      const response = await put(subscription.id, { ...example, id: subscription.id });
      expect(response.statusCode, response.body).toBe(200);
      const body = json<Subscription>(response);
      expect(Value.Check(SubscriptionSchema, body)).toBe(true);
      const { id: _id, metadata: _metadata, paymentExpiry: _expiry, ...fields } = example ?? {};
      expect(body).toMatchObject(fields);
      // Server-managed metadata is not taken from the body.
      expect(body.metadata.creationTimestamp).toBe(subscription.metadata.creationTimestamp);
    },
  );

  it('a body id other than the path is a 409 naming id (a documented example id)', async () => {
    const subscription = await create();
    const problem = expectProblem(
      await put(subscription.id, CREATE_RESPONSE_EXAMPLE),
      409,
      'conflict',
    );
    expect(problem.invalidFields?.map((i) => i.name)).toEqual(['id']);
  });
});

// ---------------------------------------------------------------------------------------------
// Validation from the field tables.

const long = (n: number) => 'x'.repeat(n);
const ADDRESS = {
  addressCountry: 'US',
  addressLocality: 'Sunnyvale',
  addressRegion: 'CA',
  postalCode: '94089',
  streetAddress1: '3060 Olsen Dr',
};

/** [field path, bad value, what is wrong] — the writable fields shared by create and PUT. */
const COMMON_CASES: [string, unknown, string][] = [
  ['type', 42, 'wrong type'],
  ['type', 'application/astra-subscriptions', 'undefined value'],
  ['version', 1.2, 'wrong type'],
  ['version', '1.3', 'undefined value'],
  ['customerProfileID', 2157047189, 'wrong type'],
  ['customerProfileID', long(64), 'longer than 63'],
  ['paymentFirstName', 1, 'wrong type'],
  ['paymentFirstName', '', 'shorter than 1'],
  ['paymentFirstName', long(64), 'longer than 63'],
  ['paymentLastName', 1, 'wrong type'],
  ['paymentLastName', '', 'shorter than 1'],
  ['paymentLastName', long(64), 'longer than 63'],
  ['paymentAddress', 'Sunnyvale', 'wrong type'],
  ['paymentProfileID', 1, 'wrong type'],
  ['paymentProfileID', long(64), 'longer than 63'],
  ['paymentExpiry', 20220501, 'wrong type'],
  ['paymentExpiry', 'next May', 'not ISO-8601'],
  ['purchaseOrderNumber', 72384632, 'wrong type'],
  ['purchaseOrderNumber', '', 'shorter than 1'],
  ['purchaseOrderNumber', long(32), 'longer than 31'],
  ['marketplace', true, 'wrong type'],
  ['marketplace', 'ebay', 'undefined value'],
  ['licenseSN', 278343, 'wrong type'],
  ['licenseSN', '', 'shorter than 1'],
  ['licenseSN', long(32), 'longer than 31'],
  ['terms', 1, 'wrong type'],
  ['terms', 'free', 'undefined value'],
  ['onboardStatus', 0, 'wrong type'],
  ['onboardStatus', 'done', 'undefined value'],
  ['costPerAppUnit', '0.10', 'wrong type'],
  ['costPerAppUnit', -0.01, 'negative'],
  ['costPerAppUnit', 1e7, 'above the bound'],
  ['costPerNamespaceUnit', '0.005', 'wrong type'],
  ['costPerNamespaceUnit', -1, 'negative'],
  ['costPerNamespaceUnit', 1e7, 'above the bound'],
  ['metadata', 'none', 'wrong type'],
  ['metadata.labels', 'gold', 'wrong type'],
  ['metadata.labels.0.name', 1, 'wrong type'],
  ['metadata.labels.0.value', false, 'wrong type'],
  ['metadata.createdBy', 7, 'wrong type'],
  ['accounts', 'acme', 'wrong type'],
  ['accounts', [], 'fewer than 1'],
  ['accounts.0', 'not an id!', 'bad account id'],
  ['productId', '1', 'wrong type'],
  ['productId', 0, 'out of range'],
  ['entitledCapacity', '10', 'wrong type'],
  ['entitledCapacity', -2, 'out of range'],
  ['capacityUnit', 'furlongs', 'undefined value'],
  ['expiresAt', 'soon', 'not ISO-8601'],
];
for (const field of [
  'appLimit',
  'namespaceLimit',
  'subscriptionPeriod',
  'gracePeriod',
  'reminderBeforePeriod',
]) {
  COMMON_CASES.push(
    [field, '10', 'wrong type'],
    [field, -2, 'below -1'],
    [field, 1.5, 'not whole'],
  );
}
for (const field of [
  'addressCountry',
  'addressLocality',
  'addressRegion',
  'postalCode',
  'streetAddress1',
  'streetAddress2',
]) {
  COMMON_CASES.push([`paymentAddress.${field}`, 1, 'wrong type']);
  COMMON_CASES.push(
    field === 'addressCountry'
      ? [`paymentAddress.${field}`, 'USA', 'longer than 2']
      : [`paymentAddress.${field}`, long(64), 'longer than 63'],
  );
}
COMMON_CASES.push(['paymentAddress.addressCountry', 'us', 'not ISO 3166 alpha-2']);
for (const field of [
  'addressCountry',
  'addressLocality',
  'addressRegion',
  'postalCode',
  'streetAddress1',
]) {
  COMMON_CASES.push([
    `paymentAddress.${field}`,
    undefined,
    'missing (required when the address exists)',
  ]);
}

/** Sets `path` (dotted) in a copy of `body`; undefined deletes it. */
function withField(body: Record<string, unknown>, path: string, value: unknown) {
  const copy = structuredClone(body);
  const parts = path.split('.');
  const last = parts.pop() ?? '';
  let node: Record<string, unknown> = copy;
  for (const part of parts) {
    if (typeof node[part] !== 'object' || node[part] === null) {
      node[part] = /^\d+$/.test(last) || part === 'labels' ? [] : {};
    }
    node = node[part] as Record<string, unknown>;
  }
  if (value === undefined) Reflect.deleteProperty(node, last);
  else node[last] = value;
  return copy;
}

function baseFor(path: string, body: Record<string, unknown>) {
  if (path.startsWith('paymentAddress.')) return { ...body, paymentAddress: { ...ADDRESS } };
  if (path.startsWith('metadata.labels.0'))
    return { ...body, metadata: { labels: [{ name: 'tier', value: 'gold' }] } };
  return body;
}

describe('validation from the Astra field table', () => {
  const CREATE = { type: TYPE, version: '1.2', terms: 'paid', accounts: ['acme'] };
  // Rejected requests change nothing: one server and one subscription serve every case.
  let subscription: Subscription;
  beforeAll(async () => {
    await open();
    subscription = await create();
  });
  afterAll(shut);

  it.each(COMMON_CASES)('create: %s = %j (%s) → 400 naming it', async (path, value) => {
    const response = await request({
      method: 'POST',
      url: '/v1/subscriptions',
      body: withField(baseFor(path, CREATE), path, value),
    });
    const problem = expectProblem(response, 400, 'invalid-fields');
    expect(problem.invalidFields?.map((i) => i.name)).toContain(path);
  });

  it.each(COMMON_CASES)('PUT: %s = %j (%s) → 400 naming it', async (path, value) => {
    const response = await put(
      subscription.id,
      withField(baseFor(path, { type: TYPE, version: '1.2' }), path, value),
    );
    const problem = expectProblem(response, 400, 'invalid-fields');
    expect(problem.invalidFields?.map((i) => i.name)).toContain(path);
  });

  it.each([
    ['status', 1],
    ['status', 'paused'],
    ['id', 'not-a-uuid'],
    ['id', 7],
  ])('PUT: %s = %j → 400 naming it', async (path, value) => {
    const response = await put(subscription.id, { type: TYPE, version: '1.2', [path]: value });
    const problem = expectProblem(response, 400, 'invalid-fields');
    expect(problem.invalidFields?.map((i) => i.name)).toContain(path);
  });

  it.each(['type', 'version', 'terms', 'accounts'])(
    'create: missing %s → 400 naming it',
    async (field) => {
      const body: Record<string, unknown> = { ...CREATE };
      Reflect.deleteProperty(body, field);
      const response = await request({ method: 'POST', url: '/v1/subscriptions', body });
      expect(
        expectProblem(response, 400, 'invalid-fields').invalidFields?.map((i) => i.name),
      ).toContain(field);
    },
  );

  it.each(['type', 'version'])('PUT: missing %s → 400 naming it', async (field) => {
    const body: Record<string, unknown> = { type: TYPE, version: '1.2' };
    Reflect.deleteProperty(body, field);
    expect(
      expectProblem(await put(subscription.id, body), 400, 'invalid-fields').invalidFields?.map(
        (i) => i.name,
      ),
    ).toContain(field);
  });

  it('create: status and unknown fields are not taken', async () => {
    for (const field of ['status', 'id', 'colour']) {
      const response = await request({
        method: 'POST',
        url: '/v1/subscriptions',
        body: { ...CREATE, [field]: 'active' },
      });
      expect(
        expectProblem(response, 400, 'invalid-fields').invalidFields?.map((i) => i.name),
      ).toContain(field);
    }
  });

  it('accepts the edges of the table: empty strings where the minimum is 0, streetAddress2 omitted, -1', async () => {
    const subscription = await create({
      customerProfileID: '',
      paymentProfileID: long(63),
      paymentFirstName: long(63),
      paymentLastName: 'L',
      purchaseOrderNumber: long(31),
      licenseSN: 'S',
      paymentAddress: {
        addressCountry: '',
        addressLocality: '',
        addressRegion: '',
        postalCode: '',
        streetAddress1: '',
      },
      appLimit: -1,
      namespaceLimit: 0,
      subscriptionPeriod: -1,
      gracePeriod: -1,
      reminderBeforePeriod: -1,
      costPerAppUnit: 0,
      costPerNamespaceUnit: 1e6,
    });
    expect(subscription.paymentAddress?.addressCountry).toBe('');
    expect(subscription.costPerNamespaceUnit).toBe(1e6);
  });

  it('names accounts and products that do not exist', async () => {
    const response = await request({
      method: 'POST',
      url: '/v1/subscriptions',
      body: { ...CREATE, accounts: ['acme', 'nobody'], productId: 999 },
    });
    expect(
      expectProblem(response, 400, 'invalid-fields').invalidFields?.map((i) => i.name),
    ).toEqual(['accounts.1', 'productId']);
  });
});

describe('behaviour', () => {
  beforeEach(open);
  afterEach(shut);

  describe('create, read, list', () => {
    it('creates with 201, Location and ETag, and reads it back', async () => {
      const response = await request({
        method: 'POST',
        url: '/v1/subscriptions',
        body: {
          type: TYPE,
          version: '1.2',
          terms: 'paid',
          accounts: ['acme', 'globex'],
          costPerAppUnit: 1.5,
          costPerNamespaceUnit: 0.005,
          entitledCapacity: 10,
          capacityUnit: 'TiB',
          metadata: { labels: [{ name: 'tier', value: 'gold' }] },
        },
      });
      expect(response.statusCode, response.body).toBe(201);
      const created = json<Subscription>(response);
      expect(response.headers.location).toBe(`/v1/subscriptions/${created.id}`);
      expect(response.headers.etag).toBe('"1"');
      expect(created.id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(created).toMatchObject({
        type: TYPE,
        subscriptionNumber: 1,
        accounts: ['acme', 'globex'],
        status: 'active',
        onboardStatus: 'not started',
        customerProfileID: '',
        paymentProfileID: '',
        costPerAppUnit: 1.5,
        costPerNamespaceUnit: 0.005,
        metadata: {
          labels: [{ name: 'tier', value: 'gold' }],
          creationTimestamp: T0,
          modificationTimestamp: T0,
          createdBy: 'operator-test',
        },
        revision: 1,
      });
      const read = await request({ method: 'GET', url: `/v1/subscriptions/${created.id}` });
      expect(read.statusCode).toBe(200);
      expect(read.headers.etag).toBe('"1"');
      expect(json(read)).toEqual(created);

      const events = json<List<{ type: string }>>(
        await h.request({
          method: 'GET',
          url: '/v1/events?filter=type%20eq%20%27subscription.created%27',
        }),
      );
      expect(events.items).toHaveLength(1);
    });

    it('an unknown id is 404', async () => {
      expectProblem(
        await request({ method: 'GET', url: `/v1/subscriptions/${MISSING}` }),
        404,
        'not-found',
      );
      expectProblem(
        await request({ method: 'GET', url: '/v1/subscriptions/nope' }),
        400,
        'invalid-params',
      );
    });

    it('lists with filter, orderBy, count and continue', async () => {
      const a = await create({ terms: 'trial', marketplace: 'aws' });
      h.clock.advance(1000);
      const b = await create({ terms: 'paid', marketplace: 'gcp', accounts: ['globex'] });
      h.clock.advance(1000);
      const c = await create({ terms: 'paid', accounts: ['acme', 'globex'] });

      const list = async (query: string) => {
        const response = await request({ method: 'GET', url: `/v1/subscriptions?${query}` });
        expect(response.statusCode, response.body).toBe(200);
        return json<List<Subscription>>(response);
      };
      const ids = (page: List<Subscription>) => page.items.map((s) => s.id);

      expect(ids(await list(''))).toEqual([a.id, b.id, c.id]);
      expect(ids(await list("filter=terms%20eq%20'paid'"))).toEqual([b.id, c.id]);
      expect(ids(await list("filter=marketplace%20eq%20'aws'"))).toEqual([a.id]);
      expect(ids(await list("filter=status%20eq%20'active'%20and%20terms%20eq%20'trial'"))).toEqual(
        [a.id],
      );
      expect(ids(await list("filter=accountId%20eq%20'globex'"))).toEqual([b.id, c.id]);
      expect(ids(await list("filter=accountId%20ne%20'globex'"))).toEqual([a.id]);
      expect(ids(await list(`filter=createdAt%20gt%20'${T0}'`))).toEqual([b.id, c.id]);
      expect(ids(await list('orderBy=createdAt%20desc'))).toEqual([c.id, b.id, a.id]);

      const first = await list('limit=2&count=true');
      expect(ids(first)).toEqual([a.id, b.id]);
      expect(first.metadata.count).toBe(3);
      const token = first.metadata.continue ?? '';
      expect(token).not.toBe('');
      const second = await list(`limit=2&continue=${encodeURIComponent(token)}`);
      expect(ids(second)).toEqual([c.id]);
      expect(second.metadata.continue).toBeUndefined();

      const included = await list('include=id,status');
      expect(included.items[0]).toEqual({ id: a.id, status: 'active' });

      const bad = expectProblem(
        await request({
          method: 'GET',
          url: "/v1/subscriptions?filter=colour%20eq%20'red'&orderBy=accountId",
        }),
        400,
        'invalid-params',
      );
      expect(bad.invalidParams?.map((i) => i.name)).toEqual(['filter', 'orderBy']);
    });
  });

  describe('replace', () => {
    it('replaces writable fields and keeps what is not user-modifiable', async () => {
      const subscription = await create({
        licenseSN: '278343',
        accounts: ['acme', 'globex'],
        metadata: { labels: [{ name: 'tier', value: 'gold' }] },
      });
      h.clock.advance(DAY_MS);
      const response = await put(
        subscription.id,
        {
          type: TYPE,
          version: '1.1',
          namespaceLimit: 20,
          onboardStatus: 'success',
          metadata: {
            creationTimestamp: '2000-01-01T00:00:00Z',
            createdBy: 'someone else',
          },
        },
        { 'if-match': '"1"' },
      );
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers.etag).toBe('"2"');
      const replaced = json<Subscription>(response);
      expect(replaced).toMatchObject({
        id: subscription.id,
        subscriptionNumber: subscription.subscriptionNumber,
        version: '1.1',
        namespaceLimit: 20,
        onboardStatus: 'success',
        terms: 'paid',
        status: 'active',
        accounts: ['acme', 'globex'],
        revision: 2,
        metadata: {
          labels: [],
          creationTimestamp: T0,
          createdBy: 'operator-test',
          modifiedBy: 'operator-test',
          modificationTimestamp: new Date(Date.parse(T0) + DAY_MS).toISOString(),
        },
      });
      // An omitted optional billing field is cleared: PUT replaces.
      expect(replaced).not.toHaveProperty('licenseSN');
    });

    it('keeps labels and creation fields when metadata is omitted', async () => {
      const subscription = await create({
        metadata: { labels: [{ name: 'tier', value: 'gold' }] },
      });
      const response = await put(subscription.id, {
        type: TYPE,
        version: '1.2',
        accounts: ['globex'],
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(json<Subscription>(response)).toMatchObject({
        accounts: ['globex'],
        metadata: { labels: [{ name: 'tier', value: 'gold' }], creationTimestamp: T0 },
      });
    });

    it('a stale If-Match is a 409 and changes nothing', async () => {
      const subscription = await create();
      expect((await put(subscription.id, { type: TYPE, version: '1.2' })).statusCode).toBe(200);
      expectProblem(
        await put(subscription.id, { type: TYPE, version: '1.0' }, { 'if-match': '"1"' }),
        409,
        'conflict',
      );
      const read = json<Subscription>(
        await request({ method: 'GET', url: `/v1/subscriptions/${subscription.id}` }),
      );
      expect(read).toMatchObject({ version: '1.2', revision: 2 });
      expect(
        (await put(subscription.id, { type: TYPE, version: '1.0' }, { 'if-match': '*' }))
          .statusCode,
      ).toBe(200);
      expectProblem(
        await put(subscription.id, { type: TYPE, version: '1.0' }, { 'if-match': 'yesterday' }),
        400,
        'invalid-params',
      );
    });

    it('cancelling by PUT charges; reactivating after the grace period is a 409', async () => {
      usage.set('namespaces', 4);
      const subscription = await create({ costPerNamespaceUnit: 0.25, gracePeriod: 7 });
      const cancelled = await put(subscription.id, {
        type: TYPE,
        version: '1.2',
        status: 'inactive',
      });
      expect(cancelled.statusCode, cancelled.body).toBe(200);
      expect(json<Subscription>(cancelled)).toMatchObject({ status: 'inactive', cancelledAt: T0 });
      expect((await charges(subscription.id)).map((c) => c.amountMicros)).toEqual([1_000_000]);

      // Repeating the status is no transition and no second charge.
      expect(
        (await put(subscription.id, { type: TYPE, version: '1.2', status: 'inactive' })).statusCode,
      ).toBe(200);
      expect(await charges(subscription.id)).toHaveLength(1);

      h.clock.advance(8 * DAY_MS);
      const refused = expectProblem(
        await put(subscription.id, { type: TYPE, version: '1.2', status: 'active' }),
        409,
        'conflict',
      );
      expect(refused.invalidFields?.map((i) => i.name)).toEqual(['status']);
    });

    it('reactivates within the grace period and starts a new period', async () => {
      const subscription = await create({ gracePeriod: 7 });
      await request({ method: 'POST', url: `/v1/subscriptions/${subscription.id}/cancel` });
      h.clock.advance(DAY_MS);
      const response = await put(subscription.id, { type: TYPE, version: '1.2', status: 'active' });
      expect(response.statusCode, response.body).toBe(200);
      expect(json<Subscription>(response)).toMatchObject({
        status: 'active',
        cancelledAt: null,
        periodStart: new Date(Date.parse(T0) + DAY_MS).toISOString(),
      });
    });
  });

  describe('cancel and delete', () => {
    it('cancel records exactly one pending charge with the integer amount, and its events', async () => {
      usage.set('apps', 3);
      usage.set('namespaces', 9.2);
      const subscription = await create({ costPerAppUnit: 1.5, costPerNamespaceUnit: 0.005 });
      h.clock.advance(10 * DAY_MS);
      const response = await request({
        method: 'POST',
        url: `/v1/subscriptions/${subscription.id}/cancel`,
      });
      expect(response.statusCode, response.body).toBe(200);
      const end = new Date(Date.parse(T0) + 10 * DAY_MS).toISOString();
      expect(json<Subscription>(response)).toMatchObject({
        status: 'inactive',
        cancelledAt: end,
        revision: 2,
      });

      const list = await charges(subscription.id);
      expect(list).toHaveLength(1);
      const [charge] = list;
      expect(Value.Check(ChargeSchema, charge)).toBe(true);
      expect(charge).toMatchObject({
        subscriptionId: subscription.id,
        accountId: 'acme',
        amountMicros: 4_550_000,
        currency: 'USD',
        status: 'pending',
        periodStart: T0,
        periodEnd: end,
        voidedAt: null,
        breakdown: [
          { metric: 'apps', units: 3, unitCostMicros: 1_500_000, amountMicros: 4_500_000 },
          { metric: 'namespaces', units: 10, unitCostMicros: 5000, amountMicros: 50_000 },
        ],
      });

      const accountCharges = json<List<Charge>>(
        await request({
          method: 'GET',
          url: "/v1/accounts/acme/charges?filter=status%20eq%20'pending'",
        }),
      );
      expect(accountCharges.items.map((c) => c.id)).toEqual([charge?.id]);

      const types = json<List<{ type: string }>>(
        await h.request({ method: 'GET', url: '/v1/events' }),
      ).items.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['subscription.cancelled', 'charge.created']));

      expectProblem(
        await request({ method: 'POST', url: `/v1/subscriptions/${subscription.id}/cancel` }),
        409,
        'conflict',
      );
      expect(await charges(subscription.id)).toHaveLength(1);
    });

    it('a trial is cancelled with a zero charge', async () => {
      usage.set('namespaces', 50);
      const subscription = await create({ terms: 'trial', costPerNamespaceUnit: 0.005 });
      await request({ method: 'POST', url: `/v1/subscriptions/${subscription.id}/cancel` });
      expect((await charges(subscription.id)).map((c) => c.amountMicros)).toEqual([0]);
    });

    it('delete voids the pending charge and records both events', async () => {
      usage.set('apps', 2);
      const subscription = await create({ costPerAppUnit: 10 });
      await request({ method: 'POST', url: `/v1/subscriptions/${subscription.id}/cancel` });
      h.clock.advance(1000);
      const response = await request({
        method: 'DELETE',
        url: `/v1/subscriptions/${subscription.id}`,
      });
      expect(response.statusCode).toBe(204);
      expectProblem(
        await request({ method: 'GET', url: `/v1/subscriptions/${subscription.id}` }),
        404,
        'not-found',
      );
      const [charge] = json<List<Charge>>(
        await request({ method: 'GET', url: '/v1/accounts/acme/charges' }),
      ).items;
      expect(charge).toMatchObject({
        status: 'void',
        amountMicros: 20_000_000,
        voidedAt: new Date(Date.parse(T0) + 1000).toISOString(),
      });
      const types = json<List<{ type: string }>>(
        await h.request({ method: 'GET', url: '/v1/events' }),
      ).items.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['subscription.deleted', 'charge.voided']));
    });
  });

  describe('roles and tenancy', () => {
    it('viewers read but may not write; admins may cancel their own but not replace or delete', async () => {
      const subscription = await create();
      const viewer = await h.token('viewer', ['acme']);
      const admin = await h.token('admin', ['acme']);
      const url = `/v1/subscriptions/${subscription.id}`;

      expect((await request({ method: 'GET', url, token: viewer })).statusCode).toBe(200);
      expect(
        (await request({ method: 'GET', url: '/v1/accounts/acme/charges', token: viewer }))
          .statusCode,
      ).toBe(200);
      expectProblem(
        await request({
          method: 'POST',
          url: '/v1/subscriptions',
          token: viewer,
          body: { type: TYPE, version: '1.2', terms: 'trial', accounts: ['acme'] },
        }),
        403,
        'forbidden',
      );
      expectProblem(
        await request({ method: 'PUT', url, token: viewer, body: { type: TYPE, version: '1.2' } }),
        403,
        'forbidden',
      );
      expectProblem(
        await request({ method: 'POST', url: `${url}/cancel`, token: viewer }),
        403,
        'forbidden',
      );
      expectProblem(await request({ method: 'DELETE', url, token: viewer }), 403, 'forbidden');

      expectProblem(
        await request({ method: 'PUT', url, token: admin, body: { type: TYPE, version: '1.2' } }),
        403,
        'forbidden',
      );
      expectProblem(await request({ method: 'DELETE', url, token: admin }), 403, 'forbidden');
      const cancelled = await request({ method: 'POST', url: `${url}/cancel`, token: admin });
      expect(cancelled.statusCode, cancelled.body).toBe(200);
      expect(await charges(subscription.id)).toHaveLength(1);
    });

    it("another account's subscription is 404; a shared one is visible to both", async () => {
      const ofGlobex = await create({ accounts: ['globex'] });
      const shared = await create({ accounts: ['globex', 'acme'] });
      const adminA = await h.token('admin', ['acme']);
      const adminB = await h.token('admin', ['globex']);

      expectProblem(
        await request({ method: 'GET', url: `/v1/subscriptions/${ofGlobex.id}`, token: adminA }),
        404,
        'not-found',
      );
      expectProblem(
        await request({
          method: 'POST',
          url: `/v1/subscriptions/${ofGlobex.id}/cancel`,
          token: adminA,
        }),
        404,
        'not-found',
      );
      expectProblem(
        await request({
          method: 'GET',
          url: `/v1/subscriptions/${ofGlobex.id}/charges`,
          token: adminA,
        }),
        404,
        'not-found',
      );
      expectProblem(
        await request({ method: 'GET', url: '/v1/accounts/globex/charges', token: adminA }),
        404,
        'not-found',
      );
      for (const token of [adminA, adminB]) {
        const response = await request({
          method: 'GET',
          url: `/v1/subscriptions/${shared.id}`,
          token,
        });
        expect(response.statusCode).toBe(200);
      }
      const listA = json<List<Subscription>>(
        await request({ method: 'GET', url: '/v1/subscriptions', token: adminA }),
      );
      expect(listA.items.map((s) => s.id)).toEqual([shared.id]);
      const listB = json<List<Subscription>>(
        await request({ method: 'GET', url: '/v1/subscriptions', token: adminB }),
      );
      expect(listB.items.map((s) => s.id)).toEqual([ofGlobex.id, shared.id]);
      // Admin of A cancels the shared subscription; the charge is billed to its first account.
      expect(
        (
          await request({
            method: 'POST',
            url: `/v1/subscriptions/${shared.id}/cancel`,
            token: adminA,
          })
        ).statusCode,
      ).toBe(200);
      expect((await charges(shared.id)).map((c) => c.accountId)).toEqual(['globex']);
    });

    it('without a token is 401', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/subscriptions' });
      expect(response.statusCode).toBe(401);
    });
  });
});

describe('openapi', () => {
  beforeEach(open);
  afterEach(shut);

  it('documents the subscription routes under their tag', async () => {
    const doc = json<{ paths: Record<string, Record<string, { tags?: string[] }>> }>(
      await app.inject({ method: 'GET', url: '/openapi.json' }),
    );
    expect(doc.paths['/v1/subscriptions/{subscriptionId}/cancel']?.post?.tags).toEqual([
      'subscriptions',
    ]);
    expect(doc.paths['/v1/accounts/{accountId}/charges']?.get?.tags).toEqual(['subscriptions']);
  });
});

describe('charges from the usage store', () => {
  let store: Harness;
  beforeEach(async () => {
    store = await createHarness();
    await store.account('acme');
  });
  afterEach(async () => {
    await store.close();
  });

  it('reads the apps and namespaces metrics of the product over the period', async () => {
    const product = await store.request({
      method: 'POST',
      url: '/v1/products',
      body: {
        slug: 'astra',
        name: 'Astra Control',
        metrics: [
          { id: 1, name: 'Managed apps', unit: 'apps' },
          { id: 2, name: 'Namespaces', unit: 'namespaces' },
        ],
      },
    });
    expect(product.statusCode, product.body).toBe(201);
    const created = await store.request({
      method: 'POST',
      url: '/v1/subscriptions',
      body: {
        type: TYPE,
        version: '1.2',
        terms: 'paid',
        accounts: ['acme'],
        productId: json<{ id: number }>(product).id,
        costPerAppUnit: 2,
        costPerNamespaceUnit: 0.5,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const subscription = json<Subscription>(created);
    store.clock.advance(DAY_MS);
    const at = new Date(Date.parse(T0) + 3_600_000).toISOString();
    const ingested = await store.request({
      method: 'POST',
      url: '/v1/usage',
      body: {
        records: [
          { id: 'r1', account: 'acme', product: 'astra', metric: 1, value: 3, kind: 'delta', at },
          { id: 'r2', account: 'acme', product: 'astra', metric: 2, value: 5, kind: 'delta', at },
        ],
      },
    });
    expect(ingested.statusCode, ingested.body).toBeLessThan(300);
    const cancelled = await store.request({
      method: 'POST',
      url: `/v1/subscriptions/${subscription.id}/cancel`,
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const list = json<List<Charge>>(
      await store.request({ method: 'GET', url: `/v1/subscriptions/${subscription.id}/charges` }),
    );
    // 3 apps × $2 + 5 namespaces × $0.50 = $8.50
    expect(list.items.map((c) => c.amountMicros)).toEqual([8_500_000]);
  });
});
