import fc from 'fast-check';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import {
  CHARGE_METRICS,
  computeCharge,
  dollarsToMicros,
  MAX_UNIT_COST_DOLLARS,
  microsToDollars,
  newSubscription,
  replaceSubscription,
  statusTransition,
  subscriptionDefaults,
  subscriptionResource,
  SubscriptionSchema,
  type ChargeInput,
  type SubscriptionCreate,
} from '../../src/domain/subscription.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const DAY_MS = 86_400_000;
const ID = '6a1f1f0e-8a0b-4c43-9d3c-2b5d1d1e2f30';

function create(extra: Partial<SubscriptionCreate> = {}): SubscriptionCreate {
  return {
    type: 'application/astra-subscription',
    version: '1.2',
    terms: 'trial',
    accounts: ['acme'],
    ...extra,
  };
}

describe('defaults', () => {
  it('a trial takes the documented example periods, no limits, zero costs and active status', () => {
    const record = newSubscription(create(), { id: ID, number: 1, now: NOW, actor: 'op' });
    expect(record).toMatchObject({
      status: 'active',
      onboardStatus: 'not started',
      appLimit: -1,
      namespaceLimit: -1,
      subscriptionPeriod: 90,
      gracePeriod: 7,
      reminderBeforePeriod: 30,
      costPerAppUnitMicros: 0,
      costPerNamespaceUnitMicros: 0,
      labels: [],
      revision: 1,
      periodStart: NOW.toISOString(),
      expiresAt: new Date(NOW.getTime() + 90 * DAY_MS).toISOString(),
    });
  });

  it('a paid subscription is unlimited in time and never expires by default', () => {
    expect(subscriptionDefaults('paid')).toMatchObject({
      subscriptionPeriod: -1,
      gracePeriod: -1,
      reminderBeforePeriod: -1,
    });
    const record = newSubscription(create({ terms: 'paid' }), {
      id: ID,
      number: 1,
      now: NOW,
      actor: 'op',
    });
    expect(record.expiresAt).toBeNull();
  });

  it('reads unset profile ids as empty strings, hides paymentExpiry of a trial, and fits the schema', () => {
    const record = newSubscription(create({ paymentExpiry: '2027-01-01T00:00:00Z' }), {
      id: ID,
      number: 1,
      now: NOW,
      actor: 'op',
    });
    const resource = subscriptionResource(record);
    expect(resource.customerProfileID).toBe('');
    expect(resource.paymentProfileID).toBe('');
    expect(resource).not.toHaveProperty('paymentExpiry');
    expect(resource.metadata).toEqual({
      labels: [],
      creationTimestamp: NOW.toISOString(),
      modificationTimestamp: NOW.toISOString(),
      createdBy: 'op',
    });
    expect(Value.Check(SubscriptionSchema, resource)).toBe(true);
    const paid = subscriptionResource({ ...record, terms: 'paid' });
    expect(paid.paymentExpiry).toBe('2027-01-01T00:00:00Z');
  });

  it('a replace keeps what is not user-modifiable and the labels when metadata is omitted', () => {
    const record = newSubscription(
      create({ metadata: { labels: [{ name: 'tier', value: 'gold' }] }, licenseSN: '278343' }),
      { id: ID, number: 7, now: NOW, actor: 'op' },
    );
    const later = new Date(NOW.getTime() + DAY_MS);
    const next = replaceSubscription(
      record,
      { type: 'application/astra-subscription', version: '1.1', customerProfileID: '42' },
      { now: later, actor: 'op2' },
    );
    expect(next).toMatchObject({
      id: ID,
      number: 7,
      version: '1.1',
      terms: 'trial',
      status: 'active',
      labels: [{ name: 'tier', value: 'gold' }],
      createdAt: NOW.toISOString(),
      createdBy: 'op',
      modifiedAt: later.toISOString(),
      modifiedBy: 'op2',
      revision: 2,
      customerProfileID: '42',
      licenseSN: null,
      accounts: ['acme'],
    });
  });
});

describe('status state machine', () => {
  const cancelledAt = NOW.toISOString();

  it('cancels, repeats and reactivates within grace', () => {
    const sub = { gracePeriod: 7, cancelledAt: null };
    expect(statusTransition('active', 'inactive', sub, NOW)).toEqual({ ok: true, kind: 'cancel' });
    expect(statusTransition('active', 'active', sub, NOW)).toEqual({ ok: true, kind: 'none' });
    expect(statusTransition('inactive', 'inactive', sub, NOW)).toEqual({ ok: true, kind: 'none' });
    expect(
      statusTransition(
        'inactive',
        'active',
        { gracePeriod: 7, cancelledAt },
        new Date(NOW.getTime() + 6 * DAY_MS),
      ),
    ).toEqual({ ok: true, kind: 'reactivate' });
  });

  it('refuses reactivation once the grace period is over, and with no grace at all', () => {
    const after = new Date(NOW.getTime() + 7 * DAY_MS);
    expect(
      statusTransition('inactive', 'active', { gracePeriod: 7, cancelledAt }, after),
    ).toMatchObject({
      ok: false,
      code: 'GRACE_OVER',
    });
    expect(
      statusTransition('inactive', 'active', { gracePeriod: 0, cancelledAt }, NOW),
    ).toMatchObject({
      ok: false,
      code: 'GRACE_OVER',
    });
  });

  it('a grace period of -1 never ends', () => {
    const much = new Date(NOW.getTime() + 10_000 * DAY_MS);
    expect(statusTransition('inactive', 'active', { gracePeriod: -1, cancelledAt }, much)).toEqual({
      ok: true,
      kind: 'reactivate',
    });
  });

  it('refuses unknown statuses', () => {
    const sub = { gracePeriod: -1, cancelledAt: null };
    expect(statusTransition('active', 'suspended', sub, NOW)).toMatchObject({
      ok: false,
      code: 'UNKNOWN_STATUS',
    });
    expect(statusTransition('expired', 'active', sub, NOW)).toMatchObject({ ok: false });
  });
});

