import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/domain/principal.js';
import {
  FETCH_UNAVAILABLE,
  type FetchOutcome,
  type UpstreamStatus,
} from '../../src/domain/upstream.js';
import { autoDownloadJob } from '../../src/jobs/auto-download.js';
import { createScheduler } from '../../src/jobs/scheduler.js';
import { createHarness, json, type Harness } from '../helpers/harness.js';

/**
 * Two Entitle servers on loopback: the vendor's (upstream, listening on a port) and an appliance's
 * (local), which fetches the licenses issued for its host and forwards token redemptions.
 */
const SERIAL = 'NP01-0000-0000-0001';
const NP = '/api/mgmt.licenses/1.0/licenses';

let vendor: Harness;
let vendorUrl: string;
let appliance: Harness;
let applianceToken: string;
let localInstance: string;
let vendorLicense: { id: string; key: string };

const silentLog = { debug: () => undefined, info: () => undefined, error: () => undefined };

async function vendorPost(url: string, body: unknown) {
  const response = await vendor.request({ method: 'POST', url, body });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return json(response);
}

beforeEach(async () => {
  vendor = await createHarness();
  await vendor.account('acme');
  await vendorPost('/v1/products', {
    slug: 'flow-gateway',
    name: 'Flow Gateway',
    features: [{ id: 'NETFLOW', name: 'NetFlow' }],
    metrics: [{ id: 1, name: 'Flows', unit: 'flows/min' }],
  });
  const system = { principal: systemPrincipal, requestId: null, clock: vendor.clock };
  const host = await vendor.services.instances.create(system, {
    accountId: 'acme',
    deviceSerial: SERIAL,
  });
  const issued = (await vendorPost('/v1/licenses', {
    accountId: 'acme',
    product: 'flow-gateway',
    features: ['NETFLOW'],
    term: 'SUBSCRIPTION',
    expiresAt: '2027-11-23T00:00:00Z',
    seatLimit: 1,
  })) as { id: string; key: string };
  vendorLicense = issued;
  await vendorPost(`/v1/licenses/${issued.id}/activate`, { instance: host.id });
  vendorUrl = await vendor.app.listen({ port: 0, host: '127.0.0.1' });

  appliance = await createHarness({
    services: { upstreamClient: { timeoutMs: 2000, retries: 1, minRetryDelayMs: 5 } },
  });
  await appliance.account('acme');
  const local = await appliance.services.instances.create(
    { principal: systemPrincipal, requestId: null, clock: appliance.clock },
    { accountId: 'acme', deviceSerial: SERIAL },
  );
  localInstance = local.id;
  applianceToken = await appliance.token('instance', ['acme'], { instance: localInstance });
  const serviceToken = await vendor.token('service', ['acme'], { subject: 'appliance-np01' });
  const configured = await appliance.request({
    method: 'PUT',
    url: '/v1/accounts/acme/upstream',
    body: { url: vendorUrl, token: serviceToken },
  });
  expect(configured.statusCode, configured.body).toBe(200);
  expect(configured.body).not.toContain(serviceToken);
});

afterEach(async () => {
  await appliance.close();
  await vendor.close();
});

const fetchLocal = async () => {
  const response = await appliance.request({
    method: 'POST',
    url: `/v1/instances/${localInstance}/fetch`,
    token: applianceToken,
  });
  expect(response.statusCode, response.body).toBe(200);
  return json<FetchOutcome>(response);
};

const validateLocally = async (key: string) =>
  json<{ valid: boolean; code: string }>(
    await appliance.request({
      method: 'POST',
      url: '/v1/licenses/validate',
      token: applianceToken,
      body: { key },
    }),
  );

const status = async () =>
  json<UpstreamStatus>(
    await appliance.request({ method: 'GET', url: '/v1/accounts/acme/upstream' }),
  );

