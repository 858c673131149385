import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEVICE_SERIAL_PATTERN,
  INSTALL_ID_MAX,
  INSTALL_ID_MIN,
  deviceSerialFrom,
  installIdFrom,
} from '../../src/domain/instance.js';
import {
  DEFAULT_REMINDER_DAYS,
  LICENSE_STATES,
  LICENSE_TERMS,
  complianceLevel,
  licenseResourceId,
  licenseValidity,
  type LicenseDates,
  type LicenseValidity,
  type ValidationCode,
} from '../../src/domain/license.js';
import { validateLicense, type ValidationFacts } from '../../src/domain/validation.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const DAY = 86_400_000;

/** The instant `ms` milliseconds after NOW (before it when negative), as stored. */
function after(ms: number): string {
  return new Date(NOW.getTime() + ms).toISOString();
}

function dates(overrides: Partial<LicenseDates> = {}): LicenseDates {
  return {
    state: 'active',
    term: 'SUBSCRIPTION',
    startsAt: null,
    expiresAt: null,
    graceDays: 0,
    ...overrides,
  };
}

const PERPETUAL_ACTIVE: LicenseValidity = {
  status: 'active',
  valid: true,
  inGrace: false,
  daysRemaining: null,
  graceDaysRemaining: null,
  aboutToExpire: false,
  trialDaysRemaining: null,
};

