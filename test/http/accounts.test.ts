import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { AccountSchema } from '../../src/domain/account.js';
import { ProblemSchema } from '../../src/http/problems.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

describe('accounts: happy paths', () => {
  it('creates an account with a chosen id and returns it with defaults', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { id: 'acme', name: 'Acme Corp', orgId: '999000000' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers.location).toBe('/v1/accounts/acme');
    const account = json(response);
    expect(Value.Check(AccountSchema, account)).toBe(true);
    expect(account).toEqual({
      id: 'acme',
      name: 'Acme Corp',
      orgId: '999000000',
      settings: {
        autoDownload: false,
        upstreamUrl: null,
        groupLicensing: false,
        messageOfTheDay: null,
      },
      createdAt: T0,
      updatedAt: T0,
    });
  });

  it('generates an id when none is given', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { name: 'No Id' },
    });
    expect(response.statusCode).toBe(201);
    expect(json(response).id).toMatch(/^acct-[0-9a-f]{16}$/);
  });

  it('gets, replaces, patches and deletes an account', async () => {
    await h.account('acme');
    h.clock.advance(60_000);

    const replaced = await h.request({
      method: 'PUT',
      url: '/v1/accounts/acme',
      body: {
        name: 'Acme Inc',
        settings: { autoDownload: true, upstreamUrl: 'https://licenses.example.com' },
      },
    });
    expect(replaced.statusCode).toBe(200);
    expect(json(replaced)).toMatchObject({
      name: 'Acme Inc',
      orgId: null,
      settings: { autoDownload: true, upstreamUrl: 'https://licenses.example.com' },
      createdAt: T0,
      updatedAt: '2026-11-23T12:01:00.000Z',
    });

    const patched = await h.request({
      method: 'PATCH',
      url: '/v1/accounts/acme',
      body: { settings: { autoDownload: false } },
    });
    expect(patched.statusCode).toBe(200);
    expect(json(patched).settings).toEqual({
      autoDownload: false,
      upstreamUrl: 'https://licenses.example.com',
      groupLicensing: false,
      messageOfTheDay: null,
    });
    expect(json(patched).name).toBe('Acme Inc');

    const got = await h.request({ method: 'GET', url: '/v1/accounts/acme' });
    expect(json(got)).toEqual(json(patched));

    const deleted = await h.request({ method: 'DELETE', url: '/v1/accounts/acme' });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await h.request({ method: 'GET', url: '/v1/accounts/acme' })).statusCode).toBe(404);
  });

  it('accepts application/merge-patch+json for PATCH', async () => {
    await h.account('acme');
    const response = await h.app.inject({
      method: 'PATCH',
      url: '/v1/accounts/acme',
      headers: {
        authorization: `Bearer ${h.operator}`,
        'content-type': 'application/merge-patch+json',
      },
      payload: JSON.stringify({ name: 'Merged' }),
    });
    expect(response.statusCode).toBe(200);
    expect(json(response).name).toBe('Merged');
  });

  it('lists with filter, orderBy, count, include and continue', async () => {
    for (const [id, name] of [
      ['a1', 'Zeta'],
      ['a2', 'Alpha'],
      ['a3', 'Mu'],
    ] as const) {
      await h.account(id, name);
    }
    const first = await h.request({
      method: 'GET',
      url: '/v1/accounts?orderBy=name%20desc&limit=2&count=true',
    });
    expect(first.statusCode).toBe(200);
    const page1 = json<{
      items: { name: string }[];
      metadata: { continue?: string; count?: number };
    }>(first);
    expect(page1.items.map((a) => a.name)).toEqual(['Zeta', 'Mu']);
    expect(page1.metadata.count).toBe(3);
    const token = page1.metadata.continue;
    expect(typeof token).toBe('string');

    const second = await h.request({
      method: 'GET',
      url: `/v1/accounts?orderBy=name%20desc&limit=2&continue=${encodeURIComponent(token ?? '')}`,
    });
    const page2 = json<{ items: { name: string }[]; metadata: { continue?: string } }>(second);
    expect(page2.items.map((a) => a.name)).toEqual(['Alpha']);
    expect(page2.metadata.continue).toBeUndefined();

    const filtered = await h.request({
      method: 'GET',
      url: `/v1/accounts?filter=${encodeURIComponent("name eq 'Mu'")}&include=name,id`,
    });
    const body = json<{ items: unknown[] }>(filtered);
    expect(body.items).toEqual([{ name: 'Mu', id: 'a3' }]);
  });
});

