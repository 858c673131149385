import { Type, type Static } from 'typebox';
import { LICENSE_TERMS } from './license-term.js';

/**
 * Policies: the template a license is issued from (term, clock start, renewal, what expiry does,
 * seats, node locking, fingerprint matching, floating leases and heartbeats, overage, scopes and
 * rate limits), and the rules those fields decide. Pure: time is an argument.
 */

/** When the license's clock starts: its term counts from issue, first activation or validation. */
export const CLOCK_STARTS = ['ISSUE', 'FIRST_ACTIVATION', 'FIRST_VALIDATION'] as const;
/** A renewal adds one term to the current expiry, or to the moment of renewal. */
export const RENEWAL_BASES = ['FROM_EXPIRY', 'FROM_NOW'] as const;
/**
 * What expiry does once grace is over: RESTRICT — invalid; MAINTAIN — keeps what it had (features
 * and versions released before expiry) but nothing newer; ALLOW — valid, flagged as expired.
 */
export const EXPIRATION_BEHAVIOURS = ['RESTRICT', 'MAINTAIN', 'ALLOW'] as const;
/** How many of an instance's registered fingerprint components a caller must present. */
export const FINGERPRINT_MATCHING = ['ANY', 'MOST', 'ALL'] as const;
/** What happens to an instance whose heartbeat stops: its seat is freed, or it keeps it. */
export const DEAD_INSTANCE_ACTIONS = ['DEACTIVATE', 'KEEP'] as const;
/** Seats (or leases) allowed beyond the limit before activation is refused. */
export const OVERAGE_ALLOWANCES = ['NONE', '1.25X', '1.5X', '2X', 'UNLIMITED'] as const;
/** What a validation request must name for the license's policy to accept it. */
export const VALIDATION_SCOPES = ['product', 'instance', 'fingerprint', 'feature'] as const;

export type ClockStart = (typeof CLOCK_STARTS)[number];
export type RenewalBasis = (typeof RENEWAL_BASES)[number];
export type ExpirationBehaviour = (typeof EXPIRATION_BEHAVIOURS)[number];
export type FingerprintMatching = (typeof FINGERPRINT_MATCHING)[number];
export type DeadInstanceAction = (typeof DEAD_INSTANCE_ACTIONS)[number];
export type OverageAllowance = (typeof OVERAGE_ALLOWANCES)[number];
export type ValidationScope = (typeof VALIDATION_SCOPES)[number];

const DAY_MS = 86_400_000;

/** Per-license limits on how often a license may be activated, deactivated and validated. */
export const RateLimitsSchema = Type.Object(
  {
    activationsPerHour: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    deactivationsPerHour: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    validationsPerMinute: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  },
  { additionalProperties: false },
);
export type RateLimits = Static<typeof RateLimitsSchema>;

/** Generous enough for any honest client, low enough to stop an activate/deactivate loop. */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  activationsPerHour: 120,
  deactivationsPerHour: 120,
  validationsPerMinute: 600,
};

const PolicyMetricSchema = Type.Object(
  {
    metricId: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    quantity: Type.Union([Type.Literal(-1), Type.Number({ minimum: 0, maximum: 1e15 })]),
  },
  { additionalProperties: false },
);

