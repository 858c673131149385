import { Type, type Static } from 'typebox';
import { AccountId } from './account.js';
import { KEY_SCHEMES } from './license-key.js';
import { LICENSE_TERMS, type LicenseTerm } from './license-term.js';
import { PolicyOverridesSchema } from './policy.js';

export { LICENSE_TERMS, type LicenseTerm };

/** What a license licenses (BlueXP): a node, capacity, a data service, or a feature. */
export const LICENSE_KINDS = ['node', 'capacity', 'data-service', 'feature'] as const;
/** Administrative states an operator or the lifecycle sets; `expired` is derived, never stored. */
export const LICENSE_STATES = ['active', 'inactive', 'invalid', 'revoked', 'suspended'] as const;
export const LICENSE_STATUSES = [...LICENSE_STATES, 'expired'] as const;

export type LicenseKind = (typeof LICENSE_KINDS)[number];
export type LicenseState = (typeof LICENSE_STATES)[number];
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];

/** Days before expiry from which a license is "about to expire", unless the caller says otherwise. */
export const DEFAULT_REMINDER_DAYS = 30;
const DAY_MS = 86_400_000;

const Labels = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9._/-]{1,63}$' }),
  Type.String({ maxLength: 255 }),
  {
    maxProperties: 50,
  },
);
const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
const Code = Type.String({ pattern: '^[A-Z0-9_]{1,64}$' });

/** The part of a license its validity is computed from. */
export interface LicenseDates {
  state: LicenseState;
  term: LicenseTerm;
  startsAt: string | null;
  expiresAt: string | null;
  graceDays: number;
}

export const LicenseValiditySchema = Type.Object({
  status: Type.Enum(LICENSE_STATUSES),
  valid: Type.Boolean(),
  inGrace: Type.Boolean(),
  daysRemaining: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Whole days until expiry; null when perpetual.',
  }),
  graceDaysRemaining: Type.Union([Type.Integer(), Type.Null()]),
  aboutToExpire: Type.Boolean(),
  trialDaysRemaining: Type.Union([Type.Integer(), Type.Null()]),
});
export type LicenseValidity = Static<typeof LicenseValiditySchema>;

/**
 * Status and validity from the dates, under a clock reading: never stored, so never stale.
 *
 * @example
 *   licenseValidity({ state: 'active', term: 'TRIAL', startsAt: null, expiresAt: '2026-12-01T00:00:00Z', graceDays: 7 }, new Date('2026-11-23T00:00:00Z'))
 *   // → { status: 'active', valid: true, daysRemaining: 8, aboutToExpire: true, trialDaysRemaining: 8, … }
 */
export function licenseValidity(
  license: LicenseDates,
  now: Date,
  reminderDays = DEFAULT_REMINDER_DAYS,
): LicenseValidity {
  const at = now.getTime();
  const expires = license.expiresAt === null ? null : Date.parse(license.expiresAt);
  const graceEnds = expires === null ? null : expires + license.graceDays * DAY_MS;
  const expired = expires !== null && at >= expires;
  const inGrace = expired && graceEnds !== null && at < graceEnds;
  const daysRemaining = expires === null ? null : Math.max(0, Math.ceil((expires - at) / DAY_MS));
  const notStarted = license.startsAt !== null && at < Date.parse(license.startsAt);
  // Revoked, suspended and unrecognized say so; otherwise an expired license is expired, whether
  // it was still activated somewhere or not.
  const administrative =
    license.state === 'revoked' || license.state === 'suspended' || license.state === 'invalid';
  const status: LicenseStatus = administrative
    ? license.state
    : expired
      ? 'expired'
      : license.state;
  const usable = license.state === 'active' || license.state === 'inactive';
  return {
    status,
    valid: usable && !notStarted && (!expired || inGrace),
    inGrace,
    daysRemaining,
    graceDaysRemaining: inGrace ? Math.ceil((graceEnds - at) / DAY_MS) : null,
    aboutToExpire: expires !== null && !expired && expires - at <= reminderDays * DAY_MS,
    trialDaysRemaining: license.term === 'TRIAL' ? daysRemaining : null,
  };
}

