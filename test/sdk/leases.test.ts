import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import {
  Entitle,
  EntitleError,
  lossOf,
  type FetchLike,
  type HeldLease,
  type HoldTimers,
  type LeaseLoss,
  type Policy,
  verifyCertificate,
} from '../../sdk/src/index.js';
import type { Harness } from '../helpers/harness.js';
import { listeningHarness, seed } from './listen.js';

/** The SDK's policy, license-policy and lease methods, and `leases.hold`, against a real server. */
let harness: Harness & { url: string };
let sdk: Entitle;
const noSleep = () => Promise.resolve();

beforeAll(async () => {
  harness = await listeningHarness();
  await seed(harness);
  sdk = new Entitle({ url: harness.url, token: harness.operator, sleep: noSleep });
});
afterAll(async () => {
  await harness.close();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(EntitleError);
      return error as EntitleError;
    },
  );

/** Timers the test fires by hand: no waiting on wall time. */
function manualTimers() {
  const pending = new Map<number, { run: () => void; ms: number }>();
  let next = 0;
  const timers: HoldTimers = {
    setTimeout(run, ms) {
      next++;
      pending.set(next, { run, ms });
      return next;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    pending,
    delays: () => [...pending.values()].map((t) => t.ms),
    /** Fires the one pending timer and waits for its heartbeat and the re-scheduling. */
    async fire(held: HeldLease): Promise<void> {
      const [entry] = [...pending];
      if (entry === undefined) throw new Error('no timer pending');
      pending.delete(entry[0]);
      entry[1].run();
      await held.beat();
      await new Promise((done) => setImmediate(done));
    },
  };
}

async function floatingLicense(name: string, terms: Partial<Policy> = {}): Promise<string> {
  const policy = await sdk.policies.create({
    product: 'cvo',
    name,
    floating: true,
    leaseSeconds: 600,
    ...terms,
  });
  const license = await sdk.licenses.create({ accountId: 'acme', product: 'cvo' });
  await sdk.licenses.policy.assign(license.id, { policy: policy.id });
  return license.id;
}

describe('SDK: policies', () => {
  it('create, get, list across pages, update with If-Match, delete (409 while in use)', async () => {
    const first = await sdk.policies.create({
      product: 'cvo',
      name: 'trial',
      term: 'TRIAL',
      durationDays: 30,
    });
    expect(first).toMatchObject({ name: 'trial', term: 'TRIAL', revision: 1, overage: 'NONE' });
    expect(first.id).toMatch(/^pol_[0-9a-f]{16}$/);
    const second = await sdk.policies.create({ product: 'cvo', name: 'site', seatLimit: 10 });
    expect((await sdk.policies.get(first.id)).durationDays).toBe(30);

    const names: string[] = [];
    for await (const policy of sdk.policies.list({ filter: "name ne 'x'", limit: 1 })) {
      names.push(policy.name);
    }
    expect(names).toEqual(expect.arrayContaining(['trial', 'site']));
    const page = await sdk.policies.page({ limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.metadata.continue).toBeTypeOf('string');

    const updated = await sdk.policies.update(
      second.id,
      { seatLimit: 20, overage: '1.5X' },
      { ifMatch: second.revision },
    );
    expect(updated).toMatchObject({ seatLimit: 20, overage: '1.5X', revision: 2 });
    const stale = await failure(
      sdk.policies.update(second.id, { seatLimit: 5 }, { ifMatch: second.revision }),
    );
    expect(stale.status).toBe(409);
    const broken = await failure(sdk.policies.update(second.id, { term: 'SUBSCRIPTION' }));
    expect(broken.status).toBe(400);
    expect(broken.invalidFields).toEqual(['durationDays']);

    const license = await sdk.licenses.create({ accountId: 'acme', product: 'cvo' });
    await sdk.licenses.policy.assign(license.id, { policy: second.id });
    expect((await failure(sdk.policies.delete(second.id))).problem.type).toBe('/problems/in-use');
    await sdk.licenses.policy.unassign(license.id);
    await sdk.policies.delete(second.id);
    expect((await failure(sdk.policies.get(second.id))).status).toBe(404);
  });

  it("a license's policy: assign with overrides, get the terms it lives by, unassign", async () => {
    const policy = await sdk.policies.create({ product: 'cvo', name: 'std', seatLimit: 5 });
    const license = await sdk.licenses.create({ accountId: 'acme', product: 'cvo' });
    const bound = await sdk.licenses.policy.assign(license.serialNumber, {
      policy: policy.id,
      overrides: { graceDays: 14 },
    });
    expect(bound).toMatchObject({
      licenseId: license.id,
      policyId: policy.id,
      overrides: { graceDays: 14 },
      terms: { seatLimit: 5, graceDays: 14 },
    });
    expect(await sdk.licenses.policy.get(license.id)).toEqual(bound);
    const bad = await failure(
      sdk.licenses.policy.assign(license.id, {
        policy: policy.id,
        overrides: { nodeLocked: true, floating: true },
      }),
    );
    expect(bad.invalidFields).toContain('overrides.floating');
    await sdk.licenses.policy.unassign(license.id);
    expect((await failure(sdk.licenses.policy.get(license.id))).status).toBe(404);
  });
});

describe('SDK: leases', () => {
  it('check out, renew, list, heartbeat, check in; a full license is seat-limit-reached', async () => {
    const license = await floatingLicense('two-seats', { seatLimit: 2, heartbeatSeconds: 60 });
    const [a, b, c] = await Promise.all([
      harness.instance('acme'),
      harness.instance('acme'),
      harness.instance('acme'),
    ]);
    const first = await sdk.leases.checkOut(license, { instance: a, ttlSeconds: 300 });
    expect(first).toMatchObject({ outcome: 'WITHIN', lease: { instanceId: a, alive: true } });
    expect(first.certificate).toBeUndefined();
    expect((await sdk.leases.checkOut(license, { instance: a })).outcome).toBe('RENEWED');
    await sdk.leases.checkOut(license, { instance: b });
    const full = await failure(sdk.leases.checkOut(license, { instance: c }));
    expect(full).toMatchObject({ status: 409 });
    expect(full.problem.type).toBe('/problems/seat-limit-reached');

    expect((await sdk.leases.list(license)).map((l) => l.instanceId).sort()).toEqual([a, b].sort());
    harness.clock.advance(30_000);
    const beat = await sdk.leases.heartbeat(license, first.lease.id);
    expect(beat.lastHeartbeatAt).toBe(harness.clock.now().toISOString());
    await sdk.leases.checkIn(license, first.lease.id);
    expect((await sdk.leases.list(license)).map((l) => l.instanceId)).toEqual([b]);

    // B stops beating: two intervals later its heartbeat is refused, and lossOf says why.
    harness.clock.advance(120_000);
    const dead = await failure(
      sdk.leases.heartbeat(license, (await sdk.leases.list(license))[0]?.id ?? ''),
    );
    expect(dead.status).toBe(409);
    expect(lossOf(dead)).toBe('HEARTBEAT_DEAD');
    expect((await sdk.leases.checkOut(license, { instance: c })).outcome).toBe('WITHIN');
  });
});

describe('SDK: borrowed leases', () => {
  it('check-out with borrow answers a certificate bound to the instance that ends with the lease', async () => {
    const license = await floatingLicense('borrow', { seatLimit: 1 });
    const instance = await harness.instance('acme');
    const borrowed = await sdk.leases.checkOut(license, {
      instance,
      ttlSeconds: 900,
      borrow: true,
    });
    expect(borrowed.certificate).toBeTypeOf('string');
    const keys = await sdk.keys();
    const verified = verifyCertificate(borrowed.certificate ?? '', keys, {
      now: harness.clock.now(),
      instance,
    });
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.claims.exp * 1000).toBe(Date.parse(borrowed.lease.expiresAt));
    expect(verified.claims).toMatchObject({
      lease: { id: borrowed.lease.id, expiresAt: borrowed.lease.expiresAt },
    });
    // Offline, after the lease has ended, the certificate no longer verifies.
    const after = Date.parse(borrowed.lease.expiresAt) + 61_000;
    expect(verifyCertificate(borrowed.certificate ?? '', keys, { now: after })).toEqual({
      ok: false,
      reason: 'EXPIRED',
    });
    const held = await sdk.leases.hold(license, {
      instance,
      borrow: true,
      timers: manualTimers().timers,
    });
    expect(held.outcome).toBe('RENEWED');
    expect(held.certificate).toBeTypeOf('string');
    await held.release();
  });
});

describe('SDK: leases.hold', () => {
  it('heartbeats every half heartbeatSeconds, and calls onLost once the lease is dead', async () => {
    const license = await floatingLicense('hold-dead', { seatLimit: 1, heartbeatSeconds: 40 });
    const instance = await harness.instance('acme');
    const clock = manualTimers();
    const lost: LeaseLoss[] = [];
    const held = await sdk.leases.hold(license, {
      instance,
      timers: clock.timers,
      onLost: (reason) => lost.push(reason),
    });
    expect(held).toMatchObject({ outcome: 'WITHIN', state: 'held', intervalSeconds: 20 });
    expect(clock.delays()).toEqual([20_000]);

    for (let i = 0; i < 3; i++) {
      harness.clock.advance(20_000);
      await clock.fire(held);
      expect(held.lease.lastHeartbeatAt).toBe(harness.clock.now().toISOString());
      expect(clock.delays()).toEqual([20_000]); // the next beat is scheduled
    }
    expect(lost).toEqual([]);

    // The program hangs (no beats) for two intervals: the next beat is refused for good.
    harness.clock.advance(80_000);
    await clock.fire(held);
    expect(lost).toEqual(['HEARTBEAT_DEAD']);
    expect(held.state).toBe('lost');
    expect(clock.pending.size).toBe(0); // no more beats
    expect(await held.beat()).toBeUndefined();
    await held.release(); // a lost lease has nothing to check in
  });

  it('release() stops the beats and checks in; an explicit interval wins', async () => {
    const license = await floatingLicense('hold-release', { seatLimit: 1, heartbeatSeconds: 60 });
    const instance = await harness.instance('acme');
    const clock = manualTimers();
    const held = await sdk.leases.hold(license, {
      instance,
      intervalSeconds: 5,
      timers: clock.timers,
    });
    expect(clock.delays()).toEqual([5000]);
    await held.release();
    expect(held.state).toBe('released');
    expect(clock.pending.size).toBe(0);
    expect(await sdk.leases.list(license)).toEqual([]);
    await held.release(); // twice is fine
  });

  it('without a heartbeat interval, beats every half lease', async () => {
    const license = await floatingLicense('hold-no-beat', { seatLimit: 1, leaseSeconds: 600 });
    const clock = manualTimers();
    const held = await sdk.leases.hold(license, {
      instance: await harness.instance('acme'),
      timers: clock.timers,
    });
    expect(held.intervalSeconds).toBe(300);
    await held.release();
  });

  it('retries a heartbeat that got no answer; reports one that failed every retry and carries on', async () => {
    const license = await floatingLicense('hold-network', { seatLimit: 1, heartbeatSeconds: 30 });
    let drop = 0;
    const heartbeats: string[] = [];
    const fetch: FetchLike = async (url, init) => {
      if (new URL(url).pathname.endsWith('/heartbeat')) {
        heartbeats.push(url);
        if (drop > 0) {
          drop--;
          throw new TypeError('fetch failed: socket hang up');
        }
      }
      return globalThis.fetch(url, init);
    };
    const client = new Entitle({
      url: harness.url,
      token: harness.operator,
      fetch,
      retries: 2,
      sleep: noSleep,
    });
    const clock = manualTimers();
    const errors: unknown[] = [];
    const lost: LeaseLoss[] = [];
    const held = await client.leases.hold(license, {
      instance: await harness.instance('acme'),
      timers: clock.timers,
      onError: (error) => errors.push(error),
      onLost: (reason) => lost.push(reason),
    });

    drop = 2; // two attempts lost, the third (last retry) answers
    harness.clock.advance(15_000);
    await clock.fire(held);
    expect(heartbeats).toHaveLength(3);
    expect(errors).toEqual([]);
    expect(held.lease.lastHeartbeatAt).toBe(harness.clock.now().toISOString());

    drop = 3; // every attempt lost: reported, still held, the next beat scheduled
    harness.clock.advance(15_000);
    await clock.fire(held);
    expect(heartbeats).toHaveLength(6);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ isNetworkError: true });
    expect(held.state).toBe('held');
    expect(clock.delays()).toEqual([15_000]);

    // One lost beat is within the slack: the next one keeps the lease.
    harness.clock.advance(15_000);
    await clock.fire(held);
    expect(lost).toEqual([]);
    expect(held.lease.alive).toBe(true);
    await held.release();
  });

  it('a lease reclaimed meanwhile is LEASE_GONE', async () => {
    const license = await floatingLicense('hold-gone', { seatLimit: 1, heartbeatSeconds: 10 });
    const clock = manualTimers();
    const lost: LeaseLoss[] = [];
    const held = await sdk.leases.hold(license, {
      instance: await harness.instance('acme'),
      timers: clock.timers,
      onLost: (reason) => lost.push(reason),
    });
    harness.clock.advance(21_000);
    const ctx = { principal: systemPrincipal, requestId: null, clock: harness.clock };
    expect(await harness.services.policies.reclaim(ctx)).toBeGreaterThanOrEqual(1);
    expect(await sdk.leases.list(license)).toEqual([]);
    await clock.fire(held);
    expect(lost).toEqual(['LEASE_GONE']);
    expect(held.state).toBe('lost');
  });

  it('a check-out that is refused throws, and holds nothing', async () => {
    const license = await floatingLicense('hold-full', { seatLimit: 1 });
    const clock = manualTimers();
    const first = await sdk.leases.hold(license, {
      instance: await harness.instance('acme'),
      timers: clock.timers,
    });
    const refused = await failure(
      sdk.leases.hold(license, { instance: await harness.instance('acme'), timers: clock.timers }),
    );
    expect(refused.problem.type).toBe('/problems/seat-limit-reached');
    expect(clock.pending.size).toBe(1); // the first hold's only
    await first.release();
  });
});

describe('SDK: rate-limited answers', () => {
  it('a 429 carries Retry-After as retryAfterSeconds, and does not lose a held lease', async () => {
    const limited: FetchLike = () =>
      Promise.resolve(
        new Response(
          JSON.stringify({
            type: '/problems/rate-limited',
            title: 'Too many requests',
            status: 429,
            detail: 'Slow down.',
          }),
          {
            status: 429,
            headers: { 'content-type': 'application/problem+json', 'retry-after': '17' },
          },
        ),
      );
    const client = new Entitle({ url: harness.url, fetch: limited, sleep: noSleep });
    const error = await failure(client.validate('any-key'));
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 17 });
    expect(error.problem.type).toBe('/problems/rate-limited');
    expect(lossOf(error)).toBeUndefined(); // the heartbeat is tried again next interval
    const plain = await failure(sdk.accounts.get('ghost'));
    expect(plain.retryAfterSeconds).toBeUndefined();
    expect(lossOf(plain)).toBe('LEASE_GONE');
  });
});
