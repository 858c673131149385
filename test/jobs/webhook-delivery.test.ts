import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import {
  verifyWebhook,
  webhookMessageId,
  type WebhookDelivery,
  type WebhookDeliveryDetail,
  type WebhookEndpoint,
  type WebhookEndpointWithSecret,
  type WebhookPayload,
} from '../../src/domain/webhook.js';
import { allJobs } from '../../src/jobs/index.js';
import { createScheduler, type JobLogger, type Scheduler } from '../../src/jobs/scheduler.js';
import {
  webhookDeliveryJob,
  type WebhookDeliveryOptions,
} from '../../src/jobs/webhook-delivery.js';
import { recordChange } from '../../src/services/audit.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

const quiet: JobLogger = { debug: () => undefined, info: () => undefined, error: () => undefined };

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

interface ReceiverOptions {
  /** Answer 500 to this many requests first, then 204. */
  failTimes?: number;
  /** Never answer. */
  hang?: boolean;
  /** Hold requests until this many are in flight (or `expected` have all come), then answer all. */
  holdUntil?: number;
  expected?: number;
}

/** A real HTTP server on 127.0.0.1 that records what it gets and answers as told. */
async function receiver(options: ReceiverOptions = {}) {
  const requests: Received[] = [];
  const held: ServerResponse[] = [];
  let failuresLeft = options.failTimes ?? 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const answer = (res: ServerResponse) => {
    if (failuresLeft > 0) {
      failuresLeft--;
      res.writeHead(500, { 'content-type': 'text/plain' }).end('down for maintenance');
    } else {
      res.writeHead(204).end();
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (options.hang === true) return;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('finish', () => inFlight--);
      if (options.holdUntil === undefined) {
        answer(res);
        return;
      }
      held.push(res);
      const remaining = (options.expected ?? Infinity) - (requests.length - held.length);
      if (held.length >= Math.min(options.holdUntil, remaining)) {
        for (const waiting of held.splice(0)) answer(waiting);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/hooks`,
    requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
type Receiver = Awaited<ReturnType<typeof receiver>>;

let h: Harness;
let receivers: Receiver[];
beforeEach(async () => {
  h = await createHarness();
  await h.account('acme');
  await h.account('globex');
  receivers = [];
});
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await h.close();
});

async function listening(options: ReceiverOptions = {}): Promise<Receiver> {
  const r = await receiver(options);
  receivers.push(r);
  return r;
}

async function endpoint(
  url: string,
  body: Record<string, unknown> = {},
): Promise<WebhookEndpointWithSecret> {
  const response = await h.request({
    method: 'POST',
    url: '/v1/webhooks',
    body: { accountId: 'acme', url, eventTypes: ['*'], ...body },
  });
  if (response.statusCode !== 201) throw new Error(`webhook: ${response.body}`);
  return json<WebhookEndpointWithSecret>(response);
}

/** The worker, with no jitter (random 0.5), on the harness's fixed clock. */
function worker(options: WebhookDeliveryOptions = {}, holder?: string): Scheduler {
  return createScheduler({
    services: h.services,
    clock: h.clock,
    log: quiet,
    jobs: [webhookDeliveryJob(h.services, { random: () => 0.5, ...options })],
    ...(holder === undefined ? {} : { holder }),
  });
}

/** One pass, a second after the previous one (a pass is due every second). */
async function pass(scheduler: Scheduler, advanceMs = SECOND) {
  h.clock.advance(advanceMs);
  const [outcome] = await scheduler.tick();
  return outcome;
}

async function ping(id: string): Promise<WebhookDelivery> {
  const response = await h.request({ method: 'POST', url: `/v1/webhooks/${id}/test` });
  if (response.statusCode !== 202) throw new Error(`ping: ${response.body}`);
  return json<WebhookDelivery>(response);
}

async function deliveryDetail(id: string, deliveryId: number): Promise<WebhookDeliveryDetail> {
  return json<WebhookDeliveryDetail>(
    await h.request({
      method: 'GET',
      url: `/v1/webhooks/${id}/deliveries/${String(deliveryId)}`,
    }),
  );
}

async function ok(
  method: 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await h.request({ method, url, body });
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.body}`);
  return response.body === '' ? {} : json(response);
}

const SUBSCRIPTION = {
  type: 'application/astra-subscription',
  version: '1.2',
  terms: 'paid',
  accounts: ['acme'],
};

describe('webhook delivery', () => {
  it('delivers every event type the API emits, signed and verifiable', async () => {
    const r = await listening();
    const hook = await endpoint(r.url);
    const other = await listening();
    await endpoint(other.url, { accountId: 'globex' });

    // Licenses: created, activated, deactivated, revoked.
    await ok('POST', '/v1/products', { slug: 'cvo', name: 'Cloud Volumes ONTAP' });
    const license = await ok('POST', '/v1/licenses', { accountId: 'acme', product: 'cvo' });
    const licenseId = String(license.id);
    const instance = await h.instance('acme');
    await ok('POST', `/v1/licenses/${licenseId}/activate`, { instance });
    await ok('POST', `/v1/licenses/${licenseId}/deactivate`, { instance });
    await ok('POST', `/v1/licenses/${licenseId}/revoke`);
    // Subscriptions: created, updated (PUT), cancelled (+ charge.created), deleted (+ charge.voided).
    const subscription = await ok('POST', '/v1/subscriptions', SUBSCRIPTION);
    const subscriptionId = String(subscription.id);
    await ok('PUT', `/v1/subscriptions/${subscriptionId}`, { ...SUBSCRIPTION, appLimit: 5 });
    await ok('POST', `/v1/subscriptions/${subscriptionId}/cancel`);
    await ok('DELETE', `/v1/subscriptions/${subscriptionId}`);
    // The scheduled jobs' events go through recordChange like every other.
    const system = { principal: systemPrincipal, requestId: null, clock: h.clock };
    await h.store.transaction('test.job-events', async (tx) => {
      for (const [type, resourceType, resourceId] of [
        ['license.expiring', 'license', licenseId],
        ['license.expired', 'license', licenseId],
        ['subscription.expiring', 'subscription', subscriptionId],
        ['subscription.expired', 'subscription', subscriptionId],
        ['usage.overage', 'account', 'acme'],
        ['compliance.changed', 'account', 'acme'],
      ] as const) {
        await recordChange(tx, system, { type, accountId: 'acme', resourceType, resourceId });
      }
    });

    const scheduler = worker();
    expect(await pass(scheduler)).toMatchObject({ outcome: 'ok', summary: { failed: 0 } });

    const now = h.clock.now();
    const received = r.requests.map((request) => {
      expect(verifyWebhook(hook.secret, request.headers, request.body, now)).toMatchObject({
        ok: true,
      });
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['user-agent']).toBe('Entitle-Webhooks/1');
      const payload = JSON.parse(request.body) as WebhookPayload;
      expect(request.headers['webhook-id']).toBe(webhookMessageId(payload.data.eventId, hook.id));
      expect(payload.data.accountId).toBe('acme');
      return payload;
    });
    const types = received.map((payload) => payload.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'license.created',
        'license.activated',
        'license.deactivated',
        'license.revoked',
        'subscription.created',
        'subscription.updated',
        'subscription.cancelled',
        'subscription.deleted',
        'charge.created',
        'charge.voided',
        'license.expiring',
        'license.expired',
        'subscription.expiring',
        'subscription.expired',
        'usage.overage',
        'compliance.changed',
      ]),
    );
    expect(types).not.toContain('subscription.replaced');
    // A wrong secret does not verify; globex's endpoint got none of acme's events.
    const [first] = r.requests;
    expect(first).toBeDefined();
    if (first !== undefined) {
      expect(verifyWebhook('whsec_AAAA', first.headers, first.body, now).ok).toBe(false);
    }
    expect(other.requests.map((q) => (JSON.parse(q.body) as WebhookPayload).type)).toEqual([
      'webhook_endpoint.created',
    ]);

    const created = received.find((payload) => payload.type === 'license.created');
    expect(created).toMatchObject({
      timestamp: '2026-11-23T12:00:00.000Z',
      data: {
        resourceType: 'license',
        resourceId: licenseId,
        actor: 'operator-test',
        before: null,
        after: { id: licenseId, accountId: 'acme' },
      },
    });
    expect(typeof created?.data.requestId).toBe('string');

    // Every delivery is marked delivered; the next pass has nothing to send.
    const log = json<{ items: WebhookDelivery[] }>(
      await h.request({ method: 'GET', url: `/v1/webhooks/${hook.id}/deliveries?limit=1000` }),
    ).items;
    expect(log.length).toBe(r.requests.length);
    expect(new Set(log.map((d) => d.status))).toEqual(new Set(['delivered']));
    expect(await pass(scheduler)).toMatchObject({ summary: { sent: 0 } });
  });

  it('retries a failing receiver with backoff until it answers: 4 attempts, 1 success', async () => {
    const r = await listening({ failTimes: 3 });
    const hook = await endpoint(r.url, { eventTypes: ['webhook.test'] });
    const delivery = await ping(hook.id);
    const scheduler = worker();

    await pass(scheduler); // attempt 1: 500
    expect(r.requests).toHaveLength(1);
    for (const backoff of [30 * SECOND, 2 * MINUTE, 8 * MINUTE]) {
      await pass(scheduler, backoff - 2 * SECOND); // not yet due
      expect((await deliveryDetail(hook.id, delivery.id)).status).toBe('pending');
      const before = r.requests.length;
      await pass(scheduler, SECOND);
      expect(r.requests).toHaveLength(before);
      await pass(scheduler, SECOND); // due now
      expect(r.requests).toHaveLength(before + 1);
    }
    expect(r.requests).toHaveLength(4);
    expect(new Set(r.requests.map((q) => q.headers['webhook-id']))).toEqual(
      new Set([delivery.messageId]),
    );

    const detail = await deliveryDetail(hook.id, delivery.id);
    expect(detail).toMatchObject({
      status: 'delivered',
      attempts: 4,
      nextAttemptAt: null,
      lastStatusCode: 204,
      lastError: null,
    });
    expect(detail.attemptLog.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
      [4, 204],
    ]);
    expect(detail.attemptLog[0]?.responseBody).toBe('down for maintenance');
    await pass(scheduler, HOUR());
    expect(r.requests).toHaveLength(4);
  });

  it('fails a delivery after its last attempt, and disables an endpoint after 5 in a row', async () => {
    const bad = await listening({ failTimes: Infinity });
    const watcher = await listening();
    const hook = await endpoint(bad.url, { eventTypes: ['webhook.test'] });
    const audit = await endpoint(watcher.url, { eventTypes: ['webhook_endpoint.disabled'] });
    const scheduler = worker({ retry: { maxAttempts: 2 } });
    const pings = [];
    for (let i = 0; i < 5; i++) pings.push(await ping(hook.id));

    await pass(scheduler);
    expect(bad.requests).toHaveLength(5);
    expect(
      json<WebhookEndpoint>(await h.request({ method: 'GET', url: `/v1/webhooks/${hook.id}` })),
    ).toMatchObject({ enabled: true, consecutiveFailures: 0 });
    await pass(scheduler, 30 * SECOND);
    expect(bad.requests).toHaveLength(10);
    for (const { id } of pings) {
      expect(await deliveryDetail(hook.id, id)).toMatchObject({
        status: 'failed',
        attempts: 2,
        nextAttemptAt: null,
        lastStatusCode: 500,
      });
    }
    const disabled = json<WebhookEndpoint>(
      await h.request({ method: 'GET', url: `/v1/webhooks/${hook.id}` }),
    );
    expect(disabled).toMatchObject({
      enabled: false,
      consecutiveFailures: 5,
      disabledReason: '5 deliveries in a row failed',
      disabledAt: h.clock.now().toISOString(),
    });
    const events = json<{ items: { type: string; actor: string }[] }>(
      await h.request({
        method: 'GET',
        url: `/v1/events?filter=${encodeURIComponent(`resourceId eq '${hook.id}'`)}`,
      }),
    ).items;
    expect(events[0]).toMatchObject({ type: 'webhook_endpoint.disabled', actor: 'system' });

    // Another endpoint hears of it; the disabled one gets nothing more.
    await pass(scheduler);
    expect(watcher.requests.map((q) => (JSON.parse(q.body) as WebhookPayload).type)).toEqual([
      'webhook_endpoint.disabled',
    ]);
    const [notice] = watcher.requests;
    if (notice !== undefined) {
      expect(verifyWebhook(audit.secret, notice.headers, notice.body, h.clock.now()).ok).toBe(true);
    }
    expect(
      (await h.request({ method: 'POST', url: `/v1/webhooks/${hook.id}/test` })).statusCode,
    ).toBe(409);
    await pass(scheduler, HOUR());
    expect(bad.requests).toHaveLength(10);

    // Re-enabled, it starts counting anew.
    const enabled = await h.request({
      method: 'PATCH',
      url: `/v1/webhooks/${hook.id}`,
      body: { enabled: true },
    });
    expect(json(enabled)).toMatchObject({
      enabled: true,
      consecutiveFailures: 0,
      disabledReason: null,
    });
  });

  it('keeps to the per-endpoint concurrency limit', async () => {
    const r = await listening({ holdUntil: 4, expected: 10 });
    const hook = await endpoint(r.url, { eventTypes: ['webhook.test'] });
    for (let i = 0; i < 10; i++) await ping(hook.id);
    const outcome = await pass(worker());
    expect(outcome).toMatchObject({ outcome: 'ok', summary: { sent: 10, delivered: 10 } });
    expect(r.requests).toHaveLength(10);
    expect(r.maxInFlight()).toBe(4);

    const one = await listening({ holdUntil: 1, expected: 3 });
    const serial = await endpoint(one.url, { eventTypes: ['webhook.test'] });
    for (let i = 0; i < 3; i++) await ping(serial.id);
    await pass(worker({ concurrencyPerEndpoint: 1 }, 'serial'));
    expect(one.requests).toHaveLength(3);
    expect(one.maxInFlight()).toBe(1);
  });

  it('counts a receiver that does not answer in time as a failed attempt', async () => {
    const r = await listening({ hang: true });
    const hook = await endpoint(r.url, { eventTypes: ['webhook.test'] });
    const delivery = await ping(hook.id);
    // The one real wait of this file: 200 ms for the timeout to fire.
    const outcome = await pass(worker({ timeoutMs: 200 }));
    expect(outcome).toMatchObject({ outcome: 'ok', summary: { retrying: 1 } });
    const detail = await deliveryDetail(hook.id, delivery.id);
    expect(detail).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: null,
      lastError: 'no answer within 200 ms',
      nextAttemptAt: new Date(h.clock.now().getTime() + 30 * SECOND).toISOString(),
    });
    expect(detail.attemptLog[0]?.durationMs).toBeGreaterThanOrEqual(150);
  });

  it('records a refused connection as a failed attempt', async () => {
    const r = await listening();
    const url = r.url;
    await r.close();
    receivers = receivers.filter((x) => x !== r);
    const hook = await endpoint(url, { eventTypes: ['webhook.test'] });
    const delivery = await ping(hook.id);
    await pass(worker());
    const detail = await deliveryDetail(hook.id, delivery.id);
    expect(detail.attempts).toBe(1);
    expect(detail.lastError).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('redelivers a delivered or failed delivery as a new series, with the same webhook-id', async () => {
    const r = await listening();
    const hook = await endpoint(r.url, { eventTypes: ['webhook.test'] });
    const delivery = await ping(hook.id);
    const scheduler = worker();
    await pass(scheduler);
    expect(r.requests).toHaveLength(1);

    const response = await h.request({
      method: 'POST',
      url: `/v1/webhooks/${hook.id}/deliveries/${String(delivery.id)}/redeliver`,
    });
    expect(response.statusCode, response.body).toBe(202);
    expect(json(response)).toMatchObject({ id: delivery.id, status: 'pending', attempts: 0 });
    await pass(scheduler);
    expect(r.requests).toHaveLength(2);
    expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([
      delivery.messageId,
      delivery.messageId,
    ]);
    const detail = await deliveryDetail(hook.id, delivery.id);
    expect(detail).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(detail.attemptLog.map((a) => a.attempt)).toEqual([1, 1]);

    // A failed one too: its endpoint's failure run ends with the success.
    const flaky = await listening({ failTimes: 1 });
    const second = await endpoint(flaky.url, { eventTypes: ['webhook.test'] });
    const failing = await ping(second.id);
    const once = worker({ retry: { maxAttempts: 1 } }, 'once');
    await pass(once);
    expect(await deliveryDetail(second.id, failing.id)).toMatchObject({ status: 'failed' });
    const again = await h.request({
      method: 'POST',
      url: `/v1/webhooks/${second.id}/deliveries/${String(failing.id)}/redeliver`,
    });
    expect(again.statusCode).toBe(202);
    await pass(once);
    expect(await deliveryDetail(second.id, failing.id)).toMatchObject({
      status: 'delivered',
      attempts: 1,
    });
    expect(flaky.requests).toHaveLength(2);
    const events = json<{ items: { type: string }[] }>(
      await h.request({
        method: 'GET',
        url: `/v1/events?filter=${encodeURIComponent("type eq 'webhook_delivery.redelivered'")}`,
      }),
    ).items;
    expect(events).toHaveLength(2);
  });

  it('loses nothing across a crash: a fresh process sends what was committed', async () => {
    const r = await listening();
    const hook = await endpoint(r.url, { eventTypes: ['account.updated'] });
    await ok('POST', '/v1/webhooks', {
      accountId: 'acme',
      url: r.url,
      eventTypes: ['webhook.test'],
      enabled: false,
    });
    // Events are committed; a process claims the delivery pass and dies before sending.
    await h.request({ method: 'PATCH', url: '/v1/accounts/acme', body: { name: 'Acme 1' } });
    await h.request({ method: 'PATCH', url: '/v1/accounts/acme', body: { name: 'Acme 2' } });
    const system = { principal: systemPrincipal, requestId: null, clock: h.clock };
    expect(
      await h.services.jobs.claim(system, {
        name: 'webhooks.deliver',
        holder: 'crashed',
        everyMs: SECOND,
        leaseMs: 5 * MINUTE,
      }),
    ).toBe(true);
    expect(r.requests).toHaveLength(0);

    // After a restart, the new process takes the pass over once the lease ends.
    const restarted = createScheduler({
      services: h.services,
      clock: h.clock,
      log: quiet,
      jobs: allJobs(h.services),
      holder: 'restarted',
    });
    h.clock.advance(5 * MINUTE);
    const outcomes = await restarted.tick();
    expect(outcomes.find((o) => o.job === 'webhooks.deliver')).toMatchObject({
      outcome: 'ok',
      summary: { sent: 2, delivered: 2 },
    });
    expect(r.requests.map((q) => (JSON.parse(q.body) as WebhookPayload).data.after)).toEqual([
      expect.objectContaining({ name: 'Acme 1' }),
      expect.objectContaining({ name: 'Acme 2' }),
    ]);
    for (const q of r.requests) {
      expect(verifyWebhook(hook.secret, q.headers, q.body, h.clock.now()).ok).toBe(true);
    }
  });

  it('lets only the first of two writers settle an attempt (several processes)', async () => {
    const hook = await endpoint('http://127.0.0.1:9/never', { eventTypes: ['webhook.test'] });
    await ping(hook.id);
    const system = { principal: systemPrincipal, requestId: null, clock: h.clock };
    const [due] = await h.services.webhooks.due(system, 10);
    expect(due).toBeDefined();
    if (due === undefined) return;
    const outcome = {
      delivery: due,
      at: h.clock.now(),
      statusCode: 200,
      error: null,
      durationMs: 5,
      responseBody: '',
    };
    const policy = {
      retry: { baseMs: 30_000, factor: 4, capMs: 21_600_000, jitter: 0.2, maxAttempts: 8 },
      disableAfter: 5,
      random: 0.5,
    };
    expect(await h.services.webhooks.settle(system, outcome, policy)).toBe('delivered');
    expect(await h.services.webhooks.settle(system, { ...outcome, statusCode: 500 }, policy)).toBe(
      'stale',
    );
    const detail = await deliveryDetail(hook.id, due.id);
    expect(detail).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
    expect(await h.services.webhooks.due(system, 10)).toEqual([]);
  });
});

function HOUR(): number {
  return 60 * MINUTE;
}
