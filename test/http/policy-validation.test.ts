import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCertificate } from '../../src/domain/certificate.js';
import { systemPrincipal } from '../../src/domain/principal.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

/**
 * Policies where they matter: activation (overage, clock start, rate limits), validation (the
 * policy's verdict codes), issuing from a policy, renewal and borrowed leases. Runs on SQLite and
 * PostgreSQL (the overage boundary and rate limits are counted in the database).
 */

const DAY = 86_400_000;
let h: Harness;

beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  const created = await h.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'ctl',
      name: 'Controller',
      features: [{ id: 'base', name: 'Base' }],
      metrics: [{ id: 1, name: 'Nodes', unit: 'nodes' }],
    },
  });
  expect(created.statusCode, created.body).toBe(201);
});
afterEach(async () => {
  await h.close();
});

interface LicenseView {
  id: string;
  key: string;
  term: string;
  seatLimit: number | null;
  graceDays: number;
  expiresAt: string | null;
  features: string[];
}

async function policy(name: string, terms: Record<string, unknown>): Promise<string> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/policies',
    body: { product: 'ctl', name, ...terms },
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<{ id: string }>(response).id;
}

async function issue(body: Record<string, unknown>): Promise<LicenseView> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/licenses',
    body: { accountId: 'acme', ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<LicenseView>(response);
}

function activate(licenseId: string, instance: string) {
  return h.request({
    method: 'POST',
    url: `/v1/licenses/${licenseId}/activate`,
    body: { instance },
  });
}

async function validate(body: Record<string, unknown>) {
  const response = await h.request({ method: 'POST', url: '/v1/licenses/validate', body });
  expect(response.statusCode, response.body).toBe(200);
  return json<{ valid: boolean; code: string; detail: string; license: LicenseView }>(response);
}

async function events(
  type: string,
): Promise<{ resourceId: string; summary: { after?: unknown } | null }[]> {
  const response = await h.request({
    method: 'GET',
    url: `/v1/events?filter=${encodeURIComponent(`type eq '${type}'`)}`,
  });
  expect(response.statusCode, response.body).toBe(200);
  return json<{ items: { resourceId: string; summary: { after?: unknown } | null }[] }>(response)
    .items;
}

describe('overage', () => {
  it('10 seats at 1.25×: the 11th and 12th activations are OVERAGE, the 13th is refused', async () => {
    const pol = await policy('over', { seatLimit: 10, overage: '1.25X' });
    const license = await issue({ product: 'ctl', policy: pol });
    expect(license.seatLimit).toBe(10);
    const instances: string[] = [];
    for (let i = 0; i < 13; i++) instances.push(await h.instance('acme'));

    for (const [n, instance] of instances.entries()) {
      const response = await activate(license.id, instance);
      if (n < 10) {
        expect(response.statusCode, `activation ${String(n + 1)}`).toBe(201);
        expect(response.headers['entitle-code']).toBe('WITHIN');
      } else if (n < 12) {
        expect(response.statusCode, `activation ${String(n + 1)}`).toBe(201);
        expect(response.headers['entitle-code']).toBe('OVERAGE');
      } else {
        expect(response.statusCode, `activation ${String(n + 1)}`).toBe(409);
        expect(json(response)).toMatchObject({ type: '/problems/seat-limit-reached' });
        expect(json<{ detail: string }>(response).detail).toContain('12');
      }
    }

    const overage = await validate({ key: license.key, instance: instances[11] });
    expect(overage).toMatchObject({ valid: true, code: 'OVERAGE' });
    const within = await validate({ key: license.key, instance: instances[0] });
    expect(within).toMatchObject({ valid: true, code: 'OVERAGE' });
    const outsider = await validate({ key: license.key, instance: instances[12] });
    expect(outsider).toMatchObject({ valid: false, code: 'SEATS_EXHAUSTED' });

    const recorded = await events('usage.overage');
    expect(recorded).toHaveLength(2);
    expect(recorded.every((event) => event.resourceId === license.id)).toBe(true);

    const compliance = await h.request({ method: 'GET', url: '/v1/accounts/acme/compliance' });
    expect(compliance.statusCode, compliance.body).toBe(200);
    expect(json(compliance)).toMatchObject({
      overallComplianceStatus: 'WARNING',
      seatOverages: [{ licenseId: license.id, seatLimit: 10, seatsUsed: 12, level: 10 / 12 }],
    });
  });

  it('without a policy a license stops at its seat limit as before', async () => {
    const license = await issue({ product: 'ctl', seatLimit: 1 });
    const [a, b] = [await h.instance('acme'), await h.instance('acme')];
    expect((await activate(license.id, a)).statusCode).toBe(201);
    expect((await activate(license.id, b)).statusCode).toBe(409);
    expect(await validate({ key: license.key, instance: a })).toMatchObject({ code: 'VALID' });
  });
});

