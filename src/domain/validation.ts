import {
  licenseValidity,
  type LicenseDates,
  type ValidationCode,
  type Verdict,
} from './license.js';
import {
  expiryEffect,
  fingerprintMatches,
  leaseAlive,
  missingScopes,
  seatCeiling,
  type ExpiryEffect,
  type Lease,
  type PolicyTerms,
} from './policy.js';

/**
 * Validation: the ordered guards that turn what is known about a license, the request and the
 * instance asking into one verdict. Pure: time is an argument.
 */

/** What a policy-bound license adds to validation: its terms, and its leases when it floats. */
export interface PolicyFacts {
  terms: PolicyTerms;
  /** The asking instance's lease (floating licenses), dead or alive; undefined when it has none. */
  lease?: Lease | undefined;
  /** Live leases of the license, the asking instance's included. */
  liveLeases: number;
}

/** What validation knows about the license, the request and the instance asking. */
export interface ValidationFacts {
  license: LicenseDates & {
    features: readonly string[];
    productId: number | null;
    seatLimit: number | null;
  };
  seatsUsed: number;
  /** Product the caller asks about, already resolved to an id (null: it names no product). */
  requestedProduct?: { id: number | null; ref: string } | undefined;
  requestedFeature?: string | undefined;
  instance?: { activated: boolean; fingerprint: string | null } | undefined;
  fingerprint?: string | undefined;
  /** When the version the caller runs was released (MAINTAIN covers versions before expiry). */
  releasedAt?: string | undefined;
  /** Absent: the license has no policy, and validation is as it always was. */
  policy?: PolicyFacts | undefined;
}

/** A fingerprint's components: `mac:…,disk:…,cpu:…`; a plain string is one component. */
export function fingerprintComponents(fingerprint: string): string[] {
  return fingerprint
    .split(',')
    .map((component) => component.trim())
    .filter((component) => component !== '');
}

/**
 * The ordered guards of validation: the first that fails decides the verdict, so the order of
 * the list is the documentation (docs/licenses.md). Unknown and badly formed keys are decided
 * before this.
 */
export function validateLicense(facts: ValidationFacts, now: Date): Verdict {
  const { license, policy } = facts;
  const validity = licenseValidity(license, now);
  const expiry: ExpiryEffect = expiryEffect(
    policy?.terms.expirationBehaviour ?? 'RESTRICT',
    license.expiresAt,
    license.graceDays,
    now,
  );
  const guards: (() => Verdict | null)[] = [
    () =>
      license.state === 'invalid'
        ? fail('UNKNOWN_KEY', 'The license key is not recognized.')
        : null,
    () => (license.state === 'revoked' ? fail('REVOKED', 'The license has been revoked.') : null),
    () => (license.state === 'suspended' ? fail('SUSPENDED', 'The license is suspended.') : null),
    () =>
      license.startsAt !== null && now.getTime() < Date.parse(license.startsAt)
        ? fail('NOT_YET_VALID', `The license starts on ${license.startsAt}.`)
        : null,
    () => expiryGuard(expiry, license.expiresAt ?? '', facts.releasedAt),
    () => scopeGuard(facts),
    () => {
      const product = facts.requestedProduct;
      return product !== undefined && (product.id === null || product.id !== license.productId)
        ? fail('PRODUCT_MISMATCH', `The license is not for product '${product.ref}'.`)
        : null;
    },
    () => {
      const feature = facts.requestedFeature;
      return feature !== undefined &&
        license.features.length > 0 &&
        !license.features.includes(feature)
        ? fail('FEATURE_NOT_LICENSED', `The license does not include feature '${feature}'.`)
        : null;
    },
    () => {
      if (facts.instance === undefined) {
        return license.state === 'inactive'
          ? fail('NOT_ACTIVATED', 'The license is deactivated.')
          : null;
      }
      return policy?.terms.floating === true
        ? leaseGuard(facts, policy, now)
        : activationGuard(facts, facts.instance);
    },
  ];
  for (const guard of guards) {
    const verdict = guard();
    if (verdict !== null) return verdict;
  }
  return passed(facts, expiry, validity.inGrace);
}

/** After expiry and grace, the policy's expiration behaviour decides (RESTRICT without one). */
function expiryGuard(
  expiry: ExpiryEffect,
  expiresAt: string,
  releasedAt: string | undefined,
): Verdict | null {
  if (expiry.kind === 'invalid') return fail('EXPIRED', `The license expired on ${expiresAt}.`);
  if (
    expiry.kind === 'maintained' &&
    releasedAt !== undefined &&
    Date.parse(releasedAt) >= Date.parse(expiry.frozenAt)
  ) {
    return fail(
      'VERSION_NOT_COVERED',
      `The license expired on ${expiresAt}; it covers versions released before then, not one released on ${releasedAt}.`,
    );
  }
  return null;
}

