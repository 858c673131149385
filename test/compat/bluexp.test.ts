import { Value } from 'typebox/value';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemPrincipal, type Role } from '../../src/domain/principal.js';
import {
  BlueXpErrorSchema,
  BlueXpLicenseSchema,
  BlueXpSubscriptionSchema,
  type BlueXpError,
  type BlueXpLicense,
  type BlueXpSubscription,
} from '../../src/http/compat/bluexp/schemas.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

/** Conformance of the BlueXP digital wallet facade with reference 000. */
let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const RESOURCE_ID = /^license-\d+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY_MS = 86_400_000;
const at = (days: number) => new Date(Date.parse(T0) + days * DAY_MS).toISOString();

const cvo = {
  slug: 'cvo',
  name: 'Cloud Volumes ONTAP',
  group: 'CVO',
  features: [{ id: 'BACKUP', name: 'Backup' }],
  metrics: [
    { id: 1, name: 'Provisioned capacity', unit: 'TiB' },
    { id: 2, name: 'Controller nodes', unit: 'nodes' },
  ],
};
const backup = {
  slug: 'backup',
  name: 'Cloud Backup',
  group: 'DATA_SERVICES',
  metrics: [{ id: 1, name: 'Protected capacity', unit: 'TB' }],
};

/** A token with an explicit `typ`, as BlueXP distinguishes user and service tokens. */
async function tokenOf(role: Role, accounts: '*' | string[], typ: 'user' | 'service') {
  const system = { principal: systemPrincipal, requestId: null, clock: h.clock };
  return (await h.services.tokens.issue(system, { subject: `${role}-${typ}`, role, accounts, typ }))
    .token;
}

function expectError(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = json<BlueXpError>(response);
  expect(Value.Check(BlueXpErrorSchema, body)).toBe(true);
  expect(body).toMatchObject({ status, code });
  expect(body.message.length).toBeGreaterThan(0);
  return body;
}

async function seed() {
  await h.account('acme');
  await h.account('globex');
  for (const product of [cvo, backup]) {
    const created = await h.request({ method: 'POST', url: '/v1/products', body: product });
    expect(created.statusCode).toBe(201);
  }
  const create = async (body: Record<string, unknown>) => {
    const response = await h.request({ method: 'POST', url: '/license/licenses', body });
    expect(response.statusCode, response.body).toBe(200);
    return json<BlueXpLicense>(response);
  };
  const backupLicense = await create({
    accountId: 'acme',
    licenseType: 'DATA_SERVICE',
    product: 'backup',
    service: 'BACKUP',
    group: 'Data Services',
    entitledCapacityTB: 10,
    expirationDate: at(20),
  });
  const capacity = await create({
    accountId: 'acme',
    licenseType: 'CAPACITY',
    product: 'cvo',
    group: 'CVO',
    entitledCapacityTB: 50,
    expirationDate: at(365),
  });
  const node = await create({ accountId: 'globex', licenseType: 'NODE', group: 'CVO' });
  return { backupLicense, capacity, node };
}

