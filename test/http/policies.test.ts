import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import { reclaimLeasesJob } from '../../src/jobs/reclaim-leases.js';
import { createScheduler, type JobLogger } from '../../src/jobs/scheduler.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  await h.account('globex');
  for (const slug of ['ctl', 'other']) {
    const created = await h.request({
      method: 'POST',
      url: '/v1/products',
      body: { slug, name: slug, metrics: [{ id: 1, name: 'Nodes', unit: 'nodes' }] },
    });
    expect(created.statusCode).toBe(201);
  }
});
afterEach(async () => {
  await h.close();
});

const quiet: JobLogger = { debug: () => undefined, info: () => undefined, error: () => undefined };
const system = () => ({ principal: systemPrincipal, requestId: null, clock: h.clock });

async function policy(body: Record<string, unknown>): Promise<{ id: string; revision: number }> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/policies',
    body: { product: 'ctl', name: 'standard', ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
  return json(response);
}

async function license(accountId = 'acme', product = 'ctl'): Promise<string> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/licenses',
    body: { accountId, product },
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<{ id: string }>(response).id;
}

async function bind(licenseId: string, policyId: string, overrides?: Record<string, unknown>) {
  return h.request({
    method: 'PUT',
    url: `/v1/licenses/${licenseId}/policy`,
    body: { policy: policyId, ...(overrides === undefined ? {} : { overrides }) },
  });
}

async function instances(count: number, accountId = 'acme'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await h.services.instances.create(system(), { accountId })).id);
  return ids;
}

function checkOut(licenseId: string, instance: string, token?: string) {
  return h.request({
    method: 'POST',
    url: `/v1/licenses/${licenseId}/leases`,
    body: { instance },
    ...(token === undefined ? {} : { token }),
  });
}

