import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  WebhookDeliveryDetailSchema,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointWithSecret,
} from '../../src/domain/webhook.js';
import { ProblemSchema } from '../../src/http/problems.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  await h.account('globex');
});
afterEach(async () => {
  await h.close();
});

const MISSING = '00000000-0000-4000-8000-000000000000';
const HOOK = { url: 'https://hooks.example.com/entitle', eventTypes: ['license.created'] };

interface Issue {
  name: string;
  reason: string;
}
interface List<T> {
  items: T[];
  metadata: { continue?: string; count?: number };
}

async function create(
  body: Record<string, unknown> = { accountId: 'acme', ...HOOK },
  token?: string,
): Promise<WebhookEndpointWithSecret> {
  const response = await h.request({ method: 'POST', url: '/v1/webhooks', body, token });
  if (response.statusCode !== 201) throw new Error(`webhook: ${response.body}`);
  return json<WebhookEndpointWithSecret>(response);
}

async function events(resourceId: string): Promise<{ type: string; summary: unknown }[]> {
  const filter = encodeURIComponent(`resourceId eq '${resourceId}'`);
  return json<List<{ type: string; summary: unknown }>>(
    await h.request({ method: 'GET', url: `/v1/events?filter=${filter}&orderBy=id` }),
  ).items;
}