export const VALIDATION_CODES = [
  'VALID',
  'IN_GRACE',
  'EXPIRED',
  'NOT_YET_VALID',
  'SUSPENDED',
  'REVOKED',
  'NOT_ACTIVATED',
  'SEATS_EXHAUSTED',
  'FINGERPRINT_MISMATCH',
  'PRODUCT_MISMATCH',
  'FEATURE_NOT_LICENSED',
  'UNKNOWN_KEY',
  'BAD_FORMAT',
  // Policy-bound licenses (domain/policy.ts):
  'OVERAGE',
  'MAINTAINED',
  'EXPIRED_ALLOWED',
  'VERSION_NOT_COVERED',
  'SCOPE_REQUIRED',
  'FINGERPRINT_SCOPE_MISMATCH',
  'HEARTBEAT_DEAD',
  'LEASE_EXPIRED',
  'TOO_MANY_LEASES',
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

export interface Verdict {
  valid: boolean;
  code: ValidationCode;
  detail: string;
}

/**
 * HP's compliance level for a product and metric: 1 when nothing is used, otherwise the share of
 * use the valid licenses cover, at most 1. An unlimited license (-1) covers everything.
 */
export function complianceLevel(entitled: readonly number[], used: number): number {
  if (used <= 0 || entitled.some((quantity) => quantity < 0)) return 1;
  const total = entitled.reduce((sum, quantity) => sum + quantity, 0);
  return Math.min(1, total / used);
}

/** BlueXP resource id of a license. */
export function licenseResourceId(serialNumber: number, uuid: string): string {
  return `license-${String(serialNumber)}-${uuid}`;
}

export const LicenseSchema = Type.Object(
  {
    id: Type.String({ description: 'Resource id: license-<serialNumber>-<uuid> (BlueXP).' }),
    serialNumber: Type.Integer({
      description: 'Unique serial number (HP serial_no, BlueXP serial).',
    }),
    key: Type.String(),
    keyScheme: Type.Enum(KEY_SCHEMES),
    accountId: AccountId,
    productId: Type.Union([Type.Integer(), Type.Null()]),
    kind: Type.Enum(LICENSE_KINDS),
    service: Type.Union([Code, Type.Null()], { description: 'e.g. BACKUP, COMPLIANCE, TIERING.' }),
    group: Type.Union([Code, Type.Null()], { description: 'e.g. CVO, DATA_SERVICES.' }),
    term: Type.Enum(LICENSE_TERMS),
    metricId: Type.Union([Type.Integer(), Type.Null()]),
    quantity: Type.Number({ description: 'In the metric unit; -1 is unlimited.' }),
    features: Type.Array(Type.String()),
    baseLicense: Type.Boolean(),
    description: Type.String(),
    createdAt: DateTime,
    updatedAt: DateTime,
    startsAt: NullableDateTime,
    activatedAt: NullableDateTime,
    expiresAt: NullableDateTime,
    graceDays: Type.Integer(),
    seatLimit: Type.Union([Type.Integer(), Type.Null()]),
    seatsUsed: Type.Integer(),
    state: Type.Enum(LICENSE_STATES),
    deactivatedKey: Type.Union([Type.String(), Type.Null()]),
    orderId: Type.Union([Type.String(), Type.Null()]),
    sku: Type.Union([Type.String(), Type.Null()]),
    labels: Labels,
    policyId: Type.Union([Type.String(), Type.Null()], {
      description: 'The policy the license is bound to (its terms: GET /v1/licenses/{id}/policy).',
    }),
    validity: LicenseValiditySchema,
  },
  { additionalProperties: false },
);
export type License = Static<typeof LicenseSchema>;

const issueFields = {
  accountId: AccountId,
  product: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, maxLength: 64 })], {
      description: 'Product id or slug.',
    }),
  ),
  key: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'A key issued elsewhere, to register; a native key is generated when absent.',
    }),
  ),
  serialNumber: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 999_999_999_999_999,
      description:
        'A serial number issued elsewhere (e.g. a BlueXP serial), to keep; assigned when absent. Unique.',
    }),
  ),
  kind: Type.Optional(Type.Enum(LICENSE_KINDS)),
  service: Type.Optional(Type.Union([Code, Type.Null()])),
  group: Type.Optional(
    Type.Union([Code, Type.Null()], { description: "Defaults to the product's group." }),
  ),
  term: Type.Optional(Type.Enum(LICENSE_TERMS)),
  metricId: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  quantity: Type.Optional(
    // Bounded so that conversions between units (bytes in between) stay finite numbers.
    Type.Union([Type.Literal(-1), Type.Number({ minimum: 0, maximum: 1e15 })], {
      description: 'Default 1, at most 1e15; -1 is unlimited.',
    }),
  ),
  features: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 500 }),
  ),
  baseLicense: Type.Optional(Type.Boolean()),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  startsAt: Type.Optional(NullableDateTime),
  expiresAt: Type.Optional(NullableDateTime),
  graceDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  seatLimit: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1, maximum: 10_000_000 }), Type.Null()]),
  ),
  orderId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
  sku: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
  labels: Type.Optional(Labels),
  policy: Type.Optional(
    Type.String({
      pattern: '^pol_[0-9a-f]{16}$',
      description:
        "Issue from this policy (of the license's product, which it defaults to): term, grace, seats, features and the expiry come from its terms.",
    }),
  ),
  policyOverrides: Type.Optional(PolicyOverridesSchema),
};