/** The fields a policy sets and a license may override, with their bounds. */
const termFields = {
  durationDays: Type.Union([Type.Integer({ minimum: 1, maximum: 36_500 }), Type.Null()], {
    description: 'Length of one term in days; null is perpetual.',
  }),
  term: Type.Enum(LICENSE_TERMS),
  clockStarts: Type.Enum(CLOCK_STARTS),
  renewalBasis: Type.Enum(RENEWAL_BASES),
  expirationBehaviour: Type.Enum(EXPIRATION_BEHAVIOURS),
  graceDays: Type.Integer({ minimum: 0, maximum: 3650 }),
  seatLimit: Type.Union([Type.Integer({ minimum: 1, maximum: 10_000_000 }), Type.Null()], {
    description: 'Seats (or concurrent leases when floating); null is unlimited.',
  }),
  nodeLocked: Type.Boolean({
    description: 'At most one instance, ever re-bound only by an operator.',
  }),
  fingerprintMatching: Type.Enum(FINGERPRINT_MATCHING),
  floating: Type.Boolean({ description: 'Seats are leases checked out and in, not activations.' }),
  leaseSeconds: Type.Integer({
    minimum: 60,
    maximum: 31_536_000,
    description: 'How long a check-out lasts unless a heartbeat extends it.',
  }),
  heartbeatSeconds: Type.Union([Type.Integer({ minimum: 10, maximum: 86_400 }), Type.Null()], {
    description: 'Expected heartbeat interval; null: no heartbeat is required.',
  }),
  deadInstance: Type.Enum(DEAD_INSTANCE_ACTIONS),
  overage: Type.Enum(OVERAGE_ALLOWANCES),
  features: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 500 }),
  metrics: Type.Array(PolicyMetricSchema, { maxItems: 100 }),
  requiredScopes: Type.Array(Type.Enum(VALIDATION_SCOPES), { maxItems: 4, uniqueItems: true }),
  rateLimits: RateLimitsSchema,
};

export const PolicyTermsSchema = Type.Object(termFields, { additionalProperties: false });
export type PolicyTerms = Static<typeof PolicyTermsSchema>;

/** A license's own departures from its policy: any subset of the terms (and of the rate limits). */
export const PolicyOverridesSchema = Type.Partial(
  Type.Object({ ...termFields, rateLimits: Type.Partial(RateLimitsSchema) }),
  { additionalProperties: false },
);
export type PolicyOverrides = Static<typeof PolicyOverridesSchema>;

/** Defaults for every term a policy does not set. */
export const DEFAULT_TERMS: PolicyTerms = {
  durationDays: null,
  term: 'PERPETUAL',
  clockStarts: 'ISSUE',
  renewalBasis: 'FROM_EXPIRY',
  expirationBehaviour: 'RESTRICT',
  graceDays: 0,
  seatLimit: null,
  nodeLocked: false,
  fingerprintMatching: 'ANY',
  floating: false,
  leaseSeconds: 3600,
  heartbeatSeconds: null,
  deadInstance: 'DEACTIVATE',
  overage: 'NONE',
  features: [],
  metrics: [],
  requiredScopes: [],
  rateLimits: DEFAULT_RATE_LIMITS,
};

/** The terms a license lives by: its policy's, with its own overrides on top. */
export function effectiveTerms(policy: PolicyTerms, overrides: PolicyOverrides = {}): PolicyTerms {
  const merged: PolicyTerms = { ...policy };
  for (const [name, value] of Object.entries(overrides) as [keyof PolicyTerms, unknown][]) {
    if (value === undefined) continue;
    // Rate limits merge limit by limit: overriding one keeps the others.
    const next = name === 'rateLimits' ? { ...policy.rateLimits, ...(value as object) } : value;
    Object.assign(merged, { [name]: next });
  }
  return merged;
}

