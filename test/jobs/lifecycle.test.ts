import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import { complianceWatchJob } from '../../src/jobs/compliance-watch.js';
import { expiryRemindersJob } from '../../src/jobs/expiry-reminders.js';
import { allJobs } from '../../src/jobs/index.js';
import { licenseExpiryJob } from '../../src/jobs/license-expiry.js';
import { createScheduler, type JobLogger, type Scheduler } from '../../src/jobs/scheduler.js';
import { subscriptionExpiryJob } from '../../src/jobs/subscription-expiry.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

let h: Harness;
let service: string;
let operator: string;
/** The harness's requests as an operator whose token outlives the years these tests span. */
const request = (options: Parameters<Harness['request']>[0]) =>
  h.request({ token: operator, ...options });
const YEARS = 4 * 365 * 86_400;
beforeEach(async () => {
  h = await createHarness();
  operator = await h.token('operator', '*', { ttlSeconds: YEARS });
  await h.account('acme');
  await h.account('globex');
  const product = await h.request({
    method: 'POST',
    url: '/v1/products',
    body: {
      slug: 'cvo',
      name: 'Cloud Volumes ONTAP',
      features: [{ id: 'BACKUP', name: 'Backup' }],
      metrics: [
        { id: 1, name: 'Provisioned capacity', unit: 'TiB' },
        { id: 2, name: 'Apps', unit: 'apps' },
      ],
    },
  });
  expect(product.statusCode, product.body).toBe(201);
  service = await h.token('service', ['acme', 'globex'], { ttlSeconds: YEARS });
});
afterEach(async () => {
  await h.close();
});

const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const system = () => ({ principal: systemPrincipal, requestId: null, clock: h.clock });

const quiet: JobLogger = { debug: () => undefined, info: () => undefined, error: () => undefined };

function lifecycleScheduler(holder = 'test-process'): Scheduler {
  return createScheduler({
    services: h.services,
    clock: h.clock,
    log: quiet,
    holder,
    jobs: [
      licenseExpiryJob(h.services),
      subscriptionExpiryJob(h.services),
      expiryRemindersJob(h.services),
      complianceWatchJob(h.services),
    ],
  });
}

interface EventRow {
  type: string;
  actor: string;
  accountId: string | null;
  resourceType: string;
  resourceId: string;
  at: string;
  summary: { before?: unknown; after?: Record<string, unknown> } | null;
}

/** Events of some types, oldest first, read through the native API. */
async function events(...types: string[]): Promise<EventRow[]> {
  const filter = types.length === 1 ? `type eq '${types[0] ?? ''}'` : undefined;
  const query = filter === undefined ? '' : `&filter=${encodeURIComponent(filter)}`;
  const response = await request({
    method: 'GET',
    url: `/v1/events?orderBy=${encodeURIComponent('id asc')}&limit=1000${query}`,
  });
  expect(response.statusCode, response.body).toBe(200);
  const rows = json<{ items: EventRow[] }>(response).items;
  return rows.filter((row) => types.length === 0 || types.includes(row.type));
}

const LIFECYCLE_TYPES = [
  'license.expiring',
  'license.expired',
  'license.grace_ended',
  'subscription.expiring',
  'subscription.expired',
  'subscription.grace_ended',
  'charge.created',
  'usage.overage',
  'compliance.changed',
];
const lifecycleEvents = () => events(...LIFECYCLE_TYPES);
const licenseEvents = () => events('license.expiring', 'license.expired', 'license.grace_ended');
const subscriptionEvents = () =>
  events(
    'subscription.expiring',
    'subscription.expired',
    'subscription.grace_ended',
    'charge.created',
  );

