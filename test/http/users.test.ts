import { Value } from 'typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessCodeSchema, UserSchema } from '../../src/domain/user.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

/** The native users API: local credentials for the vendor logins, operators only. */
let h: Harness;
let instanceId: string;

beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  await h.account('globex');
  instanceId = await h.instance('acme');
});
afterEach(async () => {
  await h.close();
});

const alice = { username: 'alice', password: 'correct horse 1', accountId: 'acme', role: 'admin' };

async function create(body: Record<string, unknown>, token?: string) {
  return h.request({ method: 'POST', url: '/v1/users', body, ...(token ? { token } : {}) });
}

const login = (username: string, password: string) =>
  h.services.users.login({ username, password, address: '192.0.2.1' }, h.clock, null);

describe('users: happy path', () => {
  it('creates a user: 201, Location, no password or hash in the answer', async () => {
    const response = await create(alice);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers.location).toBe('/v1/users/alice');
    const user = json(response);
    expect(Value.Check(UserSchema, user)).toBe(true);
    expect(user).toEqual({
      username: 'alice',
      accountId: 'acme',
      role: 'admin',
      instance: null,
      createdAt: h.clock.now().toISOString(),
      updatedAt: h.clock.now().toISOString(),
      passwordChangedAt: h.clock.now().toISOString(),
    });
    expect(response.body).not.toContain(alice.password);
    expect((await h.request({ method: 'GET', url: '/v1/users/alice' })).body).toBe(response.body);
  });

  it('stores a salted scrypt hash only', async () => {
    await create(alice);
    await create({ ...alice, username: 'bob' });
    const rows = await h.store.read((db) =>
      db.selectFrom('users').select(['username', 'password_hash']).orderBy('username').execute(),
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.password_hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(row.password_hash).not.toContain(alice.password);
    }
    // The same password, two salts: two different hashes.
    expect(rows[0]?.password_hash).not.toBe(rows[1]?.password_hash);
  });

  it('lists users with the query language', async () => {
    await create(alice);
    await create({
      username: 'ctl',
      password: 'controller-1',
      accountId: 'acme',
      role: 'instance',
      instance: instanceId,
    });
    const all = json<{ items: { username: string }[] }>(
      await h.request({ method: 'GET', url: '/v1/users' }),
    );
    expect(all.items.map((u) => u.username)).toEqual(['alice', 'ctl']);
    const filtered = await h.request({
      method: 'GET',
      url: `/v1/users?filter=${encodeURIComponent("role eq 'instance'")}`,
    });
    expect(json<{ items: { instance: string }[] }>(filtered).items).toEqual([
      expect.objectContaining({ username: 'ctl', instance: instanceId }),
    ]);
  });

  it('a login yields a token with the user’s account, role and instance', async () => {
    await create({
      username: 'ctl',
      password: 'controller-1',
      accountId: 'acme',
      role: 'instance',
      instance: instanceId,
    });
    const { token } = await login('ctl', 'controller-1');
    const principal = await h.services.tokens.authenticate(token.token, h.clock);
    expect(principal).toMatchObject({
      subject: 'ctl',
      role: 'instance',
      accounts: ['acme'],
      type: 'service',
      instance: instanceId,
      tokenId: token.id,
    });
  });

  it('rotating the password refuses the old one and revokes its sessions', async () => {
    await create(alice);
    const before = await login('alice', alice.password);
    const rotated = await h.request({
      method: 'PUT',
      url: '/v1/users/alice/password',
      body: { password: 'a brand new one' },
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    h.clock.advance(6_000);
    await expect(h.services.tokens.authenticate(before.token.token, h.clock)).rejects.toThrow(
      'revoked',
    );
    await expect(login('alice', alice.password)).rejects.toThrow('incorrect');
    expect((await login('alice', 'a brand new one')).user.username).toBe('alice');
  });

  it('deleting a user ends its logins and its sessions', async () => {
    await create(alice);
    const session = await login('alice', alice.password);
    const removed = await h.request({ method: 'DELETE', url: '/v1/users/alice' });
    expect(removed.statusCode).toBe(204);
    expect((await h.request({ method: 'GET', url: '/v1/users/alice' })).statusCode).toBe(404);
    h.clock.advance(6_000);
    await expect(h.services.tokens.authenticate(session.token.token, h.clock)).rejects.toThrow(
      'revoked',
    );
    await expect(login('alice', alice.password)).rejects.toThrow('incorrect');
  });

  it('issues access codes shown once, lists them by hint, revokes them', async () => {
    await create(alice);
    const issued = await h.request({ method: 'POST', url: '/v1/users/alice/access-codes' });
    expect(issued.statusCode, issued.body).toBe(201);
    expect(issued.headers['cache-control']).toBe('no-store');
    const { code, id, hint } = json<{ code: string; id: string; hint: string }>(issued);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hint).toBe(code.slice(-4));
    const listed = await h.request({ method: 'GET', url: '/v1/users/alice/access-codes' });
    const items = json<{ items: unknown[] }>(listed).items;
    expect(items).toHaveLength(1);
    expect(Value.Check(AccessCodeSchema, items[0])).toBe(true);
    expect(listed.body).not.toContain(code);
    const revoked = await h.request({
      method: 'POST',
      url: `/v1/users/alice/access-codes/${id}/revoke`,
    });
    expect(json(revoked)).toMatchObject({ id, revokedAt: h.clock.now().toISOString() });
  });
});

