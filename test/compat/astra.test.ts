import type { LightMyRequestResponse } from 'fastify';
import { Value } from 'typebox/value';
import { buildApp } from '../../src/http/app.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AstraListSchema,
  AstraSubscriptionSchema,
  type AstraSubscription,
} from '../../src/http/compat/astra/schemas.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

/**
 * Conformance of the NetApp Astra subscription facade (reference 002). The server is seeded, through
 * the facade itself, with the document's own subscriptions; every request example of the document
 * is replayed and the responses checked field by field against its example responses, then every
 * documented problem is triggered for real.
 */

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await h.account(ACCOUNT);
  await h.account(OTHER);
});
afterEach(async () => {
  await h.close();
});

/** An Astra account id (`{{.Account}}`) and a second tenant. */
const ACCOUNT = 'a8e1ddb1-7e3f-4b6e-9a1c-3d2f1e0b9c77';
const OTHER = 'globex';
const BASE = `/accounts/${ACCOUNT}/core/v1/subscriptions`;
const MISSING = '00000000-0000-4000-8000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PROBLEM = 'application/problem+json';

/** The resource's fields in the document's order (its example responses). */
const FIELD_ORDER = [
  'type',
  'version',
  'id',
  'customerProfileID',
  'paymentProfileID',
  'paymentExpiry',
  'purchaseOrderNumber',
  'marketplace',
  'licenseSN',
  'terms',
  'status',
  'appLimit',
  'namespaceLimit',
  'subscriptionPeriod',
  'gracePeriod',
  'reminderBeforePeriod',
  'onboardStatus',
  'costPerAppUnit',
  'costPerNamespaceUnit',
  'metadata',
];

/** The document's "Create a new subscription" example request. */
const CREATE_EXAMPLE = {
  type: 'application/astra-subscription',
  version: '1.2',
  terms: 'trial',
};

/** The document's "Modify a subscription" example request. */
const MODIFY_EXAMPLE = {
  type: 'application/astra-subscription',
  version: '1.2',
  customerProfileID: '2157047189',
  paymentProfileID: 'E7CEB0A9F1BECA32A02493E1B31D5955',
  paymentExpiry: '2022-05-01T00:00:00Z',
};

/** The two subscriptions of the list example, as writable fields (status set afterwards). */
const LIST_EXAMPLE_1 = {
  type: 'application/astra-subscription',
  version: '1.1',
  customerProfileID: '2157047189',
  paymentProfileID: 'E7CEB0A9F1BECA32A02493E1B31D5955',
  paymentExpiry: '2022-02-01T00:00:00Z',
  purchaseOrderNumber: '72384632',
  marketplace: 'netapp',
  licenseSN: '278343',
  terms: 'trial',
  appLimit: 0,
  namespaceLimit: 10,
  subscriptionPeriod: 90,
  gracePeriod: 7,
  reminderBeforePeriod: 30,
  onboardStatus: 'success',
  costPerAppUnit: 0,
  costPerNamespaceUnit: 0.005,
};
const LIST_EXAMPLE_2 = {
  type: 'application/astra-subscription',
  version: '1.1',
  customerProfileID: '2157047189',
  paymentProfileID: 'E7CEB0A9F1BECA32A02493E1B31D5955',
  paymentExpiry: '2022-05-01T00:00:00Z',
  purchaseOrderNumber: '92374658',
  marketplace: 'netapp',
  licenseSN: '374623',
  terms: 'paid',
  appLimit: 0,
  namespaceLimit: -1,
  subscriptionPeriod: -1,
  gracePeriod: -1,
  reminderBeforePeriod: -1,
  onboardStatus: 'success',
  costPerAppUnit: 0,
  costPerNamespaceUnit: 0.005,
};
/** The subscription of the create / retrieve example responses. */
const RETRIEVE_EXAMPLE = {
  ...LIST_EXAMPLE_1,
  version: '1.2',
};

interface Problem {
  type: string;
  title: string;
  detail: string;
  status: string;
  correlationID: string;
  invalidFields?: { name: string; reason: string }[];
  invalidParams?: { name: string; reason: string }[];
}