describe('licenseValidity', () => {
  it('keeps a perpetual license valid with no days remaining and never about to expire', () => {
    const license = dates({ term: 'PERPETUAL', expiresAt: null });
    expect(licenseValidity(license, NOW)).toEqual(PERPETUAL_ACTIVE);
    expect(licenseValidity(license, NOW, 36_500)).toEqual(PERPETUAL_ACTIVE);
    expect(licenseValidity(license, new Date('2999-01-01T00:00:00Z'))).toEqual(PERPETUAL_ACTIVE);
  });

  it('counts whole days, rounded up, for a subscription well before its expiry', () => {
    expect(licenseValidity(dates({ expiresAt: after(200 * DAY) }), NOW)).toEqual({
      status: 'active',
      valid: true,
      inGrace: false,
      daysRemaining: 200,
      graceDaysRemaining: null,
      aboutToExpire: false,
      trialDaysRemaining: null,
    });
    expect(licenseValidity(dates({ expiresAt: after(199 * DAY + 1) }), NOW).daysRemaining).toBe(
      200,
    );
    expect(licenseValidity(dates({ expiresAt: after(1) }), NOW).daysRemaining).toBe(1);
  });

  it(`is about to expire exactly ${String(DEFAULT_REMINDER_DAYS)} days before expiry, not one ms earlier`, () => {
    const atEdge = licenseValidity(dates({ expiresAt: after(30 * DAY) }), NOW);
    expect(atEdge.aboutToExpire).toBe(true);
    expect(atEdge.daysRemaining).toBe(30);
    expect(atEdge.valid).toBe(true);

    const outside = licenseValidity(dates({ expiresAt: after(30 * DAY + 1) }), NOW);
    expect(outside.aboutToExpire).toBe(false);
    expect(outside.daysRemaining).toBe(31);
  });

  it('is about to expire one ms before expiry and no longer once expired', () => {
    const last = licenseValidity(dates({ expiresAt: after(1) }), NOW);
    expect(last).toMatchObject({ status: 'active', valid: true, aboutToExpire: true });
    const expired = licenseValidity(dates({ expiresAt: after(0) }), NOW);
    expect(expired).toMatchObject({ status: 'expired', aboutToExpire: false });
  });

  it('takes a custom reminder window', () => {
    const license = dates({ expiresAt: after(45 * DAY) });
    expect(licenseValidity(license, NOW).aboutToExpire).toBe(false);
    expect(licenseValidity(license, NOW, 60).aboutToExpire).toBe(true);
    expect(licenseValidity(license, NOW, 45).aboutToExpire).toBe(true);
    expect(licenseValidity(license, NOW, 44).aboutToExpire).toBe(false);
    expect(licenseValidity(dates({ expiresAt: after(1) }), NOW, 0).aboutToExpire).toBe(false);
  });

  it('is expired and invalid from the instant of expiry when there is no grace', () => {
    const expected: LicenseValidity = {
      status: 'expired',
      valid: false,
      inGrace: false,
      daysRemaining: 0,
      graceDaysRemaining: null,
      aboutToExpire: false,
      trialDaysRemaining: null,
    };
    expect(licenseValidity(dates({ expiresAt: after(0), graceDays: 0 }), NOW)).toEqual(expected);
    expect(licenseValidity(dates({ expiresAt: after(-400 * DAY), graceDays: 0 }), NOW)).toEqual(
      expected,
    );
  });

  it('stays valid during the grace period, counting grace days rounded up', () => {
    expect(licenseValidity(dates({ expiresAt: after(-2.5 * DAY), graceDays: 7 }), NOW)).toEqual({
      status: 'expired',
      valid: true,
      inGrace: true,
      daysRemaining: 0,
      graceDaysRemaining: 5,
      aboutToExpire: false,
      trialDaysRemaining: null,
    });
    expect(
      licenseValidity(dates({ expiresAt: after(-1), graceDays: 7 }), NOW).graceDaysRemaining,
    ).toBe(7);
    expect(
      licenseValidity(dates({ expiresAt: after(-DAY), graceDays: 7 }), NOW).graceDaysRemaining,
    ).toBe(6);
    expect(
      licenseValidity(dates({ expiresAt: after(0), graceDays: 7 }), NOW).graceDaysRemaining,
    ).toBe(7);
  });

  it('ends the grace at exactly expiresAt + graceDays: not in grace at that instant', () => {
    const lastMs = licenseValidity(dates({ expiresAt: after(-7 * DAY + 1), graceDays: 7 }), NOW);
    expect(lastMs).toMatchObject({ valid: true, inGrace: true, graceDaysRemaining: 1 });

    const ended = licenseValidity(dates({ expiresAt: after(-7 * DAY), graceDays: 7 }), NOW);
    expect(ended).toEqual({
      status: 'expired',
      valid: false,
      inGrace: false,
      daysRemaining: 0,
      graceDaysRemaining: null,
      aboutToExpire: false,
      trialDaysRemaining: null,
    });
  });

  it('is not valid before it starts, and valid from the start instant', () => {
    const early = licenseValidity(dates({ startsAt: after(1), expiresAt: after(90 * DAY) }), NOW);
    expect(early).toEqual({
      status: 'active',
      valid: false,
      inGrace: false,
      daysRemaining: 90,
      graceDaysRemaining: null,
      aboutToExpire: false,
      trialDaysRemaining: null,
    });
    expect(licenseValidity(dates({ startsAt: after(0) }), NOW).valid).toBe(true);
    expect(licenseValidity(dates({ startsAt: after(-DAY) }), NOW).valid).toBe(true);
  });

  it('gives trial days remaining for a TRIAL only', () => {
    expect(licenseValidity(dates({ term: 'TRIAL', expiresAt: after(8 * DAY) }), NOW)).toEqual({
      status: 'active',
      valid: true,
      inGrace: false,
      daysRemaining: 8,
      graceDaysRemaining: null,
      aboutToExpire: true,
      trialDaysRemaining: 8,
    });
    expect(
      licenseValidity(dates({ term: 'TRIAL', expiresAt: after(-DAY) }), NOW).trialDaysRemaining,
    ).toBe(0);
    expect(
      licenseValidity(dates({ term: 'TRIAL', expiresAt: null }), NOW).trialDaysRemaining,
    ).toBeNull();
    for (const term of ['PERPETUAL', 'SUBSCRIPTION', 'DEMO'] as const) {
      expect(
        licenseValidity(dates({ term, expiresAt: after(8 * DAY) }), NOW).trialDaysRemaining,
      ).toBeNull();
    }
  });

  it.each(['revoked', 'suspended', 'invalid'] as const)(
    'reports state %s as the status and is never valid',
    (state) => {
      expect(licenseValidity(dates({ state }), NOW)).toEqual({
        ...PERPETUAL_ACTIVE,
        status: state,
        valid: false,
      });
      // The administrative state wins over the dates: not "expired", and no grace makes it usable.
      const expiredInGrace = licenseValidity(
        dates({ state, expiresAt: after(-DAY), graceDays: 30 }),
        NOW,
      );
      expect(expiredInGrace).toMatchObject({ status: state, valid: false, inGrace: true });
    },
  );

  it('keeps a deactivated (inactive) license valid while its dates are', () => {
    expect(licenseValidity(dates({ state: 'inactive' }), NOW)).toEqual({
      ...PERPETUAL_ACTIVE,
      status: 'inactive',
    });
    expect(
      licenseValidity(dates({ state: 'inactive', expiresAt: after(10 * DAY) }), NOW),
    ).toMatchObject({ status: 'inactive', valid: true, daysRemaining: 10, aboutToExpire: true });
    // Past its end (and grace) it is expired, like an active license would be.
    expect(
      licenseValidity(dates({ state: 'inactive', expiresAt: after(-DAY) }), NOW),
    ).toMatchObject({ status: 'expired', valid: false, inGrace: false, daysRemaining: 0 });
  });

  it('does not depend on the quantity: unlimited (-1) and limited licenses validate alike', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 1_000_000 })),
        fc.integer({ min: -100, max: 100 }),
        (quantity, expiresInDays) => {
          const base = dates({ expiresAt: after(expiresInDays * DAY), graceDays: 3 });
          const withQuantity: LicenseDates = Object.assign({ quantity }, base);
          expect(licenseValidity(withQuantity, NOW)).toEqual(licenseValidity(base, NOW));
        },
      ),
    );
  });

  it('obeys its laws for any dates and states', () => {
    const arbLicense = fc.record({
      state: fc.constantFrom(...LICENSE_STATES),
      term: fc.constantFrom(...LICENSE_TERMS),
      startsAt: fc.option(fc.integer({ min: -400 * DAY, max: 400 * DAY }).map(after)),
      expiresAt: fc.option(fc.integer({ min: -400 * DAY, max: 400 * DAY }).map(after)),
      graceDays: fc.integer({ min: 0, max: 90 }),
    });
    fc.assert(
      fc.property(arbLicense, fc.integer({ min: 0, max: 365 }), (license, reminderDays) => {
        const v = licenseValidity(license, NOW, reminderDays);
        expect(v.daysRemaining === null).toBe(license.expiresAt === null);
        if (v.daysRemaining !== null) expect(v.daysRemaining).toBeGreaterThanOrEqual(0);
        if (v.valid) expect(['active', 'inactive', 'expired']).toContain(v.status);
        if (!['active', 'inactive'].includes(license.state)) expect(v.valid).toBe(false);
        expect(v.inGrace && v.aboutToExpire).toBe(false);
        expect(v.graceDaysRemaining === null).toBe(!v.inGrace);
        if (v.graceDaysRemaining !== null) {
          expect(v.graceDaysRemaining).toBeGreaterThanOrEqual(1);
          expect(v.graceDaysRemaining).toBeLessThanOrEqual(license.graceDays);
        }
        expect(v.trialDaysRemaining).toBe(license.term === 'TRIAL' ? v.daysRemaining : null);
      }),
    );
  });
});