/** Rules that span fields; each problem names the field to fix. */
export function checkTerms(terms: PolicyTerms): { name: string; reason: string }[] {
  const issues: { name: string; reason: string }[] = [];
  if (terms.term !== 'PERPETUAL' && terms.durationDays === null) {
    issues.push({ name: 'durationDays', reason: `a ${terms.term} term needs a duration` });
  }
  if (terms.nodeLocked && terms.floating) {
    issues.push({ name: 'floating', reason: 'a node-locked license cannot float' });
  }
  if (terms.nodeLocked && terms.seatLimit !== null && terms.seatLimit !== 1) {
    issues.push({ name: 'seatLimit', reason: 'a node-locked license has one seat' });
  }
  if (terms.heartbeatSeconds !== null && terms.heartbeatSeconds > terms.leaseSeconds) {
    issues.push({
      name: 'heartbeatSeconds',
      reason: 'the heartbeat interval must not exceed the lease',
    });
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Seats and overage

const OVERAGE_FACTORS: Record<OverageAllowance, number> = {
  NONE: 1,
  '1.25X': 1.25,
  '1.5X': 1.5,
  '2X': 2,
  UNLIMITED: Number.POSITIVE_INFINITY,
};

/** Most seats (or leases) that may be held at once: the limit times the allowance, rounded down. */
export function seatCeiling(seatLimit: number | null, overage: OverageAllowance): number | null {
  if (seatLimit === null || overage === 'UNLIMITED') return null;
  return Math.floor(seatLimit * OVERAGE_FACTORS[overage]);
}

export type SeatOutcome = 'WITHIN' | 'OVERAGE' | 'EXHAUSTED';

/**
 * Whether one more seat may be taken when `used` are held: within the limit, into the overage
 * allowance, or refused. 10 seats at 1.25×: the 11th and 12th are OVERAGE, the 13th EXHAUSTED.
 */
export function nextSeat(
  used: number,
  seatLimit: number | null,
  overage: OverageAllowance,
): SeatOutcome {
  if (seatLimit === null || used < seatLimit) return 'WITHIN';
  const ceiling = seatCeiling(seatLimit, overage);
  return ceiling === null || used < ceiling ? 'OVERAGE' : 'EXHAUSTED';
}

// ---------------------------------------------------------------------------------------------
// The clock: start, expiry, renewal, what expiry does

export interface ClockEvents {
  issuedAt: string;
  firstActivatedAt: string | null;
  firstValidatedAt: string | null;
}

/**
 * When the term ends: perpetual licenses never; otherwise one term after the moment the policy
 * starts the clock. `null` with `started: false` means the clock has not started yet (no first
 * activation or validation): the license is valid and its expiry unknown.
 */
export function termEnd(
  terms: Pick<PolicyTerms, 'durationDays' | 'clockStarts'>,
  events: ClockEvents,
): { started: boolean; expiresAt: string | null } {
  const start =
    terms.clockStarts === 'ISSUE'
      ? events.issuedAt
      : terms.clockStarts === 'FIRST_ACTIVATION'
        ? events.firstActivatedAt
        : events.firstValidatedAt;
  if (start === null) return { started: false, expiresAt: null };
  if (terms.durationDays === null) return { started: true, expiresAt: null };
  return {
    started: true,
    expiresAt: new Date(Date.parse(start) + terms.durationDays * DAY_MS).toISOString(),
  };
}

/** The expiry after one renewal at `now`: a term added to the old expiry, or to now. */
export function renewedExpiry(
  terms: Pick<PolicyTerms, 'durationDays' | 'renewalBasis'>,
  expiresAt: string | null,
  now: Date,
): string | null {
  if (terms.durationDays === null || expiresAt === null) return null;
  const from =
    terms.renewalBasis === 'FROM_NOW' ? now.getTime() : Math.max(Date.parse(expiresAt), 0);
  return new Date(from + terms.durationDays * DAY_MS).toISOString();
}

export type ExpiryEffect =
  /** Not expired, or in grace: nothing changes. */
  | { kind: 'none' }
  /** RESTRICT: invalid. */
  | { kind: 'invalid' }
  /** MAINTAIN: valid for what was released before `frozenAt`, nothing newer. */
  | { kind: 'maintained'; frozenAt: string }
  /** ALLOW: valid, flagged. */
  | { kind: 'flagged' };

/** What the policy's expiration behaviour makes of a license past its expiry and grace. */
export function expiryEffect(
  behaviour: ExpirationBehaviour,
  expiresAt: string | null,
  graceDays: number,
  now: Date,
): ExpiryEffect {
  if (expiresAt === null) return { kind: 'none' };
  const graceEnds = Date.parse(expiresAt) + graceDays * DAY_MS;
  if (now.getTime() < graceEnds) return { kind: 'none' };
  switch (behaviour) {
    case 'RESTRICT':
      return { kind: 'invalid' };
    case 'MAINTAIN':
      return { kind: 'maintained', frozenAt: expiresAt };
    case 'ALLOW':
      return { kind: 'flagged' };
  }
}

/** MAINTAIN: a version released at `releasedAt` is covered if it came out before the expiry. */
export function coversRelease(effect: ExpiryEffect, releasedAt: string | undefined): boolean {
  if (effect.kind !== 'maintained') return effect.kind !== 'invalid';
  return releasedAt !== undefined && Date.parse(releasedAt) < Date.parse(effect.frozenAt);
}

/**
 * When a license bound at `now` starts its clock: at once for ISSUE (counted from the license's
 * start, or its issue), at its first activation if it has had one, otherwise not yet.
 */
export function clockStartAtBinding(
  terms: Pick<PolicyTerms, 'clockStarts'>,
  license: { createdAt: string; startsAt: string | null; activatedAt: string | null },
): string | null {
  switch (terms.clockStarts) {
    case 'ISSUE':
      return license.startsAt ?? license.createdAt;
    case 'FIRST_ACTIVATION':
      return license.activatedAt;
    case 'FIRST_VALIDATION':
      return null;
  }
}

/** The license fields a policy decides, written on the license so every reader sees them. */
export interface TermedFields {
  term: PolicyTerms['term'];
  graceDays: number;
  seatLimit: number | null;
  features: string[];
  expiresAt: string | null;
  metricId: number | null;
  quantity: number;
}

/**
 * A license's fields under its terms: term, grace and seats from the terms (a node-locked license
 * has one seat), features and the metric with its quantity from the terms when they list any
 * (else the license keeps its own; a license has one metric, so the policy's first), and
 * the expiry one term after its clock started (none while the clock waits, or for a perpetual
 * term).
 */
export function termedFields(
  terms: PolicyTerms,
  license: { features: string[]; metricId: number | null; quantity: number },
  clockStartedAt: string | null,
): TermedFields {
  // A license carries one metric: the policy's first, when it lists any.
  const [metric] = terms.metrics;
  return {
    metricId: metric === undefined ? license.metricId : metric.metricId,
    quantity: metric === undefined ? license.quantity : metric.quantity,
    term: terms.term,
    graceDays: terms.graceDays,
    seatLimit: terms.nodeLocked ? 1 : terms.seatLimit,
    features: terms.features.length > 0 ? [...terms.features] : license.features,
    expiresAt:
      clockStartedAt === null || terms.durationDays === null
        ? null
        : new Date(Date.parse(clockStartedAt) + terms.durationDays * DAY_MS).toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Rate limits

export type RateAction = 'activation' | 'deactivation' | 'validation';

export interface RateWindow {
  limit: number;
  /** Start of the fixed window `now` falls in, ms since the epoch. */
  windowStart: number;
  /** Whole seconds until the window ends (at least 1): the `Retry-After`. */
  retryAfterSeconds: number;
  /** How the window reads in a message: "hour" or "minute". */
  per: 'hour' | 'minute';
}

/** The fixed window an action's hit at `now` counts in, and its limit. */
export function rateWindow(action: RateAction, limits: RateLimits, now: Date): RateWindow {
  const per = action === 'validation' ? 'minute' : 'hour';
  const length = per === 'minute' ? 60_000 : 3_600_000;
  const limit =
    action === 'activation'
      ? limits.activationsPerHour
      : action === 'deactivation'
        ? limits.deactivationsPerHour
        : limits.validationsPerMinute;
  const windowStart = Math.floor(now.getTime() / length) * length;
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + length - now.getTime()) / 1000));
  return { limit, windowStart, retryAfterSeconds, per };
}

// ---------------------------------------------------------------------------------------------
// Fingerprints and scopes

/**
 * Whether the components a caller presents match an instance's registered ones: ANY — at least
 * one in common; MOST — more than half of the registered ones; ALL — every registered one. An
 * instance with no registered components matches anything (there is nothing to hold it to).
 */
export function fingerprintMatches(
  matching: FingerprintMatching,
  registered: readonly string[],
  presented: readonly string[],
): boolean {
  if (registered.length === 0) return true;
  const present = new Set(presented);
  const common = new Set(registered.filter((component) => present.has(component))).size;
  const distinct = new Set(registered).size;
  switch (matching) {
    case 'ANY':
      return common >= 1;
    case 'MOST':
      return common * 2 > distinct;
    case 'ALL':
      return common === distinct;
  }
}

/** The scopes a policy requires that a validation request left out, in the policy's order. */
export function missingScopes(
  required: readonly ValidationScope[],
  request: { product?: unknown; instance?: unknown; fingerprint?: unknown; feature?: unknown },
): ValidationScope[] {
  return required.filter((scope) => request[scope] === undefined);
}

// ---------------------------------------------------------------------------------------------
// Floating leases

export interface Lease {
  id: string;
  instanceId: string;
  /** When the lease lapses unless a heartbeat or renewal extends it. */
  expiresAt: string;
  lastHeartbeatAt: string;
}

/** A lease holds a seat until it expires, and, with a heartbeat, while heartbeats keep coming. */
export function leaseAlive(
  lease: Lease,
  terms: Pick<PolicyTerms, 'heartbeatSeconds'>,
  now: Date,
): boolean {
  const at = now.getTime();
  if (at >= Date.parse(lease.expiresAt)) return false;
  if (terms.heartbeatSeconds === null) return true;
  return at < heartbeatDeadline(lease, terms.heartbeatSeconds);
}

/**
 * The moment a lease with a heartbeat is dead: one interval after the last beat plus the same
 * again as slack, so one late or lost beat does not cost the seat.
 */
export function heartbeatDeadline(lease: Pick<Lease, 'lastHeartbeatAt'>, seconds: number): number {
  return Date.parse(lease.lastHeartbeatAt) + 2 * seconds * 1000;
}

export type CheckOut =
  | { ok: true; outcome: 'WITHIN' | 'OVERAGE' | 'RENEWED'; lease: Lease }
  | { ok: false; code: 'TOO_MANY_LEASES'; detail: string };

/**
 * A check-out by `instanceId` at `now`, against the leases held: the instance's own live lease is
 * renewed (one lease per instance), otherwise a new one is granted while the ceiling allows.
 */
export function checkOut(
  held: readonly Lease[],
  request: { leaseId: string; instanceId: string; ttlSeconds?: number },
  terms: Pick<PolicyTerms, 'seatLimit' | 'overage' | 'leaseSeconds' | 'heartbeatSeconds'>,
  now: Date,
): CheckOut {
  const alive = held.filter((lease) => leaseAlive(lease, terms, now));
  const ttl = Math.min(request.ttlSeconds ?? terms.leaseSeconds, terms.leaseSeconds);
  const expiresAt = new Date(now.getTime() + ttl * 1000).toISOString();
  const beat = now.toISOString();
  const own = alive.find((lease) => lease.instanceId === request.instanceId);
  if (own !== undefined) {
    return {
      ok: true,
      outcome: 'RENEWED',
      lease: { ...own, expiresAt, lastHeartbeatAt: beat },
    };
  }
  const seat = nextSeat(alive.length, terms.seatLimit, terms.overage);
  if (seat === 'EXHAUSTED') {
    return {
      ok: false,
      code: 'TOO_MANY_LEASES',
      detail: `All ${String(seatCeiling(terms.seatLimit, terms.overage))} leases of the license are checked out.`,
    };
  }
  return {
    ok: true,
    outcome: seat,
    lease: {
      id: request.leaseId,
      instanceId: request.instanceId,
      expiresAt,
      lastHeartbeatAt: beat,
    },
  };
}

/** A heartbeat: the lease lives on (until its expiry), or it is already dead and must be re-taken. */
export function heartbeat(
  lease: Lease,
  terms: Pick<PolicyTerms, 'heartbeatSeconds' | 'leaseSeconds'>,
  now: Date,
): { ok: true; lease: Lease } | { ok: false; code: 'LEASE_EXPIRED' | 'HEARTBEAT_DEAD' } {
  if (now.getTime() >= Date.parse(lease.expiresAt)) return { ok: false, code: 'LEASE_EXPIRED' };
  if (!leaseAlive(lease, terms, now)) return { ok: false, code: 'HEARTBEAT_DEAD' };
  // A heartbeat also extends a lease without an explicit renewal, up to one lease length ahead.
  const extended = Math.max(Date.parse(lease.expiresAt), now.getTime() + terms.leaseSeconds * 1000);
  return {
    ok: true,
    lease: {
      ...lease,
      lastHeartbeatAt: now.toISOString(),
      expiresAt: new Date(extended).toISOString(),
    },
  };
}

/**
 * Whether an activated (not floating) instance is dead under its license's terms: they ask for a
 * heartbeat, say a dead instance is deactivated, and it has been quiet past the heartbeat window.
 */
export function deadInstanceToDeactivate(
  terms: Pick<PolicyTerms, 'heartbeatSeconds' | 'floating' | 'deadInstance'>,
  lastSeenAt: string,
  now: Date,
): boolean {
  if (!deactivatesDeadInstances(terms) || terms.heartbeatSeconds === null) return false;
  return (
    now.getTime() >= heartbeatDeadline({ lastHeartbeatAt: lastSeenAt }, terms.heartbeatSeconds)
  );
}

/** Whether terms ever deactivate a dead instance: they ask activated instances to beat. */
export function deactivatesDeadInstances(
  terms: Pick<PolicyTerms, 'heartbeatSeconds' | 'floating' | 'deadInstance'>,
): boolean {
  return terms.heartbeatSeconds !== null && !terms.floating && terms.deadInstance === 'DEACTIVATE';
}

/** Leases a reclaim pass frees at `now`: every one no longer alive. */
export function reclaimable<L extends Lease>(
  held: readonly L[],
  terms: Pick<PolicyTerms, 'heartbeatSeconds'>,
  now: Date,
): L[] {
  return held.filter((lease) => !leaseAlive(lease, terms, now));
}

// ---------------------------------------------------------------------------------------------
// Resources

const DateTime = Type.String({ format: 'date-time' });
const PolicyName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$' });

/** A policy as the API shows it. */
export const PolicySchema = Type.Object(
  {
    id: Type.String({ description: 'pol_<hex>' }),
    productId: Type.Integer(),
    name: PolicyName,
    description: Type.String(),
    ...termFields,
    revision: Type.Integer({ description: 'Incremented by every change; send it as If-Match.' }),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { additionalProperties: false },
);
export type Policy = Static<typeof PolicySchema>;

/** What a caller writes: the product and name, and any terms (the rest take the defaults). */
export const PolicyInputSchema = Type.Object(
  {
    product: Type.Union(
      [Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, maxLength: 64 })],
      {
        description: 'Product id or slug.',
      },
    ),
    name: PolicyName,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    ...PolicyOverridesSchema.properties,
  },
  { additionalProperties: false },
);
export type PolicyInput = Static<typeof PolicyInputSchema>;

