import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Value } from 'typebox/value';
import type { LightMyRequestResponse } from 'fastify';
import { systemPrincipal } from '../../src/domain/principal.js';
import {
  GroupsLicensingInformationSchema,
  LICENSING_MEDIA_TYPE,
  LicensingInformationSchema,
} from '../../src/http/compat/blackberry/schemas.js';
import { blackberryId } from '../../src/http/compat/blackberry/mapping.js';
import { negotiate } from '../../src/http/compat/blackberry/media.js';
import { createHarness, json, T0, type Harness } from '../helpers/harness.js';

/**
 * BlackBerry UEM licensing (reference 004): the document's two examples replayed against a
 * server holding the document's data, plus every error the facade answers.
 */
let h: Harness;

const DAY = 86_400_000;
const at = (days: number) => new Date(Date.parse(T0) + days * DAY).toISOString();

const MOTD =
  'PGgyPk1lc3NhZ2UgZnJvbSBCbGFja0JlcnJ5PC9oMj4NCjxwPk5ldyBvZmZlcmluZyBmcm9tIEJsYWNrQmVycnkgc2VlIDogPGEgaHJlZj0iaHR0cDovL3d3dy5ibGFja2JlcnJ5LmNvbS8iPiBodHRwOi8vd3d3LmJsYWNrYmVycnkuY29tLyA8L2E+IDwvcD4=';
const GUID = '705c7b4c-a85b-44f0-9fbd-5a2345c21a9a';

/** The products of both examples; slugs spell BlackBerry's ids (`--` is a dot). */
const PRODUCTS = [
  {
    slug: 'watchdox--blackberry--com',
    name: 'BlackBerry Workspaces',
    description: 'BlackBerry Workspaces',
    features: [
      { id: 'MDM_CONTROLS', name: 'MDM controls' },
      { id: 'enterprise.watchdox.blackberry.com', name: 'WatchDox Enterprise Edition' },
    ],
    metrics: [{ id: 1, name: 'Users', unit: 'users' }],
  },
  {
    slug: 'gsc--license--blackberry--com',
    name: 'BlackBerry Enterprise Mobility Suite - Content Edition',
    description: 'Activation types: Work and personal - Corporate...',
    features: [
      { id: 'MDM_CONTROLS', name: 'UEM' },
      { id: 'enterprise.watchdox.blackberry.com', name: 'secure browser' },
    ],
    metrics: [{ id: 1, name: 'Users', unit: 'users' }],
  },
  {
    slug: 'emm',
    name: 'UEM',
    features: [
      { id: 'gd.good.com', name: 'Good Dynamics' },
      { id: 'AFW_DIVIDE_DUAL_SPACE', name: 'Android for Work dual space' },
      { id: 'MANAGING_SEPARATE_WORKSPACE_ONLY', name: 'Workspace only' },
    ],
  },
  {
    slug: 'uem--blackberry--com',
    name: 'BlackBerry Unified Endpoint Management (UEM)',
    features: [{ id: 'uem.blackberry.com', name: 'UEM' }],
  },
  { slug: 'vpnauth--blackberry--com', name: 'BlackBerry 2FA' },
  {
    slug: 'gsma--license--blackberry--com',
    name: 'BlackBerry Enterprise Mobility Suite - Management Edition',
    features: [
      { id: 'AFW_DIVIDE_DUAL_SPACE', name: 'Android for Work dual space' },
      { id: 'MANAGING_SEPARATE_WORKSPACE_ONLY', name: 'Workspace only' },
      { id: 'gd.good.com', name: 'Good Dynamics' },
      { id: 'uem.blackberry.com', name: 'UEM' },
    ],
    metrics: [{ id: 1, name: 'Devices', unit: 'devices' }],
  },
];

async function ok(response: LightMyRequestResponse, status = 200): Promise<LightMyRequestResponse> {
  expect(response.statusCode, response.body).toBe(status);
  return Promise.resolve(response);
}

async function license(body: Record<string, unknown>): Promise<string> {
  const response = await ok(
    await h.request({
      method: 'POST',
      url: '/v1/licenses',
      body: { accountId: 'SRP00000', ...body },
    }),
    201,
  );
  return json<{ id: string }>(response).id;
}

async function usage(records: Record<string, unknown>[]): Promise<void> {
  const service = await h.token('service', ['SRP00000']);
  const response = await ok(
    await h.request({ method: 'POST', url: '/v1/usage', token: service, body: { records } }),
  );
  expect(json(response).rejected).toEqual([]);
}