type FactsLicense = ValidationFacts['license'];

/** An active subscription for product 7 with features BACKUP and TIERING, 1 of 3 seats used. */
function facts(
  license: Partial<FactsLicense> = {},
  rest: Partial<Omit<ValidationFacts, 'license'>> = {},
): ValidationFacts {
  return {
    license: {
      state: 'active',
      term: 'SUBSCRIPTION',
      startsAt: null,
      expiresAt: after(365 * DAY),
      graceDays: 0,
      features: ['BACKUP', 'TIERING'],
      productId: 7,
      seatLimit: 3,
      ...license,
    },
    seatsUsed: 1,
    ...rest,
  };
}

const VALID = { valid: true, code: 'VALID', detail: 'The license is valid.' } as const;
const PRODUCT_7 = { id: 7, ref: 'cvo-capacity' };
const OTHER_PRODUCT = { id: 8, ref: 'astra' };
const activated = (fingerprint: string | null = null) => ({ activated: true, fingerprint });
const notActivated = { activated: false, fingerprint: null };

describe('validateLicense: every code', () => {
  it('VALID with nothing asked of a usable license', () => {
    expect(validateLicense(facts(), NOW)).toEqual(VALID);
  });

  it('UNKNOWN_KEY for an invalid (unrecognized) license', () => {
    expect(validateLicense(facts({ state: 'invalid' }), NOW)).toEqual({
      valid: false,
      code: 'UNKNOWN_KEY',
      detail: 'The license key is not recognized.',
    });
  });

  it('REVOKED and SUSPENDED from the state', () => {
    expect(validateLicense(facts({ state: 'revoked' }), NOW)).toEqual({
      valid: false,
      code: 'REVOKED',
      detail: 'The license has been revoked.',
    });
    expect(validateLicense(facts({ state: 'suspended' }), NOW)).toEqual({
      valid: false,
      code: 'SUSPENDED',
      detail: 'The license is suspended.',
    });
  });

  it('NOT_YET_VALID before startsAt, VALID from it', () => {
    const startsAt = after(DAY);
    expect(validateLicense(facts({ startsAt }), NOW)).toEqual({
      valid: false,
      code: 'NOT_YET_VALID',
      detail: 'The license starts on 2026-11-24T12:00:00.000Z.',
    });
    expect(validateLicense(facts({ startsAt: after(0) }), NOW)).toEqual(VALID);
  });

  it('EXPIRED from expiresAt with no grace, and once the grace has ended', () => {
    expect(validateLicense(facts({ expiresAt: after(0) }), NOW)).toEqual({
      valid: false,
      code: 'EXPIRED',
      detail: 'The license expired on 2026-11-23T12:00:00.000Z.',
    });
    expect(validateLicense(facts({ expiresAt: after(-2 * DAY), graceDays: 2 }), NOW).code).toBe(
      'EXPIRED',
    );
    expect(validateLicense(facts({ expiresAt: after(1) }), NOW)).toEqual(VALID);
  });

  it('IN_GRACE, valid, while expired within the grace period', () => {
    expect(validateLicense(facts({ expiresAt: after(-DAY), graceDays: 2 }), NOW)).toEqual({
      valid: true,
      code: 'IN_GRACE',
      detail: 'The license expired on 2026-11-22T12:00:00.000Z and is in its grace period.',
    });
    expect(
      validateLicense(
        facts({ expiresAt: after(-DAY), graceDays: 2 }, { instance: activated() }),
        NOW,
      ).code,
    ).toBe('IN_GRACE');
  });

  it('PRODUCT_MISMATCH for another product, an unknown product (id null) or a product-less license', () => {
    expect(validateLicense(facts({}, { requestedProduct: OTHER_PRODUCT }), NOW)).toEqual({
      valid: false,
      code: 'PRODUCT_MISMATCH',
      detail: "The license is not for product 'astra'.",
    });
    expect(
      validateLicense(facts({}, { requestedProduct: { id: null, ref: 'nope' } }), NOW),
    ).toEqual({
      valid: false,
      code: 'PRODUCT_MISMATCH',
      detail: "The license is not for product 'nope'.",
    });
    // A license for no product matches no request, not even one naming no product.
    expect(
      validateLicense(
        facts({ productId: null }, { requestedProduct: { id: null, ref: 'nope' } }),
        NOW,
      ).code,
    ).toBe('PRODUCT_MISMATCH');
    expect(
      validateLicense(facts({ productId: null }, { requestedProduct: PRODUCT_7 }), NOW).code,
    ).toBe('PRODUCT_MISMATCH');
    expect(validateLicense(facts({}, { requestedProduct: PRODUCT_7 }), NOW)).toEqual(VALID);
  });

  it('FEATURE_NOT_LICENSED for a feature outside a non-empty list', () => {
    expect(validateLicense(facts({}, { requestedFeature: 'COMPLIANCE' }), NOW)).toEqual({
      valid: false,
      code: 'FEATURE_NOT_LICENSED',
      detail: "The license does not include feature 'COMPLIANCE'.",
    });
    expect(validateLicense(facts({}, { requestedFeature: 'TIERING' }), NOW)).toEqual(VALID);
    // Feature ids are exact: no case folding.
    expect(validateLicense(facts({}, { requestedFeature: 'backup' }), NOW).code).toBe(
      'FEATURE_NOT_LICENSED',
    );
  });

  it('an empty features list licenses every feature', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (feature) => {
        expect(
          validateLicense(facts({ features: [] }, { requestedFeature: feature }), NOW),
        ).toEqual(VALID);
      }),
    );
  });

  it('FINGERPRINT_MISMATCH only when both sides have a fingerprint and they differ', () => {
    expect(
      validateLicense(facts({}, { instance: activated('fp-a'), fingerprint: 'fp-b' }), NOW),
    ).toEqual({
      valid: false,
      code: 'FINGERPRINT_MISMATCH',
      detail: 'The fingerprint does not match the activated instance.',
    });
    expect(
      validateLicense(facts({}, { instance: activated('fp-a'), fingerprint: 'fp-a' }), NOW),
    ).toEqual(VALID);
    expect(validateLicense(facts({}, { instance: activated('fp-a') }), NOW)).toEqual(VALID);
    expect(
      validateLicense(facts({}, { instance: activated(null), fingerprint: 'fp-b' }), NOW),
    ).toEqual(VALID);
  });

  it('SEATS_EXHAUSTED for an instance without activation when every seat is taken', () => {
    expect(validateLicense(facts({}, { instance: notActivated, seatsUsed: 3 }), NOW)).toEqual({
      valid: false,
      code: 'SEATS_EXHAUSTED',
      detail: 'All 3 seats of the license are in use.',
    });
    expect(validateLicense(facts({}, { instance: notActivated, seatsUsed: 5 }), NOW).code).toBe(
      'SEATS_EXHAUSTED',
    );
    // An activated instance holds one of the seats: a full license is valid for it.
    expect(validateLicense(facts({}, { instance: activated(), seatsUsed: 3 }), NOW)).toEqual(VALID);
  });

  it('NOT_ACTIVATED for an instance without activation while seats are free, or with no limit', () => {
    expect(validateLicense(facts({}, { instance: notActivated, seatsUsed: 2 }), NOW)).toEqual({
      valid: false,
      code: 'NOT_ACTIVATED',
      detail: 'The license is not activated on this instance.',
    });
    expect(
      validateLicense(
        facts({ seatLimit: null }, { instance: notActivated, seatsUsed: 10_000 }),
        NOW,
      ).code,
    ).toBe('NOT_ACTIVATED');
  });

  it('NOT_ACTIVATED for a deactivated (inactive) license asked about with no instance', () => {
    expect(validateLicense(facts({ state: 'inactive' }, { seatsUsed: 0 }), NOW)).toEqual({
      valid: false,
      code: 'NOT_ACTIVATED',
      detail: 'The license is deactivated.',
    });
    // With no instance an active license needs no activation.
    expect(validateLicense(facts({}, { seatsUsed: 0 }), NOW)).toEqual(VALID);
  });
});

