import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountCompliance,
  complianceStableUntil,
  describe as describeLine,
  metricCompliance,
  type LicenseFacts,
  type SubscriptionFacts,
} from '../../src/domain/compliance.js';
import type { Product } from '../../src/domain/product.js';

const NOW = new Date('2019-05-20T12:00:00.000Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();

const suite: Product = {
  id: 1,
  slug: 'gsc-license',
  name: 'BlackBerry Enterprise Mobility Suite - Content Edition',
  group: null,
  description: 'BlackBerry Enterprise Mobility Suite - Content Edition',
  features: [
    { id: 'MDM_CONTROLS', name: 'MDM controls', description: '' },
    {
      id: 'enterprise.watchdox.blackberry.com',
      name: 'WatchDox Enterprise Edition',
      description: 'WatchDox Enterprise Edition',
    },
  ],
  metrics: [{ id: 1, name: 'Users', unit: 'users' }],
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
};
const workspaces: Product = {
  ...suite,
  id: 2,
  slug: 'watchdox',
  name: 'BlackBerry Workspaces',
  description: 'BlackBerry Workspaces',
  features: [
    {
      id: 'enterprise.watchdox.blackberry.com',
      name: 'WatchDox Enterprise Edition',
      description: '',
    },
  ],
};
const other: Product = {
  ...suite,
  id: 3,
  slug: 'uem',
  name: 'UEM',
  features: [{ id: 'uem.blackberry.com', name: 'UEM', description: '' }],
};
const catalog = [suite, workspaces, other];

function license(fields: Partial<LicenseFacts>): LicenseFacts {
  return {
    id: 'l',
    productId: 1,
    metricId: 1,
    quantity: 10,
    term: 'PERPETUAL',
    state: 'active',
    startsAt: null,
    expiresAt: null,
    graceDays: 0,
    features: ['MDM_CONTROLS'],
    ...fields,
  };
}

function subscription(fields: Partial<SubscriptionFacts>): SubscriptionFacts {
  return {
    id: 's',
    productId: 1,
    metricId: 1,
    quantity: 10,
    active: true,
    trial: false,
    startsAt: null,
    expiresAt: null,
    graceDays: 0,
    reminderDays: -1,
    ...fields,
  };
}

const compliance = (
  licenses: LicenseFacts[],
  used: number,
  extra: Partial<Parameters<typeof accountCompliance>[0]> = {},
) =>
  accountCompliance({
    now: NOW,
    catalog,
    licenses,
    subscriptions: [],
    usage: [{ productId: 1, metricId: 1, used }],
    featureUsage: [],
    ...extra,
  });

describe('compliance per metric', () => {
  it('reproduces the BlackBerry example: 10 trial licenses expiring soon, 50 subscription licenses starting later', () => {
    const result = compliance(
      [
        license({ id: 't', term: 'TRIAL', quantity: 10, expiresAt: '2019-05-30T11:04:30.450Z' }),
        license({
          id: 's',
          term: 'SUBSCRIPTION',
          quantity: 50,
          startsAt: '2019-06-01T00:00:00.000Z',
          expiresAt: '2020-05-31T00:00:00.000Z',
        }),
      ],
      5,
    );
    const [metric] = result.products[0]?.metrics ?? [];
    expect(metric).toMatchObject({
      entitled: 10,
      used: 5,
      available: 5,
      level: 1,
      compliant: true,
      trial: true,
      trialDaysRemaining: 10,
      aboutToExpire: true,
    });
    expect(metric?.licenseInfo).toEqual([
      {
        type: 'TRIAL',
        quantity: 10,
        expirationDate: '2019-05-30T11:04:30.450Z',
        aboutToExpire: true,
        statusType: 'WARNING',
        statusDescription: '10 trial licenses expire on 05/30/2019',
      },
      {
        type: 'SUBSCRIPTION',
        quantity: 50,
        expirationDate: '2020-05-31T00:00:00.000Z',
        aboutToExpire: false,
        statusType: 'INFO',
        statusDescription: '50 Subscription licenses start on 06/01/2019 and end on 05/31/2020',
      },
    ]);
    expect(result.overallComplianceStatus).toBe('WARNING');
  });

  it('is VALID when entitled covers use and nothing is about to expire', () => {
    const result = compliance([license({ quantity: 10 })], 10);
    expect(result.overallComplianceStatus).toBe('VALID');
    expect(result.products[0]).toMatchObject({
      compliant: true,
      complianceStateDescription: 'In compliance',
      activatedFeatures: ['MDM_CONTROLS'],
    });
  });

  it('is NON_COMPLIANT over the entitlement, with HP level entitled / used', () => {
    const result = compliance([license({ quantity: 5 })], 10);
    expect(result.overallComplianceStatus).toBe('NON_COMPLIANT');
    expect(result.products[0]?.metrics[0]).toMatchObject({
      entitled: 5,
      used: 10,
      available: 0,
      level: 0.5,
      compliant: false,
    });
    expect(result.products[0]?.complianceStateDescriptionDetails).toBe(
      'This service uses more than it is entitled to: 10 users used, 5 entitled.',
    );
  });

  it('honours unlimited (-1) and adds subscriptions to licenses', () => {
    expect(
      compliance([license({ quantity: -1 })], 1_000_000).products[0]?.metrics[0],
    ).toMatchObject({ entitled: -1, available: -1, level: 1 });
    const both = compliance([license({ quantity: 4 })], 10, {
      subscriptions: [subscription({ quantity: 6 })],
    });
    expect(both.products[0]?.metrics[0]).toMatchObject({ entitled: 10, level: 1, compliant: true });
    const cancelled = compliance([license({ quantity: 4 })], 10, {
      subscriptions: [subscription({ quantity: 6, active: false })],
    });
    expect(cancelled.products[0]?.metrics[0]?.entitled).toBe(4);
  });

  it('counts a license in grace, with the days left, and warns', () => {
    const result = compliance([license({ expiresAt: at(-2), graceDays: 7 })], 3);
    expect(result.products[0]).toMatchObject({
      inGracePeriod: true,
      gracePeriodDaysRemaining: 5,
      compliant: true,
    });
    expect(result.overallComplianceStatus).toBe('WARNING');
    const expired = compliance([license({ expiresAt: at(-8), graceDays: 7 })], 3);
    expect(expired.products[0]?.metrics[0]).toMatchObject({
      entitled: 0,
      level: 0,
      compliant: false,
    });
    expect(expired.overallComplianceStatus).toBe('NON_COMPLIANT');
  });

  it("uses a subscription's reminder window instead of 30 days", () => {
    const sub = (reminderDays: number) =>
      compliance([], 1, { subscriptions: [subscription({ expiresAt: at(20), reminderDays })] })
        .products[0]?.metrics[0]?.aboutToExpire;
    expect(sub(-1)).toBe(true);
    expect(sub(10)).toBe(false);
    expect(sub(25)).toBe(true);
  });

  it('ignores deactivated, revoked and suspended licenses', () => {
    for (const state of ['inactive', 'revoked', 'suspended', 'invalid'] as const) {
      expect(compliance([license({ state })], 1).products[0]?.metrics[0]?.entitled, state).toBe(0);
    }
  });
});

describe('unlicensed usage', () => {
  it('reports features nothing covers and suggests the products that would', () => {
    const result = compliance([license({ features: ['MDM_CONTROLS'] })], 1, {
      featureUsage: [
        { featureId: 'MDM_CONTROLS', consumed: 10 },
        { featureId: 'enterprise.watchdox.blackberry.com', consumed: 10 },
      ],
    });
    expect(result.unlicensedUsage).toEqual({
      consumedTotal: 10,
      features: [
        {
          id: 'enterprise.watchdox.blackberry.com',
          name: 'WatchDox Enterprise Edition',
          description: 'WatchDox Enterprise Edition',
        },
      ],
      // Products covering the most uncovered features first, then by name.
      suggestedLicenses: [
        {
          id: 'gsc-license',
          name: 'BlackBerry Enterprise Mobility Suite - Content Edition',
          description: 'BlackBerry Enterprise Mobility Suite - Content Edition',
        },
        { id: 'watchdox', name: 'BlackBerry Workspaces', description: 'BlackBerry Workspaces' },
      ],
    });
    expect(result.products[0]?.featureUsage).toEqual([
      { id: 'MDM_CONTROLS', consumed: 10 },
      { id: 'enterprise.watchdox.blackberry.com', consumed: 10 },
    ]);
    expect(result.overallComplianceStatus).toBe('WARNING');
  });

  it('a license without a feature list covers every feature of its product', () => {
    const result = compliance([license({ features: [] })], 1, {
      featureUsage: [{ featureId: 'enterprise.watchdox.blackberry.com', consumed: 3 }],
    });
    expect(result.unlicensedUsage.consumedTotal).toBe(0);
    expect(result.products[0]?.activatedFeatures).toEqual([
      'MDM_CONTROLS',
      'enterprise.watchdox.blackberry.com',
    ]);
  });
});

describe('status lines', () => {
  it('reads as BlackBerry writes them', () => {
    expect(describeLine('TRIAL', 10, '2019-05-30T11:04:30.450Z', null, null)).toBe(
      '10 trial licenses expire on 05/30/2019',
    );
    expect(describeLine('PERPETUAL', 3, null, null, null)).toBe(
      '3 Perpetual licenses never expire',
    );
    expect(
      describeLine('SUBSCRIPTION', -1, '2020-01-01T00:00:00Z', null, '2019-01-01T00:00:00Z'),
    ).toBe('Unlimited Subscription licenses started on 01/01/2019 and end on 01/01/2020');
  });
});

describe('laws', () => {
  it('level is within [0, 1], compliant exactly when entitled covers use, available never negative', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 1000 })), { maxLength: 5 }),
        fc.integer({ min: 0, max: 5000 }),
        (quantities, used) => {
          const sources = quantities.map((quantity) => ({
            quantity,
            term: 'PERPETUAL' as const,
            startsAt: null,
            expiresAt: null,
            graceDays: 0,
            reminderDays: 30,
          }));
          const m = metricCompliance({ id: 1, name: 'n', unit: 'users' }, sources, used, NOW);
          const unlimited = quantities.some((q) => q < 0);
          const total = quantities.reduce((s, q) => s + Math.max(q, 0), 0);
          expect(m.level).toBeGreaterThanOrEqual(0);
          expect(m.level).toBeLessThanOrEqual(1);
          expect(m.compliant).toBe(unlimited || used <= total);
          expect(m.available).toBe(unlimited ? -1 : Math.max(0, total - used));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('how long a summary stays the same', () => {
  const HOUR = 3_600_000;
  const instant = fc.integer({ min: -60 * DAY, max: 60 * DAY });
  const dated = fc.option(instant.map((ms) => new Date(NOW.getTime() + ms).toISOString()));
  const licenses = fc.array(
    fc.record({
      metricId: fc.constantFrom(1, 2),
      quantity: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 50 })),
      term: fc.constantFrom('PERPETUAL', 'SUBSCRIPTION', 'TRIAL', 'DEMO' as const),
      state: fc.constantFrom('active', 'active', 'inactive', 'revoked' as const),
      startsAt: dated,
      expiresAt: dated,
      graceDays: fc.integer({ min: 0, max: 10 }),
      features: fc.constantFrom([], ['MDM_CONTROLS']),
    }),
    { maxLength: 8 },
  );
  const subscriptions = fc.array(
    fc.record({
      metricId: fc.constantFrom(1, 2),
      quantity: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 50 })),
      active: fc.boolean(),
      trial: fc.boolean(),
      startsAt: dated,
      expiresAt: dated,
      graceDays: fc.integer({ min: 0, max: 10 }),
      reminderDays: fc.integer({ min: -1, max: 40 }),
    }),
    { maxLength: 3 },
  );
  const twoMetrics: Product = {
    ...suite,
    metrics: [...suite.metrics, { id: 2, name: 'Devices', unit: 'devices' }],
  };

  it('reads the same at every instant before complianceStableUntil, and may differ at it', () => {
    fc.assert(
      fc.property(
        licenses,
        subscriptions,
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (ls, ss, used, fraction) => {
          const inputs = {
            now: NOW,
            catalog: [twoMetrics, workspaces],
            licenses: ls.map((l, i) => license({ ...l, id: `l${String(i)}` })),
            subscriptions: ss.map((s, i) => subscription({ ...s, id: `s${String(i)}` })),
            usage: [{ productId: 1, metricId: 1, used }],
            featureUsage: [{ featureId: 'MDM_CONTROLS', consumed: 3 }],
          };
          const until = complianceStableUntil(inputs);
          expect(until).toBeGreaterThan(NOW.getTime());
          const summary = accountCompliance(inputs);
          // Any instant in [now, until), including the last millisecond before it.
          const span = Math.min(until, NOW.getTime() + 90 * DAY) - NOW.getTime();
          for (const later of [Math.floor(span * fraction), span - 1, HOUR % span]) {
            const moved = { ...inputs, now: new Date(NOW.getTime() + Math.max(0, later)) };
            expect(accountCompliance(moved)).toEqual(summary);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('ends at the next expiry, reminder, grace end or day step, whichever comes first', () => {
    const inputs = (facts: Partial<LicenseFacts>[]) => ({
      now: NOW,
      catalog,
      licenses: facts.map(license),
      subscriptions: [],
      usage: [],
      featureUsage: [],
    });
    expect(complianceStableUntil(inputs([{}]))).toBe(Infinity);
    // Expires in 40.5 days: the reminder window (30 days) opens in 10.5 days.
    expect(complianceStableUntil(inputs([{ expiresAt: at(40.5) }]))).toBe(
      NOW.getTime() + 0.5 * DAY,
    );
    // A trial expiring in 2.25 days: its days left step from 3 to 2 in 0.25 days.
    expect(complianceStableUntil(inputs([{ term: 'TRIAL', expiresAt: at(2.25) }]))).toBe(
      NOW.getTime() + 0.25 * DAY,
    );
    expect(complianceStableUntil(inputs([{ startsAt: at(0.125) }]))).toBe(
      NOW.getTime() + 0.125 * DAY,
    );
  });
});
