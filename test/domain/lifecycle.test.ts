import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountCompliance, OverallStatus } from '../../src/domain/compliance.js';
import {
  complianceChange,
  dueExpiryMarks,
  graceEndsAt,
  licenseExpiryFacts,
  overageMark,
  overagePeriod,
  overages,
  periodClosedByExpiry,
  subscriptionExpiryFacts,
  type ExpiryFacts,
} from '../../src/domain/lifecycle.js';

const DAY = 86_400_000;
const E = '2026-12-01T00:00:00Z';
const EXPIRES = Date.parse(E);
const at = (offsetMs: number) => new Date(EXPIRES + offsetMs);
const kinds = (facts: ExpiryFacts, now: Date) => dueExpiryMarks(facts, now).map((m) => m.kind);

describe('dueExpiryMarks', () => {
  const facts: ExpiryFacts = { expiresAt: E, graceDays: 7, reminderDays: 30 };

  it('is empty before the reminder window and for a perpetual resource', () => {
    expect(kinds(facts, at(-30 * DAY - 1))).toEqual([]);
    expect(kinds({ ...facts, expiresAt: null }, at(1000 * DAY))).toEqual([]);
  });

  it('makes the reminder due from exactly reminderDays before the expiry until it', () => {
    expect(dueExpiryMarks(facts, at(-30 * DAY))).toEqual([
      {
        kind: 'expiring',
        occurrence: '2026-12-01T00:00:00.000Z',
        dueAt: '2026-11-01T00:00:00.000Z',
      },
    ]);
    expect(kinds(facts, at(-1))).toEqual(['expiring']);
    expect(kinds(facts, at(0))).toEqual(['expired']);
  });

  it('makes expired due at the expiry, grace_ended at its end, both at once without grace', () => {
    expect(kinds(facts, at(7 * DAY - 1))).toEqual(['expired']);
    expect(dueExpiryMarks(facts, at(7 * DAY))).toEqual([
      {
        kind: 'expired',
        occurrence: '2026-12-01T00:00:00.000Z',
        dueAt: '2026-12-01T00:00:00.000Z',
      },
      {
        kind: 'grace_ended',
        occurrence: '2026-12-01T00:00:00.000Z',
        dueAt: '2026-12-08T00:00:00.000Z',
      },
    ]);
    expect(kinds({ ...facts, graceDays: 0 }, at(0))).toEqual(['expired', 'grace_ended']);
  });

  it('never ends an unlimited grace, and has no reminder with a window of 0', () => {
    expect(kinds({ ...facts, graceDays: null }, at(10_000 * DAY))).toEqual(['expired']);
    expect(kinds({ ...facts, reminderDays: 0 }, at(-1))).toEqual([]);
  });

  it('keys every mark on the canonical expiry, whatever its spelling', () => {
    const spelled = { ...facts, expiresAt: '2026-12-01T01:00:00+01:00' };
    expect(dueExpiryMarks(spelled, at(0))[0]?.occurrence).toBe('2026-12-01T00:00:00.000Z');
  });

  it('is due exactly once per mark for any sequence of ticks (law)', () => {
    // A scheduler ticks at arbitrary increasing instants and records each due mark it has not
    // recorded yet (the unique key). Each mark is recorded at most once, and it is recorded
    // exactly when some tick falls in the interval where it is due, at the first such tick.
    const factsArb = fc.record({
      graceDays: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
      reminderDays: fc.integer({ min: 0, max: 60 }),
    });
    const ticksArb = fc
      .array(fc.integer({ min: -90 * DAY, max: 120 * DAY }), { maxLength: 40 })
      .map((ticks) => [...ticks].sort((a, b) => a - b));
    fc.assert(
      fc.property(factsArb, ticksArb, ({ graceDays, reminderDays }, ticks) => {
        const f: ExpiryFacts = { expiresAt: E, graceDays, reminderDays };
        const recorded = new Set<string>();
        const emitted: { key: string; tick: number }[] = [];
        for (const tick of ticks) {
          for (const mark of dueExpiryMarks(f, at(tick))) {
            const key = `${mark.kind}|${mark.occurrence}`;
            if (recorded.has(key)) continue;
            recorded.add(key);
            emitted.push({ key, tick });
          }
        }
        const firstIn = (from: number, to: number) => ticks.find((t) => t >= from && t < to);
        const expected: Record<string, number | undefined> = {
          expiring: reminderDays > 0 ? firstIn(-reminderDays * DAY, 0) : undefined,
          expired: firstIn(0, Infinity),
          grace_ended: graceDays === null ? undefined : firstIn(graceDays * DAY, Infinity),
        };
        for (const [kind, first] of Object.entries(expected)) {
          const key = `${kind}|2026-12-01T00:00:00.000Z`;
          const times = emitted.filter((e) => e.key === key).map((e) => e.tick);
          expect(times).toEqual(first === undefined ? [] : [first]);
        }
        expect(emitted.every((e) => e.key.endsWith('|2026-12-01T00:00:00.000Z'))).toBe(true);
      }),
    );
  });

  it('makes a new occurrence due when the expiry moves', () => {
    const first = dueExpiryMarks(facts, at(-DAY))[0];
    const moved = dueExpiryMarks(
      { ...facts, expiresAt: '2027-01-01T00:00:00Z' },
      at(-DAY + 31 * DAY),
    );
    expect(first?.occurrence).not.toBe(moved[0]?.occurrence);
    expect(moved.map((m) => m.kind)).toEqual(['expiring']);
  });
});

