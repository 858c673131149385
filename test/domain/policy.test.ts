import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TERMS,
  OVERAGE_ALLOWANCES,
  checkOut,
  checkTerms,
  coversRelease,
  effectiveTerms,
  expiryEffect,
  fingerprintMatches,
  heartbeat,
  leaseAlive,
  missingScopes,
  nextSeat,
  reclaimable,
  renewedExpiry,
  seatCeiling,
  termEnd,
  type Lease,
  type PolicyTerms,
} from '../../src/domain/policy.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const DAY = 86_400_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);
const iso = (ms: number) => at(ms).toISOString();

describe('effective terms', () => {
  it('takes the policy and lays the overrides given on top', () => {
    const policy: PolicyTerms = { ...DEFAULT_TERMS, seatLimit: 5, graceDays: 7 };
    const terms = effectiveTerms(policy, { seatLimit: 10, overage: '1.5X' });
    expect(terms.seatLimit).toBe(10);
    expect(terms.overage).toBe('1.5X');
    expect(terms.graceDays).toBe(7);
    expect(effectiveTerms(policy, { seatLimit: undefined }).seatLimit).toBe(5);
    expect(policy.seatLimit).toBe(5);
  });

  it('overrides one rate limit and keeps the others', () => {
    const terms = effectiveTerms(DEFAULT_TERMS, { rateLimits: { validationsPerMinute: 10 } });
    expect(terms.rateLimits).toEqual({ ...DEFAULT_TERMS.rateLimits, validationsPerMinute: 10 });
    expect(DEFAULT_TERMS.rateLimits.validationsPerMinute).toBe(600);
  });

  it('names the field of each rule spanning fields', () => {
    expect(checkTerms(DEFAULT_TERMS)).toEqual([]);
    const names = (terms: Partial<PolicyTerms>) =>
      checkTerms({ ...DEFAULT_TERMS, ...terms }).map((issue) => issue.name);
    expect(names({ term: 'SUBSCRIPTION' })).toEqual(['durationDays']);
    expect(names({ nodeLocked: true, floating: true })).toEqual(['floating']);
    expect(names({ nodeLocked: true, seatLimit: 3 })).toEqual(['seatLimit']);
    expect(names({ heartbeatSeconds: 7200, leaseSeconds: 3600 })).toEqual(['heartbeatSeconds']);
  });
});

describe('seats and overage', () => {
  it('lets 10 seats at 1.25× take a 12th as overage and refuses the 13th', () => {
    const outcomes = Array.from({ length: 13 }, (_, used) => nextSeat(used, 10, '1.25X'));
    expect(outcomes.slice(0, 10)).toEqual(Array(10).fill('WITHIN'));
    expect(outcomes.slice(10, 12)).toEqual(['OVERAGE', 'OVERAGE']);
    expect(outcomes[12]).toBe('EXHAUSTED');
  });

  it('never refuses below the limit, never allows past the ceiling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.constantFrom(...OVERAGE_ALLOWANCES),
        fc.integer({ min: 0, max: 40_000 }),
        (limit, overage, used) => {
          const outcome = nextSeat(used, limit, overage);
          const ceiling = seatCeiling(limit, overage);
          if (used < limit) expect(outcome).toBe('WITHIN');
          else if (ceiling === null || used < ceiling) expect(outcome).toBe('OVERAGE');
          else expect(outcome).toBe('EXHAUSTED');
          if (ceiling !== null) expect(ceiling).toBeGreaterThanOrEqual(limit);
        },
      ),
    );
    expect(nextSeat(1_000_000, null, 'NONE')).toBe('WITHIN');
    expect(nextSeat(5, 5, 'NONE')).toBe('EXHAUSTED');
    expect(nextSeat(1_000_000, 5, 'UNLIMITED')).toBe('OVERAGE');
  });
});

