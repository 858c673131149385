import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import {
  INSTALL_ID_MAX,
  INSTALL_ID_MIN,
  InstanceSchema,
  type Instance,
} from '../../src/domain/instance.js';
import type { License } from '../../src/domain/license.js';
import { ProblemSchema } from '../../src/http/problems.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEVICE_SERIAL = /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/;
const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

interface Issue {
  name: string;
  reason: string;
}
interface List<T> {
  items: T[];
  metadata: { continue?: string; count?: number };
}

async function register(accountId: string, extra: Record<string, unknown> = {}) {
  const response = await h.request({
    method: 'POST',
    url: '/v1/instances',
    body: { accountId, ...extra },
  });
  if (response.statusCode !== 201) throw new Error(`instance: ${response.body}`);
  return json<Instance>(response);
}

function names(response: { body: string }, list: 'invalidFields' | 'invalidParams'): string[] {
  const body = JSON.parse(response.body) as Record<string, Issue[] | undefined>;
  return (body[list] ?? []).map((issue) => issue.name).sort();
}

describe('instances: happy paths', () => {
  beforeEach(async () => {
    await h.account('acme');
  });

  it('registers with a generated installId and NetProfiler-shaped deviceSerial', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/instances',
      body: { accountId: 'acme', name: 'Appliance 1', hostname: 'np1.example.com' },
    });
    expect(response.statusCode).toBe(201);
    const instance = json<Instance>(response);
    expect(Value.Check(InstanceSchema, instance)).toBe(true);
    expect(response.headers.location).toBe(`/v1/instances/${instance.id}`);
    expect(instance.id).toMatch(UUID);
    expect(Number.isInteger(instance.installId)).toBe(true);
    expect(instance.installId).toBeGreaterThanOrEqual(INSTALL_ID_MIN);
    expect(instance.installId).toBeLessThanOrEqual(INSTALL_ID_MAX);
    expect(INSTALL_ID_MIN).toBe(1_000_000);
    expect(INSTALL_ID_MAX).toBe(99_999_999);
    expect(instance.deviceSerial).toMatch(DEVICE_SERIAL);
    expect(instance).toMatchObject({
      accountId: 'acme',
      name: 'Appliance 1',
      hostname: 'np1.example.com',
      fingerprint: null,
      labels: {},
      createdAt: T0,
      updatedAt: T0,
      lastSeenAt: null,
    });
    const other = await register('acme');
    expect(other.installId).not.toBe(instance.installId);
    expect(other.deviceSerial).not.toBe(instance.deviceSerial);
    expect(other.name).toBe('');
  });

  it('takes a caller-chosen installId and deviceSerial', async () => {
    const instance = await register('acme', {
      installId: 12_345_678,
      deviceSerial: 'AABA-ACAA-4W4C-QVXB',
      fingerprint: 'fp-1',
      labels: { site: 'paris' },
    });
    expect(instance).toMatchObject({
      installId: 12_345_678,
      deviceSerial: 'AABA-ACAA-4W4C-QVXB',
      fingerprint: 'fp-1',
      labels: { site: 'paris' },
    });
    const bounds = await register('acme', { installId: 1_000_000 });
    expect(bounds.installId).toBe(1_000_000);
  });

  it('answers 409 naming installId or deviceSerial when one is taken', async () => {
    await register('acme', { installId: 12_345_678, deviceSerial: 'AABA-ACAA-4W4C-QVXB' });
    const install = await h.request({
      method: 'POST',
      url: '/v1/instances',
      body: { accountId: 'acme', installId: 12_345_678 },
    });
    expect(install.statusCode).toBe(409);
    expect(json(install).type).toBe('/problems/conflict');
    expect(json(install).invalidFields).toEqual([
      { name: 'installId', reason: 'is already used by another instance' },
    ]);
    const serial = await h.request({
      method: 'POST',
      url: '/v1/instances',
      body: { accountId: 'acme', deviceSerial: 'AABA-ACAA-4W4C-QVXB' },
    });
    expect(serial.statusCode).toBe(409);
    expect(json(serial).invalidFields).toEqual([
      { name: 'deviceSerial', reason: 'is already used by another instance' },
    ]);
    const list = json<List<Instance>>(
      await h.request({ method: 'GET', url: '/v1/instances?count=true' }),
    );
    expect(list.metadata.count).toBe(1);
  });

  it('lists, gets, patches and deletes', async () => {
    const first = await register('acme', { name: 'first' });
    h.clock.advance(1_000);
    const second = await register('acme', { name: 'second', hostname: 'h2' });

    const list = await h.request({ method: 'GET', url: '/v1/instances?count=true' });
    expect(list.statusCode).toBe(200);
    const page = json<List<Instance>>(list);
    expect(page.items.map((i) => i.id)).toEqual([first.id, second.id]);
    expect(page.metadata.count).toBe(2);
    expect(page.items.every((i) => Value.Check(InstanceSchema, i))).toBe(true);

    const filtered = await h.request({
      method: 'GET',
      url: `/v1/instances?filter=${encodeURIComponent(`installId eq ${String(second.installId)}`)}&include=id,name`,
    });
    expect(json(filtered).items).toEqual([{ id: second.id, name: 'second' }]);

    const got = await h.request({ method: 'GET', url: `/v1/instances/${first.id}` });
    expect(got.statusCode).toBe(200);
    expect(json(got)).toEqual(first);

    h.clock.advance(60_000);
    const patched = await h.request({
      method: 'PATCH',
      url: `/v1/instances/${second.id}`,
      body: { name: 'renamed', hostname: null, fingerprint: 'fp-2', labels: { rack: '7' } },
    });
    expect(patched.statusCode).toBe(200);
    expect(json(patched)).toEqual({
      ...second,
      name: 'renamed',
      hostname: null,
      fingerprint: 'fp-2',
      labels: { rack: '7' },
      updatedAt: '2026-11-23T12:01:01.000Z',
    });
    const partial = await h.request({
      method: 'PATCH',
      url: `/v1/instances/${second.id}`,
      body: { name: 'again' },
    });
    expect(json(partial)).toMatchObject({
      name: 'again',
      fingerprint: 'fp-2',
      labels: { rack: '7' },
    });

    const deleted = await h.request({ method: 'DELETE', url: `/v1/instances/${first.id}` });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    const gone = await h.request({ method: 'GET', url: `/v1/instances/${first.id}` });
    expect(gone.statusCode).toBe(404);
    expect(json(gone).type).toBe('/problems/not-found');
    const after = json<List<Instance>>(await h.request({ method: 'GET', url: '/v1/instances' }));
    expect(after.items.map((i) => i.id)).toEqual([second.id]);
  });

  it('deleting an instance frees the seats it held', async () => {
    const licenseResponse = await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'acme', seatLimit: 1 },
    });
    const license = json<License>(licenseResponse);
    const first = await register('acme');
    const second = await register('acme');
    const activate = (instance: string) =>
      h.request({
        method: 'POST',
        url: `/v1/licenses/${license.id}/activate`,
        body: { instance },
      });
    expect((await activate(first.id)).statusCode).toBe(201);
    expect((await activate(second.id)).statusCode).toBe(409);

    expect(
      (await h.request({ method: 'DELETE', url: `/v1/instances/${first.id}` })).statusCode,
    ).toBe(204);
    const freed = json<License>(
      await h.request({ method: 'GET', url: `/v1/licenses/${license.id}` }),
    );
    expect(freed.seatsUsed).toBe(0);
    const taken = await activate(second.id);
    expect(taken.statusCode).toBe(201);
    expect(json<License>(taken).seatsUsed).toBe(1);
  });
});

