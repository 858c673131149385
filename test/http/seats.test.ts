import type { AddressInfo } from 'node:net';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCertificate } from '../../src/domain/certificate.js';
import { systemPrincipal } from '../../src/domain/principal.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  await h.request({
    method: 'POST',
    url: '/v1/products',
    body: { slug: 'ctl', name: 'Controller', metrics: [{ id: 1, name: 'Nodes', unit: 'nodes' }] },
  });
});
afterEach(async () => {
  await h.close();
});

async function issue(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/licenses',
    body: { accountId: 'acme', product: 'ctl', ...body },
  });
  expect(response.statusCode).toBe(201);
  return json(response);
}

async function instances(count: number): Promise<string[]> {
  const ctx = { principal: systemPrincipal, requestId: null, clock: h.clock };
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await h.services.instances.create(ctx, { accountId: 'acme' })).id);
  return ids;
}

describe('seats under concurrency', () => {
  it('200 concurrent activations of a 10-seat license over real HTTP: exactly 10 succeed', async () => {
    const license = await issue({ seatLimit: 10 });
    const ids = await instances(200);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    const responses = await Promise.all(
      ids.map((instance) =>
        fetch(`http://127.0.0.1:${String(port)}/v1/licenses/${license.id}/activate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.operator}`, 'content-type': 'application/json' },
          body: JSON.stringify({ instance }),
        }).then(async (response) => ({
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        })),
      ),
    );
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 409);
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(190);
    expect(new Set(refused.map((r) => r.body.type))).toEqual(
      new Set(['/problems/seat-limit-reached']),
    );
    const live = await h.store.db
      .selectFrom('activations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('license_id', '=', license.id)
      .where('deactivated_at', 'is', null)
      .executeTakeFirst();
    expect(Number(live?.n)).toBe(10);
    const stored = json(await h.request({ method: 'GET', url: `/v1/licenses/${license.id}` }));
    expect(stored.seatsUsed).toBe(10);
  });
});

describe('certificates', () => {
  async function keys(): Promise<Map<string, KeyObject>> {
    const set = json<{ keys: ({ kid: string } & Record<string, unknown>)[] }>(
      await h.request({ method: 'GET', url: '/v1/keys', token: null }),
    );
    return new Map(set.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]));
  }

  it('signs the license claims, bound to an activated instance, verifiable with /v1/keys', async () => {
    const license = await issue({
      seatLimit: 2,
      expiresAt: '2026-12-01T00:00:00.000Z',
      graceDays: 2,
    });
    const [instance] = await instances(1);
    await h.request({
      method: 'POST',
      url: `/v1/licenses/${license.id}/activate`,
      body: { instance },
    });
    const response = await h.request({
      method: 'GET',
      url: `/v1/licenses/${license.id}/certificate?instance=${instance ?? ''}&ttl=86400`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const { certificate, expiresAt } = json<{ certificate: string; expiresAt: string }>(response);
    expect(expiresAt).toBe('2026-11-24T12:00:00.000Z');
    const verified = verifyCertificate(certificate, await keys(), h.clock.now());
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.claims.license).toMatchObject({
      id: license.id,
      key: license.key,
      account: 'acme',
      seatLimit: 2,
      graceDays: 2,
    });
    expect(verified.claims.license.metric).toEqual({ id: 1, unit: 'nodes' });
    expect(verified.claims.instance?.id).toBe(instance);
    h.clock.advance(86_400_000);
    expect(verifyCertificate(certificate, await keys(), h.clock.now())).toEqual({
      ok: false,
      reason: 'EXPIRED',
    });
  });

  it('never outlives the license, and refuses a license that is not usable or not activated there', async () => {
    const license = await issue({ expiresAt: '2026-11-24T00:00:00.000Z', graceDays: 1 });
    const response = await h.request({
      method: 'GET',
      url: `/v1/licenses/${license.id}/certificate?ttl=2592000`,
    });
    expect(json(response).expiresAt).toBe('2026-11-25T00:00:00.000Z');
    const [instance] = await instances(1);
    const unbound = await h.request({
      method: 'GET',
      url: `/v1/licenses/${license.id}/certificate?instance=${instance ?? ''}`,
    });
    expect(unbound.statusCode).toBe(409);
    await h.request({ method: 'POST', url: `/v1/licenses/${license.id}/revoke` });
    const revoked = await h.request({
      method: 'GET',
      url: `/v1/licenses/${license.id}/certificate`,
    });
    expect(revoked.statusCode).toBe(409);
    expect(json(revoked).type).toBe('/problems/license-not-usable');
  });

  it("is another account's license: 404", async () => {
    await h.account('other');
    const license = await issue({});
    const admin = await h.token('admin', ['other']);
    const response = await h.request({
      method: 'GET',
      url: `/v1/licenses/${license.id}/certificate`,
      token: admin,
    });
    expect(response.statusCode).toBe(404);
  });
});

describe('license state changes', () => {
  it('suspends and resumes, but a revoked license stays revoked', async () => {
    const license = await issue({});
    const suspend = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { state: 'suspended' },
    });
    expect(json(suspend).state).toBe('suspended');
    const resume = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { state: 'active' },
    });
    expect(json(resume).state).toBe('active');
    await h.request({ method: 'POST', url: `/v1/licenses/${license.id}/revoke` });
    const revived = await h.request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { state: 'active' },
    });
    expect(revived.statusCode).toBe(409);
    expect(json(revived).invalidFields).toEqual([
      { name: 'state', reason: 'cannot change from revoked to active' },
    ]);
    expect(json(await h.request({ method: 'GET', url: `/v1/licenses/${license.id}` })).state).toBe(
      'revoked',
    );
  });
});

describe('licenses installed on an instance', () => {
  it('lists live and ended activations, the native twin of the HP controller list', async () => {
    const [instance, other] = await instances(2);
    const a = await issue({});
    const b = await issue({});
    await issue({});
    await h.request({ method: 'POST', url: `/v1/licenses/${a.id}/activate`, body: { instance } });
    await h.request({ method: 'POST', url: `/v1/licenses/${b.id}/activate`, body: { instance } });
    await h.request({ method: 'POST', url: `/v1/licenses/${b.id}/deactivate`, body: { instance } });
    const listed = json<{ items: { id: string; state: string }[] }>(
      await h.request({ method: 'GET', url: `/v1/instances/${instance ?? ''}/licenses` }),
    );
    expect(listed.items.map((l) => [l.id, l.state])).toEqual([
      [a.id, 'active'],
      [b.id, 'inactive'],
    ]);
    const empty = await h.request({ method: 'GET', url: `/v1/instances/${other ?? ''}/licenses` });
    expect(json(empty).items).toEqual([]);
    await h.account('elsewhere');
    const stranger = await h.token('admin', ['elsewhere']);
    expect(
      (
        await h.request({
          method: 'GET',
          url: `/v1/instances/${instance ?? ''}/licenses`,
          token: stranger,
        })
      ).statusCode,
    ).toBe(404);
  });
});