export const LicenseIssueSchema = Type.Object(issueFields, { additionalProperties: false });
export type LicenseIssue = Static<typeof LicenseIssueSchema>;

export const LicensePatchSchema = Type.Object(
  {
    description: issueFields.description,
    service: issueFields.service,
    group: issueFields.group,
    metricId: issueFields.metricId,
    quantity: issueFields.quantity,
    features: issueFields.features,
    startsAt: issueFields.startsAt,
    expiresAt: issueFields.expiresAt,
    graceDays: issueFields.graceDays,
    seatLimit: issueFields.seatLimit,
    orderId: issueFields.orderId,
    sku: issueFields.sku,
    labels: issueFields.labels,
    state: Type.Optional(
      Type.Enum(['active', 'suspended'], {
        description: 'Suspend or resume; revoke has its own verb.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type LicensePatch = Static<typeof LicensePatchSchema>;

/** `POST /v1/licenses/validate`: the key, and optionally what the caller needs it for. */
export const ValidateRequestSchema = Type.Object(
  {
    key: Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'The license key, in any accepted spelling.',
    }),
    instance: Type.Optional(
      Type.String({ format: 'uuid', description: "Defaults to an instance token's own instance." }),
    ),
    product: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'Product id or slug the caller needs.',
      }),
    ),
    feature: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    fingerprint: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description:
          'The instance fingerprint; components separated by commas (a policy may match ANY, MOST or ALL of them).',
      }),
    ),
    releasedAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'When the version asking was released: a MAINTAIN policy covers versions released before expiry.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ValidateRequest = Static<typeof ValidateRequestSchema>;

/** Per-key results of installing keys (NetProfiler answers with the same strings). */
export const INSTALL_RESULTS = [
  'success',
  'already installed',
  'License key format not supported',
  'Unrecognized License',
  'Seat limit reached',
  'License not usable',
] as const;
export type InstallResult = (typeof INSTALL_RESULTS)[number];

export const UNINSTALL_RESULTS = [
  'success',
  'not installed',
  'License key format not supported',
  'issued licenses are removed by the vendor',
] as const;
export type UninstallResult = (typeof UNINSTALL_RESULTS)[number];

/** Install or remove keys in bulk, on an instance or in an account's wallet. */
export const KeysRequestSchema = Type.Object(
  {
    instance: Type.Optional(
      Type.String({ format: 'uuid', description: "Defaults to an instance token's own instance." }),
    ),
    accountId: Type.Optional(AccountId),
    keys: Type.Array(Type.String({ maxLength: 512 }), { minItems: 1, maxItems: 500 }),
  },
  { additionalProperties: false },
);
export type KeysRequest = Static<typeof KeysRequestSchema>;