function scopeGuard(facts: ValidationFacts): Verdict | null {
  if (facts.policy === undefined) return null;
  const missing = missingScopes(facts.policy.terms.requiredScopes, {
    product: facts.requestedProduct,
    instance: facts.instance,
    fingerprint: facts.fingerprint,
    feature: facts.requestedFeature,
  });
  return missing.length === 0
    ? null
    : fail(
        'SCOPE_REQUIRED',
        `The license's policy requires the request to name: ${missing.join(', ')}.`,
      );
}

/** A caller's fingerprint against the instance's: exact without a policy, by components with one. */
function fingerprintGuard(facts: ValidationFacts, registered: string | null): Verdict | null {
  const presented = facts.fingerprint;
  if (presented === undefined || registered === null) return null;
  if (facts.policy === undefined) {
    return registered !== presented
      ? fail('FINGERPRINT_MISMATCH', 'The fingerprint does not match the activated instance.')
      : null;
  }
  const matching = facts.policy.terms.fingerprintMatching;
  return fingerprintMatches(
    matching,
    fingerprintComponents(registered),
    fingerprintComponents(presented),
  )
    ? null
    : fail(
        'FINGERPRINT_SCOPE_MISMATCH',
        `The fingerprint does not match the instance's (${matching} of its components required).`,
      );
}

function activationGuard(
  facts: ValidationFacts,
  instance: { activated: boolean; fingerprint: string | null },
): Verdict | null {
  if (instance.activated) return fingerprintGuard(facts, instance.fingerprint);
  const { seatLimit } = facts.license;
  const ceiling =
    seatLimit === null ? null : seatCeiling(seatLimit, facts.policy?.terms.overage ?? 'NONE');
  return seatLimit !== null && ceiling !== null && facts.seatsUsed >= ceiling
    ? fail(
        'SEATS_EXHAUSTED',
        ceiling === seatLimit
          ? `All ${String(seatLimit)} seats of the license are in use.`
          : `All ${String(seatLimit)} seats and the overage allowance (${String(ceiling)} in all) are in use.`,
      )
    : fail('NOT_ACTIVATED', 'The license is not activated on this instance.');
}

/** A floating license is in use on an instance only while that instance holds a live lease. */
function leaseGuard(facts: ValidationFacts, policy: PolicyFacts, now: Date): Verdict | null {
  const { lease, terms } = policy;
  if (lease === undefined) {
    const ceiling = seatCeiling(terms.seatLimit, terms.overage);
    return ceiling !== null && policy.liveLeases >= ceiling
      ? fail('TOO_MANY_LEASES', `All ${String(ceiling)} leases of the license are checked out.`)
      : fail(
          'NOT_ACTIVATED',
          'The instance holds no lease of this floating license; check one out.',
        );
  }
  if (now.getTime() >= Date.parse(lease.expiresAt)) {
    return fail('LEASE_EXPIRED', `The instance's lease expired at ${lease.expiresAt}.`);
  }
  if (!leaseAlive(lease, terms, now)) {
    return fail(
      'HEARTBEAT_DEAD',
      `The instance's lease missed its heartbeats (last at ${lease.lastHeartbeatAt}).`,
    );
  }
  return fingerprintGuard(facts, facts.instance?.fingerprint ?? null);
}

/** Every guard passed: the verdict says how the license is valid. */
function passed(facts: ValidationFacts, expiry: ExpiryEffect, inGrace: boolean): Verdict {
  const expiresAt = facts.license.expiresAt ?? '';
  if (expiry.kind === 'flagged') {
    return ok('EXPIRED_ALLOWED', `The license expired on ${expiresAt}; its policy allows use.`);
  }
  if (expiry.kind === 'maintained') {
    return ok(
      'MAINTAINED',
      `The license expired on ${expiresAt}; it keeps what was released before then.`,
    );
  }
  if (inGrace) {
    return ok('IN_GRACE', `The license expired on ${expiresAt} and is in its grace period.`);
  }
  const { seatLimit } = facts.license;
  const held = facts.policy?.terms.floating === true ? facts.policy.liveLeases : facts.seatsUsed;
  if (facts.instance !== undefined && seatLimit !== null && held > seatLimit) {
    return ok(
      'OVERAGE',
      `${String(held)} of ${String(seatLimit)} seats are in use: the license is in its overage allowance.`,
    );
  }
  return ok('VALID', 'The license is valid.');
}

function ok(code: ValidationCode, detail: string): Verdict {
  return { valid: true, code, detail };
}

function fail(code: ValidationCode, detail: string): Verdict {
  return { valid: false, code, detail };
}