describe('policies', () => {
  it('creates with defaults, refuses duplicates and broken terms naming the field', async () => {
    const created = await h.request({
      method: 'POST',
      url: '/v1/policies',
      body: { product: 'ctl', name: 'trial', term: 'TRIAL', durationDays: 30, graceDays: 7 },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const body = json(created);
    expect(body).toMatchObject({
      name: 'trial',
      term: 'TRIAL',
      durationDays: 30,
      graceDays: 7,
      clockStarts: 'ISSUE',
      expirationBehaviour: 'RESTRICT',
      overage: 'NONE',
      floating: false,
      revision: 1,
    });
    expect(String(body.id)).toMatch(/^pol_[0-9a-f]{16}$/);
    expect(created.headers.location).toBe(`/v1/policies/${String(body.id)}`);

    const duplicate = await h.request({
      method: 'POST',
      url: '/v1/policies',
      body: { product: 'ctl', name: 'trial' },
    });
    expect(duplicate.statusCode).toBe(409);
    expect(JSON.stringify(json(duplicate))).toContain('name');

    const noDuration = await h.request({
      method: 'POST',
      url: '/v1/policies',
      body: { product: 'ctl', name: 'sub', term: 'SUBSCRIPTION' },
    });
    expect(noDuration.statusCode).toBe(400);
    expect(JSON.stringify(json(noDuration))).toContain('durationDays');

    const badEnum = await h.request({
      method: 'POST',
      url: '/v1/policies',
      body: { product: 'ctl', name: 'x', overage: '3X' },
    });
    expect(badEnum.statusCode).toBe(400);
    expect(JSON.stringify(json(badEnum))).toContain('overage');

    const unknownProduct = await h.request({
      method: 'POST',
      url: '/v1/policies',
      body: { product: 'nope', name: 'x' },
    });
    expect(unknownProduct.statusCode).toBe(400);
    expect(JSON.stringify(json(unknownProduct))).toContain('product');

    const admin = await h.token('admin', ['acme']);
    const forbidden = await h.request({
      method: 'POST',
      url: '/v1/policies',
      body: { product: 'ctl', name: 'y' },
      token: admin,
    });
    expect(forbidden.statusCode).toBe(403);
    const count = await h.store.db
      .selectFrom('policies')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });

  it('lists, reads, changes under If-Match and deletes only when unused', async () => {
    const created = await policy({ seatLimit: 5 });
    const listed = json<{ items: { id: string }[] }>(
      await h.request({
        method: 'GET',
        url: `/v1/policies?filter=${encodeURIComponent("name eq 'standard'")}`,
      }),
    );
    expect(listed.items.map((p) => p.id)).toEqual([created.id]);

    const stale = await h.request({
      method: 'PATCH',
      url: `/v1/policies/${created.id}`,
      headers: { 'if-match': '"7"' },
      body: { seatLimit: 8 },
    });
    expect(stale.statusCode).toBe(409);
    const changed = await h.request({
      method: 'PATCH',
      url: `/v1/policies/${created.id}`,
      headers: { 'if-match': '"1"' },
      body: { seatLimit: 8 },
    });
    expect(changed.statusCode).toBe(200);
    expect(json(changed)).toMatchObject({ seatLimit: 8, revision: 2 });
    expect(changed.headers.etag).toBe('"2"');

    const licenseId = await license();
    expect((await bind(licenseId, created.id)).statusCode).toBe(200);
    const inUse = await h.request({ method: 'DELETE', url: `/v1/policies/${created.id}` });
    expect(inUse.statusCode).toBe(409);
    expect(
      (await h.request({ method: 'DELETE', url: `/v1/licenses/${licenseId}/policy` })).statusCode,
    ).toBe(204);
    expect(
      (await h.request({ method: 'DELETE', url: `/v1/policies/${created.id}` })).statusCode,
    ).toBe(204);
    expect((await h.request({ method: 'GET', url: `/v1/policies/${created.id}` })).statusCode).toBe(
      404,
    );
  });

  it("binds a license to its product's policy; its terms follow the policy under its overrides", async () => {
    const base = await policy({ seatLimit: 5, graceDays: 3 });
    const licenseId = await license();
    const bound = await bind(licenseId, base.id, { seatLimit: 9 });
    expect(bound.statusCode, bound.body).toBe(200);
    expect(json(bound)).toMatchObject({
      licenseId,
      policyId: base.id,
      overrides: { seatLimit: 9 },
      terms: { seatLimit: 9, graceDays: 3 },
    });
    await h.request({ method: 'PATCH', url: `/v1/policies/${base.id}`, body: { graceDays: 10 } });
    const read = json(await h.request({ method: 'GET', url: `/v1/licenses/${licenseId}/policy` }));
    expect(read).toMatchObject({ terms: { seatLimit: 9, graceDays: 10 } });

    const otherProduct = await h.request({
      method: 'POST',
      url: '/v1/policies',
      body: { product: 'other', name: 'p' },
    });
    const mismatch = await bind(licenseId, json<{ id: string }>(otherProduct).id);
    expect(mismatch.statusCode).toBe(400);
    expect(JSON.stringify(json(mismatch))).toContain('policy');

    const broken = await bind(licenseId, base.id, { nodeLocked: true, floating: true });
    expect(broken.statusCode).toBe(400);
    expect(JSON.stringify(json(broken))).toContain('overrides.floating');

    const globexLicense = await license('globex');
    const acmeAdmin = await h.token('admin', ['acme']);
    const hidden = await h.request({
      method: 'PUT',
      url: `/v1/licenses/${globexLicense}/policy`,
      body: { policy: base.id },
      token: acmeAdmin,
    });
    expect(hidden.statusCode).toBe(404);
  });
});

describe('floating leases', () => {
  async function floating(terms: Record<string, unknown>): Promise<string> {
    const p = await policy({ floating: true, leaseSeconds: 600, ...terms });
    const licenseId = await license();
    expect((await bind(licenseId, p.id)).statusCode).toBe(200);
    return licenseId;
  }

  it('100 instances racing for 5 leases: exactly 5 get one', async () => {
    const licenseId = await floating({ seatLimit: 5 });
    const ids = await instances(100);
    const answers = await Promise.all(ids.map((instance) => checkOut(licenseId, instance)));
    const granted = answers.filter((a) => a.statusCode === 201);
    const refused = answers.filter((a) => a.statusCode === 409);
    expect(granted).toHaveLength(5);
    expect(refused).toHaveLength(95);
    expect(new Set(refused.map((a) => json(a).type))).toEqual(
      new Set(['/problems/seat-limit-reached']),
    );
    const rows = await h.store.db
      .selectFrom('leases')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('license_id', '=', licenseId)
      .executeTakeFirstOrThrow();
    expect(rows.n).toBe(5);
  });

  it('renews an instance’s own lease, checks in, and lets overage through to the ceiling', async () => {
    const licenseId = await floating({ seatLimit: 4, overage: '1.25X' });
    const ids = await instances(7);
    const outcomes: string[] = [];
    for (const id of ids.slice(0, 6)) {
      const answer = await checkOut(licenseId, id);
      outcomes.push(
        answer.statusCode === 201
          ? json<{ outcome: string }>(answer).outcome
          : String(answer.statusCode),
      );
    }
    expect(outcomes).toEqual(['WITHIN', 'WITHIN', 'WITHIN', 'WITHIN', 'OVERAGE', '409']);
    const again = json<{ outcome: string }>(await checkOut(licenseId, ids[0] ?? ''));
    expect(again.outcome).toBe('RENEWED');

    const leases = json<{ items: { id: string; instanceId: string }[] }>(
      await h.request({ method: 'GET', url: `/v1/licenses/${licenseId}/leases` }),
    );
    expect(leases.items).toHaveLength(5);
    const first = leases.items.find((l) => l.instanceId === ids[0]);
    const checkedIn = await h.request({
      method: 'DELETE',
      url: `/v1/licenses/${licenseId}/leases/${first?.id ?? ''}`,
    });
    expect(checkedIn.statusCode).toBe(204);
    expect((await checkOut(licenseId, ids[6] ?? '')).statusCode).toBe(201);
  });

  it('an instance token leases for itself only; a dead heartbeat frees the seat for the next caller', async () => {
    const licenseId = await floating({ seatLimit: 1, heartbeatSeconds: 60 });
    const [a, b] = await instances(2);
    const tokenA = await h.token('instance', ['acme'], { instance: a });
    const tokenB = await h.token('instance', ['acme'], { instance: b });

    expect((await checkOut(licenseId, b ?? '', tokenA)).statusCode).toBe(403);
    const taken = await checkOut(licenseId, a ?? '', tokenA);
    expect(taken.statusCode).toBe(201);
    const lease = json<{ lease: { id: string } }>(taken).lease;
    expect((await checkOut(licenseId, b ?? '', tokenB)).statusCode).toBe(409);

    h.clock.advance(60_000);
    const beat = await h.request({
      method: 'POST',
      url: `/v1/licenses/${licenseId}/leases/${lease.id}/heartbeat`,
      token: tokenA,
    });
    expect(beat.statusCode).toBe(200);
    expect(json(beat)).toMatchObject({ alive: true });

    // A is killed: no more heartbeats. Two intervals later the lease is dead.
    h.clock.advance(120_000);
    const late = await h.request({
      method: 'POST',
      url: `/v1/licenses/${licenseId}/leases/${lease.id}/heartbeat`,
      token: tokenA,
    });
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('HEARTBEAT_DEAD');

    const scheduler = createScheduler({
      services: h.services,
      clock: h.clock,
      log: quiet,
      jobs: [reclaimLeasesJob(h.services)],
    });
    await scheduler.tick();
    const left = await h.store.db.selectFrom('leases').selectAll().execute();
    expect(left).toHaveLength(0);
    const events = await h.store.db
      .selectFrom('events')
      .select(['type', 'resource_id'])
      .where('type', '=', 'lease.reclaimed')
      .execute();
    expect(events).toEqual([{ type: 'lease.reclaimed', resource_id: lease.id }]);
    expect((await checkOut(licenseId, b ?? '', tokenB)).statusCode).toBe(201);
  });

  it('refuses leases on a license that is not floating, revoked, or another account’s', async () => {
    const plain = await license();
    const [a] = await instances(1);
    const notFloating = await checkOut(plain, a ?? '');
    expect(notFloating.statusCode).toBe(409);

    const licenseId = await floating({ seatLimit: 2 });
    const revoked = await h.request({ method: 'POST', url: `/v1/licenses/${licenseId}/revoke` });
    expect(revoked.statusCode).toBeLessThan(300);
    const refused = await checkOut(licenseId, a ?? '');
    expect(refused.statusCode).toBe(409);
    expect(json(refused).type).toBe('/problems/license-not-usable');

    const globexAdmin = await h.token('admin', ['globex']);
    const hidden = await h.request({
      method: 'GET',
      url: `/v1/licenses/${licenseId}/leases`,
      token: globexAdmin,
    });
    expect(hidden.statusCode).toBe(404);
    const [g] = await instances(1, 'globex');
    const foreignInstance = await checkOut(licenseId, g ?? '');
    expect(foreignInstance.statusCode).toBe(404);
  });
});