describe('validateLicense: the guard order decides', () => {
  it('a revoked AND expired license says REVOKED', () => {
    expect(validateLicense(facts({ state: 'revoked', expiresAt: after(-DAY) }), NOW).code).toBe(
      'REVOKED',
    );
  });

  it('an invalid license says UNKNOWN_KEY whatever else is wrong', () => {
    const verdict = validateLicense(
      facts(
        { state: 'invalid', startsAt: after(DAY), expiresAt: after(-DAY) },
        { requestedProduct: OTHER_PRODUCT, requestedFeature: 'X', instance: notActivated },
      ),
      NOW,
    );
    expect(verdict.code).toBe('UNKNOWN_KEY');
  });

  it('a suspended license not yet started says SUSPENDED', () => {
    expect(validateLicense(facts({ state: 'suspended', startsAt: after(DAY) }), NOW).code).toBe(
      'SUSPENDED',
    );
  });

  it('a license not yet started whose end has passed says NOT_YET_VALID', () => {
    expect(validateLicense(facts({ startsAt: after(DAY), expiresAt: after(-DAY) }), NOW).code).toBe(
      'NOT_YET_VALID',
    );
  });

  it('expired + wrong product says EXPIRED', () => {
    expect(
      validateLicense(facts({ expiresAt: after(-DAY) }, { requestedProduct: OTHER_PRODUCT }), NOW)
        .code,
    ).toBe('EXPIRED');
  });

  it('the grace period does not hide later failures: in grace + wrong product says PRODUCT_MISMATCH', () => {
    expect(
      validateLicense(
        facts({ expiresAt: after(-DAY), graceDays: 5 }, { requestedProduct: OTHER_PRODUCT }),
        NOW,
      ).code,
    ).toBe('PRODUCT_MISMATCH');
  });

  it('wrong product + missing feature says PRODUCT_MISMATCH', () => {
    expect(
      validateLicense(
        facts({}, { requestedProduct: OTHER_PRODUCT, requestedFeature: 'COMPLIANCE' }),
        NOW,
      ).code,
    ).toBe('PRODUCT_MISMATCH');
  });

  it('missing feature + fingerprint mismatch or full seats says FEATURE_NOT_LICENSED', () => {
    expect(
      validateLicense(
        facts(
          {},
          { requestedFeature: 'COMPLIANCE', instance: activated('fp-a'), fingerprint: 'fp-b' },
        ),
        NOW,
      ).code,
    ).toBe('FEATURE_NOT_LICENSED');
    expect(
      validateLicense(
        facts({}, { requestedFeature: 'COMPLIANCE', instance: notActivated, seatsUsed: 3 }),
        NOW,
      ).code,
    ).toBe('FEATURE_NOT_LICENSED');
  });

  /**
   * A model of the documented order for licenses that are not deactivated: the first failing
   * guard wins, and a passing license is IN_GRACE or VALID.
   */
  it('any combination of failures answers the first in the documented order', () => {
    const arbCase = fc.record({
      state: fc.constantFrom('active', 'invalid', 'revoked', 'suspended' as const),
      notStarted: fc.boolean(),
      dates: fc.constantFrom('current', 'in-grace', 'expired' as const),
      product: fc.constantFrom('none', 'same', 'other', 'unknown' as const),
      feature: fc.constantFrom('none', 'listed', 'missing' as const),
      emptyFeatures: fc.boolean(),
      instance: fc.constantFrom(
        'none',
        'activated',
        'activated-other-fingerprint',
        'not-activated-free',
        'not-activated-full',
      ),
    });
    fc.assert(
      fc.property(arbCase, (c) => {
        const license: Partial<FactsLicense> = {
          state: c.state,
          startsAt: c.notStarted ? after(DAY) : null,
          expiresAt: c.dates === 'current' ? after(DAY) : after(-3 * DAY),
          graceDays: c.dates === 'in-grace' ? 5 : 0,
          features: c.emptyFeatures ? [] : ['BACKUP'],
        };
        const rest: Partial<Omit<ValidationFacts, 'license'>> = {
          requestedProduct:
            c.product === 'same'
              ? PRODUCT_7
              : c.product === 'other'
                ? OTHER_PRODUCT
                : c.product === 'unknown'
                  ? { id: null, ref: 'nope' }
                  : undefined,
          requestedFeature:
            c.feature === 'listed' ? 'BACKUP' : c.feature === 'missing' ? 'COMPLIANCE' : undefined,
          instance:
            c.instance === 'none'
              ? undefined
              : c.instance.startsWith('activated')
                ? activated('fp-a')
                : notActivated,
          fingerprint: c.instance === 'activated-other-fingerprint' ? 'fp-b' : 'fp-a',
          seatsUsed: c.instance === 'not-activated-full' ? 3 : 1,
        };
        const ordered: [boolean, ValidationCode][] = [
          [c.state === 'invalid', 'UNKNOWN_KEY'],
          [c.state === 'revoked', 'REVOKED'],
          [c.state === 'suspended', 'SUSPENDED'],
          [c.notStarted, 'NOT_YET_VALID'],
          [c.dates === 'expired', 'EXPIRED'],
          [c.product === 'other' || c.product === 'unknown', 'PRODUCT_MISMATCH'],
          [c.feature === 'missing' && !c.emptyFeatures, 'FEATURE_NOT_LICENSED'],
          [c.instance === 'activated-other-fingerprint', 'FINGERPRINT_MISMATCH'],
          [c.instance === 'not-activated-full', 'SEATS_EXHAUSTED'],
          [c.instance === 'not-activated-free', 'NOT_ACTIVATED'],
          [c.dates === 'in-grace', 'IN_GRACE'],
          [true, 'VALID'],
        ];
        const expected = ordered.find(([fails]) => fails)?.[1];
        const verdict = validateLicense(facts(license, rest), NOW);
        expect(verdict.code).toBe(expected);
        expect(verdict.valid).toBe(expected === 'VALID' || expected === 'IN_GRACE');
      }),
    );
  });

  // Expiry is decided before activation: a deactivated license past its end is EXPIRED.
  it('a deactivated license past its end says EXPIRED, before NOT_ACTIVATED', () => {
    expect(
      validateLicense(facts({ state: 'inactive', expiresAt: after(-DAY) }, { seatsUsed: 0 }), NOW)
        .code,
    ).toBe('EXPIRED');
  });
});

