import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LICENSE_STATES } from '../../src/domain/license.js';
import {
  DEFAULT_RATE_LIMITS,
  DEFAULT_TERMS,
  EXPIRATION_BEHAVIOURS,
  OVERAGE_ALLOWANCES,
  clockStartAtBinding,
  deadInstanceToDeactivate,
  rateWindow,
  seatCeiling,
  termedFields,
  type Lease,
  type PolicyTerms,
} from '../../src/domain/policy.js';
import {
  fingerprintComponents,
  validateLicense,
  type PolicyFacts,
  type ValidationFacts,
} from '../../src/domain/validation.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

function facts(
  license: Partial<ValidationFacts['license']> = {},
  rest: Partial<Omit<ValidationFacts, 'license'>> = {},
): ValidationFacts {
  return {
    license: {
      state: 'active',
      term: 'SUBSCRIPTION',
      startsAt: null,
      expiresAt: iso(30 * DAY),
      graceDays: 0,
      features: [],
      productId: 7,
      seatLimit: 10,
      ...license,
    },
    seatsUsed: 1,
    ...rest,
  };
}

function policy(terms: Partial<PolicyTerms> = {}, extra: Partial<PolicyFacts> = {}): PolicyFacts {
  return { terms: { ...DEFAULT_TERMS, ...terms }, liveLeases: 0, ...extra };
}

const activated = (fingerprint: string | null = null) => ({ activated: true, fingerprint });
const notActivated = { activated: false, fingerprint: null };

describe('validation under a policy: expiry', () => {
  const expired = { expiresAt: iso(-3 * DAY), graceDays: 2 };

  it('RESTRICT is EXPIRED, MAINTAIN is MAINTAINED, ALLOW is EXPIRED_ALLOWED', () => {
    const codes = EXPIRATION_BEHAVIOURS.map(
      (behaviour) =>
        validateLicense(facts(expired, { policy: policy({ expirationBehaviour: behaviour }) }), NOW)
          .code,
    );
    expect(codes).toEqual(['EXPIRED', 'MAINTAINED', 'EXPIRED_ALLOWED']);
  });

  it('MAINTAIN covers a version released before the expiry, not one at or after it', () => {
    const maintain = policy({ expirationBehaviour: 'MAINTAIN' });
    const before = validateLicense(
      facts(expired, { policy: maintain, releasedAt: iso(-4 * DAY) }),
      NOW,
    );
    expect(before).toMatchObject({ valid: true, code: 'MAINTAINED' });
    const at = validateLicense(
      facts(expired, { policy: maintain, releasedAt: iso(-3 * DAY) }),
      NOW,
    );
    expect(at).toMatchObject({ valid: false, code: 'VERSION_NOT_COVERED' });
  });

  it('in grace, every behaviour says IN_GRACE; the behaviour decides only after', () => {
    for (const behaviour of EXPIRATION_BEHAVIOURS) {
      const verdict = validateLicense(
        facts(
          { expiresAt: iso(-DAY), graceDays: 2 },
          { policy: policy({ expirationBehaviour: behaviour }) },
        ),
        NOW,
      );
      expect(verdict.code).toBe('IN_GRACE');
    }
  });

  it('revoked and suspended still win over any expiry behaviour', () => {
    const allow = policy({ expirationBehaviour: 'ALLOW' });
    expect(
      validateLicense(facts({ ...expired, state: 'revoked' }, { policy: allow }), NOW).code,
    ).toBe('REVOKED');
    expect(
      validateLicense(facts({ ...expired, state: 'suspended' }, { policy: allow }), NOW).code,
    ).toBe('SUSPENDED');
  });
});