describe('instances: bad input', () => {
  beforeEach(async () => {
    await h.account('acme');
  });

  it('names every invalid field of a registration', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/instances',
      body: {
        accountId: 'acme',
        installId: 999_999,
        deviceSerial: 'aaba-acaa-4w4c-qvxb',
        hostname: '',
        colour: 'red',
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const problem = json(response);
    expect(Value.Check(ProblemSchema, problem)).toBe(true);
    expect(problem.type).toBe('/problems/invalid-fields');
    expect(names(response, 'invalidFields')).toEqual([
      'colour',
      'deviceSerial',
      'hostname',
      'installId',
    ]);
  });

  it('rejects an installId above the range and a missing accountId', async () => {
    const high = await h.request({
      method: 'POST',
      url: '/v1/instances',
      body: { accountId: 'acme', installId: 100_000_000 },
    });
    expect(high.statusCode).toBe(400);
    expect(names(high, 'invalidFields')).toEqual(['installId']);
    const missing = await h.request({ method: 'POST', url: '/v1/instances', body: {} });
    expect(missing.statusCode).toBe(400);
    expect(json(missing).invalidFields).toEqual([{ name: 'accountId', reason: 'is required' }]);
  });

  it('answers 404 when registering into an unknown account', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/instances',
      body: { accountId: 'no-such' },
    });
    expect(response.statusCode).toBe(404);
    expect(json(response).type).toBe('/problems/not-found');
  });

  it('answers 400 invalidParams for a path id that is no uuid', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const response = await h.request({
        method,
        url: '/v1/instances/not-a-uuid',
        body: method === 'PATCH' ? { name: 'x' } : undefined,
      });
      expect(response.statusCode, method).toBe(400);
      expect(json(response).type).toBe('/problems/invalid-params');
      expect(names(response, 'invalidParams')).toEqual(['instanceId']);
    }
  });

  it('refuses an empty PATCH and identifiers in a PATCH', async () => {
    const instance = await register('acme');
    const empty = await h.request({
      method: 'PATCH',
      url: `/v1/instances/${instance.id}`,
      body: {},
    });
    expect(empty.statusCode).toBe(400);
    expect(json(empty).invalidFields).toEqual([
      { name: 'body', reason: 'must contain at least one field' },
    ]);
    const ids = await h.request({
      method: 'PATCH',
      url: `/v1/instances/${instance.id}`,
      body: { installId: 12_345_678, accountId: 'other' },
    });
    expect(ids.statusCode).toBe(400);
    expect(names(ids, 'invalidFields')).toEqual(['accountId', 'installId']);
    expect(json(await h.request({ method: 'GET', url: `/v1/instances/${instance.id}` }))).toEqual(
      instance,
    );
  });

  it('answers 400 naming a bad list parameter', async () => {
    const response = await h.request({
      method: 'GET',
      url: `/v1/instances?filter=${encodeURIComponent("colour eq 'red'")}`,
    });
    expect(response.statusCode).toBe(400);
    expect(names(response, 'invalidParams')).toEqual(['filter']);
  });

  it('answers 404 for an unknown instance', async () => {
    const response = await h.request({ method: 'GET', url: `/v1/instances/${MISSING_UUID}` });
    expect(response.statusCode).toBe(404);
    expect(json(response).detail).toBe(`Instance '${MISSING_UUID}' was not found.`);
  });
});

