import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Charge, Subscription } from '../../src/domain/subscription.js';
import { buildApp } from '../../src/http/app.js';
import { ProblemSchema } from '../../src/http/problems.js';
import type { App } from '../../src/http/types.js';
import { ChargePreviewSchema } from '../../src/http/v1/subscriptions/cancel-preview.js';
import { createServices } from '../../src/services/index.js';
import type { UsageReader } from '../../src/services/subscriptions.js';
import { readOrCreateSecret } from '../../src/services/token-keys.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

/** `GET /v1/subscriptions/{id}/cancel-preview`: the charge cancelling would record, written nowhere. */

const DAY_MS = 86_400_000;
let h: Harness;
let app: App;
let usage: Map<string, number>;

beforeEach(async () => {
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
});
afterEach(async () => {
  await app.close();
  await h.close();
});

function call(
  method: 'GET' | 'POST',
  url: string,
  token = h.operator,
  body?: unknown,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
}

async function subscription(): Promise<Subscription> {
  const response = await call('POST', '/v1/subscriptions', h.operator, {
    type: 'application/astra-subscription',
    version: '1.2',
    terms: 'paid',
    accounts: ['acme'],
    costPerAppUnit: 1.5,
    costPerNamespaceUnit: 0.005,
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<Subscription>(response);
}

describe('cancel preview', () => {
  it('is the charge cancelling records, and writes nothing', async () => {
    usage.set('apps', 3);
    usage.set('namespaces', 9.2);
    const created = await subscription();
    h.clock.advance(10 * DAY_MS);
    const end = new Date(Date.parse(T0) + 10 * DAY_MS).toISOString();
    const eventsBefore = json<{ items: unknown[] }>(await call('GET', '/v1/events?limit=1000'));

    const response = await call('GET', `/v1/subscriptions/${created.id}/cancel-preview`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const preview = json(response);
    expect(Value.Check(ChargePreviewSchema, preview)).toBe(true);
    expect(preview).toEqual({
      subscriptionId: created.id,
      accountId: 'acme',
      amountMicros: 4_550_000,
      currency: 'USD',
      periodStart: T0,
      periodEnd: end,
      breakdown: [
        { metric: 'apps', units: 3, unitCostMicros: 1_500_000, amountMicros: 4_500_000 },
        { metric: 'namespaces', units: 10, unitCostMicros: 5000, amountMicros: 50_000 },
      ],
    });

    // Nothing written: no charge, the same revision, no event.
    const charges = json<{ items: Charge[] }>(
      await call('GET', `/v1/subscriptions/${created.id}/charges`),
    );
    expect(charges.items).toEqual([]);
    const again = json<Subscription>(await call('GET', `/v1/subscriptions/${created.id}`));
    expect(again).toMatchObject({ status: 'active', revision: created.revision });
    const eventsAfter = json<{ items: unknown[] }>(await call('GET', '/v1/events?limit=1000'));
    expect(eventsAfter.items).toHaveLength(eventsBefore.items.length);

    // Cancelling now records exactly what the preview showed.
    const cancelled = await call('POST', `/v1/subscriptions/${created.id}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const [charge] = json<{ items: Charge[] }>(
      await call('GET', `/v1/subscriptions/${created.id}/charges`),
    ).items;
    expect(charge).toMatchObject(preview);
  });

  it('a trial previews a zero charge', async () => {
    usage.set('apps', 50);
    const response = await call('POST', '/v1/subscriptions', h.operator, {
      type: 'application/astra-subscription',
      version: '1.2',
      terms: 'trial',
      accounts: ['acme'],
      costPerAppUnit: 2,
    });
    const trial = json<Subscription>(response);
    const preview = json(await call('GET', `/v1/subscriptions/${trial.id}/cancel-preview`));
    expect(preview).toMatchObject({ amountMicros: 0 });
  });

  it('readers of one of its accounts may preview; another account answers 404', async () => {
    const created = await subscription();
    const viewer = await h.token('viewer', ['acme']);
    expect(
      (await call('GET', `/v1/subscriptions/${created.id}/cancel-preview`, viewer)).statusCode,
    ).toBe(200);
    const other = await h.token('admin', ['globex']);
    const hidden = await call('GET', `/v1/subscriptions/${created.id}/cancel-preview`, other);
    expect(hidden.statusCode).toBe(404);
    expect(Value.Check(ProblemSchema, json(hidden))).toBe(true);
  });

  it('an inactive subscription is a 409; a bad or unknown id a 400 or 404', async () => {
    const created = await subscription();
    await call('POST', `/v1/subscriptions/${created.id}/cancel`);
    const inactive = await call('GET', `/v1/subscriptions/${created.id}/cancel-preview`);
    expect(inactive.statusCode).toBe(409);
    expect(json(inactive)).toMatchObject({
      type: '/problems/conflict',
      invalidFields: [{ name: 'status', reason: 'already inactive' }],
    });
    expect((await call('GET', '/v1/subscriptions/nope/cancel-preview')).statusCode).toBe(400);
    const missing = await call(
      'GET',
      '/v1/subscriptions/00000000-0000-4000-8000-000000000000/cancel-preview',
    );
    expect(missing.statusCode).toBe(404);
  });
});