describe('issuing from a policy', () => {
  it('takes term, grace, seats, features and the expiry from the terms and overrides', async () => {
    const pol = await policy('sub', {
      term: 'SUBSCRIPTION',
      durationDays: 365,
      graceDays: 14,
      seatLimit: 5,
      features: ['base'],
    });
    const license = await issue({ policy: pol, policyOverrides: { seatLimit: 8 } });
    expect(license).toMatchObject({
      term: 'SUBSCRIPTION',
      graceDays: 14,
      seatLimit: 8,
      features: ['base'],
      expiresAt: new Date(Date.parse(T0) + 365 * DAY).toISOString(),
    });
    const bound = await h.request({ method: 'GET', url: `/v1/licenses/${license.id}/policy` });
    expect(json(bound)).toMatchObject({ policyId: pol, overrides: { seatLimit: 8 } });
  });

  it('names the field when the request fights the policy or names none that exists', async () => {
    const pol = await policy('p', { seatLimit: 5 });
    const cases: [Record<string, unknown>, string][] = [
      [{ policy: pol, seatLimit: 3 }, 'seatLimit'],
      [{ policy: pol, expiresAt: '2027-01-01T00:00:00Z' }, 'expiresAt'],
      [{ policy: 'pol_0000000000000000' }, 'policy'],
      [{ policy: pol, policyOverrides: { seatLimit: 'many' } }, 'policyOverrides'],
      [
        { policy: pol, policyOverrides: { nodeLocked: true, seatLimit: 4 } },
        'policyOverrides.seatLimit',
      ],
      [{ product: 'ctl', policyOverrides: { seatLimit: 2 } }, 'policyOverrides'],
    ];
    for (const [body, field] of cases) {
      const response = await h.request({
        method: 'POST',
        url: '/v1/licenses',
        body: { accountId: 'acme', ...body },
      });
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      const names = json<{ invalidFields: { name: string }[] }>(response).invalidFields.map(
        (issue) => issue.name,
      );
      expect(names.some((name) => name === field || name.startsWith(`${field}.`))).toBe(true);
    }
    const listed = await h.request({ method: 'GET', url: '/v1/licenses' });
    expect(json<{ items: unknown[] }>(listed).items).toHaveLength(0);
  });

  it('a policy change reaches its licenses at once', async () => {
    const pol = await policy('p', { seatLimit: 5, graceDays: 1 });
    const license = await issue({ policy: pol });
    const changed = await h.request({
      method: 'PATCH',
      url: `/v1/policies/${pol}`,
      body: { seatLimit: 7, graceDays: 3 },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const read = await h.request({ method: 'GET', url: `/v1/licenses/${license.id}` });
    expect(json(read)).toMatchObject({ seatLimit: 7, graceDays: 3 });
  });
});

describe('the clock', () => {
  it('starts on the first activation: no expiry until then, one term after it', async () => {
    const pol = await policy('p', {
      term: 'TRIAL',
      durationDays: 30,
      clockStarts: 'FIRST_ACTIVATION',
    });
    const license = await issue({ policy: pol });
    expect(license.expiresAt).toBeNull();
    h.clock.advance(10 * DAY);
    const response = await activate(license.id, await h.instance('acme'));
    expect(response.statusCode).toBe(201);
    const started = new Date(Date.parse(T0) + 10 * DAY);
    expect(json<LicenseView>(response).expiresAt).toBe(
      new Date(started.getTime() + 30 * DAY).toISOString(),
    );
    expect(await events('license.clock_started')).toHaveLength(1);
  });

  it('starts on the first validation, once', async () => {
    const pol = await policy('p', {
      term: 'TRIAL',
      durationDays: 14,
      clockStarts: 'FIRST_VALIDATION',
    });
    const license = await issue({ policy: pol });
    h.clock.advance(DAY);
    const first = await validate({ key: license.key });
    const expected = new Date(Date.parse(T0) + DAY + 14 * DAY).toISOString();
    expect(first).toMatchObject({ valid: true, code: 'VALID' });
    expect(first.license.expiresAt).toBe(expected);
    h.clock.advance(DAY);
    const second = await validate({ key: license.key });
    expect(second.license.expiresAt).toBe(expected);
    h.clock.advance(14 * DAY);
    expect(await validate({ key: license.key })).toMatchObject({ valid: false, code: 'EXPIRED' });
  });

  it('renews from the expiry or from now, as the policy says', async () => {
    const fromExpiry = await policy('a', { term: 'SUBSCRIPTION', durationDays: 30 });
    const fromNow = await policy('b', {
      term: 'SUBSCRIPTION',
      durationDays: 30,
      renewalBasis: 'FROM_NOW',
    });
    const a = await issue({ policy: fromExpiry });
    const b = await issue({ policy: fromNow });
    const bare = await issue({ product: 'ctl' });
    const token = await h.token('operator', '*', { ttlSeconds: 365 * 86_400 });
    h.clock.advance(40 * DAY);
    const renew = (id: string) =>
      h.request({ method: 'POST', url: `/v1/licenses/${id}/renew`, body: {}, token });
    const renewedA = await renew(a.id);
    expect(renewedA.statusCode, renewedA.body).toBe(200);
    expect(json<LicenseView>(renewedA).expiresAt).toBe(
      new Date(Date.parse(T0) + 60 * DAY).toISOString(),
    );
    const renewedB = await renew(b.id);
    expect(json<LicenseView>(renewedB).expiresAt).toBe(
      new Date(Date.parse(T0) + 70 * DAY).toISOString(),
    );
    expect((await renew(bare.id)).statusCode).toBe(409);
    const renewed = await h.request({
      method: 'GET',
      url: `/v1/events?filter=${encodeURIComponent("type eq 'license.renewed'")}`,
      token,
    });
    expect(json<{ items: unknown[] }>(renewed).items).toHaveLength(2);
  });
});

describe('expiration behaviours', () => {
  async function expiredUnder(behaviour: string): Promise<LicenseView> {
    const pol = await policy(behaviour, {
      term: 'SUBSCRIPTION',
      durationDays: 10,
      graceDays: 2,
      expirationBehaviour: behaviour,
    });
    const license = await issue({ policy: pol });
    h.clock.set(new Date(Date.parse(T0) + 11 * DAY));
    expect(await validate({ key: license.key })).toMatchObject({ valid: true, code: 'IN_GRACE' });
    h.clock.set(new Date(Date.parse(T0) + 13 * DAY));
    return license;
  }

  it('RESTRICT: invalid once grace is over', async () => {
    const license = await expiredUnder('RESTRICT');
    expect(await validate({ key: license.key })).toMatchObject({ valid: false, code: 'EXPIRED' });
  });

  it('MAINTAIN: valid for versions released before expiry, not for newer ones', async () => {
    const license = await expiredUnder('MAINTAIN');
    const expiry = Date.parse(T0) + 10 * DAY;
    expect(await validate({ key: license.key })).toMatchObject({
      valid: true,
      code: 'MAINTAINED',
    });
    expect(
      await validate({ key: license.key, releasedAt: new Date(expiry - DAY).toISOString() }),
    ).toMatchObject({ valid: true, code: 'MAINTAINED' });
    expect(
      await validate({ key: license.key, releasedAt: new Date(expiry + DAY).toISOString() }),
    ).toMatchObject({ valid: false, code: 'VERSION_NOT_COVERED' });
  });

  it('ALLOW: valid, flagged', async () => {
    const license = await expiredUnder('ALLOW');
    expect(await validate({ key: license.key })).toMatchObject({
      valid: true,
      code: 'EXPIRED_ALLOWED',
    });
  });
});

describe('scopes and fingerprints', () => {
  it('SCOPE_REQUIRED names what the request left out', async () => {
    const pol = await policy('p', { requiredScopes: ['product', 'fingerprint'] });
    const license = await issue({ policy: pol });
    const instance = await h.instance('acme', { fingerprint: 'mac:1' });
    expect((await activate(license.id, instance)).statusCode).toBe(201);
    const missing = await validate({ key: license.key, instance });
    expect(missing).toMatchObject({ valid: false, code: 'SCOPE_REQUIRED' });
    expect(missing.detail).toContain('product, fingerprint');
    expect(
      await validate({ key: license.key, instance, product: 'ctl', fingerprint: 'mac:1' }),
    ).toMatchObject({ valid: true, code: 'VALID' });
  });

  it('matches ANY, MOST or ALL of the fingerprint components', async () => {
    const registered = 'mac:1,disk:2,cpu:3';
    const outcomes: Record<string, Record<string, string>> = {
      ANY: { 'cpu:3': 'VALID', 'mac:9': 'FINGERPRINT_SCOPE_MISMATCH' },
      MOST: { 'mac:1,disk:2': 'VALID', 'mac:1': 'FINGERPRINT_SCOPE_MISMATCH' },
      ALL: { 'cpu:3,disk:2,mac:1': 'VALID', 'mac:1,disk:2': 'FINGERPRINT_SCOPE_MISMATCH' },
    };
    for (const [matching, cases] of Object.entries(outcomes)) {
      const pol = await policy(matching, { fingerprintMatching: matching });
      const license = await issue({ policy: pol });
      const instance = await h.instance('acme', { fingerprint: registered });
      expect((await activate(license.id, instance)).statusCode).toBe(201);
      for (const [fingerprint, code] of Object.entries(cases)) {
        const verdict = await validate({ key: license.key, instance, fingerprint });
        expect(verdict.code, `${matching} ${fingerprint}`).toBe(code);
      }
    }
  });
});

describe('floating licenses in validation', () => {
  it('valid while the lease lives; HEARTBEAT_DEAD, LEASE_EXPIRED, TOO_MANY_LEASES otherwise', async () => {
    const pol = await policy('float', {
      floating: true,
      seatLimit: 1,
      heartbeatSeconds: 60,
      leaseSeconds: 600,
    });
    const license = await issue({ policy: pol });
    const [a, b] = [await h.instance('acme'), await h.instance('acme')];
    expect(await validate({ key: license.key, instance: a })).toMatchObject({
      code: 'NOT_ACTIVATED',
    });
    const out = await h.request({
      method: 'POST',
      url: `/v1/licenses/${license.id}/leases`,
      body: { instance: a },
    });
    expect(out.statusCode, out.body).toBe(201);
    expect(await validate({ key: license.key, instance: a })).toMatchObject({ code: 'VALID' });
    expect(await validate({ key: license.key, instance: b })).toMatchObject({
      code: 'TOO_MANY_LEASES',
    });
    h.clock.advance(121_000);
    expect(await validate({ key: license.key, instance: a })).toMatchObject({
      valid: false,
      code: 'HEARTBEAT_DEAD',
    });
    expect(await validate({ key: license.key, instance: b })).toMatchObject({
      code: 'NOT_ACTIVATED',
    });
    h.clock.advance(600_000);
    expect(await validate({ key: license.key, instance: a })).toMatchObject({
      code: 'LEASE_EXPIRED',
    });
  });

  it('a borrowed lease carries a certificate that expires with the lease', async () => {
    const pol = await policy('float', { floating: true, seatLimit: 2, leaseSeconds: 3600 });
    const license = await issue({ policy: pol });
    const instance = await h.instance('acme', { fingerprint: 'fp-1' });
    const out = await h.request({
      method: 'POST',
      url: `/v1/licenses/${license.id}/leases`,
      body: { instance, borrow: true },
    });
    expect(out.statusCode, out.body).toBe(201);
    const body = json<{ certificate: string; lease: { id: string; expiresAt: string } }>(out);
    const published = await h.request({ method: 'GET', url: '/v1/keys', token: null });
    const keys = new Map<string, KeyObject>(
      json<{ keys: (JsonWebKey & { kid: string })[] }>(published).keys.map((jwk) => [
        jwk.kid,
        createPublicKey({ key: jwk, format: 'jwk' }),
      ]),
    );
    const verified = verifyCertificate(body.certificate, keys, h.clock.now());
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.claims.exp * 1000).toBe(Date.parse(body.lease.expiresAt));
    expect(verified.claims.instance?.id).toBe(instance);
    expect(verified.claims.lease).toEqual({ id: body.lease.id, expiresAt: body.lease.expiresAt });
    const later = new Date(Date.parse(body.lease.expiresAt) + 1000);
    expect(verifyCertificate(body.certificate, keys, later)).toMatchObject({
      ok: false,
      reason: 'EXPIRED',
    });
  });
});

describe('dead instances', () => {
  it('deactivates an activation whose instance stops beating, when the policy says so', async () => {
    const deactivating = await policy('dies', {
      seatLimit: 1,
      heartbeatSeconds: 60,
      leaseSeconds: 600,
      deadInstance: 'DEACTIVATE',
    });
    const keeping = await policy('keeps', {
      seatLimit: 1,
      heartbeatSeconds: 60,
      leaseSeconds: 600,
      deadInstance: 'KEEP',
    });
    const dies = await issue({ policy: deactivating });
    const keeps = await issue({ policy: keeping });
    // A license of the keeping policy whose own overrides say otherwise dies too.
    const overridden = await issue({ policy: keeping });
    const bound = await h.request({
      method: 'PUT',
      url: `/v1/licenses/${overridden.id}/policy`,
      body: { policy: keeping, overrides: { deadInstance: 'DEACTIVATE' } },
    });
    expect(bound.statusCode, bound.body).toBe(200);
    const [a, b] = [await h.instance('acme'), await h.instance('acme')];
    expect((await activate(dies.id, a)).statusCode).toBe(201);
    expect((await activate(keeps.id, a)).statusCode).toBe(201);
    expect((await activate(overridden.id, a)).statusCode).toBe(201);
    const instanceToken = await h.token('instance', ['acme'], { instance: a });
    const system = { principal: systemPrincipal, requestId: null, clock: h.clock };

    h.clock.advance(50_000);
    const beat = await h.request({
      method: 'POST',
      url: `/v1/instances/${a}/heartbeat`,
      token: instanceToken,
    });
    expect(beat.statusCode, beat.body).toBe(200);
    expect(json(beat)).toMatchObject({ lastSeenAt: h.clock.now().toISOString() });
    const other = await h.request({
      method: 'POST',
      url: `/v1/instances/${b}/heartbeat`,
      token: instanceToken,
    });
    expect(other.statusCode).toBe(403);

    h.clock.advance(100_000); // 100 s after the beat: within two intervals
    expect(await h.services.policies.deactivateDead(system)).toBe(0);
    h.clock.advance(21_000); // 121 s after the beat
    expect(await h.services.policies.deactivateDead(system)).toBe(2);
    expect(await validate({ key: overridden.key, instance: a })).toMatchObject({
      code: 'NOT_ACTIVATED',
    });

    expect(await validate({ key: dies.key, instance: a })).toMatchObject({ code: 'NOT_ACTIVATED' });
    expect(await validate({ key: keeps.key, instance: a })).toMatchObject({ code: 'VALID' });
    expect((await activate(dies.id, b)).statusCode).toBe(201);
    const deactivated = (await events('license.deactivated')).filter(
      (event) => event.resourceId === dies.id,
    );
    expect(deactivated).toHaveLength(1);
    expect(deactivated[0]?.summary?.after).toMatchObject({
      instanceId: a,
      reason: 'HEARTBEAT_DEAD',
    });
  });
});

describe('per-license rate limits', () => {
  it('refuses activations, deactivations and validations past the limit with 429 and Retry-After', async () => {
    const pol = await policy('tight', {
      rateLimits: { activationsPerHour: 2, deactivationsPerHour: 1, validationsPerMinute: 3 },
    });
    const license = await issue({ policy: pol });
    const [a, b, c] = [
      await h.instance('acme'),
      await h.instance('acme'),
      await h.instance('acme'),
    ];
    expect((await activate(license.id, a)).statusCode).toBe(201);
    expect((await activate(license.id, b)).statusCode).toBe(201);
    const third = await activate(license.id, c);
    expect(third.statusCode).toBe(429);
    expect(third.headers['content-type']).toContain('application/problem+json');
    expect(json(third)).toMatchObject({ type: '/problems/rate-limited', status: 429 });
    expect(Number(third.headers['retry-after'])).toBe(3600);

    const deactivate = (instance: string) =>
      h.request({
        method: 'POST',
        url: `/v1/licenses/${license.id}/deactivate`,
        body: { instance },
      });
    expect((await deactivate(a)).statusCode).toBe(200);
    const again = await deactivate(b);
    expect(again.statusCode).toBe(429);
    // Refused, so nothing changed: b still holds its seat.
    expect(await validate({ key: license.key, instance: b })).toMatchObject({ code: 'VALID' });
    expect(await validate({ key: license.key })).toMatchObject({ code: 'VALID' });
    expect(await validate({ key: license.key })).toMatchObject({ code: 'VALID' });
    const limited = await h.request({
      method: 'POST',
      url: '/v1/licenses/validate',
      body: { key: license.key },
    });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    h.clock.advance(3600_000);
    expect((await activate(license.id, c)).statusCode).toBe(201);
    expect(await validate({ key: license.key, instance: c })).toMatchObject({ code: 'VALID' });
  });

  it('takes one limit and keeps the defaults of the others', async () => {
    const pol = await policy('one', { rateLimits: { validationsPerMinute: 2 } });
    const read = await h.request({ method: 'GET', url: `/v1/policies/${pol}` });
    expect(json(read)).toMatchObject({
      rateLimits: { activationsPerHour: 120, deactivationsPerHour: 120, validationsPerMinute: 2 },
    });
    const changed = await h.request({
      method: 'PATCH',
      url: `/v1/policies/${pol}`,
      body: { rateLimits: { activationsPerHour: 5 } },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(json(changed)).toMatchObject({
      rateLimits: { activationsPerHour: 5, deactivationsPerHour: 120, validationsPerMinute: 2 },
    });
  });

  it('a policy that sets no limits has the defaults (120 activations an hour); a license without a policy has none', async () => {
    const pol = await policy('defaults', {});
    const bound = await issue({ policy: pol });
    const free = await issue({ product: 'ctl' });
    const instance = await h.instance('acme');
    const cycle = async (licenseId: string) => {
      const activated = await activate(licenseId, instance);
      const deactivated = await h.request({
        method: 'POST',
        url: `/v1/licenses/${licenseId}/deactivate`,
        body: { instance },
      });
      return [activated.statusCode, deactivated.statusCode];
    };
    for (let i = 0; i < 120; i++) {
      expect(await cycle(bound.id)).toEqual([201, 200]);
      expect(await cycle(free.id)).toEqual([201, 200]);
    }
    const refused = await activate(bound.id, instance);
    expect(refused.statusCode).toBe(429);
    expect(json(refused)).toMatchObject({ type: '/problems/rate-limited' });
    expect(await cycle(free.id)).toEqual([201, 200]);
  });
});