describe('webhooks: endpoints', () => {
  it('creates an endpoint and shows its secret once', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/webhooks',
      body: { accountId: 'acme', description: 'billing', ...HOOK },
    });
    expect(response.statusCode, response.body).toBe(201);
    const created = json<WebhookEndpointWithSecret>(response);
    expect(Value.Check(WebhookEndpointWithSecretSchema, created)).toBe(true);
    expect(response.headers.location).toBe(`/v1/webhooks/${created.id}`);
    expect(created).toMatchObject({
      accountId: 'acme',
      url: HOOK.url,
      description: 'billing',
      eventTypes: ['license.created'],
      enabled: true,
      consecutiveFailures: 0,
      disabledAt: null,
      disabledReason: null,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

    const got = await h.request({ method: 'GET', url: `/v1/webhooks/${created.id}` });
    expect(got.statusCode).toBe(200);
    expect(Value.Check(WebhookEndpointSchema, json(got))).toBe(true);
    const { secret: _secret, ...shown } = created;
    expect(json(got)).toEqual(shown);
    const listed = await h.request({ method: 'GET', url: '/v1/webhooks' });
    expect(listed.body).not.toContain(created.secret);
    expect(got.body).not.toContain('secret');

    // Nor does the audit log keep it.
    const log = await events(created.id);
    expect(log.map((e) => e.type)).toEqual(['webhook_endpoint.created']);
    expect(JSON.stringify(log)).not.toContain(created.secret);
  });

  it("defaults the account to the token's only account", async () => {
    const admin = await h.token('admin', ['acme']);
    const created = await create({ ...HOOK }, admin);
    expect(created.accountId).toBe('acme');
  });

  it('lists with the query language', async () => {
    const a = await create();
    h.clock.advance(1000);
    const b = await create({ accountId: 'globex', ...HOOK, url: 'http://127.0.0.1:9/x' });
    h.clock.advance(1000);
    const g = await create({ accountId: null, url: 'https://all.example.com', eventTypes: ['*'] });
    const list = (query = '') =>
      h.request({ method: 'GET', url: `/v1/webhooks?${query}` }).then((r) => {
        expect(r.statusCode, r.body).toBe(200);
        return json<List<WebhookEndpoint>>(r);
      });
    expect((await list()).items.map((e) => e.id)).toEqual([a.id, b.id, g.id]);
    expect(
      (await list(`filter=${encodeURIComponent("accountId eq 'globex'")}`)).items.map((e) => e.id),
    ).toEqual([b.id]);
    const page = await list('limit=2&count=true&include=id,url');
    expect(page.items).toEqual([
      { id: a.id, url: a.url },
      { id: b.id, url: b.url },
    ]);
    expect(page.metadata.count).toBe(3);
    expect(page.metadata.continue).toBeDefined();
    const bad = await h.request({
      method: 'GET',
      url: '/v1/webhooks?filter=secret%20eq%20%27x%27',
    });
    expect(bad.statusCode).toBe(400);
    expect(json<{ invalidParams: Issue[] }>(bad).invalidParams[0]?.name).toBe('filter');
  });

  it('updates the fields present; re-enabling resets the failure count', async () => {
    const created = await create();
    h.clock.advance(60_000);
    const patched = await h.request({
      method: 'PATCH',
      url: `/v1/webhooks/${created.id}`,
      body: { eventTypes: ['*'], description: 'all', enabled: false },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(json(patched)).toMatchObject({
      eventTypes: ['*'],
      description: 'all',
      url: HOOK.url,
      enabled: false,
      disabledAt: '2026-11-23T12:01:00.000Z',
    });
    const enabled = await h.request({
      method: 'PATCH',
      url: `/v1/webhooks/${created.id}`,
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ enabled: true }),
    });
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(json(enabled)).toMatchObject({
      enabled: true,
      disabledAt: null,
      consecutiveFailures: 0,
    });
    expect((await events(created.id)).map((e) => e.type)).toEqual([
      'webhook_endpoint.created',
      'webhook_endpoint.updated',
      'webhook_endpoint.updated',
    ]);
  });

  it('rotates the secret, shown once more', async () => {
    const created = await create();
    const rotated = await h.request({
      method: 'POST',
      url: `/v1/webhooks/${created.id}/rotate-secret`,
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const body = json<WebhookEndpointWithSecret>(rotated);
    expect(Value.Check(WebhookEndpointWithSecretSchema, body)).toBe(true);
    expect(body.secret).toMatch(/^whsec_/);
    expect(body.secret).not.toBe(created.secret);
    expect((await events(created.id)).map((e) => e.type)).toContain(
      'webhook_endpoint.secret_rotated',
    );
    expect(JSON.stringify(await events(created.id))).not.toContain(body.secret);
  });

  it('deletes an endpoint (204), then it is gone', async () => {
    const created = await create();
    const deleted = await h.request({ method: 'DELETE', url: `/v1/webhooks/${created.id}` });
    expect(deleted.statusCode).toBe(204);
    expect((await h.request({ method: 'GET', url: `/v1/webhooks/${created.id}` })).statusCode).toBe(
      404,
    );
    expect((await events(created.id)).map((e) => e.type)).toContain('webhook_endpoint.deleted');
  });

  it('goes with its account when the account is deleted', async () => {
    const created = await create({ accountId: 'globex', ...HOOK });
    await h.request({ method: 'POST', url: `/v1/webhooks/${created.id}/test` });
    const deleted = await h.request({ method: 'DELETE', url: '/v1/accounts/globex' });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect((await h.request({ method: 'GET', url: `/v1/webhooks/${created.id}` })).statusCode).toBe(
      404,
    );
  });

  it('queues a test ping for that endpoint only, and lists it in the delivery log', async () => {
    const created = await create();
    const other = await create({
      accountId: 'acme',
      url: 'https://b.example.com',
      eventTypes: ['*'],
    });
    const response = await h.request({ method: 'POST', url: `/v1/webhooks/${created.id}/test` });
    expect(response.statusCode, response.body).toBe(202);
    const delivery = json<WebhookDelivery>(response);
    expect(Value.Check(WebhookDeliverySchema, delivery)).toBe(true);
    expect(delivery).toMatchObject({
      endpointId: created.id,
      eventType: 'webhook.test',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: T0,
    });
    expect(delivery.messageId).toMatch(/^msg_\d+_[0-9a-f]{32}$/);
    const log = json<List<WebhookDelivery>>(
      await h.request({ method: 'GET', url: `/v1/webhooks/${created.id}/deliveries` }),
    );
    expect(log.items.map((d) => d.id)).toEqual([delivery.id]);
    const detail = await h.request({
      method: 'GET',
      url: `/v1/webhooks/${created.id}/deliveries/${String(delivery.id)}`,
    });
    expect(detail.statusCode).toBe(200);
    expect(Value.Check(WebhookDeliveryDetailSchema, json(detail))).toBe(true);
    expect(json(detail)).toMatchObject({ id: delivery.id, attemptLog: [] });
    // The other endpoint of the account, subscribed to everything, got no ping.
    const others = json<List<WebhookDelivery>>(
      await h.request({ method: 'GET', url: `/v1/webhooks/${other.id}/deliveries` }),
    );
    expect(others.items.map((d) => d.eventType)).not.toContain('webhook.test');
  });

  it('queues a delivery for each matching endpoint when an event is recorded', async () => {
    const wanted = await create({
      accountId: 'acme',
      url: 'https://a.example.com',
      eventTypes: ['account.updated'],
    });
    const other = await create({
      accountId: 'globex',
      url: 'https://b.example.com',
      eventTypes: ['*'],
    });
    const global = await create({
      accountId: null,
      url: 'https://c.example.com',
      eventTypes: ['*'],
    });
    const response = await h.request({
      method: 'PATCH',
      url: '/v1/accounts/acme',
      body: { name: 'Acme Inc' },
    });
    expect(response.statusCode).toBe(200);
    const typesOf = async (id: string) =>
      json<List<WebhookDelivery>>(
        await h.request({ method: 'GET', url: `/v1/webhooks/${id}/deliveries?orderBy=id` }),
      ).items.map((d) => d.eventType);
    expect(await typesOf(wanted.id)).toEqual(['account.updated']);
    // An endpoint of `*` hears of its own creation, and of nothing in another account.
    expect(await typesOf(other.id)).toEqual(['webhook_endpoint.created']);
    expect(await typesOf(global.id)).toEqual(['webhook_endpoint.created', 'account.updated']);
  });
});

describe('webhooks: validation', () => {
  it('names unknown event types, a bad URL and unknown fields', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/webhooks',
      body: {
        accountId: 'acme',
        url: 'ftp://example.com/x',
        eventTypes: ['license.created', 'license.exploded'],
      },
    });
    expect(response.statusCode).toBe(400);
    expect(Value.Check(ProblemSchema, json(response))).toBe(true);
    expect(json<{ invalidFields: Issue[] }>(response).invalidFields.map((i) => i.name)).toEqual([
      'url',
      'eventTypes.1',
    ]);
    const schema = await h.request({
      method: 'POST',
      url: '/v1/webhooks',
      body: { accountId: 'acme', url: 'not a url', eventTypes: [], secret: 'mine' },
    });
    expect(schema.statusCode).toBe(400);
    expect(
      json<{ invalidFields: Issue[] }>(schema)
        .invalidFields.map((i) => i.name)
        .sort(),
    ).toEqual(['eventTypes', 'secret', 'url']);
  });

  it('requires an account when the token has several, and checks the patch', async () => {
    const response = await h.request({ method: 'POST', url: '/v1/webhooks', body: HOOK });
    expect(response.statusCode).toBe(400);
    expect(json<{ invalidFields: Issue[] }>(response).invalidFields).toEqual([
      { name: 'accountId', reason: 'is required: an account id, or null for a global endpoint' },
    ]);
    const created = await create();
    for (const body of [{}, { eventTypes: ['nope.never'] }, { url: 'mailto:a@b.c' }]) {
      const patched = await h.request({ method: 'PATCH', url: `/v1/webhooks/${created.id}`, body });
      expect(patched.statusCode, JSON.stringify(body)).toBe(400);
    }
    const unknown = await h.request({
      method: 'PATCH',
      url: `/v1/webhooks/${created.id}`,
      body: { eventTypes: ['nope.never'] },
    });
    expect(json<{ invalidFields: Issue[] }>(unknown).invalidFields).toEqual([
      { name: 'eventTypes.0', reason: 'unknown event type: nope.never' },
    ]);
  });

  it('answers a missing account, endpoint or delivery with 404, a bad id with 400', async () => {
    const noAccount = await h.request({
      method: 'POST',
      url: '/v1/webhooks',
      body: { accountId: 'nobody', ...HOOK },
    });
    expect(noAccount.statusCode).toBe(404);
    expect((await h.request({ method: 'GET', url: `/v1/webhooks/${MISSING}` })).statusCode).toBe(
      404,
    );
    const created = await create();
    expect(
      (await h.request({ method: 'GET', url: `/v1/webhooks/${created.id}/deliveries/999` }))
        .statusCode,
    ).toBe(404);
    const bad = await h.request({ method: 'GET', url: '/v1/webhooks/not-a-uuid' });
    expect(bad.statusCode).toBe(400);
    expect(json<{ invalidParams: Issue[] }>(bad).invalidParams[0]?.name).toBe('webhookId');
  });

  it('refuses to redeliver a pending delivery, and to ping a disabled endpoint (409)', async () => {
    const created = await create();
    const ping = json<WebhookDelivery>(
      await h.request({ method: 'POST', url: `/v1/webhooks/${created.id}/test` }),
    );
    const again = await h.request({
      method: 'POST',
      url: `/v1/webhooks/${created.id}/deliveries/${String(ping.id)}/redeliver`,
    });
    expect(again.statusCode).toBe(409);
    expect(json<{ invalidFields: Issue[] }>(again).invalidFields[0]?.name).toBe('status');
    await h.request({
      method: 'PATCH',
      url: `/v1/webhooks/${created.id}`,
      body: { enabled: false },
    });
    const disabled = await h.request({ method: 'POST', url: `/v1/webhooks/${created.id}/test` });
    expect(disabled.statusCode).toBe(409);
    expect(json<{ invalidFields: Issue[] }>(disabled).invalidFields[0]?.name).toBe('enabled');
  });
});