describe('GET /license/licenses (the document example)', () => {
  it('lists the licenses of the token accounts, with summary info when includeSummaryInfo=true', async () => {
    const { backupLicense, capacity, node } = await seed();
    // 4 TB of backup used by acme this month.
    await h.services.usage.ingest(
      { principal: systemPrincipal, requestId: null, clock: h.clock },
      {
        records: [
          {
            id: 'u1',
            account: 'acme',
            product: 'backup',
            metric: 1,
            value: 4,
            kind: 'gauge',
            at: T0,
          },
        ],
      },
    );
    const user = await tokenOf('admin', ['acme'], 'user');
    // curl -X GET ".../license/licenses?includeSummaryInfo=true" -H "accept: application/json" -H "authorization: <user token>"
    const response = await h.request({
      method: 'GET',
      url: '/license/licenses?includeSummaryInfo=true',
      token: user,
      headers: { accept: 'application/json' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const list = json<BlueXpLicense[]>(response);
    expect(Array.isArray(list)).toBe(true);
    expect(list.map((l) => l.resourceId)).toEqual([backupLicense.resourceId, capacity.resourceId]);
    expect(list.map((l) => l.resourceId)).not.toContain(node.resourceId);
    for (const license of list) {
      expect(Value.Check(BlueXpLicenseSchema, license)).toBe(true);
      expect(license.resourceId).toMatch(RESOURCE_ID);
      expect(license.resourceId.startsWith(`license-${license.serialNumber}-`)).toBe(true);
      expect(license.serialNumber).toMatch(/^\d+$/);
    }
    expect(list[0]).toEqual({
      resourceId: backupLicense.resourceId,
      serialNumber: backupLicense.serialNumber,
      accountId: 'acme',
      licenseType: 'DATA_SERVICE',
      service: 'BACKUP',
      group: 'DATA_SERVICES',
      description: 'Cloud Backup',
      entitledCapacityTB: 10,
      expirationDate: at(20),
      summaryInfo: {
        status: 'active',
        expired: false,
        daysToExpiration: 20,
        aboutToExpire: true,
        usedCapacityTB: 4,
        capacityUsagePercent: 40,
      },
    });
    // 50 TB written to the TiB metric of CVO reads back as 50 TB.
    expect(list[1]?.entitledCapacityTB).toBe(50);
    expect(list[1]?.summaryInfo).toMatchObject({ usedCapacityTB: 0, daysToExpiration: 365 });
  });

  it('leaves summary info out unless includeSummaryInfo is true', async () => {
    await seed();
    for (const url of ['/license/licenses', '/license/licenses?includeSummaryInfo=false']) {
      const list = json<BlueXpLicense[]>(await h.request({ method: 'GET', url }));
      expect(list).toHaveLength(3);
      for (const license of list) expect(license).not.toHaveProperty('summaryInfo');
    }
  });

  it('filters by accountId, serialNumber, resourceId, licenseType, service and group', async () => {
    const { backupLicense, capacity, node } = await seed();
    const ids = async (query: string) =>
      json<BlueXpLicense[]>(
        await h.request({ method: 'GET', url: `/license/licenses?${query}` }),
      ).map((l) => l.resourceId);
    expect(await ids('accountId=globex')).toEqual([node.resourceId]);
    expect(await ids(`serialNumber=${capacity.serialNumber}`)).toEqual([capacity.resourceId]);
    expect(await ids(`resourceId=${backupLicense.resourceId}`)).toEqual([backupLicense.resourceId]);
    expect(await ids('licenseType=CAPACITY')).toEqual([capacity.resourceId]);
    expect(await ids('licenseType=node')).toEqual([node.resourceId]);
    expect(await ids('service=BACKUP')).toEqual([backupLicense.resourceId]);
    expect(await ids('group=Data%20Services')).toEqual([backupLicense.resourceId]);
    expect(await ids('group=CVO&accountId=acme')).toEqual([capacity.resourceId]);
    expect(await ids('licenseType=UNKNOWN')).toEqual([]);
  });

  it('accepts service tokens for reads', async () => {
    await seed();
    const service = await tokenOf('service', ['acme'], 'service');
    const response = await h.request({ method: 'GET', url: '/license/licenses', token: service });
    expect(response.statusCode).toBe(200);
    expect(json<BlueXpLicense[]>(response)).toHaveLength(2);
  });

  it('echoes X-Service-Request-Id', async () => {
    const response = await h.request({
      method: 'GET',
      url: '/license/licenses',
      headers: { 'x-service-request-id': 'wallet-ui-42' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-service-request-id']).toBe('wallet-ui-42');
  });
});

describe('create, retrieve, update, remove', () => {
  it("keeps a serial number issued elsewhere, such as the document's 481000485", async () => {
    await seed();
    const body = {
      accountId: 'acme',
      licenseType: 'NODE',
      group: 'CVO',
      serialNumber: '481000485',
    };
    const created = await h.request({ method: 'POST', url: '/license/licenses', body });
    expect(created.statusCode, created.body).toBe(200);
    const license = json<BlueXpLicense>(created);
    expect(license.serialNumber).toBe('481000485');
    expect(license.resourceId).toMatch(/^license-481000485-/);
    const found = json<BlueXpLicense[]>(
      await h.request({ method: 'GET', url: '/license/licenses?serialNumber=481000485' }),
    );
    expect(found.map((l) => l.resourceId)).toEqual([license.resourceId]);
    const again = expectError(
      await h.request({ method: 'POST', url: '/license/licenses', body }),
      400,
      'BAD_REQUEST',
    );
    expect(again.message).toContain('481000485');
    expectError(
      await h.request({
        method: 'POST',
        url: '/license/licenses',
        body: { ...body, serialNumber: '48-1' },
      }),
      400,
      'BAD_REQUEST',
    );
  });

  it('refuses a capacity too large to convert (found by the fuzzer: 1e308 TB was a 500)', async () => {
    const { capacity } = await seed();
    for (const [method, url, body] of [
      ['PUT', `/license/licenses/${capacity.resourceId}`, { entitledCapacityTB: 1e308 }],
      [
        'POST',
        '/license/licenses',
        { accountId: 'acme', licenseType: 'CAPACITY', product: 'cvo', entitledCapacityTB: 1e308 },
      ],
    ] as const) {
      expectError(await h.request({ method, url, body }), 400, 'BAD_REQUEST');
    }
    const kept = json<BlueXpLicense>(
      await h.request({ method: 'GET', url: `/license/licenses/${capacity.resourceId}` }),
    );
    expect(kept.entitledCapacityTB).toBe(50);
  });

  it('round-trips a license', async () => {
    await seed();
    const created = await h.request({
      method: 'POST',
      url: '/license/licenses',
      body: {
        accountId: 'acme',
        licenseType: 'CAPACITY',
        service: 'TIERING',
        group: 'DATA_SERVICES',
        entitledCapacityTB: 2.5,
        expirationDate: at(30),
      },
    });
    expect(created.statusCode).toBe(200);
    const license = json<BlueXpLicense>(created);
    expect(Value.Check(BlueXpLicenseSchema, license)).toBe(true);
    expect(license).toMatchObject({
      accountId: 'acme',
      licenseType: 'CAPACITY',
      service: 'TIERING',
      group: 'DATA_SERVICES',
      entitledCapacityTB: 2.5,
      expirationDate: at(30),
    });
    expect(license.resourceId).toMatch(RESOURCE_ID);

    const url = `/license/licenses/${license.resourceId}`;
    const read = await h.request({ method: 'GET', url });
    expect(read.statusCode).toBe(200);
    expect(json(read)).toEqual(license);
    const withSummary = json<BlueXpLicense>(
      await h.request({ method: 'GET', url: `${url}?includeSummaryInfo=true` }),
    );
    expect(withSummary.summaryInfo).toMatchObject({ status: 'active', daysToExpiration: 30 });

    const updated = await h.request({
      method: 'PUT',
      url,
      body: { entitledCapacityTB: 5, expirationDate: at(60) },
    });
    expect(updated.statusCode).toBe(200);
    expect(json(updated)).toEqual({ ...license, entitledCapacityTB: 5, expirationDate: at(60) });

    const removed = await h.request({ method: 'DELETE', url });
    expect(removed.statusCode).toBe(200);
    expect(removed.body).toBe('');
    expectError(await h.request({ method: 'GET', url }), 404, 'NOT_FOUND');
  });

  it('refuses writes with a service token and with a non-operator user token (403)', async () => {
    const { capacity } = await seed();
    const url = `/license/licenses/${capacity.resourceId}`;
    const service = await tokenOf('operator', '*', 'service');
    const admin = await tokenOf('admin', ['acme'], 'user');
    for (const token of [service, admin]) {
      expectError(
        await h.request({
          method: 'POST',
          url: '/license/licenses',
          token,
          body: { accountId: 'acme', licenseType: 'NODE' },
        }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await h.request({ method: 'PUT', url, token, body: { entitledCapacityTB: 1 } }),
        403,
        'FORBIDDEN',
      );
      expectError(await h.request({ method: 'DELETE', url, token }), 403, 'FORBIDDEN');
    }
    // Nothing changed: every refusal rolled back.
    expect(json(await h.request({ method: 'GET', url }))).toEqual(capacity);
  });
});

describe('GET /license/subscriptions', () => {
  it('lists subscription number, entitled and consumed TiB, expiry and several accounts', async () => {
    await seed();
    const products = json<{ items: { id: number; slug: string }[] }>(
      await h.request({ method: 'GET', url: '/v1/products' }),
    ).items;
    const cvoId = products.find((p) => p.slug === 'cvo')?.id;
    const created = await h.request({
      method: 'POST',
      url: '/v1/subscriptions',
      body: {
        type: 'application/astra-subscription',
        version: '1.2',
        terms: 'paid',
        accounts: ['acme', 'globex'],
        productId: cvoId,
        entitledCapacity: 100,
        capacityUnit: 'TiB',
        expiresAt: at(90),
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const native = json<{ id: string; subscriptionNumber: number }>(created);
    await h.services.usage.ingest(
      { principal: systemPrincipal, requestId: null, clock: h.clock },
      {
        records: [
          { id: 'a', account: 'acme', product: 'cvo', metric: 1, value: 12, kind: 'gauge', at: T0 },
          {
            id: 'g',
            account: 'globex',
            product: 'cvo',
            metric: 1,
            value: 3.5,
            kind: 'gauge',
            at: T0,
          },
        ],
      },
    );
    const response = await h.request({ method: 'GET', url: '/license/subscriptions' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const list = json<BlueXpSubscription[]>(response);
    expect(list).toHaveLength(1);
    expect(Value.Check(BlueXpSubscriptionSchema, list[0])).toBe(true);
    expect(list[0]).toEqual({
      subscriptionNumber: String(native.subscriptionNumber),
      subscriptionId: native.id,
      accounts: ['acme', 'globex'],
      status: 'active',
      entitledCapacityTiB: 100,
      consumedCapacityTiB: 15.5,
      expirationDate: at(90),
    });

    // A token of one account sees the subscription, and only its own account's consumption.
    const acmeOnly = await tokenOf('viewer', ['acme'], 'user');
    const scoped = json<BlueXpSubscription[]>(
      await h.request({ method: 'GET', url: '/license/subscriptions', token: acmeOnly }),
    );
    expect(scoped[0]?.consumedCapacityTiB).toBe(12);
    const other = await h.request({
      method: 'GET',
      url: '/license/subscriptions?accountId=globex',
      token: acmeOnly,
    });
    expectError(other, 403, 'FORBIDDEN');
  });
});

describe('errors', () => {
  it('401 without a token and with a bad one', async () => {
    expectError(
      await h.request({ method: 'GET', url: '/license/licenses', token: null }),
      401,
      'UNAUTHORIZED',
    );
    expectError(
      await h.request({ method: 'GET', url: '/license/subscriptions', token: 'garbage' }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('400 for malformed input', async () => {
    await seed();
    const bad = [
      { method: 'GET', url: '/license/licenses?includeSummaryInfo=yes' },
      { method: 'GET', url: '/license/licenses?serialNumber=abc' },
      { method: 'GET', url: '/license/licenses?colour=blue' },
      { method: 'POST', url: '/license/licenses', body: { accountId: 'acme' } },
      {
        method: 'POST',
        url: '/license/licenses',
        body: { accountId: 'acme', licenseType: 'NODE', entitledCapacityTB: '10' },
      },
      {
        method: 'POST',
        url: '/license/licenses',
        body: { accountId: 'nobody', licenseType: 'NODE' },
      },
    ] as const;
    for (const request of bad) {
      const body = expectError(await h.request(request), 400, 'BAD_REQUEST');
      expect(body.details.length, request.url).toBeGreaterThan(0);
    }
    const malformed = await h.app.inject({
      method: 'POST',
      url: '/license/licenses',
      headers: { authorization: `Bearer ${h.operator}`, 'content-type': 'application/json' },
      payload: '{"accountId":',
    });
    expectError(malformed, 400, 'BAD_REQUEST');
  });

  it('403 for an accountId outside the token', async () => {
    await seed();
    const acme = await tokenOf('viewer', ['acme'], 'user');
    expectError(
      await h.request({ method: 'GET', url: '/license/licenses?accountId=globex', token: acme }),
      403,
      'FORBIDDEN',
    );
  });

  it('404 for an unknown license, another account’s license, and an unknown path', async () => {
    const { node } = await seed();
    expectError(
      await h.request({
        method: 'GET',
        url: '/license/licenses/license-1-00000000-0000-4000-8000-000000000000',
      }),
      404,
      'NOT_FOUND',
    );
    const acme = await tokenOf('viewer', ['acme'], 'user');
    expectError(
      await h.request({ method: 'GET', url: `/license/licenses/${node.resourceId}`, token: acme }),
      404,
      'NOT_FOUND',
    );
    expectError(await h.request({ method: 'GET', url: '/license/nothing' }), 404, 'NOT_FOUND');
  });

  it('405 with Allow for an unsupported method', async () => {
    const list = await h.request({ method: 'DELETE', url: '/license/licenses' });
    expectError(list, 405, 'METHOD_NOT_ALLOWED');
    expect(list.headers.allow).toBe('GET, HEAD, POST');
    const one = await h.request({ method: 'PATCH', url: '/license/licenses/x', body: {} });
    expectError(one, 405, 'METHOD_NOT_ALLOWED');
    expect(one.headers.allow).toBe('GET, HEAD, PUT, DELETE');
    const subs = await h.request({ method: 'POST', url: '/license/subscriptions', body: {} });
    expectError(subs, 405, 'METHOD_NOT_ALLOWED');
    expect(subs.headers.allow).toBe('GET, HEAD');
  });

  it('500 with the BlueXP body when something unexpected fails', async () => {
    vi.spyOn(h.services.licenses, 'list').mockRejectedValue(new Error('disk on fire'));
    const body = expectError(
      await h.request({ method: 'GET', url: '/license/licenses' }),
      500,
      'PROCESSING_ERROR',
    );
    expect(body.message).not.toContain('disk on fire');
  });
});