describe('validation under a policy: scopes and fingerprints', () => {
  it('SCOPE_REQUIRED lists the scopes left out, after the state guards', () => {
    const scoped = policy({ requiredScopes: ['product', 'feature'] });
    const verdict = validateLicense(facts({}, { policy: scoped }), NOW);
    expect(verdict).toMatchObject({ valid: false, code: 'SCOPE_REQUIRED' });
    expect(verdict.detail).toContain('product, feature');
    expect(
      validateLicense(facts({}, { policy: scoped, requestedProduct: { id: 7, ref: '7' } }), NOW)
        .code,
    ).toBe('SCOPE_REQUIRED');
    expect(
      validateLicense(
        facts(
          {},
          { policy: scoped, requestedProduct: { id: 7, ref: '7' }, requestedFeature: 'base' },
        ),
        NOW,
      ).code,
    ).toBe('VALID');
    expect(validateLicense(facts({ state: 'revoked' }, { policy: scoped }), NOW).code).toBe(
      'REVOKED',
    );
  });

  it('splits fingerprints into trimmed components', () => {
    expect(fingerprintComponents(' mac:1 , disk:2,,cpu:3 ')).toEqual(['mac:1', 'disk:2', 'cpu:3']);
    expect(fingerprintComponents('plain')).toEqual(['plain']);
  });

  it('matches components under a policy, whole strings without one', () => {
    const instance = activated('mac:1,disk:2,cpu:3');
    const most = policy({ fingerprintMatching: 'MOST' });
    expect(
      validateLicense(facts({}, { instance, fingerprint: 'disk:2,mac:1', policy: most }), NOW).code,
    ).toBe('VALID');
    expect(
      validateLicense(facts({}, { instance, fingerprint: 'disk:2', policy: most }), NOW).code,
    ).toBe('FINGERPRINT_SCOPE_MISMATCH');
    expect(validateLicense(facts({}, { instance, fingerprint: 'disk:2,mac:1' }), NOW).code).toBe(
      'FINGERPRINT_MISMATCH',
    );
  });
});

describe('validation under a policy: seats and overage', () => {
  it('answers OVERAGE past the limit and SEATS_EXHAUSTED only past the ceiling', () => {
    const over = policy({ overage: '1.25X' });
    expect(
      validateLicense(facts({}, { instance: activated(), seatsUsed: 12, policy: over }), NOW),
    ).toMatchObject({ valid: true, code: 'OVERAGE' });
    expect(
      validateLicense(facts({}, { instance: notActivated, seatsUsed: 11, policy: over }), NOW).code,
    ).toBe('NOT_ACTIVATED');
    expect(
      validateLicense(facts({}, { instance: notActivated, seatsUsed: 12, policy: over }), NOW).code,
    ).toBe('SEATS_EXHAUSTED');
    expect(validateLicense(facts({}, { seatsUsed: 12, policy: over }), NOW).code).toBe('VALID');
  });

  it('never says SEATS_EXHAUSTED while a seat under the ceiling is free, nor OVERAGE within the limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.constantFrom(...OVERAGE_ALLOWANCES),
        fc.boolean(),
        (seatLimit, seatsUsed, overage, isActivated) => {
          const verdict = validateLicense(
            facts(
              { seatLimit },
              {
                seatsUsed,
                instance: isActivated ? activated() : notActivated,
                policy: policy({ overage }),
              },
            ),
            NOW,
          );
          const ceiling = seatCeiling(seatLimit, overage);
          if (verdict.code === 'SEATS_EXHAUSTED') {
            expect(ceiling).not.toBeNull();
            expect(seatsUsed).toBeGreaterThanOrEqual(ceiling ?? Infinity);
          }
          if (verdict.code === 'OVERAGE') expect(seatsUsed).toBeGreaterThan(seatLimit);
        },
      ),
    );
  });
});

describe('validation under a policy: floating leases', () => {
  const floating: Partial<PolicyTerms> = {
    floating: true,
    seatLimit: 2,
    heartbeatSeconds: 60,
    leaseSeconds: 600,
  };
  const lease = (expiresIn: number, beatAgo: number): Lease => ({
    id: 'lease_1',
    instanceId: 'i',
    expiresAt: iso(expiresIn),
    lastHeartbeatAt: iso(-beatAgo),
  });

  it('walks the lease guards in order', () => {
    const judge = (extra: Partial<PolicyFacts>) =>
      validateLicense(
        facts({ seatLimit: 2 }, { instance: notActivated, policy: policy(floating, extra) }),
        NOW,
      ).code;
    expect(judge({ lease: lease(60_000, 10_000), liveLeases: 1 })).toBe('VALID');
    expect(judge({ lease: lease(60_000, 130_000), liveLeases: 0 })).toBe('HEARTBEAT_DEAD');
    expect(judge({ lease: lease(-1, 10_000), liveLeases: 0 })).toBe('LEASE_EXPIRED');
    expect(judge({ liveLeases: 2 })).toBe('TOO_MANY_LEASES');
    expect(judge({ liveLeases: 1 })).toBe('NOT_ACTIVATED');
    expect(judge({ lease: lease(60_000, 10_000), liveLeases: 3 })).toBe('OVERAGE');
  });

  it('without an instance a floating license validates like any other', () => {
    expect(validateLicense(facts({}, { policy: policy(floating) }), NOW).code).toBe('VALID');
  });
});