describe('the clock', () => {
  const events = { issuedAt: iso(0), firstActivatedAt: null, firstValidatedAt: iso(5 * DAY) };

  it('starts the term when the policy says', () => {
    expect(termEnd({ durationDays: 30, clockStarts: 'ISSUE' }, events)).toEqual({
      started: true,
      expiresAt: iso(30 * DAY),
    });
    expect(termEnd({ durationDays: 30, clockStarts: 'FIRST_ACTIVATION' }, events)).toEqual({
      started: false,
      expiresAt: null,
    });
    expect(termEnd({ durationDays: 30, clockStarts: 'FIRST_VALIDATION' }, events)).toEqual({
      started: true,
      expiresAt: iso(35 * DAY),
    });
    expect(termEnd({ durationDays: null, clockStarts: 'ISSUE' }, events)).toEqual({
      started: true,
      expiresAt: null,
    });
  });

  it('renews from the expiry or from now', () => {
    const early = iso(10 * DAY);
    expect(renewedExpiry({ durationDays: 30, renewalBasis: 'FROM_EXPIRY' }, early, NOW)).toBe(
      iso(40 * DAY),
    );
    expect(renewedExpiry({ durationDays: 30, renewalBasis: 'FROM_NOW' }, early, NOW)).toBe(
      iso(30 * DAY),
    );
    expect(renewedExpiry({ durationDays: null, renewalBasis: 'FROM_NOW' }, early, NOW)).toBeNull();
  });

  it('renewing from the expiry never ends sooner than renewing from now, once expired', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3650 }),
        fc.integer({ min: -400, max: 400 }),
        (days, offsetDays) => {
          const expiry = iso(offsetDays * DAY);
          const fromExpiry = Date.parse(
            renewedExpiry({ durationDays: days, renewalBasis: 'FROM_EXPIRY' }, expiry, NOW) ?? '',
          );
          const fromNow = Date.parse(
            renewedExpiry({ durationDays: days, renewalBasis: 'FROM_NOW' }, expiry, NOW) ?? '',
          );
          expect(fromExpiry - fromNow).toBe(offsetDays * DAY);
        },
      ),
    );
  });

  it('applies the expiration behaviour only once grace is over', () => {
    const expired = iso(-10 * DAY);
    expect(expiryEffect('RESTRICT', expired, 30, NOW)).toEqual({ kind: 'none' });
    expect(expiryEffect('RESTRICT', expired, 5, NOW)).toEqual({ kind: 'invalid' });
    expect(expiryEffect('ALLOW', expired, 5, NOW)).toEqual({ kind: 'flagged' });
    const maintained = expiryEffect('MAINTAIN', expired, 5, NOW);
    expect(maintained).toEqual({ kind: 'maintained', frozenAt: expired });
    expect(coversRelease(maintained, iso(-20 * DAY))).toBe(true);
    expect(coversRelease(maintained, iso(-1 * DAY))).toBe(false);
    expect(coversRelease(maintained, undefined)).toBe(false);
    expect(coversRelease({ kind: 'flagged' }, undefined)).toBe(true);
    expect(coversRelease({ kind: 'invalid' }, iso(-20 * DAY))).toBe(false);
    expect(expiryEffect('RESTRICT', null, 0, NOW)).toEqual({ kind: 'none' });
  });
});

describe('fingerprints and scopes', () => {
  it('matches ANY, MOST and ALL of the registered components', () => {
    const registered = ['cpu:1', 'disk:2', 'mac:3'];
    expect(fingerprintMatches('ANY', registered, ['mac:3'])).toBe(true);
    expect(fingerprintMatches('MOST', registered, ['mac:3'])).toBe(false);
    expect(fingerprintMatches('MOST', registered, ['mac:3', 'cpu:1'])).toBe(true);
    expect(fingerprintMatches('ALL', registered, ['mac:3', 'cpu:1'])).toBe(false);
    expect(fingerprintMatches('ALL', registered, [...registered, 'extra'])).toBe(true);
    expect(fingerprintMatches('ANY', registered, [])).toBe(false);
    expect(fingerprintMatches('ALL', [], [])).toBe(true);
  });

  it('ALL implies MOST implies ANY', () => {
    const component = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    fc.assert(
      fc.property(fc.array(component, { minLength: 1 }), fc.array(component), (reg, pres) => {
        if (fingerprintMatches('ALL', reg, pres))
          expect(fingerprintMatches('MOST', reg, pres)).toBe(true);
        if (fingerprintMatches('MOST', reg, pres))
          expect(fingerprintMatches('ANY', reg, pres)).toBe(true);
      }),
    );
  });

  it('lists the required scopes a request left out', () => {
    expect(missingScopes(['product', 'fingerprint'], { product: 'cvo' })).toEqual(['fingerprint']);
    expect(missingScopes([], {})).toEqual([]);
  });
});