describe('accounts: paging', () => {
  it('applies skip to the first page only, so resending it with continue loses nothing', async () => {
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) await h.account(id);
    const first = json<{ items: { id: string }[]; metadata: { continue?: string } }>(
      await h.request({ method: 'GET', url: '/v1/accounts?skip=1&limit=2' }),
    );
    expect(first.items.map((a) => a.id)).toEqual(['p2', 'p3']);
    const second = json<{ items: { id: string }[]; metadata: { continue?: string } }>(
      await h.request({
        method: 'GET',
        url: `/v1/accounts?skip=1&limit=2&continue=${first.metadata.continue ?? ''}`,
      }),
    );
    expect(second.items.map((a) => a.id)).toEqual(['p4', 'p5']);
    expect(second.metadata.continue).toBeUndefined();
  });

  it('treats ne as "anything else, including no value"', async () => {
    await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { id: 'o1', name: 'x', orgId: 'org-1' },
    });
    await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { id: 'o2', name: 'x', orgId: 'org-2' },
    });
    await h.request({ method: 'POST', url: '/v1/accounts', body: { id: 'o3', name: 'x' } });
    const response = await h.request({
      method: 'GET',
      url: `/v1/accounts?filter=${encodeURIComponent("orgId ne 'org-1'")}&include=id`,
    });
    expect(json(response).items).toEqual([{ id: 'o2' }, { id: 'o3' }]);
  });
});

describe('accounts: bad input', () => {
  it('names every invalid field of a body', async () => {
    const response = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: {
        id: 'has space',
        name: '',
        orgId: 5,
        colour: 'red',
        settings: { upstreamUrl: 'not a url' },
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const problem = json<{ invalidFields: { name: string; reason: string }[] }>(response);
    expect(Value.Check(ProblemSchema, problem)).toBe(true);
    const names = problem.invalidFields.map((f) => f.name).sort();
    expect(names).toEqual(['colour', 'id', 'name', 'orgId', 'settings.upstreamUrl']);
    expect(problem.invalidFields.find((f) => f.name === 'colour')?.reason).toBe(
      'is not a known field',
    );
  });

  it('reports a missing required field by name', async () => {
    const response = await h.request({ method: 'POST', url: '/v1/accounts', body: { id: 'x' } });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidFields).toEqual([{ name: 'name', reason: 'is required' }]);
  });

  it('refuses an empty PATCH', async () => {
    await h.account('acme');
    const response = await h.request({ method: 'PATCH', url: '/v1/accounts/acme', body: {} });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidFields).toEqual([
      { name: 'body', reason: 'must contain at least one field' },
    ]);
  });

  it('refuses a PUT whose id differs from the path', async () => {
    await h.account('acme');
    const response = await h.request({
      method: 'PUT',
      url: '/v1/accounts/acme',
      body: { id: 'other', name: 'x' },
    });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidFields).toEqual([
      { name: 'id', reason: "must match the account in the path ('acme')" },
    ]);
  });

  it('answers 409 naming the id when the account exists', async () => {
    await h.account('acme');
    const response = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: { id: 'acme', name: 'Again' },
    });
    expect(response.statusCode).toBe(409);
    expect(json(response).invalidFields).toEqual([
      { name: 'id', reason: 'an account with this id already exists' },
    ]);
  });

  it('answers 400 naming the path parameter for a malformed id', async () => {
    const response = await h.request({ method: 'GET', url: '/v1/accounts/bad%20id' });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidParams).toEqual([
      { name: 'accountId', reason: expect.stringContaining('must match pattern') as unknown },
    ]);
  });

  it('answers 400 naming each bad list parameter', async () => {
    const response = await h.request({
      method: 'GET',
      url: `/v1/accounts?filter=${encodeURIComponent("nme eq 'x'")}&limit=5000&orderBy=name%20sideways`,
    });
    expect(response.statusCode).toBe(400);
    const names = json<{ invalidParams: { name: string }[] }>(response).invalidParams.map(
      (p) => p.name,
    );
    expect(names.sort()).toEqual(['filter', 'limit', 'orderBy']);
  });

  it('answers 400 for an unknown query parameter', async () => {
    const response = await h.request({ method: 'GET', url: '/v1/accounts?colour=red' });
    expect(response.statusCode).toBe(400);
    expect(json(response).invalidParams).toEqual([
      { name: 'colour', reason: 'is not a known field' },
    ]);
  });

  it('answers 409 when something still references the account, and keeps it', async () => {
    await h.account('acme');
    // Licenses arrive in a later migration; this table stands in for any row that references an account.
    await h.store.db.schema
      .createTable('referrer')
      .addColumn('account_id', 'text', (col) => col.notNull().references('accounts.id'))
      .execute();
    await h.store.db
      .insertInto('referrer' as never)
      .values({ account_id: 'acme' })
      .execute();
    const response = await h.request({ method: 'DELETE', url: '/v1/accounts/acme' });
    expect(response.statusCode).toBe(409);
    expect(json(response).type).toBe('/problems/in-use');
    expect((await h.request({ method: 'GET', url: '/v1/accounts/acme' })).statusCode).toBe(200);
    const events = await h.store.db
      .selectFrom('events')
      .select('type')
      .where('type', '=', 'account.deleted')
      .execute();
    expect(events).toEqual([]);
  });
});

