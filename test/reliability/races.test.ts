import type { LightMyRequestResponse } from 'fastify';
import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import { SubscriptionSchema, type Subscription } from '../../src/domain/subscription.js';
import { UsageIngestResultSchema, type UsageIngestResult } from '../../src/domain/usage.js';
import { ProblemSchema } from '../../src/http/problems.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

/**
 * Concurrent requests on one resource, all in flight at once through `inject`: the seat limit,
 * the subscription revision, usage record ids and one-time activation tokens each let exactly
 * one writer win, and what is stored is what the winner was told.
 */

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  const product = await h.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'cvo',
      name: 'Cloud Volumes ONTAP',
      features: [{ id: 'BACKUP', name: 'Backup' }],
      metrics: [{ id: 1, name: 'Jobs', unit: 'units' }],
    },
  });
  expect(product.statusCode, product.body).toBe(201);
});
afterEach(async () => {
  await h.close();
});

function statuses(responses: LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
  return counts;
}

function problemType(response: LightMyRequestResponse): string {
  const body = json(response);
  expect(Value.Check(ProblemSchema, body), response.body).toBe(true);
  return String(body.type);
}

describe('races', () => {
  it('200 concurrent activations of a 10-seat license: exactly 10 succeed', async () => {
    const created = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'acme', product: 'cvo', seatLimit: 10 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const license = json<{ id: string }>(created).id;
    const ctx = { principal: systemPrincipal, requestId: null, clock: h.clock };
    const instances: string[] = [];
    for (let i = 0; i < 200; i++) {
      instances.push((await h.services.instances.create(ctx, { accountId: 'acme' })).id);
    }

    const responses = await Promise.all(
      instances.map((instance) =>
        h.request({ method: 'POST', url: `/v1/licenses/${license}/activate`, body: { instance } }),
      ),
    );

    expect(statuses(responses)).toEqual({ 201: 10, 409: 190 });
    const refused = new Set(responses.filter((r) => r.statusCode === 409).map(problemType));
    expect(refused).toEqual(new Set(['/problems/seat-limit-reached']));
    const stored = json(await h.request({ method: 'GET', url: `/v1/licenses/${license}` }));
    expect(stored.seatsUsed).toBe(10);
    const activations = json<{ items: { instance?: string; instanceId?: string }[] }>(
      await h.request({ method: 'GET', url: `/v1/licenses/${license}/activations` }),
    ).items;
    expect(activations).toHaveLength(10);
  });

  it('50 concurrent PUTs with one If-Match: exactly one wins and is what is stored', async () => {
    const created = await h.request({
      method: 'POST',
      url: '/v1/subscriptions',
      body: {
        type: 'application/astra-subscription',
        version: '1.2',
        terms: 'paid',
        accounts: ['acme'],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const subscription = json<Subscription>(created);
    const etag = created.headers.etag;
    expect(etag).toBe('"1"');

    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        h.request({
          method: 'PUT',
          url: `/v1/subscriptions/${subscription.id}`,
          headers: { 'if-match': String(etag) },
          body: {
            type: 'application/astra-subscription',
            version: '1.2',
            namespaceLimit: i + 1,
            purchaseOrderNumber: `PO-${String(i)}`,
          },
        }),
      ),
    );

    expect(statuses(responses)).toEqual({ 200: 1, 409: 49 });
    const conflicts = new Set(responses.filter((r) => r.statusCode === 409).map(problemType));
    expect(conflicts).toEqual(new Set(['/problems/conflict']));
    const winner = responses.find((r) => r.statusCode === 200);
    if (winner === undefined) throw new Error('no PUT won');
    const won = json<Subscription>(winner);
    expect(Value.Check(SubscriptionSchema, won)).toBe(true);
    expect(winner.headers.etag).toBe('"2"');

    const read = await h.request({ method: 'GET', url: `/v1/subscriptions/${subscription.id}` });
    expect(read.headers.etag).toBe('"2"');
    expect(json(read)).toEqual(won);
    // One change, one event.
    const events = json<{ items: { type: string }[] }>(
      await h.request({
        method: 'GET',
        url: `/v1/events?filter=${encodeURIComponent(`resourceId eq '${subscription.id}'`)}`,
      }),
    ).items;
    expect(events.filter((e) => e.type === 'subscription.updated')).toHaveLength(1);
  });

  it('one usage record id sent in 20 concurrent batches is counted once', async () => {
    const service = await h.token('service', ['acme']);
    const at = new Date(Date.parse(T0) - 3_600_000).toISOString();
    const record = (id: string, value: number) => ({
      id,
      product: 'cvo',
      metric: 1,
      kind: 'delta',
      value,
      at,
    });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.request({
          method: 'POST',
          url: '/v1/usage',
          token: service,
          // The shared record, and one of the batch's own.
          body: { records: [record('shared-1', 5), record(`own-${String(i)}`, 1)] },
        }),
      ),
    );

    expect(statuses(responses)).toEqual({ 200: 20 });
    const results = responses.map((r) => {
      const body = json<UsageIngestResult>(r);
      expect(Value.Check(UsageIngestResultSchema, body)).toBe(true);
      return body;
    });
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(21);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(19);
    expect(results.every((r) => r.rejected.length === 0)).toBe(true);

    const report = json<{ consumption: { deltas: number; used: number } }>(
      await h.request({ method: 'GET', url: '/v1/accounts/acme/usage?product=cvo&metric=1' }),
    );
    expect(report.consumption.deltas).toBe(5 + 20);
    expect(report.consumption.used).toBe(5 + 20);
  });

  it('one activation token redeemed 20 times at once: exactly one 201', async () => {
    const issued = await h.request({
      method: 'POST',
      url: '/v1/activation-tokens',
      body: { count: 1, license: { product: 'cvo', features: ['BACKUP'] } },
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const { id, token } = json<{ id: string; token: string }>(issued);
    const admin = await h.token('admin', ['acme']);

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        h.request({
          method: 'POST',
          url: '/v1/activation-tokens/redeem',
          token: admin,
          body: { token, accountId: 'acme' },
        }),
      ),
    );

    expect(statuses(responses)).toEqual({ 201: 1, 400: 19 });
    for (const refused of responses.filter((r) => r.statusCode === 400)) {
      expect(problemType(refused)).toBe('/problems/invalid-fields');
      expect(
        json<{ invalidFields: { name: string; reason: string }[] }>(refused).invalidFields,
      ).toEqual([{ name: 'token', reason: 'already redeemed' }]);
    }
    const winner = responses.find((r) => r.statusCode === 201);
    if (winner === undefined) throw new Error('no redemption won');
    const redemption = json<{ licenses: { id: string }[] }>(winner);
    expect(redemption.licenses).toHaveLength(1);
    const stored = json(await h.request({ method: 'GET', url: `/v1/activation-tokens/${id}` }));
    expect(stored.status).toBe('redeemed');
    // Only the winner's license exists for the account.
    const licenses = json<{ items: { id: string }[] }>(
      await h.request({ method: 'GET', url: "/v1/licenses?filter=accountId eq 'acme'" }),
    ).items;
    expect(licenses.map((l) => l.id)).toEqual(redemption.licenses.map((l) => l.id));
  });
});