describe('without a policy nothing changes', () => {
  it('gives the same verdict with the default terms for every state and expiry', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LICENSE_STATES),
        fc.integer({ min: -40, max: 40 }),
        fc.integer({ min: 0, max: 5 }),
        (state, expiresInDays, graceDays) => {
          const base = facts({ state, expiresAt: iso(expiresInDays * DAY), graceDays });
          const bound = { ...base, policy: policy() };
          expect(validateLicense(bound, NOW)).toEqual(validateLicense(base, NOW));
        },
      ),
    );
  });
});

describe('what binding writes on a license', () => {
  it('starts the clock at issue, first activation, or not yet', () => {
    const license = { createdAt: iso(0), startsAt: iso(DAY), activatedAt: iso(2 * DAY) };
    expect(clockStartAtBinding({ clockStarts: 'ISSUE' }, license)).toBe(iso(DAY));
    expect(clockStartAtBinding({ clockStarts: 'ISSUE' }, { ...license, startsAt: null })).toBe(
      iso(0),
    );
    expect(clockStartAtBinding({ clockStarts: 'FIRST_ACTIVATION' }, license)).toBe(iso(2 * DAY));
    expect(clockStartAtBinding({ clockStarts: 'FIRST_VALIDATION' }, license)).toBeNull();
  });

  it('takes term, grace, seats, features and the metric from the terms, and the expiry from the clock', () => {
    const terms: PolicyTerms = {
      ...DEFAULT_TERMS,
      term: 'TRIAL',
      durationDays: 14,
      graceDays: 3,
      seatLimit: 4,
      features: ['a'],
      metrics: [
        { metricId: 2, quantity: 50 },
        { metricId: 3, quantity: 9 },
      ],
    };
    const own = { features: ['own'], metricId: 1, quantity: 1 };
    expect(termedFields(terms, own, iso(0))).toEqual({
      term: 'TRIAL',
      graceDays: 3,
      seatLimit: 4,
      features: ['a'],
      metricId: 2,
      quantity: 50,
      expiresAt: iso(14 * DAY),
    });
    expect(termedFields({ ...terms, features: [], metrics: [] }, own, null)).toMatchObject({
      features: ['own'],
      metricId: 1,
      quantity: 1,
      expiresAt: null,
    });
    expect(termedFields({ ...terms, nodeLocked: true }, own, iso(0)).seatLimit).toBe(1);
    expect(termedFields({ ...terms, durationDays: null }, own, iso(0)).expiresAt).toBe(null);
  });
});

describe('rate windows', () => {
  it('puts each action in its fixed window with the time left as Retry-After', () => {
    const at = new Date('2026-11-23T12:34:56.500Z');
    expect(rateWindow('activation', DEFAULT_RATE_LIMITS, at)).toEqual({
      limit: 120,
      windowStart: Date.parse('2026-11-23T12:00:00.000Z'),
      retryAfterSeconds: 1504,
      per: 'hour',
    });
    expect(rateWindow('validation', DEFAULT_RATE_LIMITS, at)).toEqual({
      limit: 600,
      windowStart: Date.parse('2026-11-23T12:34:00.000Z'),
      retryAfterSeconds: 4,
      per: 'minute',
    });
  });

  it('every instant falls in a window that contains it, and Retry-After ends it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.constantFrom('activation', 'deactivation', 'validation' as const),
        (ms, action) => {
          const window = rateWindow(action, DEFAULT_RATE_LIMITS, new Date(ms));
          const length = action === 'validation' ? 60_000 : 3_600_000;
          expect(window.windowStart).toBeLessThanOrEqual(ms);
          expect(ms - window.windowStart).toBeLessThan(length);
          expect(window.retryAfterSeconds).toBeGreaterThanOrEqual(1);
          expect(window.retryAfterSeconds * 1000).toBeGreaterThanOrEqual(
            window.windowStart + length - ms,
          );
        },
      ),
    );
  });
});

describe('dead instances', () => {
  const terms = { heartbeatSeconds: 60, floating: false, deadInstance: 'DEACTIVATE' as const };

  it('deactivates after two quiet intervals, and only where the terms say so', () => {
    expect(deadInstanceToDeactivate(terms, iso(-119_000), NOW)).toBe(false);
    expect(deadInstanceToDeactivate(terms, iso(-120_000), NOW)).toBe(true);
    expect(deadInstanceToDeactivate({ ...terms, deadInstance: 'KEEP' }, iso(-DAY), NOW)).toBe(
      false,
    );
    expect(deadInstanceToDeactivate({ ...terms, floating: true }, iso(-DAY), NOW)).toBe(false);
    expect(deadInstanceToDeactivate({ ...terms, heartbeatSeconds: null }, iso(-DAY), NOW)).toBe(
      false,
    );
  });
});