interface List {
  type: string;
  version: string;
  items: (AstraSubscription | unknown[])[];
  metadata: Record<string, unknown>;
}

function post(body: unknown, url = BASE, token?: string): Promise<LightMyRequestResponse> {
  return h.request({ method: 'POST', url, body, ...(token === undefined ? {} : { token }) });
}

async function seed(body: Record<string, unknown>, account = ACCOUNT): Promise<AstraSubscription> {
  const response = await post(body, `/accounts/${account}/core/v1/subscriptions`);
  expect(response.statusCode, response.body).toBe(201);
  return json<AstraSubscription>(response);
}

/** Seeds the list example: the first inactive (cancelled), the second active. */
async function seedListExample(): Promise<[AstraSubscription, AstraSubscription]> {
  const first = await seed(LIST_EXAMPLE_1);
  const cancel = await h.request({
    method: 'PUT',
    url: `${BASE}/${first.id}`,
    // A PUT replaces the whole resource: repeat it, with the new status.
    body: { ...LIST_EXAMPLE_1, status: 'inactive' },
  });
  expect(cancel.statusCode, cancel.body).toBe(204);
  const second = await seed(LIST_EXAMPLE_2);
  return [first, second];
}

/** Checks an Astra problem: media type, exact documented fields, status as a string. */
function expectProblem(
  response: LightMyRequestResponse,
  status: number,
  expected: { type: string; title: string; detail?: string },
): Problem {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toBe(`${PROBLEM}; charset=utf-8`);
  const body = json<Problem>(response);
  expect(body.type).toBe(expected.type);
  expect(body.title).toBe(expected.title);
  expect(body.status).toBe(String(status));
  expect(typeof body.detail).toBe('string');
  expect(body.detail.length).toBeGreaterThan(0);
  if (expected.detail !== undefined) expect(body.detail).toBe(expected.detail);
  expect(body.correlationID).toBe(response.headers['x-request-id']);
  for (const key of Object.keys(body)) {
    expect([
      'type',
      'title',
      'detail',
      'status',
      'correlationID',
      'invalidFields',
      'invalidParams',
    ]).toContain(key);
  }
  return body;
}

/** Every field of the document's resource, with its documented value where the seed fixed it. */
function expectResource(body: AstraSubscription, expected: Record<string, unknown>): void {
  expect(Value.Check(AstraSubscriptionSchema, body), JSON.stringify(body)).toBe(true);
  expect(body.id).toMatch(UUID);
  const present = FIELD_ORDER.filter((field) => field in body);
  expect(Object.keys(body)).toEqual(present);
  for (const [field, value] of Object.entries(expected)) {
    if (field === 'paymentExpiry' && body.terms === 'trial') continue;
    expect(body[field as keyof AstraSubscription], field).toEqual(value);
  }
  // Astra: "This field is not returned for trial terms".
  if (body.terms === 'trial') expect(body).not.toHaveProperty('paymentExpiry');
  expect(body.metadata.labels).toEqual([]);
  expect(Date.parse(body.metadata.creationTimestamp)).not.toBeNaN();
  expect(Date.parse(body.metadata.modificationTimestamp)).not.toBeNaN();
  expect(typeof body.metadata.createdBy).toBe('string');
}

const P = (n: number) => `https://astra.netapp.io/problems/${String(n)}`;