describe('floating leases', () => {
  const terms = {
    seatLimit: 2,
    overage: 'NONE' as const,
    leaseSeconds: 600,
    heartbeatSeconds: 60,
  };

  it('grants up to the limit, renews an instance’s own lease, refuses past it', () => {
    const first = checkOut([], { leaseId: 'l1', instanceId: 'a' }, terms, NOW);
    expect(first).toMatchObject({ ok: true, outcome: 'WITHIN' });
    const held = first.ok ? [first.lease] : [];
    const again = checkOut(held, { leaseId: 'l2', instanceId: 'a' }, terms, at(1000));
    expect(again).toMatchObject({ ok: true, outcome: 'RENEWED', lease: { id: 'l1' } });
    const second = checkOut(held, { leaseId: 'l3', instanceId: 'b' }, terms, at(1000));
    if (!second.ok) throw new Error('second lease refused');
    const third = checkOut(
      [...held, second.lease],
      { leaseId: 'l4', instanceId: 'c' },
      terms,
      at(2000),
    );
    expect(third).toMatchObject({ ok: false, code: 'TOO_MANY_LEASES' });
  });

  it('frees a seat whose heartbeat stopped, and refuses to revive it', () => {
    const taken = checkOut([], { leaseId: 'l1', instanceId: 'a' }, terms, NOW);
    if (!taken.ok) throw new Error('refused');
    const lease = taken.lease;
    expect(leaseAlive(lease, terms, at(119_000))).toBe(true);
    expect(leaseAlive(lease, terms, at(120_000))).toBe(false);
    expect(reclaimable([lease], terms, at(120_000))).toEqual([lease]);
    expect(heartbeat(lease, terms, at(120_000))).toEqual({ ok: false, code: 'HEARTBEAT_DEAD' });
    expect(heartbeat(lease, terms, at(600_000))).toEqual({ ok: false, code: 'LEASE_EXPIRED' });
    const beat = heartbeat(lease, terms, at(100_000));
    expect(beat).toMatchObject({ ok: true, lease: { lastHeartbeatAt: iso(100_000) } });
  });

  type Op =
    | { kind: 'checkOut'; instance: number }
    | { kind: 'heartbeat'; lease: number }
    | { kind: 'checkIn'; lease: number }
    | { kind: 'advance'; seconds: number }
    | { kind: 'reclaim' };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('checkOut' as const),
      instance: fc.integer({ min: 0, max: 11 }),
    }),
    fc.record({ kind: fc.constant('heartbeat' as const), lease: fc.nat(30) }),
    fc.record({ kind: fc.constant('checkIn' as const), lease: fc.nat(30) }),
    fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 900 }) }),
    fc.record({ kind: fc.constant('reclaim' as const) }),
  );

  it('never has more live leases than the ceiling, and a freed seat goes to the next caller', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(...OVERAGE_ALLOWANCES.filter((o) => o !== 'UNLIMITED')),
        fc.option(fc.integer({ min: 10, max: 300 }), { nil: null }),
        fc.array(op, { maxLength: 120 }),
        (seatLimit, overage, heartbeatSeconds, ops) => {
          const t = { seatLimit, overage, leaseSeconds: 600, heartbeatSeconds };
          const ceiling = seatCeiling(seatLimit, overage) ?? Infinity;
          let now = NOW.getTime();
          let held: Lease[] = [];
          let next = 0;
          for (const step of ops) {
            const clock = new Date(now);
            if (step.kind === 'advance') now += step.seconds * 1000;
            else if (step.kind === 'reclaim') {
              const dead = new Set(reclaimable(held, t, clock).map((lease) => lease.id));
              held = held.filter((lease) => !dead.has(lease.id));
            } else if (step.kind === 'checkIn') {
              held = held.filter((_, i) => i !== step.lease % Math.max(held.length, 1));
            } else if (step.kind === 'heartbeat') {
              const lease = held[step.lease % Math.max(held.length, 1)];
              if (lease !== undefined) {
                const beat = heartbeat(lease, t, clock);
                if (beat.ok) held = held.map((l) => (l.id === lease.id ? beat.lease : l));
              }
            } else {
              const alive = held.filter((lease) => leaseAlive(lease, t, clock)).length;
              const result = checkOut(
                held,
                { leaseId: `l${String(next++)}`, instanceId: `i${String(step.instance)}` },
                t,
                clock,
              );
              if (result.ok && result.outcome !== 'RENEWED') held = [...held, result.lease];
              else if (result.ok)
                held = held.map((l) => (l.id === result.lease.id ? result.lease : l));
              // A seat that is free (dead leases do not count) is never refused.
              if (alive < ceiling) expect(result.ok).toBe(true);
            }
            const live = held.filter((lease) => leaseAlive(lease, t, new Date(now))).length;
            expect(live).toBeLessThanOrEqual(ceiling);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