describe('money', () => {
  it('converts dollars once, rounding half up on the written decimal', () => {
    expect(dollarsToMicros(0.005)).toBe(5000);
    expect(dollarsToMicros(0)).toBe(0);
    expect(dollarsToMicros(1.5)).toBe(1_500_000);
    expect(dollarsToMicros(0.0000005)).toBe(1);
    expect(dollarsToMicros(0.00000049)).toBe(0);
    expect(dollarsToMicros(1.2345675)).toBe(1_234_568);
    expect(dollarsToMicros(123456.789)).toBe(123_456_789_000);
    expect(dollarsToMicros(1e-7)).toBe(0);
    expect(dollarsToMicros(MAX_UNIT_COST_DOLLARS)).toBe(1e12);
    expect(() => dollarsToMicros(-1)).toThrow(RangeError);
    expect(() => dollarsToMicros(Number.NaN)).toThrow(RangeError);
  });

  it('every micro-dollar amount survives the trip to dollars and back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), (micros) => {
        expect(dollarsToMicros(microsToDollars(micros))).toBe(micros);
      }),
    );
  });

  it('any cost converts to an integer within half a micro-dollar', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: MAX_UNIT_COST_DOLLARS, noNaN: true }), (dollars) => {
        const micros = dollarsToMicros(dollars);
        expect(Number.isSafeInteger(micros)).toBe(true);
        expect(Math.abs(micros - dollars * 1e6)).toBeLessThanOrEqual(0.5 + dollars * 1e6 * 1e-15);
      }),
    );
  });
});

describe('charges', () => {
  const micros = fc.integer({ min: 0, max: 1e12 });
  const used = fc.oneof(
    fc.integer({ min: -5, max: 1000 }),
    fc.double({ min: -5, max: 1000, noNaN: true }),
  );
  const input = fc.record({
    terms: fc.constantFrom('trial' as const, 'paid' as const),
    costPerAppUnitMicros: micros,
    costPerNamespaceUnitMicros: micros,
    used: fc.record({ apps: used, namespaces: used }),
  });

  it('bills units × cost per metric', () => {
    expect(
      computeCharge({
        terms: 'paid',
        costPerAppUnitMicros: 1_500_000,
        costPerNamespaceUnitMicros: 5000,
        used: { apps: 3, namespaces: 9.2 },
      }),
    ).toEqual({
      amountMicros: 4_550_000,
      lines: [
        { metric: 'apps', units: 3, unitCostMicros: 1_500_000, amountMicros: 4_500_000 },
        { metric: 'namespaces', units: 10, unitCostMicros: 5000, amountMicros: 50_000 },
      ],
    });
  });

  it('is a non-negative integer', () => {
    fc.assert(
      fc.property(input, (charge: ChargeInput) => {
        const { amountMicros, lines } = computeCharge(charge);
        expect(Number.isSafeInteger(amountMicros)).toBe(true);
        expect(amountMicros).toBeGreaterThanOrEqual(0);
        for (const line of lines) expect(Number.isSafeInteger(line.amountMicros)).toBe(true);
      }),
    );
  });

  it('is additive over metrics', () => {
    fc.assert(
      fc.property(input, (charge: ChargeInput) => {
        const whole = computeCharge(charge).amountMicros;
        const parts = CHARGE_METRICS.map(
          (metric) =>
            computeCharge({
              ...charge,
              used: { apps: 0, namespaces: 0, [metric]: charge.used[metric] },
            }).amountMicros,
        );
        expect(whole).toBe(parts.reduce((a, b) => a + b, 0));
      }),
    );
  });

  it('is zero for a trial, whatever its costs and usage', () => {
    fc.assert(
      fc.property(input, (charge: ChargeInput) => {
        expect(computeCharge({ ...charge, terms: 'trial' }).amountMicros).toBe(0);
      }),
    );
  });

  it('refuses a charge too large to hold exactly', () => {
    expect(() =>
      computeCharge({
        terms: 'paid',
        costPerAppUnitMicros: 1e12,
        costPerNamespaceUnitMicros: 0,
        used: { apps: 1e9, namespaces: 0 },
      }),
    ).toThrow(/too large/);
  });
});