describe('POST /accounts/{account_id}/core/v1/subscriptions', () => {
  it('replays the example request: 201 with the created resource and defaults', async () => {
    const response = await post(CREATE_EXAMPLE);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = json<AstraSubscription>(response);
    expectResource(body, {
      type: 'application/astra-subscription',
      version: '1.2',
      customerProfileID: '',
      paymentProfileID: '',
      terms: 'trial',
      status: 'active',
      appLimit: -1,
      namespaceLimit: -1,
      subscriptionPeriod: 90,
      gracePeriod: 7,
      reminderBeforePeriod: 30,
      onboardStatus: 'not started',
      costPerAppUnit: 0,
      costPerNamespaceUnit: 0,
    });
    expect(Object.keys(body)).toEqual([
      'type',
      'version',
      'id',
      'customerProfileID',
      'paymentProfileID',
      'terms',
      'status',
      'appLimit',
      'namespaceLimit',
      'subscriptionPeriod',
      'gracePeriod',
      'reminderBeforePeriod',
      'onboardStatus',
      'costPerAppUnit',
      'costPerNamespaceUnit',
      'metadata',
    ]);
    expect(body.metadata).toEqual({
      labels: [],
      creationTimestamp: T0,
      modificationTimestamp: T0,
      createdBy: 'operator-test',
    });
    expect(response.headers.location).toBe(`${BASE}/${body.id}`);
  });

  it('creates the example response subscription with every documented field', async () => {
    const body = await seed({ ...RETRIEVE_EXAMPLE, onboardStatus: 'in progress' });
    expectResource(body, { ...RETRIEVE_EXAMPLE, onboardStatus: 'in progress', status: 'active' });
  });

  it('makes the path account the subscription account (native view)', async () => {
    const created = await seed(CREATE_EXAMPLE);
    const native = await h.request({ method: 'GET', url: `/v1/subscriptions/${created.id}` });
    expect(json(native).accounts).toEqual([ACCOUNT]);
  });

  it('400 (problem 5, invalidFields) for a missing required field and for Entitle fields', async () => {
    const missing = expectProblem(
      await post({ type: 'application/astra-subscription', version: '1.2' }),
      400,
      { type: P(5), title: 'Invalid query parameters' },
    );
    expect(missing.invalidFields).toEqual([{ name: 'terms', reason: 'is required' }]);
    const accounts = expectProblem(await post({ ...CREATE_EXAMPLE, accounts: [OTHER] }), 400, {
      type: P(5),
      title: 'Invalid query parameters',
    });
    expect(accounts.invalidFields).toEqual([{ name: 'accounts', reason: 'is not a known field' }]);
    const enumValue = expectProblem(await post({ ...CREATE_EXAMPLE, terms: 'free' }), 400, {
      type: P(5),
      title: 'Invalid query parameters',
    });
    expect(enumValue.invalidFields?.[0]?.name).toBe('terms');
  });

  it('400 (problem 5) for a body that is not JSON', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: `Bearer ${h.operator}`, 'content-type': 'application/json' },
      payload: '{"type": ',
    });
    const body = expectProblem(response, 400, { type: P(5), title: 'Invalid query parameters' });
    expect(body.invalidFields?.[0]?.name).toBe('body');
  });

  it('415 (about:blank) for a body that is not JSON by media type', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: `Bearer ${h.operator}`, 'content-type': 'text/plain' },
      payload: 'terms=trial',
    });
    expectProblem(response, 415, { type: 'about:blank', title: 'Unsupported Media Type' });
  });

  it('403 (problem 11) for a role that may not create', async () => {
    const viewer = await h.token('admin', [ACCOUNT]);
    expectProblem(await post(CREATE_EXAMPLE, BASE, viewer), 403, {
      type: P(11),
      title: 'Operation not permitted',
      detail: "The requested operation isn't permitted.",
    });
  });
});