describe('instances: roles', () => {
  beforeEach(async () => {
    await h.account('acme');
  });

  it('a viewer reads instances but cannot register, patch or delete one', async () => {
    const instance = await register('acme');
    const viewer = await h.token('viewer', ['acme']);
    const create = await h.request({
      method: 'POST',
      url: '/v1/instances',
      token: viewer,
      body: { accountId: 'acme' },
    });
    expect(create.statusCode).toBe(403);
    expect(json(create).type).toBe('/problems/forbidden');
    expect(
      (await h.request({ method: 'GET', url: `/v1/instances/${instance.id}`, token: viewer }))
        .statusCode,
    ).toBe(200);
    expect(
      (
        await h.request({
          method: 'PATCH',
          url: `/v1/instances/${instance.id}`,
          token: viewer,
          body: { name: 'x' },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await h.request({ method: 'DELETE', url: `/v1/instances/${instance.id}`, token: viewer }))
        .statusCode,
    ).toBe(403);
    const list = json<List<Instance>>(
      await h.request({ method: 'GET', url: '/v1/instances?count=true', token: viewer }),
    );
    expect(list.metadata.count).toBe(1);
  });

  it('admins and services register instances in their account', async () => {
    for (const role of ['admin', 'service'] as const) {
      const token = await h.token(role, ['acme']);
      const response = await h.request({
        method: 'POST',
        url: '/v1/instances',
        token,
        body: { accountId: 'acme', name: role },
      });
      expect(response.statusCode, role).toBe(201);
      expect(json(response).name).toBe(role);
    }
  });

  it('an instance token sees only itself and cannot change itself', async () => {
    const self = await register('acme', { name: 'self' });
    const sibling = await register('acme', { name: 'sibling' });
    const token = await h.token('instance', ['acme'], { instance: self.id });

    const own = await h.request({ method: 'GET', url: `/v1/instances/${self.id}`, token });
    expect(own.statusCode).toBe(200);
    expect(json(own).name).toBe('self');
    const other = await h.request({ method: 'GET', url: `/v1/instances/${sibling.id}`, token });
    expect(other.statusCode).toBe(404);
    expect(json(other).type).toBe('/problems/not-found');

    const list = json<List<Instance>>(
      await h.request({ method: 'GET', url: '/v1/instances', token }),
    );
    expect(list.items.map((i) => i.id)).toEqual([self.id]);

    const patch = await h.request({
      method: 'PATCH',
      url: `/v1/instances/${self.id}`,
      token,
      body: { name: 'x' },
    });
    expect(patch.statusCode).toBe(403);
    expect(
      (
        await h.request({
          method: 'PATCH',
          url: `/v1/instances/${sibling.id}`,
          token,
          body: { name: 'x' },
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await h.request({ method: 'DELETE', url: `/v1/instances/${self.id}`, token })).statusCode,
    ).toBe(403);
    const create = await h.request({
      method: 'POST',
      url: '/v1/instances',
      token,
      body: { accountId: 'acme' },
    });
    expect(create.statusCode).toBe(403);
    expect(json(await h.request({ method: 'GET', url: `/v1/instances/${self.id}` })).name).toBe(
      'self',
    );
  });

  it('an instance token counts only itself in a list', async () => {
    const self = await register('acme');
    await register('acme');
    await register('acme');
    const token = await h.token('instance', ['acme'], { instance: self.id });
    const list = json<List<Instance>>(
      await h.request({ method: 'GET', url: '/v1/instances?count=true', token }),
    );
    expect(list.items.map((i) => i.id)).toEqual([self.id]);
    expect(list.metadata.count).toBe(1);
  });

  it('an instance token finds itself on the first page whatever the limit', async () => {
    await register('acme');
    const self = await register('acme');
    const token = await h.token('instance', ['acme'], { instance: self.id });
    const list = json<List<Instance>>(
      await h.request({ method: 'GET', url: '/v1/instances?limit=1', token }),
    );
    expect(list.items.map((i) => i.id)).toEqual([self.id]);
  });
});

describe('instances: isolation', () => {
  beforeEach(async () => {
    await h.account('tenant-a');
    await h.account('tenant-b');
  });

  it('an admin of A gets 404 on B instances, exactly like a missing one', async () => {
    const b = await register('tenant-b', { name: 'b-box' });
    const admin = await h.token('admin', ['tenant-a']);
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const other = await h.request({ method, url: `/v1/instances/${b.id}`, token: admin, body });
      const missing = await h.request({
        method,
        url: `/v1/instances/${MISSING_UUID}`,
        token: admin,
        body,
      });
      expect(other.statusCode, method).toBe(404);
      expect(missing.statusCode).toBe(404);
      expect(String(json(other).detail).replace(b.id, 'X')).toBe(
        String(json(missing).detail).replace(MISSING_UUID, 'X'),
      );
    }
    const create = await h.request({
      method: 'POST',
      url: '/v1/instances',
      token: admin,
      body: { accountId: 'tenant-b' },
    });
    expect(create.statusCode).toBe(404);
    expect(json(await h.request({ method: 'GET', url: `/v1/instances/${b.id}` }))).toEqual(b);
  });

  it('a list never contains another account’s instances', async () => {
    const a = await register('tenant-a');
    await register('tenant-b');
    await register('tenant-b');
    const admin = await h.token('admin', ['tenant-a']);
    const list = json<List<Instance>>(
      await h.request({ method: 'GET', url: '/v1/instances?count=true', token: admin }),
    );
    expect(list.items.map((i) => i.id)).toEqual([a.id]);
    expect(list.metadata.count).toBe(1);
    const filtered = json<List<Instance>>(
      await h.request({
        method: 'GET',
        url: `/v1/instances?filter=${encodeURIComponent("accountId eq 'tenant-b'")}`,
        token: admin,
      }),
    );
    expect(filtered.items).toEqual([]);
    const all = json<List<Instance>>(
      await h.request({ method: 'GET', url: '/v1/instances?count=true' }),
    );
    expect(all.metadata.count).toBe(3);
  });
});