describe('expiry facts', () => {
  it("gives licenses their account's window, by default that of validity.aboutToExpire", () => {
    expect(licenseExpiryFacts({ expiresAt: E, graceDays: 3 }, 60).reminderDays).toBe(60);
    expect(licenseExpiryFacts({ expiresAt: E, graceDays: 3 }, null).reminderDays).toBe(30);
    expect(licenseExpiryFacts({ expiresAt: E, graceDays: 3 })).toEqual({
      expiresAt: E,
      graceDays: 3,
      reminderDays: 30,
    });
  });

  it('reads a subscription as compliance does: -1 grace never ends, -1 reminder is 30 days', () => {
    expect(
      subscriptionExpiryFacts({ expiresAt: E, gracePeriod: -1, reminderBeforePeriod: -1 }),
    ).toEqual({ expiresAt: E, graceDays: null, reminderDays: 30 });
    expect(
      subscriptionExpiryFacts({ expiresAt: E, gracePeriod: 7, reminderBeforePeriod: 10 }),
    ).toEqual({ expiresAt: E, graceDays: 7, reminderDays: 10 });
  });

  it('computes the end of grace', () => {
    expect(graceEndsAt({ expiresAt: E, graceDays: 14 })).toBe('2026-12-15T00:00:00.000Z');
    expect(graceEndsAt({ expiresAt: E, graceDays: null })).toBeNull();
    expect(graceEndsAt({ expiresAt: null, graceDays: 3 })).toBeNull();
  });

  it('closes the period from its start to the expiry, or none when it started later', () => {
    expect(periodClosedByExpiry({ periodStart: '2026-11-01T00:00:00.000Z', expiresAt: E })).toEqual(
      { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
    );
    expect(periodClosedByExpiry({ periodStart: '2026-12-02T00:00:00.000Z', expiresAt: E })).toBe(
      null,
    );
    expect(periodClosedByExpiry({ periodStart: E, expiresAt: null })).toBeNull();
  });
});

describe('overages', () => {
  const metric = (metricId: number, entitled: number, used: number) => ({
    metricId,
    name: `m${String(metricId)}`,
    unit: 'nodes',
    entitled,
    used,
    available: 0,
    level: 1,
    compliant: used <= entitled || entitled < 0,
    inGrace: false,
    graceDaysRemaining: null,
    trial: false,
    trialDaysRemaining: null,
    aboutToExpire: false,
    licenseInfo: [],
  });
  const summary = (metrics: ReturnType<typeof metric>[]): AccountCompliance => ({
    overallComplianceStatus: 'NON_COMPLIANT',
    products: [
      {
        productId: 7,
        slug: 'p',
        name: 'P',
        description: 'P',
        compliant: false,
        inGracePeriod: false,
        gracePeriodDaysRemaining: null,
        activatedFeatures: [],
        featureUsage: [],
        complianceStateDescription: '',
        complianceStateDescriptionDetails: '',
        metrics,
      },
    ],
    unlicensedUsage: { consumedTotal: 0, features: [], suggestedLicenses: [] },
    seatOverages: [],
  });

  it('are the metrics used beyond a limited entitlement', () => {
    expect(
      overages(summary([metric(1, 5, 10), metric(2, 5, 5), metric(3, -1, 99), metric(4, 0, 1)])),
    ).toEqual([
      { productId: 7, metric: 1, entitled: 5, consumed: 10, unit: 'nodes' },
      { productId: 7, metric: 4, entitled: 0, consumed: 1, unit: 'nodes' },
    ]);
  });

  it('are keyed per product × metric and UTC month', () => {
    expect(overageMark({ productId: 7, metric: 1 })).toBe('overage:7:1');
    expect(overagePeriod(new Date('2026-11-30T23:59:59.999Z'))).toBe('2026-11');
    expect(overagePeriod(new Date('2026-12-01T00:00:00.000Z'))).toBe('2026-12');
  });
});

describe('complianceChange', () => {
  it('records a change, not a repeat; a first observation only when not VALID', () => {
    expect(complianceChange('VALID', 'WARNING')).toEqual({ before: 'VALID', after: 'WARNING' });
    expect(complianceChange('WARNING', 'WARNING')).toBeNull();
    expect(complianceChange(null, 'VALID')).toBeNull();
    expect(complianceChange(null, 'NON_COMPLIANT')).toEqual({
      before: null,
      after: 'NON_COMPLIANT',
    });
  });

  it('records as many changes as the observed sequence has, counting from VALID (law)', () => {
    const level = fc.constantFrom<OverallStatus>('VALID', 'WARNING', 'NON_COMPLIANT');
    fc.assert(
      fc.property(fc.array(level, { maxLength: 30 }), (observed) => {
        let stored: OverallStatus | null = null;
        let changes = 0;
        for (const now of observed) {
          const change = complianceChange(stored, now);
          if (change !== null) {
            expect(change.before).toBe(stored);
            changes++;
          }
          stored = now;
        }
        const expected = observed.filter((now, i) => now !== (observed[i - 1] ?? 'VALID')).length;
        expect(changes).toBe(expected);
      }),
    );
  });
});