describe('GET /accounts/{account_id}/core/v1/subscriptions', () => {
  it('replays the list example: envelope, both documented items, metadata', async () => {
    const [first, second] = await seedListExample();
    const response = await h.request({ method: 'GET', url: BASE });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = json<List>(response);
    expect(Value.Check(AstraListSchema, body), response.body).toBe(true);
    expect(Object.keys(body)).toEqual(['type', 'version', 'items', 'metadata']);
    expect(body.type).toBe('application/astra-subscriptions');
    expect(body.version).toBe('1.2');
    expect(body.items).toHaveLength(2);
    const [one, two] = body.items as AstraSubscription[];
    if (one === undefined || two === undefined) throw new Error('two items expected');
    expectResource(one, { ...LIST_EXAMPLE_1, id: first.id, status: 'inactive' });
    expectResource(two, { ...LIST_EXAMPLE_2, id: second.id, status: 'active' });
    // The paid one shows its payment expiry; the trial one does not.
    expect(two.paymentExpiry).toBe('2022-05-01T00:00:00Z');
    expect(body.metadata).toEqual({
      labels: [],
      creationTimestamp: T0,
      modificationTimestamp: T0,
      createdBy: 'operator-test',
    });
  });

  it('filter (eq, lt/gt, lte/gte) matches on Astra fields', async () => {
    const [first, second] = await seedListExample();
    const ids = async (filter: string) =>
      (
        json<List>(
          await h.request({ method: 'GET', url: `${BASE}?filter=${encodeURIComponent(filter)}` }),
        ).items as AstraSubscription[]
      ).map((item) => item.id);
    expect(await ids("status eq 'active'")).toEqual([second.id]);
    expect(await ids("terms eq 'trial'")).toEqual([first.id]);
    expect(await ids('namespaceLimit gt 0')).toEqual([first.id]);
    expect(await ids('namespaceLimit lt 0')).toEqual([second.id]);
    expect(await ids('namespaceLimit gte -1')).toEqual([first.id, second.id]);
    expect(await ids('namespaceLimit lte 9')).toEqual([second.id]);
    expect(await ids("licenseSN eq '374623'")).toEqual([second.id]);
  });

  it("the document's URL example filter=field%20eq%20%27value%27 form works", async () => {
    const [, second] = await seedListExample();
    const body = json<List>(
      await h.request({ method: 'GET', url: `${BASE}?filter=status%20eq%20%27active%27` }),
    );
    expect((body.items as AstraSubscription[]).map((item) => item.id)).toEqual([second.id]);
  });

  it('include turns each item into an array of the requested values, in the requested order', async () => {
    const [first, second] = await seedListExample();
    const response = await h.request({ method: 'GET', url: `${BASE}?include=terms,id` });
    expect(response.statusCode, response.body).toBe(200);
    const body = json<List>(response);
    expect(body.items).toEqual([
      ['trial', first.id],
      ['paid', second.id],
    ]);
    // "include=id" of the document; an unset optional field is null.
    const single = json<List>(
      await h.request({ method: 'GET', url: `${BASE}?include=id,paymentExpiry` }),
    );
    expect(single.items).toEqual([
      [first.id, null],
      [second.id, '2022-05-01T00:00:00Z'],
    ]);
  });

  it('limit, continue, skip, orderBy and count', async () => {
    const [first, second] = await seedListExample();
    const page1 = json<List>(await h.request({ method: 'GET', url: `${BASE}?limit=1&count=true` }));
    expect(page1.items.map((item) => (item as AstraSubscription).id)).toEqual([first.id]);
    expect(page1.metadata.count).toBe(2);
    expect(typeof page1.metadata.continue).toBe('string');
    const page2 = json<List>(
      await h.request({
        method: 'GET',
        url: `${BASE}?limit=1&continue=${encodeURIComponent(String(page1.metadata.continue))}`,
      }),
    );
    expect(page2.items.map((item) => (item as AstraSubscription).id)).toEqual([second.id]);
    expect(page2.metadata).not.toHaveProperty('continue');
    const skipped = json<List>(await h.request({ method: 'GET', url: `${BASE}?skip=1` }));
    expect(skipped.items.map((item) => (item as AstraSubscription).id)).toEqual([second.id]);
    const ordered = json<List>(
      await h.request({ method: 'GET', url: `${BASE}?orderBy=licenseSN%20desc&include=licenseSN` }),
    );
    expect(ordered.items).toEqual([['374623'], ['278343']]);
  });

  it('400 (problem 5, invalidParams) for bad query parameters', async () => {
    const bad = expectProblem(
      await h.request({ method: 'GET', url: `${BASE}?limit=two&filter=bogus%20eq%201` }),
      400,
      {
        type: P(5),
        title: 'Invalid query parameters',
        detail: 'The supplied query parameters are invalid.',
      },
    );
    expect(bad.invalidParams?.map((issue) => issue.name).sort()).toEqual(['filter', 'limit']);
    const include = expectProblem(
      await h.request({ method: 'GET', url: `${BASE}?include=accounts` }),
      400,
      { type: P(5), title: 'Invalid query parameters' },
    );
    expect(include.invalidParams?.[0]?.name).toBe('include');
    const unknown = expectProblem(await h.request({ method: 'GET', url: `${BASE}?sort=id` }), 400, {
      type: P(5),
      title: 'Invalid query parameters',
    });
    expect(unknown.invalidParams).toEqual([{ name: 'sort', reason: 'is not a known field' }]);
  });

  it('401 (problem 3) without a bearer token, exactly as documented', async () => {
    const response = await h.request({ method: 'GET', url: BASE, token: null });
    const body = expectProblem(response, 401, {
      type: P(3),
      title: 'Missing bearer token',
      detail: 'The request is missing the required bearer token.',
    });
    expect(body).not.toHaveProperty('invalidParams');
  });

  it('401 (problem 3) with a bad token, saying why', async () => {
    const response = await h.request({ method: 'GET', url: BASE, token: 'not-a-jwt' });
    const body = expectProblem(response, 401, { type: P(3), title: 'Missing bearer token' });
    expect(body.detail).not.toBe('The request is missing the required bearer token.');
    expect(response.headers['www-authenticate']).toContain('invalid_token');
  });

  it('404 (problem 2) for an account outside the token or unknown', async () => {
    const admin = await h.token('admin', [OTHER]);
    expectProblem(await h.request({ method: 'GET', url: BASE, token: admin }), 404, {
      type: P(2),
      title: 'Collection not found',
      detail: "The collection specified in the request URI wasn't found.",
    });
    expectProblem(
      await h.request({ method: 'GET', url: '/accounts/nobody/core/v1/subscriptions' }),
      404,
      { type: P(2), title: 'Collection not found' },
    );
  });

  it('lists only the path account, even for an operator', async () => {
    await seedListExample();
    await seed(CREATE_EXAMPLE, OTHER);
    const other = json<List>(
      await h.request({ method: 'GET', url: `/accounts/${OTHER}/core/v1/subscriptions` }),
    );
    expect(other.items).toHaveLength(1);
    const mine = json<List>(await h.request({ method: 'GET', url: `${BASE}?count=true` }));
    expect(mine.metadata.count).toBe(2);
  });

  it('a viewer of the account may list', async () => {
    await seedListExample();
    const viewer = await h.token('viewer', [ACCOUNT]);
    const response = await h.request({ method: 'GET', url: BASE, token: viewer });
    expect(response.statusCode).toBe(200);
    expect(json<List>(response).items).toHaveLength(2);
  });
});