describe('federation with an upstream Entitle', () => {
  it("fetches the host's licenses, installs them and validates them locally", async () => {
    const npFetch = await appliance.request({
      method: 'GET',
      url: `${NP}/fetch`,
      token: applianceToken,
    });
    expect(json(npFetch)).toEqual({ Message: 'Fetched 1 license from the license server.' });
    const listed = json<{ Licenses: { key: string; status: string }[] }>(
      await appliance.request({ method: 'GET', url: NP, token: applianceToken }),
    ).Licenses;
    expect(listed).toEqual([expect.objectContaining({ key: vendorLicense.key, status: 'Valid' })]);
    expect(await validateLocally(vendorLicense.key)).toMatchObject({ valid: true });
    // The product came along, by slug.
    const product = json<{ slug: string; features: { id: string }[] }>(
      await appliance.request({ method: 'GET', url: '/v1/products/flow-gateway' }),
    );
    expect(product.features.map((f) => f.id)).toEqual(['NETFLOW']);
    expect(await status()).toMatchObject({
      url: vendorUrl,
      tokenSet: true,
      connected: true,
      lastContactAt: appliance.clock.now().toISOString(),
      circuit: 'closed',
    });
    // Fetching again changes nothing.
    expect((await fetchLocal()).licenses).toEqual([
      expect.objectContaining({ key: vendorLicense.key, result: 'unchanged' }),
    ]);
  });

  it('mirrors an upstream revoke at the next fetch', async () => {
    await fetchLocal();
    await vendorPost(`/v1/licenses/${vendorLicense.id}/revoke`, {});
    expect((await fetchLocal()).licenses).toEqual([
      expect.objectContaining({ key: vendorLicense.key, result: 'updated' }),
    ]);
    expect(await validateLocally(vendorLicense.key)).toMatchObject({ valid: false });
  });

  it('forwards a token it does not know to the upstream and installs what it issued', async () => {
    const issued = (await vendorPost('/v1/activation-tokens', {
      accountId: 'acme',
      license: { product: 'flow-gateway', durationDays: 30 },
    })) as { token: string };
    const redeemed = await appliance.request({
      method: 'POST',
      url: `${NP}/request`,
      token: applianceToken,
      body: { value: issued.token },
    });
    expect(json(redeemed)).toEqual({
      Message: `Token ${issued.token} redeemed: 1 license installed.`,
    });
    const listed = json<{ Licenses: { status: string; description: string }[] }>(
      await appliance.request({ method: 'GET', url: NP, token: applianceToken }),
    ).Licenses;
    expect(listed).toContainEqual(
      expect.objectContaining({ description: 'Flow Gateway', status: 'Valid' }),
    );
    // Redeemed once, upstream: a second try is refused there, and so here.
    const again = await appliance.request({
      method: 'POST',
      url: `${NP}/request`,
      token: applianceToken,
      body: { value: issued.token },
    });
    expect(json(again)).toEqual({ Message: `Invalid token ${issued.token}` });
  });

  it('keeps validating locally when the upstream is down, and opens the circuit', async () => {
    await fetchLocal();
    const contacted = appliance.clock.now().toISOString();
    await vendor.app.close();
    appliance.clock.advance(60_000);
    const down = await fetchLocal();
    expect(down).toEqual({ contacted: false, message: FETCH_UNAVAILABLE, licenses: [] });
    expect(await validateLocally(vendorLicense.key)).toMatchObject({ valid: true });
    const after = await status();
    expect(after).toMatchObject({
      connected: false,
      lastContactAt: contacted,
      consecutiveFailures: 1,
      circuit: 'closed',
    });
    expect(after.lastError).toMatch(/fetch failed|ECONNREFUSED/);
    await fetchLocal();
    await fetchLocal();
    const open = await status();
    expect(open).toMatchObject({ consecutiveFailures: 3, circuit: 'open' });
    // While open, nothing is tried: the attempt time stays where it was.
    appliance.clock.advance(30_000);
    expect((await fetchLocal()).contacted).toBe(false);
    expect((await status()).lastAttemptAt).toBe(open.lastAttemptAt);
    appliance.clock.advance(31_000);
    await fetchLocal();
    expect((await status()).consecutiveFailures).toBe(4);
    // BlackBerry's licensing status reports the outage, with a 200.
    const bb = await appliance.request({ method: 'GET', url: '/acme/api/v1/licensing' });
    expect(bb.statusCode).toBe(200);
    expect(json(bb).organizationStatus).toMatchObject({
      connectedToLicensingInfrastructure: false,
      licensingInfrastructureLastContact: contacted,
    });
    // The NetProfiler fetch answers the document's message.
    const np = await appliance.request({
      method: 'GET',
      url: `${NP}/fetch`,
      token: applianceToken,
    });
    expect(json(np)).toEqual({ Message: FETCH_UNAVAILABLE });
  });

  it('auto-downloads on a schedule for accounts that switched it on', async () => {
    const scheduler = createScheduler({
      services: appliance.services,
      clock: appliance.clock,
      log: silentLog,
      jobs: [autoDownloadJob(appliance.services)],
    });
    expect(await scheduler.tick()).toEqual([
      {
        job: 'upstream.auto-download',
        outcome: 'ok',
        summary: { accounts: 0, instances: 0, installed: 0 },
      },
    ]);
    const on = await appliance.request({
      method: 'POST',
      url: `${NP}/auto_download`,
      token: applianceToken,
      body: { value: 'true' },
    });
    expect(on.statusCode).toBe(204);
    appliance.clock.advance(15 * 60_000);
    expect(await scheduler.tick()).toEqual([
      {
        job: 'upstream.auto-download',
        outcome: 'ok',
        summary: { accounts: 1, instances: 1, installed: 1 },
      },
    ]);
    expect(await validateLocally(vendorLicense.key)).toMatchObject({ valid: true });
  });

  it('finds the host by install id when the device serials differ', async () => {
    const system = { principal: systemPrincipal, requestId: null, clock: appliance.clock };
    const other = await appliance.services.instances.create(system, {
      accountId: 'acme',
      installId: 7_654_321,
    });
    const hostUpstream = await vendor.services.instances.create(
      { principal: systemPrincipal, requestId: null, clock: vendor.clock },
      { accountId: 'acme', installId: 7_654_321 },
    );
    const issued = (await vendorPost('/v1/licenses', {
      accountId: 'acme',
      product: 'flow-gateway',
    })) as { id: string; key: string };
    await vendorPost(`/v1/licenses/${issued.id}/activate`, { instance: hostUpstream.id });
    const response = await appliance.request({
      method: 'POST',
      url: `/v1/instances/${other.id}/fetch`,
    });
    expect(json<FetchOutcome>(response).licenses).toEqual([
      expect.objectContaining({ key: issued.key, result: 'installed' }),
    ]);
  });

  it('refuses a bad upstream setting, naming the field, and never shows the token', async () => {
    const bad = await appliance.request({
      method: 'PUT',
      url: '/v1/accounts/acme/upstream',
      body: { url: 'ftp://vendor', token: 'x' },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      json<{ invalidFields: { name: string }[] }>(bad).invalidFields.map((f) => f.name),
    ).toEqual(['url']);
    const viewer = await appliance.token('viewer', ['acme']);
    const forbidden = await appliance.request({
      method: 'PUT',
      url: '/v1/accounts/acme/upstream',
      token: viewer,
      body: { url: vendorUrl, token: 'x' },
    });
    expect(forbidden.statusCode).toBe(403);
    const removed = await appliance.request({
      method: 'DELETE',
      url: '/v1/accounts/acme/upstream',
    });
    expect(removed.statusCode).toBe(204);
    expect(await status()).toMatchObject({ url: null, tokenSet: false, connected: false });
    expect(await fetchLocal()).toEqual({
      contacted: false,
      message: FETCH_UNAVAILABLE,
      licenses: [],
    });
    const events = await appliance.request({
      method: 'GET',
      url: "/v1/events?filter=resourceType eq 'account'",
    });
    expect(events.body).toContain('account.upstream-configured');
    expect(events.body).not.toMatch(/"token"/);
  });
});
