import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { AccountComplianceSchema } from '../../src/domain/compliance.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

let h: Harness;
let service: string;
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  await h.account('other');
  await h.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'cvo',
      name: 'Cloud Volumes ONTAP',
      features: [
        { id: 'BACKUP', name: 'Backup' },
        { id: 'TIERING', name: 'Tiering' },
      ],
      metrics: [
        { id: 1, name: 'Provisioned capacity', unit: 'TiB' },
        { id: 2, name: 'Apps', unit: 'apps' },
      ],
    },
  });
  await h.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'tiering',
      name: 'Cloud Tiering',
      features: [{ id: 'TIERING', name: 'Tiering' }],
      metrics: [],
    },
  });
  service = await h.token('service', ['acme']);
});
afterEach(async () => {
  await h.close();
});

const DAY = 86_400_000;
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

async function usage(records: Record<string, unknown>[]) {
  const response = await h.request({
    method: 'POST',
    url: '/v1/usage',
    token: service,
    body: { records },
  });
  expect(response.statusCode, response.body).toBe(200);
  expect(json(response).rejected).toEqual([]);
}

async function compliance(account = 'acme', token?: string) {
  const response = await h.request({
    method: 'GET',
    url: `/v1/accounts/${account}/compliance`,
    token,
  });
  expect(response.statusCode, response.body).toBe(200);
  expect(Value.Check(AccountComplianceSchema, json(response))).toBe(true);
  return json<{
    overallComplianceStatus: string;
    products: {
      slug: string;
      metrics: {
        metricId: number;
        entitled: number;
        used: number;
        level: number;
        compliant: boolean;
      }[];
    }[];
    unlicensedUsage: { consumedTotal: number; suggestedLicenses: { id: string }[] };
  }>(response);
}

describe('GET /v1/accounts/{id}/compliance', () => {
  it('puts licenses, subscriptions and usage side by side', async () => {
    await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: {
        accountId: 'acme',
        product: 'cvo',
        metricId: 1,
        quantity: 10,
        term: 'SUBSCRIPTION',
        expiresAt: at(200 * DAY),
        features: ['BACKUP'],
      },
    });
    const subscription = await h.request({
      method: 'POST',
      url: '/v1/subscriptions',
      body: {
        type: 'application/astra-subscription',
        version: '1.2',
        terms: 'paid',
        accounts: ['acme'],
        productId: 1,
        appLimit: 3,
        entitledCapacity: 5,
        capacityUnit: 'TiB',
      },
    });
    expect(subscription.statusCode, subscription.body).toBe(201);
    await usage([
      { id: 'g1', product: 'cvo', metric: 1, kind: 'gauge', value: 12, at: at(-DAY) },
      { id: 'a1', product: 'cvo', metric: 2, kind: 'delta', value: 2, at: at(-DAY) },
    ]);
    const result = await compliance();
    expect(result.overallComplianceStatus).toBe('VALID');
    const cvo = result.products.find((p) => p.slug === 'cvo');
    expect(cvo?.metrics).toEqual([
      expect.objectContaining({ metricId: 1, entitled: 15, used: 12, level: 1, compliant: true }),
      expect.objectContaining({ metricId: 2, entitled: 3, used: 2, level: 1, compliant: true }),
    ]);

    await usage([{ id: 'g2', product: 'cvo', metric: 1, kind: 'gauge', value: 30, at: at(-1000) }]);
    const over = await compliance();
    expect(over.overallComplianceStatus).toBe('NON_COMPLIANT');
    expect(over.products.find((p) => p.slug === 'cvo')?.metrics[0]).toMatchObject({
      entitled: 15,
      used: 30,
      level: 0.5,
    });

    const one = await h.request({ method: 'GET', url: '/v1/accounts/acme/compliance/cvo/1' });
    expect(json(one)).toMatchObject({
      metricId: 1,
      entitled: 15,
      used: 30,
      level: 0.5,
      compliant: false,
    });
    expect(
      (await h.request({ method: 'GET', url: '/v1/accounts/acme/compliance/cvo/9' })).statusCode,
    ).toBe(404);
  });

  it('reports feature usage no license covers, with products that would', async () => {
    await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'acme', product: 'cvo', features: ['BACKUP'] },
    });
    await usage([
      { id: 'f1', product: 'cvo', feature: 'TIERING', kind: 'delta', value: 4, at: at(-DAY) },
    ]);
    const result = await compliance();
    expect(result.unlicensedUsage.consumedTotal).toBe(4);
    expect(result.unlicensedUsage.suggestedLicenses.map((p) => p.id)).toEqual(['tiering', 'cvo']);
    expect(result.overallComplianceStatus).toBe('WARNING');
  });

  it("is scoped to the token's accounts", async () => {
    const viewer = await h.token('viewer', ['other']);
    expect(
      (await h.request({ method: 'GET', url: '/v1/accounts/acme/compliance', token: viewer }))
        .statusCode,
    ).toBe(404);
    expect((await compliance('other', viewer)).products).toEqual([]);
    expect(
      (await h.request({ method: 'GET', url: '/v1/accounts/ghost/compliance' })).statusCode,
    ).toBe(404);
  });
});