describe('GET /accounts/{account_id}/core/v1/subscriptions/{subscription_id}', () => {
  it('replays the retrieve example: 200 with every documented field', async () => {
    const created = await seed(RETRIEVE_EXAMPLE);
    const response = await h.request({ method: 'GET', url: `${BASE}/${created.id}` });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expectResource(json<AstraSubscription>(response), {
      ...RETRIEVE_EXAMPLE,
      id: created.id,
      status: 'active',
    });
  });

  it('404 (problem 1) for an unknown id and for a subscription of another account', async () => {
    const foreign = await seed(CREATE_EXAMPLE, OTHER);
    for (const id of [MISSING, foreign.id]) {
      expectProblem(await h.request({ method: 'GET', url: `${BASE}/${id}` }), 404, {
        type: P(1),
        title: 'Resource not found',
        detail: "The resource specified in the request URI wasn't found.",
      });
    }
  });

  it('404 (problem 2) when the account is outside the token, whatever the id', async () => {
    const mine = await seed(CREATE_EXAMPLE);
    const other = await h.token('admin', [OTHER]);
    expectProblem(
      await h.request({ method: 'GET', url: `${BASE}/${mine.id}`, token: other }),
      404,
      {
        type: P(2),
        title: 'Collection not found',
      },
    );
  });

  it('405 (about:blank) with Allow for an unsupported method; 404 for an unknown path', async () => {
    const created = await seed(CREATE_EXAMPLE);
    const response = await h.request({ method: 'PATCH', url: `${BASE}/${created.id}`, body: {} });
    expectProblem(response, 405, { type: 'about:blank', title: 'Method Not Allowed' });
    expect(String(response.headers.allow).split(', ').sort()).toEqual([
      'DELETE',
      'GET',
      'HEAD',
      'PUT',
    ]);
    const collection = await h.request({ method: 'DELETE', url: BASE });
    expectProblem(collection, 405, { type: 'about:blank', title: 'Method Not Allowed' });
    expect(String(collection.headers.allow).split(', ').sort()).toEqual(['GET', 'HEAD', 'POST']);
    expectProblem(
      await h.request({ method: 'GET', url: `/accounts/${ACCOUNT}/core/v1/clusters` }),
      404,
      { type: P(2), title: 'Collection not found' },
    );
  });

  it('echoes X-Service-Request-Id as the correlationID', async () => {
    const response = await h.request({
      method: 'GET',
      url: `${BASE}/${MISSING}`,
      headers: { 'x-service-request-id': 'req-astra-1' },
    });
    expect(response.headers['x-service-request-id']).toBe('req-astra-1');
    expect(json<Problem>(response).correlationID).toBe('req-astra-1');
  });
});