describe('webhooks: security', () => {
  it('needs a token', async () => {
    const response = await h.request({ method: 'GET', url: '/v1/webhooks', token: null });
    expect(response.statusCode).toBe(401);
  });

  it("answers another account's endpoint as missing, and lists only the token's", async () => {
    const mine = await create();
    const theirs = await create({ accountId: 'globex', ...HOOK });
    await create({ accountId: null, url: 'https://all.example.com', eventTypes: ['*'] });
    const admin = await h.token('admin', ['acme']);
    for (const [method, url, body] of [
      ['GET', `/v1/webhooks/${theirs.id}`, undefined],
      ['PATCH', `/v1/webhooks/${theirs.id}`, { enabled: false }],
      ['DELETE', `/v1/webhooks/${theirs.id}`, undefined],
      ['POST', `/v1/webhooks/${theirs.id}/rotate-secret`, undefined],
      ['POST', `/v1/webhooks/${theirs.id}/test`, undefined],
      ['GET', `/v1/webhooks/${theirs.id}/deliveries`, undefined],
      ['GET', `/v1/webhooks/${theirs.id}/deliveries/1`, undefined],
      ['POST', `/v1/webhooks/${theirs.id}/deliveries/1/redeliver`, undefined],
    ] as const) {
      const response = await h.request({ method, url, body, token: admin });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
    const created = await h.request({
      method: 'POST',
      url: '/v1/webhooks',
      body: { accountId: 'globex', ...HOOK },
      token: admin,
    });
    expect(created.statusCode).toBe(404);
    const listed = json<List<WebhookEndpoint>>(
      await h.request({ method: 'GET', url: '/v1/webhooks', token: admin }),
    );
    expect(listed.items.map((e) => e.id)).toEqual([mine.id]);
  });

  it('lets an admin manage its own endpoints, a viewer only read them', async () => {
    const admin = await h.token('admin', ['acme']);
    const viewer = await h.token('viewer', ['acme']);
    const created = await create({ accountId: 'acme', ...HOOK }, admin);
    const patched = await h.request({
      method: 'PATCH',
      url: `/v1/webhooks/${created.id}`,
      body: { description: 'mine' },
      token: admin,
    });
    expect(patched.statusCode).toBe(200);
    expect(
      (await h.request({ method: 'GET', url: `/v1/webhooks/${created.id}`, token: viewer }))
        .statusCode,
    ).toBe(200);
    expect(
      (await h.request({ method: 'GET', url: '/v1/webhooks', token: viewer })).statusCode,
    ).toBe(200);
    for (const [method, url, body] of [
      ['POST', '/v1/webhooks', { accountId: 'acme', ...HOOK }],
      ['PATCH', `/v1/webhooks/${created.id}`, { enabled: false }],
      ['DELETE', `/v1/webhooks/${created.id}`, undefined],
      ['POST', `/v1/webhooks/${created.id}/rotate-secret`, undefined],
      ['POST', `/v1/webhooks/${created.id}/test`, undefined],
      ['POST', `/v1/webhooks/${created.id}/deliveries/1/redeliver`, undefined],
    ] as const) {
      const response = await h.request({ method, url, body, token: viewer });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
    }
    const instanceToken = await h.token('instance', ['acme'], {
      instance: await h.instance('acme'),
    });
    expect(
      (await h.request({ method: 'GET', url: '/v1/webhooks', token: instanceToken })).statusCode,
    ).toBe(403);
  });

  it('keeps global endpoints to operators', async () => {
    const admin = await h.token('admin', ['acme']);
    const refused = await h.request({
      method: 'POST',
      url: '/v1/webhooks',
      body: { accountId: null, ...HOOK },
      token: admin,
    });
    expect(refused.statusCode).toBe(403);
    const global = await create({ accountId: null, ...HOOK });
    expect(global.accountId).toBeNull();
    expect(
      (await h.request({ method: 'GET', url: `/v1/webhooks/${global.id}`, token: admin }))
        .statusCode,
    ).toBe(404);
    const service = await h.token('service', ['acme', 'globex']);
    const listed = json<List<WebhookEndpoint>>(
      await h.request({ method: 'GET', url: '/v1/webhooks', token: service }),
    );
    expect(listed.items.map((e) => e.id)).not.toContain(global.id);
    expect(
      (await h.request({ method: 'GET', url: `/v1/webhooks/${global.id}`, token: service }))
        .statusCode,
    ).toBe(404);
  });
});