function get(url: string, extra: { token?: string | null; accept?: string } = {}) {
  return h.request({
    method: 'GET',
    url,
    token: extra.token,
    headers: extra.accept === undefined ? {} : { accept: extra.accept },
  });
}

beforeEach(async () => {
  h = await createHarness();
  await ok(
    await h.request({
      method: 'POST',
      url: '/v1/accounts',
      body: {
        id: 'SRP00000',
        name: 'SRP tenant',
        orgId: '999000000',
        settings: { messageOfTheDay: { contentType: 'text/html', message: MOTD } },
      },
    }),
    201,
  );
  await h.account('other');
  for (const product of PRODUCTS)
    await ok(await h.request({ method: 'POST', url: '/v1/products', body: product }), 201);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await h.close();
});

/** Sample one: grace, trial ending soon, a subscription starting later, unlicensed usage. */
async function seedLicensingExample(): Promise<void> {
  await license({
    product: 'watchdox--blackberry--com',
    metricId: 1,
    term: 'SUBSCRIPTION',
    quantity: 100,
    startsAt: at(-365),
    expiresAt: at(-15),
    graceDays: 30,
    features: ['MDM_CONTROLS'],
  });
  const gsc = { product: 'gsc--license--blackberry--com', metricId: 1, features: ['MDM_CONTROLS'] };
  await license({ ...gsc, term: 'TRIAL', quantity: 10, expiresAt: at(15) });
  await license({
    ...gsc,
    term: 'SUBSCRIPTION',
    quantity: 490,
    startsAt: at(-30),
    expiresAt: at(335),
  });
  await license({
    ...gsc,
    term: 'SUBSCRIPTION',
    quantity: 50,
    startsAt: at(30),
    expiresAt: at(395),
  });
  await usage([
    {
      id: 'u1',
      product: 'gsc--license--blackberry--com',
      metric: 1,
      kind: 'gauge',
      value: 50,
      at: at(-1),
    },
    {
      id: 'f1',
      product: 'gsc--license--blackberry--com',
      feature: 'MDM_CONTROLS',
      kind: 'delta',
      value: 10,
      at: at(-1),
    },
    {
      id: 'f2',
      product: 'gsc--license--blackberry--com',
      feature: 'enterprise.watchdox.blackberry.com',
      kind: 'delta',
      value: 10,
      at: at(-1),
    },
  ]);
}