describe('users: errors', () => {
  it('409 for a taken username', async () => {
    await create(alice);
    const again = await create(alice);
    expect(again.statusCode).toBe(409);
  });

  it('400 naming the field: short password, bad name, unknown account, instance rules', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...alice, password: 'short' }, 'password'],
      [{ ...alice, username: 'no spaces' }, 'username'],
      [{ ...alice, role: 'operator' }, 'role'],
      [{ ...alice, accountId: 'ghost' }, 'accountId'],
      [{ ...alice, role: 'instance' }, 'instance'],
      [{ ...alice, instance: instanceId }, 'instance'],
      [{ ...alice, role: 'instance', accountId: 'globex', instance: instanceId }, 'instance'],
      [{ ...alice, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const response = await create(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      const names = json<{ invalidFields: { name: string }[] }>(response).invalidFields.map(
        (f) => f.name,
      );
      expect(names.join(','), JSON.stringify(body)).toContain(field);
      expect(response.body).not.toContain('short"');
    }
  });

  it('403 for every verb without the operator role; 401 without a token', async () => {
    await create(alice);
    const admin = await h.token('admin', ['acme']);
    const calls = [
      { method: 'POST', url: '/v1/users', body: { ...alice, username: 'mallory' } },
      { method: 'GET', url: '/v1/users' },
      { method: 'GET', url: '/v1/users/alice' },
      { method: 'PUT', url: '/v1/users/alice/password', body: { password: 'whatever-123' } },
      { method: 'DELETE', url: '/v1/users/alice' },
      { method: 'POST', url: '/v1/users/alice/access-codes' },
      { method: 'GET', url: '/v1/users/alice/access-codes' },
    ] as const;
    for (const call of calls) {
      expect((await h.request({ ...call, token: admin })).statusCode, call.url).toBe(403);
      expect((await h.request({ ...call, token: null })).statusCode, call.url).toBe(401);
    }
  });

  it('404 for an unknown user or access code; 400 for a malformed one', async () => {
    await create(alice);
    for (const [method, url] of [
      ['GET', '/v1/users/nobody'],
      ['DELETE', '/v1/users/nobody'],
      ['POST', '/v1/users/nobody/access-codes'],
      ['GET', '/v1/users/nobody/access-codes'],
      ['POST', '/v1/users/alice/access-codes/ac_00000000-0000-4000-8000-000000000000/revoke'],
    ] as const) {
      expect((await h.request({ method, url })).statusCode, url).toBe(404);
    }
    expect((await h.request({ method: 'GET', url: '/v1/users/bad%20name' })).statusCode).toBe(400);
    expect(
      (await h.request({ method: 'POST', url: '/v1/users/alice/access-codes/nope/revoke' }))
        .statusCode,
    ).toBe(400);
  });

  it('a malformed body is a 400 that does not quote the password', async () => {
    for (const [method, url] of [
      ['POST', '/v1/users'],
      ['PUT', '/v1/users/alice/password'],
    ] as const) {
      const response = await h.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${h.operator}`, 'content-type': 'application/json' },
        payload: 'hunter22-secret',
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.body).not.toContain('hunter22');
    }
  });

  it('records events without the password', async () => {
    await create(alice);
    await h.request({
      method: 'PUT',
      url: '/v1/users/alice/password',
      body: { password: 'rotated-pw-42' },
    });
    const events = await h.request({ method: 'GET', url: '/v1/events' });
    expect(events.body).toContain('user.created');
    expect(events.body).toContain('user.password-rotated');
    expect(events.body).not.toContain(alice.password);
    expect(events.body).not.toContain('rotated-pw-42');
    expect(events.body).not.toContain('scrypt$');
  });
});