describe('PUT /accounts/{account_id}/core/v1/subscriptions/{subscription_id}', () => {
  it('replays the modify example: 204 without a body, the change is stored', async () => {
    const [, paid] = await seedListExample();
    const response = await h.request({
      method: 'PUT',
      url: `${BASE}/${paid.id}`,
      body: MODIFY_EXAMPLE,
    });
    expect(response.statusCode, response.body).toBe(204);
    expect(response.body).toBe('');
    const after = json<AstraSubscription>(
      await h.request({ method: 'GET', url: `${BASE}/${paid.id}` }),
    );
    expect(after.version).toBe('1.2');
    expect(after.customerProfileID).toBe('2157047189');
    expect(after.paymentProfileID).toBe('E7CEB0A9F1BECA32A02493E1B31D5955');
    expect(after.paymentExpiry).toBe('2022-05-01T00:00:00Z');
    // Required-on-read fields are kept; the metadata records the modifier.
    expect(after.terms).toBe('paid');
    expect(after.namespaceLimit).toBe(-1);
    expect(after.metadata.modifiedBy).toBe('operator-test');
  });

  it('"status": "inactive" cancels the subscription (the documented side effect)', async () => {
    const created = await seed(RETRIEVE_EXAMPLE);
    const response = await h.request({
      method: 'PUT',
      url: `${BASE}/${created.id}`,
      body: { type: 'application/astra-subscription', version: '1.2', status: 'inactive' },
    });
    expect(response.statusCode).toBe(204);
    const charges = json<{ items: { subscriptionId: string; status: string }[] }>(
      await h.request({ method: 'GET', url: `/v1/subscriptions/${created.id}/charges` }),
    );
    expect(charges.items.map((c) => [c.subscriptionId, c.status])).toEqual([
      [created.id, 'pending'],
    ]);
  });

  it('409 (problem 10, invalidFields) when the body id conflicts with the path', async () => {
    const created = await seed(CREATE_EXAMPLE);
    const body = expectProblem(
      await h.request({
        method: 'PUT',
        url: `${BASE}/${created.id}`,
        body: { ...MODIFY_EXAMPLE, id: MISSING },
      }),
      409,
      {
        type: P(10),
        title: 'JSON resource conflict',
        detail: 'The request body JSON contains a field that conflicts with an idempotent value.',
      },
    );
    expect(body.invalidFields).toEqual([{ name: 'id', reason: `must be ${created.id}` }]);
  });

  it('409 (problem 10) when reactivating after the grace period, saying why', async () => {
    const created = await seed(RETRIEVE_EXAMPLE);
    const put = (status: string) =>
      h.request({
        method: 'PUT',
        url: `${BASE}/${created.id}`,
        body: { ...RETRIEVE_EXAMPLE, status },
      });
    expect((await put('inactive')).statusCode).toBe(204);
    h.clock.advance(8 * 86_400_000);
    const body = expectProblem(await put('active'), 409, {
      type: P(10),
      title: 'JSON resource conflict',
    });
    expect(body.detail).toContain('grace period');
    expect(body.invalidFields?.[0]?.name).toBe('status');
  });

  it('400 (problem 5, invalidFields) for an invalid body', async () => {
    const created = await seed(CREATE_EXAMPLE);
    const body = expectProblem(
      await h.request({
        method: 'PUT',
        url: `${BASE}/${created.id}`,
        body: { ...MODIFY_EXAMPLE, appLimit: 'ten', productId: 3 },
      }),
      400,
      { type: P(5), title: 'Invalid query parameters' },
    );
    expect(body.invalidFields?.map((issue) => issue.name).sort()).toEqual([
      'appLimit',
      'productId',
    ]);
  });

  it('403 (problem 11) for a viewer; 404 (problem 1) for another account', async () => {
    const created = await seed(CREATE_EXAMPLE);
    const viewer = await h.token('viewer', [ACCOUNT]);
    expectProblem(
      await h.request({
        method: 'PUT',
        url: `${BASE}/${created.id}`,
        body: MODIFY_EXAMPLE,
        token: viewer,
      }),
      403,
      { type: P(11), title: 'Operation not permitted' },
    );
    const foreign = await seed(CREATE_EXAMPLE, OTHER);
    expectProblem(
      await h.request({ method: 'PUT', url: `${BASE}/${foreign.id}`, body: MODIFY_EXAMPLE }),
      404,
      { type: P(1), title: 'Resource not found' },
    );
    // Not modified through the wrong account.
    const native = json(await h.request({ method: 'GET', url: `/v1/subscriptions/${foreign.id}` }));
    expect(native.customerProfileID).toBe('');
  });

  it('401 (problem 3) without a token', async () => {
    expectProblem(
      await h.request({
        method: 'PUT',
        url: `${BASE}/${MISSING}`,
        body: MODIFY_EXAMPLE,
        token: null,
      }),
      401,
      { type: P(3), title: 'Missing bearer token' },
    );
  });
});