async function issue(body: Record<string, unknown>): Promise<{ id: string }> {
  const response = await request({
    method: 'POST',
    url: '/v1/licenses',
    body: { product: 'cvo', ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<{ id: string }>(response);
}

async function usage(records: Record<string, unknown>[]): Promise<void> {
  const response = await request({
    method: 'POST',
    url: '/v1/usage',
    token: service,
    body: { records },
  });
  expect(response.statusCode, response.body).toBe(200);
  expect(json(response).rejected).toEqual([]);
}

/** Moves the clock to `ms` after T0 and ticks. */
async function tickAt(scheduler: Scheduler, ms: number) {
  h.clock.set(at(ms));
  return scheduler.tick();
}

describe('license expiry, grace and reminders', () => {
  it('records expiring, expired and grace_ended once each, at their moments', async () => {
    const license = await issue({ accountId: 'acme', expiresAt: at(40 * DAY), graceDays: 7 });
    const scheduler = lifecycleScheduler();

    await tickAt(scheduler, 0);
    await tickAt(scheduler, 10 * DAY - 20 * MINUTE);
    expect(await licenseEvents()).toEqual([]);

    // The reminder window (30 days) opens at expiresAt - 30 days exactly.
    await tickAt(scheduler, 10 * DAY);
    await tickAt(scheduler, 10 * DAY + 15 * MINUTE);
    await tickAt(scheduler, 39 * DAY);
    const reminded = await licenseEvents();
    expect(reminded).toEqual([
      {
        id: expect.any(Number) as unknown,
        type: 'license.expiring',
        actor: 'system',
        actorRole: 'operator',
        accountId: 'acme',
        resourceType: 'license',
        resourceId: license.id,
        at: at(10 * DAY),
        requestId: null,
        summary: {
          after: {
            productId: 1,
            term: 'PERPETUAL',
            expiresAt: at(40 * DAY),
            graceDays: 7,
            reminderDays: 30,
          },
        },
      },
    ]);

    await tickAt(scheduler, 40 * DAY);
    await tickAt(scheduler, 45 * DAY);
    expect((await events('license.expired')).map((e) => [e.at, e.summary?.after])).toEqual([
      [
        at(40 * DAY),
        {
          productId: 1,
          term: 'PERPETUAL',
          expiresAt: at(40 * DAY),
          graceDays: 7,
          graceEndsAt: at(47 * DAY),
        },
      ],
    ]);
    expect(await events('license.grace_ended')).toEqual([]);

    await tickAt(scheduler, 47 * DAY - 10 * MINUTE);
    expect(await events('license.grace_ended')).toEqual([]);
    await tickAt(scheduler, 47 * DAY);
    await tickAt(scheduler, 60 * DAY);
    await tickAt(scheduler, 400 * DAY);
    expect((await licenseEvents()).map((e) => [e.type, e.at])).toEqual([
      ['license.expiring', at(10 * DAY)],
      ['license.expired', at(40 * DAY)],
      ['license.grace_ended', at(47 * DAY)],
    ]);
  });

  it('records expired and grace_ended together for a license without grace', async () => {
    const license = await issue({ accountId: 'acme', expiresAt: at(DAY) });
    const scheduler = lifecycleScheduler();
    await tickAt(scheduler, 2 * DAY);
    const recorded = await licenseEvents();
    // First seen after its expiry: no reminder any more, both ends at once.
    expect(recorded.map((e) => [e.type, e.resourceId, e.at])).toEqual([
      ['license.expired', license.id, at(2 * DAY)],
      ['license.grace_ended', license.id, at(2 * DAY)],
    ]);
  });

  it('reminds again, and expires again, when the expiry is extended', async () => {
    const license = await issue({ accountId: 'acme', expiresAt: at(5 * DAY) });
    const scheduler = lifecycleScheduler();
    await tickAt(scheduler, 0);
    await tickAt(scheduler, 6 * DAY);
    const patched = await request({
      method: 'PATCH',
      url: `/v1/licenses/${license.id}`,
      body: { expiresAt: at(100 * DAY) },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    await tickAt(scheduler, 6 * DAY + 15 * MINUTE);
    await tickAt(scheduler, 70 * DAY);
    await tickAt(scheduler, 71 * DAY);
    await tickAt(scheduler, 100 * DAY);
    expect((await licenseEvents()).map((e) => [e.type, e.summary?.after?.expiresAt])).toEqual([
      ['license.expiring', at(5 * DAY)],
      ['license.expired', at(5 * DAY)],
      ['license.grace_ended', at(5 * DAY)],
      ['license.expiring', at(100 * DAY)],
      ['license.expired', at(100 * DAY)],
      ['license.grace_ended', at(100 * DAY)],
    ]);
  });

  it("reminds on the account's own window (settings.reminderDays)", async () => {
    const bad = await request({
      method: 'PATCH',
      url: '/v1/accounts/acme',
      body: { settings: { reminderDays: 0 } },
    });
    expect(bad.statusCode).toBe(400);
    for (const [account, days] of [
      ['acme', 60],
      ['globex', 7],
    ] as const) {
      const patched = await request({
        method: 'PATCH',
        url: `/v1/accounts/${account}`,
        body: { settings: { reminderDays: days } },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(json<{ settings: { reminderDays: number } }>(patched).settings.reminderDays).toBe(
        days,
      );
    }
    const early = await issue({ accountId: 'acme', expiresAt: at(100 * DAY) });
    const late = await issue({ accountId: 'globex', expiresAt: at(100 * DAY) });
    const scheduler = lifecycleScheduler();
    await tickAt(scheduler, 40 * DAY - 20 * MINUTE);
    expect(await events('license.expiring')).toEqual([]);
    await tickAt(scheduler, 40 * DAY);
    await tickAt(scheduler, 70 * DAY);
    await tickAt(scheduler, 93 * DAY - 20 * MINUTE);
    expect((await events('license.expiring')).map((e) => [e.resourceId, e.at])).toEqual([
      [early.id, at(40 * DAY)],
    ]);
    await tickAt(scheduler, 93 * DAY);
    await tickAt(scheduler, 94 * DAY);
    expect(
      (await events('license.expiring')).map((e) => [
        e.resourceId,
        e.at,
        e.summary?.after?.reminderDays,
      ]),
    ).toEqual([
      [early.id, at(40 * DAY), 60],
      [late.id, at(93 * DAY), 7],
    ]);
  });

  it('records nothing for perpetual, revoked or suspended licenses', async () => {
    await issue({ accountId: 'acme' });
    const revoked = await issue({ accountId: 'acme', expiresAt: at(3 * DAY) });
    const suspended = await issue({ accountId: 'acme', expiresAt: at(3 * DAY) });
    expect(
      (await request({ method: 'POST', url: `/v1/licenses/${revoked.id}/revoke` })).statusCode,
    ).toBe(200);
    expect(
      (
        await request({
          method: 'PATCH',
          url: `/v1/licenses/${suspended.id}`,
          body: { state: 'suspended' },
        })
      ).statusCode,
    ).toBe(200);
    const scheduler = lifecycleScheduler();
    await tickAt(scheduler, DAY);
    await tickAt(scheduler, 10 * DAY);
    expect((await lifecycleEvents()).filter((e) => e.resourceType === 'license')).toEqual([]);
  });

  it('never records twice: repeated passes, two schedulers, concurrent service calls', async () => {
    const licenses = [];
    for (let i = 0; i < 7; i++) {
      licenses.push(await issue({ accountId: 'acme', expiresAt: at((i + 1) * DAY) }));
    }
    // Small batches, so the keyset paging is exercised too.
    const { lifecycleService } = await import('../../src/services/lifecycle.js');
    const { complianceService } = await import('../../src/services/compliance.js');
    const small = lifecycleService(
      h.store,
      {
        compliance: complianceService(h.store),
        subscriptions: h.services.subscriptions,
      },
      2,
    );
    const first = lifecycleScheduler('process-a');
    const second = lifecycleScheduler('process-b');
    const race = () =>
      Promise.all([
        first.tick(),
        second.tick(),
        small.reminders(system()),
        small.licenseExpiry(system()),
        small.licenseExpiry(system()),
        h.services.lifecycle.reminders(system()),
        h.services.lifecycle.licenseExpiry(system()),
      ]);
    // Issued within their reminder window: every one is reminded once.
    await race();
    await race();
    h.clock.set(at(30 * DAY));
    await race();
    h.clock.advance(15 * MINUTE);
    await race();
    const ids = licenses.map((l) => l.id).sort();
    for (const type of ['license.expiring', 'license.expired', 'license.grace_ended']) {
      expect((await events(type)).map((e) => e.resourceId).sort()).toEqual(ids);
    }
  });

  it('reads expiries written with an offset or without milliseconds, once', async () => {
    const offset = await issue({ accountId: 'acme', expiresAt: '2026-11-25T13:00:00+01:00' });
    const plain = await issue({ accountId: 'acme', expiresAt: '2026-11-25T12:00:00Z' });
    const scheduler = lifecycleScheduler();
    await tickAt(scheduler, 2 * DAY - 10 * MINUTE);
    expect(await events('license.expired')).toEqual([]);
    for (const ms of [2 * DAY, 2 * DAY + 5 * MINUTE, 3 * DAY, 4 * DAY]) await tickAt(scheduler, ms);
    const expired = await events('license.expired');
    expect(expired).toHaveLength(2);
    expect(expired.map((e) => [e.resourceId, e.at, e.summary?.after?.expiresAt])).toEqual(
      expect.arrayContaining([
        [offset.id, at(2 * DAY), at(2 * DAY)],
        [plain.id, at(2 * DAY), at(2 * DAY)],
      ]),
    );
  });

  it('is part of every server and worker', () => {
    expect(allJobs(h.services).map((job) => job.name)).toEqual(
      expect.arrayContaining([
        'licenses.expiry',
        'subscriptions.expiry',
        'lifecycle.reminders',
        'compliance.watch',
      ]),
    );
  });
});

describe('subscription expiry, grace, reminders and the charge of the expired period', () => {
  async function subscribe(body: Record<string, unknown>): Promise<{ id: string }> {
    const response = await request({
      method: 'POST',
      url: '/v1/subscriptions',
      body: {
        type: 'application/astra-subscription',
        version: '1.2',
        accounts: ['acme'],
        ...body,
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    return json<{ id: string }>(response);
  }

  it('records a trial: reminder, expiry with a zero charge, end of grace — once each', async () => {
    // Trial defaults: 90-day period, 7 days of grace, reminder 30 days before.
    const trial = await subscribe({ terms: 'trial', productId: 1, costPerAppUnit: 2 });
    const scheduler = lifecycleScheduler();
    for (const day of [0, 59, 60, 61, 89, 90, 91, 96, 97, 98, 200])
      await tickAt(scheduler, day * DAY);
    const recorded = await subscriptionEvents();
    expect(recorded.map((e) => [e.type, e.at])).toEqual([
      ['subscription.expiring', at(60 * DAY)],
      ['charge.created', at(90 * DAY)],
      ['subscription.expired', at(90 * DAY)],
      ['subscription.grace_ended', at(97 * DAY)],
    ]);
    const expired = recorded[2];
    expect(expired).toMatchObject({
      accountId: 'acme',
      resourceType: 'subscription',
      resourceId: trial.id,
      summary: {
        after: {
          terms: 'trial',
          expiresAt: at(90 * DAY),
          gracePeriod: 7,
          graceEndsAt: at(97 * DAY),
          periodStart: at(90 * DAY),
        },
      },
    });
    expect(recorded[1]?.summary?.after).toMatchObject({
      subscriptionId: trial.id,
      amountMicros: 0,
      periodStart: T0,
      periodEnd: at(90 * DAY),
      status: 'pending',
    });
  });

  it('charges the period its expiry closes, so that a later cancel charges only what follows', async () => {
    const paid = await subscribe({
      terms: 'paid',
      productId: 1,
      costPerAppUnit: 1.5,
      expiresAt: at(30 * DAY),
      gracePeriod: 10,
      reminderBeforePeriod: 5,
    });
    h.clock.set(at(3 * DAY));
    await usage([
      {
        id: 'a-1',
        account: 'acme',
        product: 'cvo',
        metric: 2,
        kind: 'delta',
        value: 3,
        at: at(DAY),
      },
      {
        id: 'a-2',
        account: 'acme',
        product: 'cvo',
        metric: 2,
        kind: 'delta',
        value: 1,
        at: at(2 * DAY),
      },
    ]);
    const scheduler = lifecycleScheduler();
    await tickAt(scheduler, 24 * DAY);
    expect(await events('subscription.expiring')).toEqual([]);
    await tickAt(scheduler, 25 * DAY);
    expect(await events('subscription.expiring')).toHaveLength(1);
    await tickAt(scheduler, 30 * DAY);
    await tickAt(scheduler, 30 * DAY + 5 * MINUTE);

    const charges = async () => {
      const response = await request({
        method: 'GET',
        url: `/v1/subscriptions/${paid.id}/charges`,
      });
      expect(response.statusCode, response.body).toBe(200);
      return json<{ items: { amountMicros: number; periodStart: string; periodEnd: string }[] }>(
        response,
      ).items;
    };
    expect(await charges()).toMatchObject([
      { amountMicros: 6_000_000, periodStart: T0, periodEnd: at(30 * DAY) },
    ]);
    const read = await request({ method: 'GET', url: `/v1/subscriptions/${paid.id}` });
    expect(json(read)).toMatchObject({ status: 'active', periodStart: at(30 * DAY), revision: 2 });

    // Usage in grace, then a cancel: charged from the expiry on, never the first period again.
    h.clock.set(at(32 * DAY));
    await usage([
      {
        id: 'a-3',
        account: 'acme',
        product: 'cvo',
        metric: 2,
        kind: 'delta',
        value: 2,
        at: at(31 * DAY),
      },
    ]);
    h.clock.set(at(33 * DAY));
    const cancelled = await request({
      method: 'POST',
      url: `/v1/subscriptions/${paid.id}/cancel`,
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect((await charges()).map((c) => [c.amountMicros, c.periodStart, c.periodEnd])).toEqual(
      expect.arrayContaining([
        [6_000_000, T0, at(30 * DAY)],
        [3_000_000, at(30 * DAY), at(33 * DAY)],
      ]),
    );
    // Cancelled: its grace end is no longer the lifecycle's business.
    await tickAt(scheduler, 60 * DAY);
    expect(await events('subscription.grace_ended')).toEqual([]);
    expect(await events('subscription.expired')).toHaveLength(1);
  });

  it('charges each period once when a renewal moves the expiry', async () => {
    const paid = await subscribe({ terms: 'paid', productId: 1, expiresAt: at(10 * DAY) });
    const scheduler = lifecycleScheduler();
    await tickAt(scheduler, 0);
    await tickAt(scheduler, 10 * DAY);
    const renewed = await request({
      method: 'PUT',
      url: `/v1/subscriptions/${paid.id}`,
      body: { type: 'application/astra-subscription', version: '1.2', expiresAt: at(40 * DAY) },
    });
    expect(renewed.statusCode, renewed.body).toBe(200);
    for (const day of [11, 20, 40, 41, 80]) await tickAt(scheduler, day * DAY);
    const recorded = await subscriptionEvents();
    expect(
      recorded.map((e) => [
        e.type,
        e.summary?.after?.expiresAt ?? null,
        e.summary?.after?.periodStart ?? null,
        e.summary?.after?.periodEnd ?? null,
      ]),
    ).toEqual([
      // reminderBeforePeriod -1 of a paid subscription: the default 30 days.
      ['subscription.expiring', at(10 * DAY), null, null],
      ['charge.created', null, T0, at(10 * DAY)],
      ['subscription.expired', at(10 * DAY), at(10 * DAY), null],
      ['subscription.expiring', at(40 * DAY), null, null],
      ['charge.created', null, at(10 * DAY), at(40 * DAY)],
      ['subscription.expired', at(40 * DAY), at(40 * DAY), null],
    ]);
  });

  it('rolls a failed expiry back whole, and does it on the next pass', async () => {
    const paid = await subscribe({ terms: 'paid', productId: 1, expiresAt: at(DAY) });
    const { lifecycleService } = await import('../../src/services/lifecycle.js');
    const { complianceService } = await import('../../src/services/compliance.js');
    let crashes = 1;
    const crashing = lifecycleService(h.store, {
      compliance: complianceService(h.store),
      subscriptions: {
        chargePeriod: (tx, ctx, subscription, end) => {
          if (crashes-- > 0) return Promise.reject(new Error('billing store unavailable'));
          return h.services.subscriptions.chargePeriod(tx, ctx, subscription, end);
        },
      },
    });
    h.clock.set(at(2 * DAY));
    await expect(crashing.subscriptionExpiry(system())).rejects.toThrow(
      'billing store unavailable',
    );
    expect(await subscriptionEvents()).toEqual([]);
    expect(await crashing.subscriptionExpiry(system())).toEqual({
      expired: 1,
      graceEnded: 0,
      charged: 1,
    });
    expect(await crashing.subscriptionExpiry(system())).toEqual({
      expired: 0,
      graceEnded: 0,
      charged: 0,
    });
    expect((await subscriptionEvents()).map((e) => [e.type, e.accountId])).toEqual([
      ['charge.created', 'acme'],
      ['subscription.expired', 'acme'],
    ]);
    expect((await events('subscription.expired'))[0]?.resourceId).toBe(paid.id);
  });

  it('never ends an unlimited grace, and skips cancelled subscriptions', async () => {
    await subscribe({ terms: 'paid', expiresAt: at(3 * DAY), gracePeriod: -1 });
    const cancelled = await subscribe({ terms: 'paid', expiresAt: at(3 * DAY) });
    await request({ method: 'POST', url: `/v1/subscriptions/${cancelled.id}/cancel` });
    const scheduler = lifecycleScheduler();
    for (const day of [1, 3, 4, 1000]) await tickAt(scheduler, day * DAY);
    expect(
      (await lifecycleEvents()).filter((e) => e.resourceType === 'subscription').map((e) => e.type),
    ).toEqual(['subscription.expiring', 'subscription.expired']);
  });
});

describe('usage overage and compliance changes', () => {
  it('records an overage once per metric and month, and compliance.changed only on a change', async () => {
    await issue({ accountId: 'acme', metricId: 1, quantity: 5 });
    await issue({ accountId: 'globex', metricId: 1, quantity: 5 });
    const scheduler = lifecycleScheduler();

    // Compliant accounts: first observations of VALID record nothing.
    await tickAt(scheduler, 0);
    expect(await lifecycleEvents()).toEqual([]);

    h.clock.set(at(DAY));
    await usage([
      {
        id: 'g-1',
        account: 'acme',
        product: 'cvo',
        metric: 1,
        kind: 'gauge',
        value: 8,
        at: at(DAY),
      },
    ]);
    await tickAt(scheduler, DAY + MINUTE);
    await tickAt(scheduler, DAY + 20 * MINUTE);
    await tickAt(scheduler, 2 * DAY);
    expect(await lifecycleEvents()).toMatchObject([
      {
        type: 'usage.overage',
        accountId: 'acme',
        resourceType: 'usage',
        resourceId: 'acme',
        summary: {
          after: {
            productId: 1,
            metric: 1,
            entitled: 5,
            consumed: 8,
            unit: 'TiB',
            period: '2026-11',
          },
        },
      },
      {
        type: 'compliance.changed',
        accountId: 'acme',
        resourceType: 'compliance',
        resourceId: 'acme',
        summary: { before: { level: 'VALID' }, after: { level: 'NON_COMPLIANT' } },
      },
    ]);

    // Still over in December: a new month, a new overage; the level did not change.
    await tickAt(scheduler, 9 * DAY);
    expect(
      (await lifecycleEvents()).map((e) => [e.type, e.summary?.after?.period ?? null]),
    ).toEqual([
      ['usage.overage', '2026-11'],
      ['compliance.changed', null],
      ['usage.overage', '2026-12'],
    ]);

    // More licensed: compliant again — a change back, and no overage.
    await issue({ accountId: 'acme', metricId: 1, quantity: 10 });
    await tickAt(scheduler, 10 * DAY);
    await tickAt(scheduler, 11 * DAY);
    const changes = await events('compliance.changed');
    expect(changes.map((e) => e.summary)).toEqual([
      { before: { level: 'VALID' }, after: { level: 'NON_COMPLIANT' } },
      { before: { level: 'NON_COMPLIANT' }, after: { level: 'VALID' } },
    ]);
    expect(await events('usage.overage')).toHaveLength(2);
  });

  it('records a first observation that is not VALID, once, even from two processes', async () => {
    await usage([
      { id: 'g-1', account: 'globex', product: 'cvo', metric: 1, kind: 'gauge', value: 2, at: T0 },
    ]);
    h.clock.set(at(MINUTE));
    await Promise.all([
      lifecycleScheduler('a').tick(),
      lifecycleScheduler('b').tick(),
      h.services.lifecycle.watchCompliance(system()),
      h.services.lifecycle.watchCompliance(system()),
    ]);
    const recorded = await lifecycleEvents();
    expect(recorded.map((e) => [e.type, e.accountId, e.summary])).toEqual([
      [
        'usage.overage',
        'globex',
        {
          after: {
            productId: 1,
            metric: 1,
            entitled: 0,
            consumed: 2,
            unit: 'TiB',
            period: '2026-11',
          },
        },
      ],
      [
        'compliance.changed',
        'globex',
        { before: { level: null }, after: { level: 'NON_COMPLIANT' } },
      ],
    ]);
  });
});