/** A change to a policy: any terms, name or description. */
export const PolicyPatchSchema = Type.Object(
  {
    name: Type.Optional(PolicyName),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    ...PolicyOverridesSchema.properties,
  },
  { additionalProperties: false },
);
export type PolicyPatch = Static<typeof PolicyPatchSchema>;

/** The terms part of a policy. */
export function termsOf(policy: PolicyTerms): PolicyTerms {
  const terms = {} as Record<string, unknown>;
  for (const name of Object.keys(DEFAULT_TERMS)) terms[name] = policy[name as keyof PolicyTerms];
  return terms as PolicyTerms;
}

/** A license's binding to its policy, and the terms it lives by. */
export const LicensePolicySchema = Type.Object(
  {
    licenseId: Type.String(),
    policyId: Type.String(),
    overrides: PolicyOverridesSchema,
    terms: PolicyTermsSchema,
  },
  { additionalProperties: false },
);
export type LicensePolicy = Static<typeof LicensePolicySchema>;

export const LeaseSchema = Type.Object(
  {
    id: Type.String(),
    licenseId: Type.String(),
    instanceId: Type.String(),
    expiresAt: DateTime,
    lastHeartbeatAt: DateTime,
    createdAt: DateTime,
    alive: Type.Boolean({ description: 'Holds a seat now (not expired, heartbeat on time).' }),
  },
  { additionalProperties: false },
);
export type LeaseView = Static<typeof LeaseSchema>;