describe('DELETE /accounts/{account_id}/core/v1/subscriptions/{subscription_id}', () => {
  it('204 without a body; the subscription is gone', async () => {
    const created = await seed(CREATE_EXAMPLE);
    const response = await h.request({ method: 'DELETE', url: `${BASE}/${created.id}` });
    expect(response.statusCode, response.body).toBe(204);
    expect(response.body).toBe('');
    expectProblem(await h.request({ method: 'GET', url: `${BASE}/${created.id}` }), 404, {
      type: P(1),
      title: 'Resource not found',
    });
  });

  it('404 (problem 1) for a subscription of another account; 403 (problem 11) for an admin', async () => {
    const foreign = await seed(CREATE_EXAMPLE, OTHER);
    expectProblem(await h.request({ method: 'DELETE', url: `${BASE}/${foreign.id}` }), 404, {
      type: P(1),
      title: 'Resource not found',
    });
    const mine = await seed(CREATE_EXAMPLE);
    const admin = await h.token('admin', [ACCOUNT]);
    expectProblem(
      await h.request({ method: 'DELETE', url: `${BASE}/${mine.id}`, token: admin }),
      403,
      { type: P(11), title: 'Operation not permitted' },
    );
    expect(
      (
        await h.request({
          method: 'GET',
          url: `/accounts/${OTHER}/core/v1/subscriptions/${foreign.id}`,
        })
      ).statusCode,
    ).toBe(200);
  });

  it('401 (problem 3) without a token', async () => {
    expectProblem(
      await h.request({ method: 'DELETE', url: `${BASE}/${MISSING}`, token: null }),
      401,
      { type: P(3), title: 'Missing bearer token' },
    );
  });
});

describe('unexpected failures', () => {
  it('500 (about:blank) without internals when a service fails', async () => {
    const failing = {
      ...h.services,
      subscriptions: {
        ...h.services.subscriptions,
        list: () => Promise.reject(new Error('database on fire')),
      },
    };
    const app = await buildApp({ services: failing, clock: h.clock });
    try {
      const response = await app.inject({
        method: 'GET',
        url: BASE,
        headers: { authorization: `Bearer ${h.operator}` },
      });
      const body = expectProblem(response, 500, {
        type: 'about:blank',
        title: 'Internal Server Error',
      });
      expect(body.detail).not.toContain('fire');
    } finally {
      await app.close();
    }
  });
});