describe('accounts: roles and isolation', () => {
  beforeEach(async () => {
    await h.account('tenant-a');
    await h.account('tenant-b');
  });

  it('an admin of A gets 404 on every B resource, exactly like a missing one', async () => {
    const admin = await h.token('admin', ['tenant-a']);
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { name: 'x' }],
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const other = await h.request({ method, url: '/v1/accounts/tenant-b', token: admin, body });
      const missing = await h.request({ method, url: '/v1/accounts/no-such', token: admin, body });
      expect(other.statusCode, `${method} tenant-b`).toBe(404);
      expect(missing.statusCode).toBe(404);
      const { correlationID: _a, detail: detailB, ...restB } = json(other);
      const { correlationID: _b, detail: detailMissing, ...restMissing } = json(missing);
      expect(restB).toEqual(restMissing);
      expect(String(detailB).replace('tenant-b', 'X')).toBe(
        String(detailMissing).replace('no-such', 'X'),
      );
    }
    const b = await h.request({ method: 'GET', url: '/v1/accounts/tenant-b' });
    expect(json(b).name).toBe('Account tenant-b');
  });

  it('a list never contains another account', async () => {
    const viewer = await h.token('viewer', ['tenant-a']);
    const response = await h.request({
      method: 'GET',
      url: '/v1/accounts?count=true',
      token: viewer,
    });
    const body = json<{ items: { id: string }[]; metadata: { count: number } }>(response);
    expect(body.items.map((a) => a.id)).toEqual(['tenant-a']);
    expect(body.metadata.count).toBe(1);
    const filtered = await h.request({
      method: 'GET',
      url: `/v1/accounts?filter=${encodeURIComponent("id eq 'tenant-b'")}`,
      token: viewer,
    });
    expect(json<{ items: unknown[] }>(filtered).items).toEqual([]);
  });

  it('an admin edits its own account but cannot create or delete accounts', async () => {
    const admin = await h.token('admin', ['tenant-a']);
    expect(
      (
        await h.request({
          method: 'PATCH',
          url: '/v1/accounts/tenant-a',
          token: admin,
          body: { name: 'Mine' },
        })
      ).statusCode,
    ).toBe(200);
    const create = await h.request({
      method: 'POST',
      url: '/v1/accounts',
      token: admin,
      body: { name: 'New' },
    });
    expect(create.statusCode).toBe(403);
    expect(json(create).type).toBe('/problems/forbidden');
    expect(
      (await h.request({ method: 'DELETE', url: '/v1/accounts/tenant-a', token: admin }))
        .statusCode,
    ).toBe(403);
  });

  it('a viewer reads its account but may not change it', async () => {
    const viewer = await h.token('viewer', ['tenant-a']);
    expect(
      (await h.request({ method: 'GET', url: '/v1/accounts/tenant-a', token: viewer })).statusCode,
    ).toBe(200);
    const patch = await h.request({
      method: 'PATCH',
      url: '/v1/accounts/tenant-a',
      token: viewer,
      body: { name: 'x' },
    });
    expect(patch.statusCode).toBe(403);
    const stored = await h.request({ method: 'GET', url: '/v1/accounts/tenant-a' });
    expect(json(stored).name).toBe('Account tenant-a');
  });
});