describe('complianceLevel (HP: 0 to 1)', () => {
  it('is 1 when nothing is used', () => {
    expect(complianceLevel([], 0)).toBe(1);
    expect(complianceLevel([5], 0)).toBe(1);
    expect(complianceLevel([0], 0)).toBe(1);
  });

  it('is the share of use the licenses cover', () => {
    expect(complianceLevel([5], 10)).toBe(0.5);
    expect(complianceLevel([1], 3)).toBe(1 / 3);
    expect(complianceLevel([0], 3)).toBe(0);
    expect(complianceLevel([], 3)).toBe(0);
  });

  it('sums several licenses and caps at 1', () => {
    expect(complianceLevel([5, 3], 16)).toBe(0.5);
    expect(complianceLevel([2, 3], 5)).toBe(1);
    expect(complianceLevel([2, 3], 4)).toBe(1);
    expect(complianceLevel([10, 20, 30], 120)).toBe(0.5);
  });

  it('is 1 with an unlimited (-1) license, whatever else', () => {
    expect(complianceLevel([-1], 1_000_000_000)).toBe(1);
    expect(complianceLevel([0, -1, 2], 50)).toBe(1);
  });

  const arbQuantity = fc.oneof(
    { weight: 1, arbitrary: fc.constant(-1) },
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 1_000_000 }) },
    { weight: 3, arbitrary: fc.double({ min: 0, max: 1e6, noNaN: true }) },
  );
  const arbEntitled = fc.array(arbQuantity, { maxLength: 20 });
  const arbUsed = fc.oneof(
    fc.integer({ min: 0, max: 10_000_000 }),
    fc.double({ min: 0, max: 1e7, noNaN: true }),
  );

  it('is always within [0, 1]', () => {
    fc.assert(
      fc.property(arbEntitled, arbUsed, (entitled, used) => {
        const level = complianceLevel(entitled, used);
        expect(level).toBeGreaterThanOrEqual(0);
        expect(level).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('is 1 whenever used ≤ the sum entitled', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (entitled, share) => {
          const total = entitled.reduce((sum, q) => sum + q, 0);
          expect(complianceLevel(entitled, total * share)).toBe(1);
        },
      ),
    );
  });

  it('never decreases when a license is added', () => {
    fc.assert(
      fc.property(arbEntitled, arbQuantity, arbUsed, (entitled, added, used) => {
        expect(complianceLevel([...entitled, added], used)).toBeGreaterThanOrEqual(
          complianceLevel(entitled, used),
        );
      }),
    );
  });

  it('never increases when use grows', () => {
    fc.assert(
      fc.property(arbEntitled, arbUsed, arbUsed, (entitled, a, b) => {
        const [less, more] = a <= b ? [a, b] : [b, a];
        expect(complianceLevel(entitled, more)).toBeLessThanOrEqual(
          complianceLevel(entitled, less),
        );
      }),
    );
  });
});