const usDate = (iso: string) => `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;

describe('GET /{tenantGuid}/api/v1/licensing', () => {
  it('replays the sample request: every field of the sample, with its type', async () => {
    await seedLicensingExample();
    const response = await ok(await get('/SRP00000/api/v1/licensing'));
    expect(response.headers['content-type']).toBe(`${LICENSING_MEDIA_TYPE}; charset=utf-8`);
    const body = json(response);
    expect(Value.Check(LicensingInformationSchema, body)).toBe(true);
    expect(Object.keys(body)).toEqual([
      'organizationStatus',
      'messageOfTheDay',
      'licensedServices',
      'licensedUsage',
      'unlicensedUsage',
    ]);
    expect(body.organizationStatus).toEqual({
      orgId: '999000000',
      overallComplianceStatus: 'WARNING',
      connectedToLicensingInfrastructure: true,
      groupLicensing: false,
      licensingInfrastructureLastContact: T0,
    });
    expect(body.messageOfTheDay).toEqual({ contentType: 'text/html', message: MOTD });
    expect(Buffer.from(MOTD, 'base64').toString('utf8')).toContain('Message from BlackBerry');

    const services = body.licensedServices as Record<string, unknown>[];
    expect(services[0]).toEqual({
      id: 'watchdox.blackberry.com',
      name: 'BlackBerry Workspaces',
      description: 'BlackBerry Workspaces',
      inGracePeriod: true,
      gracePeriodDaysRemaining: 15,
      compliant: true,
      activatedFeatures: ['MDM_CONTROLS'],
      complianceStateDescription: 'In compliance',
      complianceStateDescriptionDetails: 'This service is in compliance.',
    });
    expect(services.map((s) => s.id)).toEqual([
      'watchdox.blackberry.com',
      'gsc.license.blackberry.com',
    ]);

    const usages = body.licensedUsage as Record<string, unknown>[];
    const gsc = usages.find((u) => u.id === 'gsc.license.blackberry.com');
    expect(gsc).toEqual({
      id: 'gsc.license.blackberry.com',
      name: 'BlackBerry Enterprise Mobility Suite - Content Edition',
      totalServerLicenses: 500,
      availableServerLicenses: 450,
      usedServerLicenses: 50,
      usedSimLicenses: 0,
      totalLicensesInUse: 50,
      trial: true,
      trialDaysRemaining: 15,
      licenseInfo: [
        {
          type: 'TRIAL',
          expirationDate: at(15),
          aboutToExpire: true,
          quantity: 10,
          statusType: 'WARNING',
          statusDescription: `10 trial licenses expire on ${usDate(at(15))}`,
        },
        {
          type: 'SUBSCRIPTION',
          expirationDate: at(335),
          aboutToExpire: false,
          quantity: 490,
          statusType: 'INFO',
          statusDescription: `490 Subscription licenses started on ${usDate(at(-30))} and end on ${usDate(at(335))}`,
        },
        {
          type: 'SUBSCRIPTION',
          expirationDate: at(395),
          aboutToExpire: false,
          quantity: 50,
          statusType: 'INFO',
          statusDescription: `50 Subscription licenses start on ${usDate(at(30))} and end on ${usDate(at(395))}`,
        },
      ],
      featureUsage: [
        { id: 'MDM_CONTROLS', consumed: 10 },
        { id: 'enterprise.watchdox.blackberry.com', consumed: 10 },
      ],
    });
    // A metric that is not a trial has no trialDaysRemaining, as in the groups sample.
    const watchdox = usages.find((u) => u.id === 'watchdox.blackberry.com');
    expect(watchdox).toMatchObject({
      trial: false,
      totalServerLicenses: 100,
      usedServerLicenses: 0,
    });
    expect(watchdox).not.toHaveProperty('trialDaysRemaining');

    expect(body.unlicensedUsage).toEqual({
      consumedTotal: 10,
      features: [
        {
          id: 'enterprise.watchdox.blackberry.com',
          name: 'WatchDox Enterprise Edition',
          description: 'WatchDox Enterprise Edition',
        },
      ],
      suggestedLicenses: [
        {
          id: 'gsc.license.blackberry.com',
          name: 'BlackBerry Enterprise Mobility Suite - Content Edition',
          description1: 'Activation types: Work and personal - Corporate...',
          description2: 'Includes: UEM, secure browser',
        },
        {
          id: 'watchdox.blackberry.com',
          name: 'BlackBerry Workspaces',
          description1: 'BlackBerry Workspaces',
          description2: 'Includes: MDM controls, WatchDox Enterprise Edition',
        },
      ],
    });
  });

  it('answers VALID with empty lists and a plain message for a tenant with nothing yet', async () => {
    const viewer = await h.token('viewer', ['other']);
    const response = await ok(await get('/other/api/v1/licensing', { token: viewer }));
    expect(json(response)).toEqual({
      organizationStatus: {
        orgId: 'other',
        overallComplianceStatus: 'VALID',
        connectedToLicensingInfrastructure: true,
        groupLicensing: false,
        licensingInfrastructureLastContact: T0,
      },
      messageOfTheDay: { contentType: 'text/plain', message: '' },
      licensedServices: [],
      licensedUsage: [],
      unlicensedUsage: { consumedTotal: 0, features: [], suggestedLicenses: [] },
    });
  });

  it('answers 200 when the licensing infrastructure is unreachable, with the last contact', async () => {
    await seedLicensingExample();
    const spy = vi.spyOn(h.services.groups, 'licensingStatus').mockResolvedValue({
      orgId: '999000000',
      groupLicensing: false,
      connectedToLicensingInfrastructure: false,
      licensingInfrastructureLastContact: '2017-01-01T11:04:30.450Z',
      messageOfTheDay: null,
    });
    for (const url of ['/SRP00000/api/v1/licensing', '/SRP00000/api/v1/licensing/groups']) {
      const response = await ok(await get(url));
      expect(json(response).organizationStatus).toMatchObject({
        connectedToLicensingInfrastructure: false,
        licensingInfrastructureLastContact: '2017-01-01T11:04:30.450Z',
      });
    }
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.calls[0]?.[1]).toBe('SRP00000');
  });
});

/** Sample two: one group holding UEM, 2FA and a Management Edition subscription of order HP_17:606. */
async function seedGroupsExample(): Promise<void> {
  await ok(
    await h.request({
      method: 'PATCH',
      url: '/v1/accounts/SRP00000',
      body: { settings: { groupLicensing: true } },
    }),
  );
  const order = (orderId: string, sku: string, description: string, quantity: number) =>
    h.request({
      method: 'POST',
      url: '/v1/accounts/SRP00000/orders',
      body: {
        orderId,
        purchaseDetails: [
          {
            sku,
            description,
            quantity,
            startDate: '2017-02-06T00:00:00.000Z',
            endDate: '2018-02-06T23:59:59.000Z',
          },
        ],
      },
    });
  await ok(
    await order(
      'HP_17:606',
      'EMS.MT.SOD.AD',
      'BlackBerry Enterprise Mobility Suites - Management Edition Monthly - Device Based',
      14,
    ),
    201,
  );
  await ok(await order('HP_17:700', 'UEM.SOD', 'UEM', 1), 201);
  await ok(
    await h.request({
      method: 'POST',
      url: '/v1/accounts/SRP00000/groups',
      body: { guid: GUID, groupName: 'IT Admin Group' },
    }),
    201,
  );
  const assigned = [
    await license({ product: 'emm' }),
    await license({ product: 'uem--blackberry--com', orderId: 'HP_17:700', sku: 'UEM.SOD' }),
    await license({ product: 'vpnauth--blackberry--com' }),
    await license({
      product: 'gsma--license--blackberry--com',
      metricId: 1,
      term: 'PERPETUAL',
      quantity: 0,
    }),
    await license({
      product: 'gsma--license--blackberry--com',
      metricId: 1,
      term: 'SUBSCRIPTION',
      quantity: 10,
      expiresAt: at(10),
      orderId: 'HP_17:606',
      sku: 'EMS.MT.SOD.AD',
    }),
  ];
  await ok(
    await h.request({
      method: 'POST',
      url: `/v1/accounts/SRP00000/groups/${GUID}/licenses`,
      body: { licenses: assigned },
    }),
  );
  // Held by the account but in no group: not part of the group's figures.
  await license({ product: 'watchdox--blackberry--com', metricId: 1, quantity: 5 });
}

describe('GET /{tenantGuid}/api/v1/licensing/groups', () => {
  it('replays the sample request: unassigned licenses of the order, and the group', async () => {
    await seedGroupsExample();
    const response = await ok(await get('/SRP00000/api/v1/licensing/groups'));
    expect(response.headers['content-type']).toBe(`${LICENSING_MEDIA_TYPE}; charset=utf-8`);
    const body = json(response);
    expect(Value.Check(GroupsLicensingInformationSchema, body)).toBe(true);
    expect(Object.keys(body)).toEqual(['organizationStatus', 'groupLicensing']);
    expect(body.organizationStatus).toEqual({
      orgId: '999000000',
      overallComplianceStatus: 'WARNING',
      connectedToLicensingInfrastructure: true,
      groupLicensing: true,
      licensingInfrastructureLastContact: T0,
    });
    const { unassignedLicenses, groups } = body.groupLicensing as {
      unassignedLicenses: unknown[];
      groups: Record<string, unknown>[];
    };
    // HP_17:606 bought 14 and 10 are in the group; HP_17:700 is fully assigned, so not shown.
    expect(unassignedLicenses).toEqual([
      {
        orderId: 'HP_17:606',
        purchaseDetails: [
          {
            sku: 'EMS.MT.SOD.AD',
            description:
              'BlackBerry Enterprise Mobility Suites - Management Edition Monthly - Device Based',
            quantity: 4,
            startDate: '2017-02-06T00:00:00.000Z',
            endDate: '2018-02-06T23:59:59.000Z',
          },
        ],
      },
    ]);
    expect(groups).toHaveLength(1);
    const group = groups[0] ?? {};
    expect(Object.keys(group)).toEqual([
      'guid',
      'groupName',
      'numberOfUsers',
      'licensedServices',
      'licensedUsage',
    ]);
    expect(group).toMatchObject({ guid: GUID, groupName: 'IT Admin Group', numberOfUsers: 0 });
    const services = group.licensedServices as Record<string, unknown>[];
    expect(services.map((s) => s.id)).toEqual([
      'EMM',
      'uem.blackberry.com',
      'vpnauth.blackberry.com',
      'gsma.license.blackberry.com',
    ]);
    expect(services.slice(0, 3)).toEqual([
      expect.objectContaining({
        id: 'EMM',
        name: 'UEM',
        description: 'UEM',
        inGracePeriod: false,
        compliant: true,
        activatedFeatures: [
          'gd.good.com',
          'AFW_DIVIDE_DUAL_SPACE',
          'MANAGING_SEPARATE_WORKSPACE_ONLY',
        ],
      }),
      expect.objectContaining({
        id: 'uem.blackberry.com',
        name: 'BlackBerry Unified Endpoint Management (UEM)',
        description: 'BlackBerry Unified Endpoint Management (UEM)',
        inGracePeriod: false,
        compliant: true,
        activatedFeatures: ['uem.blackberry.com'],
      }),
      expect.objectContaining({
        id: 'vpnauth.blackberry.com',
        name: 'BlackBerry 2FA',
        description: 'BlackBerry 2FA',
        inGracePeriod: false,
        compliant: true,
        activatedFeatures: [],
      }),
    ]);
    for (const service of services) expect(service).not.toHaveProperty('gracePeriodDaysRemaining');
    expect(group.licensedUsage).toEqual([
      {
        id: 'gsma.license.blackberry.com',
        name: 'BlackBerry Enterprise Mobility Suite - Management Edition',
        totalServerLicenses: 10,
        availableServerLicenses: 10,
        usedServerLicenses: 0,
        usedSimLicenses: 0,
        totalLicensesInUse: 0,
        trial: false,
        licenseInfo: [
          {
            type: 'SUBSCRIPTION',
            expirationDate: at(10),
            aboutToExpire: true,
            quantity: 10,
            statusType: 'WARNING',
            statusDescription: `10 Subscription licenses expire on ${usDate(at(10))}`,
          },
          {
            type: 'PERPETUAL',
            aboutToExpire: false,
            quantity: 0,
            statusType: 'INFO',
            statusDescription: '0 Perpetual licenses never expire',
          },
        ],
        featureUsage: [
          { id: 'AFW_DIVIDE_DUAL_SPACE', consumed: 0 },
          { id: 'MANAGING_SEPARATE_WORKSPACE_ONLY', consumed: 0 },
          { id: 'gd.good.com', consumed: 0 },
          { id: 'uem.blackberry.com', consumed: 0 },
        ],
      },
    ]);
  });

  it('computes each group over its own licenses (compliance.groups)', async () => {
    await seedGroupsExample();
    const ctx = { principal: systemPrincipal, requestId: null, clock: h.clock };
    const perGroup = await h.services.compliance.groups(ctx, 'SRP00000');
    expect(perGroup.map((g) => g.guid)).toEqual([GUID]);
    const slugs = perGroup[0]?.compliance.products.map((p) => p.slug);
    expect(slugs).not.toContain('watchdox--blackberry--com');
    const account = await h.services.compliance.account(ctx, 'SRP00000');
    expect(account.products.map((p) => p.slug)).toContain('watchdox--blackberry--com');
    const outsider = await h.token('viewer', ['other']);
    const response = await get('/SRP00000/api/v1/licensing/groups', { token: outsider });
    expect(response.statusCode).toBe(404);
  });

  it('matches the native API: compliance, per-group compliance, orders and licensing status', async () => {
    await seedGroupsExample();
    const facade = json<{
      organizationStatus: Record<string, unknown>;
      groupLicensing: {
        groups: { guid: string; licensedUsage: { totalServerLicenses: number }[] }[];
      };
    }>(await ok(await get('/SRP00000/api/v1/licensing/groups')));
    const native = json<{
      items: {
        guid: string;
        compliance: { products: { slug: string; metrics: { entitled: number }[] }[] };
      }[];
    }>(await ok(await get('/v1/accounts/SRP00000/compliance/groups')));
    expect(native.items.map((g) => g.guid)).toEqual([GUID]);
    const gsma = native.items[0]?.compliance.products.find(
      (p) => p.slug === 'gsma--license--blackberry--com',
    );
    expect(gsma?.metrics[0]?.entitled).toBe(10);
    expect(facade.groupLicensing.groups[0]?.licensedUsage[0]?.totalServerLicenses).toBe(10);
    const status = json(await ok(await get('/v1/accounts/SRP00000/licensing-status')));
    expect(facade.organizationStatus).toMatchObject({
      orgId: status.orgId,
      groupLicensing: status.groupLicensing,
      connectedToLicensingInfrastructure: status.connectedToLicensingInfrastructure,
    });
    const orders = json<{ items: { purchaseDetails: { unassigned: number }[] }[] }>(
      await ok(await get('/v1/accounts/SRP00000/orders')),
    );
    expect(orders.items.flatMap((o) => o.purchaseDetails.map((d) => d.unassigned))).toEqual([4, 0]);
  });

  it('lists no groups and no unassigned licenses for a tenant without them', async () => {
    const response = await ok(await get('/other/api/v1/licensing/groups'));
    expect(json(response).groupLicensing).toEqual({ unassignedLicenses: [], groups: [] });
  });
});

describe('media types', () => {
  it('honours Accept: the licensing type, application/json, */*; anything else is 406', async () => {
    const url = '/SRP00000/api/v1/licensing';
    for (const accept of [LICENSING_MEDIA_TYPE, '*/*', 'application/*', 'text/html, */*;q=0.1']) {
      const response = await ok(await get(url, { accept }));
      expect(response.headers['content-type']).toBe(`${LICENSING_MEDIA_TYPE}; charset=utf-8`);
    }
    const plain = await ok(await get(`${url}/groups`, { accept: 'application/json' }));
    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json(plain)).toHaveProperty('groupLicensing');
    for (const accept of ['text/html', 'application/xml', `${LICENSING_MEDIA_TYPE};q=0`]) {
      const response = await get(url, { accept });
      expect(response.statusCode).toBe(406);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(json(response)).toMatchObject({ status: 406, code: 'NOT_ACCEPTABLE' });
    }
  });

  it('negotiates by q, the licensing type winning ties', () => {
    expect(negotiate(undefined)).toBe(LICENSING_MEDIA_TYPE);
    expect(negotiate('application/json, */*')).toBe(LICENSING_MEDIA_TYPE);
    expect(negotiate('application/json, */*;q=0.5')).toBe('application/json');
    expect(negotiate('text/plain;q=1, application/json;q=0.2')).toBe('application/json');
    expect(negotiate('*/*;q=0')).toBeNull();
  });

  it('spells product ids the BlackBerry way', () => {
    expect(blackberryId('gsc--license--blackberry--com')).toBe('gsc.license.blackberry.com');
    expect(blackberryId('emm')).toBe('EMM');
    expect(blackberryId('mdm-controls')).toBe('MDM_CONTROLS');
  });
});

describe('errors', () => {
  it('401 without a token and with a bad one, in the facade format', async () => {
    const missing = await get('/SRP00000/api/v1/licensing', { token: null });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="entitle"');
    expect(json(missing)).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
      message: 'The request is missing the required bearer token.',
      requestId: expect.any(String) as string,
    });
    const bad = await get('/SRP00000/api/v1/licensing/groups', { token: 'nonsense' });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('invalid_token');
    expect(json(bad)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it("404 for an unknown tenant and for another tenant's token", async () => {
    const ghost = await get('/ghost/api/v1/licensing');
    expect(ghost.statusCode).toBe(404);
    expect(json(ghost)).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      message: "Account 'ghost' was not found.",
    });
    const outsider = await h.token('admin', ['other']);
    const foreign = await get('/SRP00000/api/v1/licensing', { token: outsider });
    expect(foreign.statusCode).toBe(404);
    expect(json(foreign)).toMatchObject({ code: 'NOT_FOUND' });
    const viewer = await h.token('viewer', ['SRP00000']);
    await ok(await get('/SRP00000/api/v1/licensing', { token: viewer }));
  });

  it('404 for an unknown path under the prefix, 405 with Allow for another method', async () => {
    const unknown = await get('/SRP00000/api/v1/licensing/nothing');
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    for (const url of ['/SRP00000/api/v1/licensing', '/SRP00000/api/v1/licensing/groups']) {
      const response = await h.request({ method: 'POST', url, body: {} });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD');
      expect(json(response)).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    }
  });

  it('500 without internals when a service fails unexpectedly', async () => {
    vi.spyOn(h.services.compliance, 'account').mockRejectedValue(new Error('disk on fire'));
    const response = await get('/SRP00000/api/v1/licensing');
    expect(response.statusCode).toBe(500);
    expect(json(response)).toMatchObject({
      status: 500,
      code: 'INTERNAL_ERROR',
      message: 'The server could not complete the request.',
    });
    expect(response.body).not.toContain('disk on fire');
  });

  it('400 for a malformed tenantGuid', async () => {
    const response = await get('/bad%20tenant/api/v1/licensing');
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(json<{ message: string }>(response).message).toContain('tenantGuid');
  });
});
