import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/store/events.repository.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

type EventBody = AuditEvent;

async function events(token?: string, query = ''): Promise<EventBody[]> {
  const response = await h.request({
    method: 'GET',
    url: `/v1/events${query}`,
    ...(token === undefined ? {} : { token }),
  });
  expect(response.statusCode).toBe(200);
  return json<{ items: EventBody[] }>(response).items;
}

describe('events', () => {
  it('records who changed what, with before and after, newest first', async () => {
    await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { id: 'acme', name: 'Acme' },
      headers: { 'x-request-id': 'req-create' },
    });
    await h.request({
      method: 'PATCH',
      url: '/v1/accounts/acme',
      body: { name: 'Acme Inc' },
      headers: { 'x-request-id': 'req-patch' },
    });
    await h.request({ method: 'POST', url: '/v1/products', body: { slug: 'p', name: 'P' } });
    const list = await events(undefined, `?filter=${encodeURIComponent("type ne 'token.issued'")}`);
    expect(list.map((e) => e.type)).toEqual([
      'product.created',
      'account.updated',
      'account.created',
    ]);
    const updated = list[1];
    expect(updated).toMatchObject({
      actor: 'operator-test',
      actorRole: 'operator',
      accountId: 'acme',
      resourceType: 'account',
      resourceId: 'acme',
      requestId: 'req-patch',
    });
    expect(updated?.summary).toMatchObject({
      before: { name: 'Acme' },
      after: { name: 'Acme Inc' },
    });
    expect(list[0]?.accountId).toBeNull();
  });

  it('a failed change writes no event', async () => {
    await h.account('acme');
    const before = await events();
    const conflict = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { id: 'acme', name: 'Again' },
    });
    expect(conflict.statusCode).toBe(409);
    expect(await events()).toEqual(before);
  });

  it('scopes events to the accounts of the token', async () => {
    await h.account('tenant-a');
    await h.account('tenant-b');
    await h.request({ method: 'POST', url: '/v1/products', body: { slug: 'p', name: 'P' } });
    const viewer = await h.token('viewer', ['tenant-a']);
    const seen = await events(viewer);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((e) => e.accountId))).toEqual(new Set(['tenant-a']));
    const sneaky = await events(viewer, `?filter=${encodeURIComponent("accountId eq 'tenant-b'")}`);
    expect(sneaky).toEqual([]);
    const everything = await events();
    expect(new Set(everything.map((e) => e.accountId))).toEqual(
      new Set(['tenant-a', 'tenant-b', null]),
    );
  });

  it('refuses instance tokens', async () => {
    await h.account('acme');
    const instance = await h.token('instance', ['acme'], { instance: await h.instance('acme') });
    expect(
      (await h.request({ method: 'GET', url: '/v1/events', token: instance })).statusCode,
    ).toBe(403);
  });

  it('filters by time and pages with continue', async () => {
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      await h.account(`a${String(i)}`);
    }
    const recent = await events(
      undefined,
      `?filter=${encodeURIComponent("at gt '2026-11-23T12:00:03Z' and type eq 'account.created'")}&orderBy=at`,
    );
    expect(recent.map((e) => e.resourceId)).toEqual(['a3', 'a4']);
    const first = await h.request({
      method: 'GET',
      url: `/v1/events?limit=2&filter=${encodeURIComponent("type eq 'account.created'")}`,
    });
    const page = json<{ items: EventBody[]; metadata: { continue: string } }>(first);
    expect(page.items.map((e) => e.resourceId)).toEqual(['a4', 'a3']);
    const second = await h.request({
      method: 'GET',
      url: `/v1/events?limit=2&filter=${encodeURIComponent("type eq 'account.created'")}&continue=${page.metadata.continue}`,
    });
    expect(json<{ items: EventBody[] }>(second).items.map((e) => e.resourceId)).toEqual([
      'a2',
      'a1',
    ]);
  });
});