describe('licenseResourceId (BlueXP)', () => {
  it('is license-<serial>-<uuid>', () => {
    expect(licenseResourceId(100_000_001, '3f1c2e4a-9b7d-4c55-8e21-0a6d5b9c7e10')).toBe(
      'license-100000001-3f1c2e4a-9b7d-4c55-8e21-0a6d5b9c7e10',
    );
  });
});

describe('instance identifiers', () => {
  const serialShape = new RegExp(DEVICE_SERIAL_PATTERN);

  it('installIdFrom reads the first 4 bytes big-endian into 7–8 digits', () => {
    expect(installIdFrom(Uint8Array.from([0, 0, 0, 0]))).toBe(INSTALL_ID_MIN);
    expect(installIdFrom(Uint8Array.from([0, 0, 0, 1]))).toBe(1_000_001);
    expect(installIdFrom(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))).toBe(38_967_295);
    expect(installIdFrom(Uint8Array.from([0, 0, 0, 1, 9, 9, 9]))).toBe(1_000_001);
  });

  it('installIdFrom is always an integer in [INSTALL_ID_MIN, INSTALL_ID_MAX]', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 32 }), (random) => {
        const id = installIdFrom(random);
        expect(Number.isInteger(id)).toBe(true);
        expect(id).toBeGreaterThanOrEqual(INSTALL_ID_MIN);
        expect(id).toBeLessThanOrEqual(INSTALL_ID_MAX);
        expect(String(id)).toMatch(/^[1-9]\d{6,7}$/);
      }),
    );
  });

  it('deviceSerialFrom maps 16 bytes onto NetProfiler groups of four', () => {
    expect(deviceSerialFrom(new Uint8Array(16))).toBe('AAAA-AAAA-AAAA-AAAA');
    expect(deviceSerialFrom(Uint8Array.from({ length: 16 }, (_, i) => i))).toBe(
      'ABCD-EFGH-IJKL-MNOP',
    );
    expect(deviceSerialFrom(Uint8Array.from({ length: 16 }, (_, i) => 26 + i))).toBe(
      '0123-4567-89AB-CDEF',
    );
    expect(deviceSerialFrom(new Uint8Array(16).fill(255))).toBe('DDDD-DDDD-DDDD-DDDD');
  });

  it('deviceSerialFrom always matches DEVICE_SERIAL_PATTERN', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), (random) => {
        const serial = deviceSerialFrom(random);
        expect(serial).toMatch(serialShape);
        expect(serial).toBe(deviceSerialFrom(random.slice(0, 16)));
      }),
    );
  });
});
