import { Type, type Static } from 'typebox';
import { AccountId } from './account.js';
import { Conflict } from './errors.js';
import { METRIC_UNITS } from './product.js';

/**
 * Subscriptions: the Astra subscription resource (reference 002) field for field, plus what
 * BlueXP's digital wallet shows of a subscription (reference 000): its number, the accounts it
 * belongs to (one or more), entitled capacity and an expiry.
 *
 * Astra fields keep their exact names and constraints so that the Astra facade maps 1:1; Entitle's
 * own fields sit beside them. Money is taken in US dollars as JSON numbers (as Astra writes it),
 * converted once to integer micro-dollars, and never touched as a float again.
 */

export const SUBSCRIPTION_MEDIA_TYPE = 'application/astra-subscription';
export const SUBSCRIPTION_VERSIONS = ['1.0', '1.1', '1.2'] as const;
export const SUBSCRIPTION_TERMS = ['trial', 'paid'] as const;
export const SUBSCRIPTION_STATUSES = ['active', 'inactive'] as const;
export const MARKETPLACES = ['netapp', 'azure', 'aws', 'gcp'] as const;
export const ONBOARD_STATUSES = ['not started', 'in progress', 'success', 'failed'] as const;
/** The usage metrics a subscription charges for, each with its Astra per-unit cost field. */
export const CHARGE_METRICS = ['apps', 'namespaces'] as const;
export const CHARGE_STATUSES = ['pending', 'billed', 'void'] as const;

export type SubscriptionTerms = (typeof SUBSCRIPTION_TERMS)[number];
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export type Marketplace = (typeof MARKETPLACES)[number];
export type OnboardStatus = (typeof ONBOARD_STATUSES)[number];
export type ChargeMetric = (typeof CHARGE_METRICS)[number];
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];

const DAY_MS = 86_400_000;
/** Micro-dollars per dollar: money is stored and computed in integer millionths of a dollar. */
export const MICROS_PER_DOLLAR = 1_000_000;
/** The highest per-unit cost accepted, in dollars (Entitle's bound; Astra states none). */
export const MAX_UNIT_COST_DOLLARS = 1_000_000;
/** Bound of the counts and day numbers (Entitle's; Astra states none): a 32-bit signed integer. */
const MAX_COUNT = 2_147_483_647;

const DateTime = Type.String({ format: 'date-time', description: 'ISO-8601 date-time.' });
const Uuid = Type.String({ format: 'uuid' });

/** Limits and periods: a whole number, -1 meaning "no limit" (or "not applicable", per field). */
function count(description: string) {
  return Type.Integer({ minimum: -1, maximum: MAX_COUNT, description });
}

function cost(description: string) {
  return Type.Number({ minimum: 0, maximum: MAX_UNIT_COST_DOLLARS, description });
}

export const PaymentAddressSchema = Type.Object(
  {
    addressCountry: Type.String({
      minLength: 0,
      maxLength: 2,
      pattern: '^[A-Z]{2}$|^$',
      description: 'ISO 3166 alpha-2 country code, or empty.',
    }),
    addressLocality: Type.String({ minLength: 0, maxLength: 63 }),
    addressRegion: Type.String({ minLength: 0, maxLength: 63 }),
    postalCode: Type.String({ minLength: 0, maxLength: 63 }),
    streetAddress1: Type.String({ minLength: 0, maxLength: 63 }),
    streetAddress2: Type.Optional(Type.String({ minLength: 0, maxLength: 63 })),
  },
  {
    additionalProperties: false,
    description:
      'Billing address. When present, every field the Astra table marks required is present (empty when unknown).',
  },
);
export type PaymentAddress = Static<typeof PaymentAddressSchema>;

export const LabelSchema = Type.Object(
  {
    name: Type.String({ maxLength: 255 }),
    value: Type.String({ maxLength: 4096 }),
  },
  { additionalProperties: false },
);
export type Label = Static<typeof LabelSchema>;

/** `type_astra_metadata_update`: only `labels` is taken from a client; the rest is the server's. */
export const MetadataInputSchema = Type.Object(
  {
    labels: Type.Optional(Type.Array(LabelSchema, { maxItems: 100 })),
    creationTimestamp: Type.Optional(Type.String({ maxLength: 64 })),
    modificationTimestamp: Type.Optional(Type.String({ maxLength: 64 })),
    createdBy: Type.Optional(Type.String({ maxLength: 255 })),
    modifiedBy: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

export const MetadataSchema = Type.Object(
  {
    labels: Type.Array(LabelSchema),
    creationTimestamp: DateTime,
    modificationTimestamp: DateTime,
    createdBy: Type.String(),
    modifiedBy: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type Metadata = Static<typeof MetadataSchema>;

/** The Astra fields, with Astra's constraints, as a client may write them. */
const astraFields = {
  customerProfileID: Type.String({
    minLength: 0,
    maxLength: 63,
    description: 'Authorize.net customer profile id; not set for trial terms.',
  }),
  paymentFirstName: Type.String({ minLength: 1, maxLength: 63 }),
  paymentLastName: Type.String({ minLength: 1, maxLength: 63 }),
  paymentAddress: PaymentAddressSchema,
  paymentProfileID: Type.String({ minLength: 0, maxLength: 63 }),
  paymentExpiry: DateTime,
  purchaseOrderNumber: Type.String({ minLength: 1, maxLength: 31 }),
  marketplace: Type.Enum(MARKETPLACES),
  licenseSN: Type.String({ minLength: 1, maxLength: 31 }),
  terms: Type.Enum(SUBSCRIPTION_TERMS),
  status: Type.Enum(SUBSCRIPTION_STATUSES),
  appLimit: count('Application limit; -1 is no limit.'),
  namespaceLimit: count('Namespace limit; -1 is no limit.'),
  subscriptionPeriod: count('Days; -1 is no limit.'),
  gracePeriod: count(
    'Days after a trial expires or a paid subscription is cancelled; -1 is no limit.',
  ),
  reminderBeforePeriod: count('Days before the end of a trial; -1 is not applicable.'),
  onboardStatus: Type.Enum(ONBOARD_STATUSES),
  costPerAppUnit: cost('US dollars per app; a trial is never charged.'),
  costPerNamespaceUnit: cost('US dollars per namespace; a trial is never charged.'),
};

/** Entitle's own fields (BlueXP digital wallet), writable by operators. */
const entitleFields = {
  accounts: Type.Array(AccountId, {
    minItems: 1,
    maxItems: 100,
    uniqueItems: true,
    description: 'The accounts the subscription belongs to; the first is billed.',
  }),
  productId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  entitledCapacity: Type.Union([
    Type.Literal(-1),
    Type.Number({ minimum: 0, description: 'In `capacityUnit`; -1 is unlimited.' }),
    Type.Null(),
  ]),
  capacityUnit: Type.Union([Type.Enum(METRIC_UNITS), Type.Null()]),
  expiresAt: Type.Union([DateTime, Type.Null()]),
};

const opt = <T extends Record<string, Parameters<typeof Type.Optional>[0]>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof T]: ReturnType<typeof Type.Optional<T[K]>>;
  };

/**
 * `POST /v1/subscriptions`. Astra's create table (type, version, terms required; billing fields
 * optional) plus the limits, costs and Entitle fields an operator sets. `status` is not taken: a
 * new subscription is active.
 */
export const SubscriptionCreateSchema = Type.Object(
  {
    type: Type.Literal(SUBSCRIPTION_MEDIA_TYPE),
    version: Type.Enum(SUBSCRIPTION_VERSIONS),
    terms: astraFields.terms,
    ...opt({
      customerProfileID: astraFields.customerProfileID,
      paymentFirstName: astraFields.paymentFirstName,
      paymentLastName: astraFields.paymentLastName,
      paymentAddress: astraFields.paymentAddress,
      paymentProfileID: astraFields.paymentProfileID,
      paymentExpiry: astraFields.paymentExpiry,
      purchaseOrderNumber: astraFields.purchaseOrderNumber,
      marketplace: astraFields.marketplace,
      licenseSN: astraFields.licenseSN,
      appLimit: astraFields.appLimit,
      namespaceLimit: astraFields.namespaceLimit,
      subscriptionPeriod: astraFields.subscriptionPeriod,
      gracePeriod: astraFields.gracePeriod,
      reminderBeforePeriod: astraFields.reminderBeforePeriod,
      onboardStatus: astraFields.onboardStatus,
      costPerAppUnit: astraFields.costPerAppUnit,
      costPerNamespaceUnit: astraFields.costPerNamespaceUnit,
      metadata: MetadataInputSchema,
      productId: entitleFields.productId,
      entitledCapacity: entitleFields.entitledCapacity,
      capacityUnit: entitleFields.capacityUnit,
      expiresAt: entitleFields.expiresAt,
    }),
    accounts: entitleFields.accounts,
  },
  { additionalProperties: false },
);
export type SubscriptionCreate = Static<typeof SubscriptionCreateSchema>;

/**
 * `PUT /v1/subscriptions/{id}`: Astra's modify table — type and version required, everything
 * else optional. See `replaceSubscription` for what an omitted field means.
 */
export const SubscriptionReplaceSchema = Type.Object(
  {
    type: Type.Literal(SUBSCRIPTION_MEDIA_TYPE),
    version: Type.Enum(SUBSCRIPTION_VERSIONS),
    ...opt({
      // Any UUID: the documentation's own examples carry version-5 ids. It must match the path.
      id: Uuid,
      ...astraFields,
      metadata: MetadataInputSchema,
      ...entitleFields,
    }),
  },
  { additionalProperties: false },
);
export type SubscriptionReplace = Static<typeof SubscriptionReplaceSchema>;

/** The resource as read: Astra's `subscription_1.2_get_response_body` plus Entitle's fields. */
export const SubscriptionSchema = Type.Object(
  {
    type: Type.Literal(SUBSCRIPTION_MEDIA_TYPE),
    version: Type.Enum(SUBSCRIPTION_VERSIONS),
    id: Uuid,
    customerProfileID: astraFields.customerProfileID,
    paymentProfileID: astraFields.paymentProfileID,
    paymentExpiry: Type.Optional(
      Type.String({ format: 'date-time', description: 'Not returned for trial terms.' }),
    ),
    purchaseOrderNumber: Type.Optional(astraFields.purchaseOrderNumber),
    marketplace: Type.Optional(astraFields.marketplace),
    licenseSN: Type.Optional(astraFields.licenseSN),
    terms: astraFields.terms,
    status: astraFields.status,
    appLimit: astraFields.appLimit,
    namespaceLimit: astraFields.namespaceLimit,
    subscriptionPeriod: astraFields.subscriptionPeriod,
    gracePeriod: astraFields.gracePeriod,
    reminderBeforePeriod: astraFields.reminderBeforePeriod,
    onboardStatus: astraFields.onboardStatus,
    costPerAppUnit: Type.Number({ description: 'US dollars.' }),
    costPerNamespaceUnit: Type.Number({ description: 'US dollars.' }),
    metadata: MetadataSchema,
    // Billing details Astra takes but does not list on read; the native API shows them when set.
    paymentFirstName: Type.Optional(astraFields.paymentFirstName),
    paymentLastName: Type.Optional(astraFields.paymentLastName),
    paymentAddress: Type.Optional(PaymentAddressSchema),
    // Entitle's fields.
    subscriptionNumber: Type.Integer({ description: 'BlueXP subscription number.' }),
    accounts: entitleFields.accounts,
    productId: entitleFields.productId,
    entitledCapacity: entitleFields.entitledCapacity,
    capacityUnit: entitleFields.capacityUnit,
    expiresAt: entitleFields.expiresAt,
    periodStart: Type.String({
      format: 'date-time',
      description: 'Start of the current period: creation, or the last reactivation.',
    }),
    cancelledAt: Type.Union([DateTime, Type.Null()]),
    revision: Type.Integer({
      minimum: 1,
      description: 'Grows with every change; send it as If-Match to replace safely.',
    }),
  },
  { additionalProperties: false },
);
export type Subscription = Static<typeof SubscriptionSchema>;

/** A subscription as stored: money in micro-dollars, optional Astra strings as null. */
export interface SubscriptionRecord {
  id: string;
  number: number;
  version: (typeof SUBSCRIPTION_VERSIONS)[number];
  accounts: string[];
  customerProfileID: string | null;
  paymentProfileID: string | null;
  paymentFirstName: string | null;
  paymentLastName: string | null;
  paymentAddress: PaymentAddress | null;
  paymentExpiry: string | null;
  purchaseOrderNumber: string | null;
  marketplace: Marketplace | null;
  licenseSN: string | null;
  terms: SubscriptionTerms;
  status: SubscriptionStatus;
  appLimit: number;
  namespaceLimit: number;
  subscriptionPeriod: number;
  gracePeriod: number;
  reminderBeforePeriod: number;
  onboardStatus: OnboardStatus;
  costPerAppUnitMicros: number;
  costPerNamespaceUnitMicros: number;
  labels: Label[];
  createdAt: string;
  createdBy: string;
  modifiedAt: string;
  modifiedBy: string | null;
  revision: number;
  productId: number | null;
  entitledCapacity: number | null;
  capacityUnit: (typeof METRIC_UNITS)[number] | null;
  expiresAt: string | null;
  periodStart: string;
  cancelledAt: string | null;
}

/**
 * Defaults of a new subscription where the create body is silent. Astra documents none but the
 * zero trial costs and the empty profile ids on read; the periods follow its examples (a trial:
 * 90 days, 7 days of grace, reminders 30 days before the end; a paid subscription: -1 for all),
 * and limits default to -1 (no limit) so that an operator restricts deliberately.
 */
export function subscriptionDefaults(terms: SubscriptionTerms) {
  const trial = terms === 'trial';
  return {
    appLimit: -1,
    namespaceLimit: -1,
    subscriptionPeriod: trial ? 90 : -1,
    gracePeriod: trial ? 7 : -1,
    reminderBeforePeriod: trial ? 30 : -1,
    onboardStatus: 'not started' as OnboardStatus,
    costPerAppUnit: 0,
    costPerNamespaceUnit: 0,
  };
}

/**
 * Builds a new subscription from a create body. `expiresAt` defaults to the end of the first
 * period when the period is limited.
 *
 * @example
 *   newSubscription({ type: 'application/astra-subscription', version: '1.2', terms: 'trial', accounts: ['acme'] },
 *     { id, number: 1, now: new Date('2026-11-23T00:00:00Z'), actor: 'op' })
 *   // → status 'active', subscriptionPeriod 90, expiresAt '2027-02-21T00:00:00.000Z', costs 0
 */
export function newSubscription(
  input: SubscriptionCreate,
  facts: { id: string; number: number; now: Date; actor: string },
): SubscriptionRecord {
  const defaults = subscriptionDefaults(input.terms);
  const at = facts.now.toISOString();
  const subscriptionPeriod = input.subscriptionPeriod ?? defaults.subscriptionPeriod;
  const expiresAt =
    input.expiresAt !== undefined
      ? input.expiresAt
      : subscriptionPeriod >= 0
        ? new Date(facts.now.getTime() + subscriptionPeriod * DAY_MS).toISOString()
        : null;
  return {
    id: facts.id,
    number: facts.number,
    version: input.version,
    accounts: [...input.accounts],
    customerProfileID: input.customerProfileID ?? null,
    paymentProfileID: input.paymentProfileID ?? null,
    paymentFirstName: input.paymentFirstName ?? null,
    paymentLastName: input.paymentLastName ?? null,
    paymentAddress: input.paymentAddress ?? null,
    paymentExpiry: input.paymentExpiry ?? null,
    purchaseOrderNumber: input.purchaseOrderNumber ?? null,
    marketplace: input.marketplace ?? null,
    licenseSN: input.licenseSN ?? null,
    terms: input.terms,
    status: 'active',
    appLimit: input.appLimit ?? defaults.appLimit,
    namespaceLimit: input.namespaceLimit ?? defaults.namespaceLimit,
    subscriptionPeriod,
    gracePeriod: input.gracePeriod ?? defaults.gracePeriod,
    reminderBeforePeriod: input.reminderBeforePeriod ?? defaults.reminderBeforePeriod,
    onboardStatus: input.onboardStatus ?? defaults.onboardStatus,
    costPerAppUnitMicros: dollarsToMicros(input.costPerAppUnit ?? defaults.costPerAppUnit),
    costPerNamespaceUnitMicros: dollarsToMicros(
      input.costPerNamespaceUnit ?? defaults.costPerNamespaceUnit,
    ),
    labels: input.metadata?.labels ?? [],
    createdAt: at,
    createdBy: facts.actor,
    modifiedAt: at,
    modifiedBy: null,
    revision: 1,
    productId: input.productId ?? null,
    entitledCapacity: input.entitledCapacity ?? null,
    capacityUnit: input.capacityUnit ?? null,
    expiresAt,
    periodStart: at,
    cancelledAt: null,
  };
}

/**
 * Applies a PUT body. Astra: "replaces the entire stored resource with the supplied JSON request
 * body while preserving key values that are not user-modifiable". Read as:
 *
 * - non-modifiable, always kept: id, number, type, the creation fields of metadata, revision,
 *   periodStart/cancelledAt (moved only by the status change);
 * - optional on read (the billing strings, address, expiry, purchase order, marketplace,
 *   license SN): replaced — omitted means cleared;
 * - required on read (terms, status, limits, periods, onboarding, costs) and Entitle's fields
 *   (accounts, product, capacity, expiry): replaced when given, kept when omitted, because the
 *   document makes them optional in a PUT (its own example sends three payment fields) and
 *   resetting them would silently re-price or reactivate a subscription;
 * - metadata omitted: labels kept (Astra); given: its labels replace the stored ones, and a
 *   metadata object without labels clears them.
 *
 * The status change itself is checked by `statusTransition` before this is called.
 */
export function replaceSubscription(
  current: SubscriptionRecord,
  input: SubscriptionReplace,
  facts: { now: Date; actor: string },
): SubscriptionRecord {
  const at = facts.now.toISOString();
  return {
    ...current,
    version: input.version,
    customerProfileID: input.customerProfileID ?? null,
    paymentProfileID: input.paymentProfileID ?? null,
    paymentFirstName: input.paymentFirstName ?? null,
    paymentLastName: input.paymentLastName ?? null,
    paymentAddress: input.paymentAddress ?? null,
    paymentExpiry: input.paymentExpiry ?? null,
    purchaseOrderNumber: input.purchaseOrderNumber ?? null,
    marketplace: input.marketplace ?? null,
    licenseSN: input.licenseSN ?? null,
    terms: input.terms ?? current.terms,
    status: input.status ?? current.status,
    appLimit: input.appLimit ?? current.appLimit,
    namespaceLimit: input.namespaceLimit ?? current.namespaceLimit,
    subscriptionPeriod: input.subscriptionPeriod ?? current.subscriptionPeriod,
    gracePeriod: input.gracePeriod ?? current.gracePeriod,
    reminderBeforePeriod: input.reminderBeforePeriod ?? current.reminderBeforePeriod,
    onboardStatus: input.onboardStatus ?? current.onboardStatus,
    costPerAppUnitMicros:
      input.costPerAppUnit === undefined
        ? current.costPerAppUnitMicros
        : dollarsToMicros(input.costPerAppUnit),
    costPerNamespaceUnitMicros:
      input.costPerNamespaceUnit === undefined
        ? current.costPerNamespaceUnitMicros
        : dollarsToMicros(input.costPerNamespaceUnit),
    labels: input.metadata === undefined ? current.labels : (input.metadata.labels ?? []),
    modifiedAt: at,
    modifiedBy: facts.actor,
    revision: current.revision + 1,
    accounts: input.accounts === undefined ? current.accounts : [...input.accounts],
    productId: input.productId === undefined ? current.productId : input.productId,
    entitledCapacity:
      input.entitledCapacity === undefined ? current.entitledCapacity : input.entitledCapacity,
    capacityUnit: input.capacityUnit === undefined ? current.capacityUnit : input.capacityUnit,
    expiresAt: input.expiresAt === undefined ? current.expiresAt : input.expiresAt,
  };
}

/**
 * The resource as read. Unset profile ids read as "" (Astra: "returns an empty string during
 * read operation, if not set"); `paymentExpiry` is not returned for trial terms; costs go back to
 * dollars (the closest double to the exact micro-dollar amount).
 */
export function subscriptionResource(record: SubscriptionRecord): Subscription {
  const metadata: Metadata = {
    labels: record.labels,
    creationTimestamp: record.createdAt,
    modificationTimestamp: record.modifiedAt,
    createdBy: record.createdBy,
  };
  if (record.modifiedBy !== null) metadata.modifiedBy = record.modifiedBy;
  const resource: Subscription = {
    type: SUBSCRIPTION_MEDIA_TYPE,
    version: record.version,
    id: record.id,
    customerProfileID: record.customerProfileID ?? '',
    paymentProfileID: record.paymentProfileID ?? '',
    terms: record.terms,
    status: record.status,
    appLimit: record.appLimit,
    namespaceLimit: record.namespaceLimit,
    subscriptionPeriod: record.subscriptionPeriod,
    gracePeriod: record.gracePeriod,
    reminderBeforePeriod: record.reminderBeforePeriod,
    onboardStatus: record.onboardStatus,
    costPerAppUnit: microsToDollars(record.costPerAppUnitMicros),
    costPerNamespaceUnit: microsToDollars(record.costPerNamespaceUnitMicros),
    metadata,
    subscriptionNumber: record.number,
    accounts: record.accounts,
    productId: record.productId,
    entitledCapacity: record.entitledCapacity,
    capacityUnit: record.capacityUnit,
    expiresAt: record.expiresAt,
    periodStart: record.periodStart,
    cancelledAt: record.cancelledAt,
    revision: record.revision,
  };
  if (record.paymentExpiry !== null && record.terms !== 'trial')
    resource.paymentExpiry = record.paymentExpiry;
  if (record.purchaseOrderNumber !== null)
    resource.purchaseOrderNumber = record.purchaseOrderNumber;
  if (record.marketplace !== null) resource.marketplace = record.marketplace;
  if (record.licenseSN !== null) resource.licenseSN = record.licenseSN;
  if (record.paymentFirstName !== null) resource.paymentFirstName = record.paymentFirstName;
  if (record.paymentLastName !== null) resource.paymentLastName = record.paymentLastName;
  if (record.paymentAddress !== null) resource.paymentAddress = record.paymentAddress;
  return resource;
}

// ---------------------------------------------------------------------------------------------
// Status state machine

export type StatusTransition =
  | { ok: true; kind: 'none' | 'cancel' | 'reactivate' }
  | { ok: false; code: 'UNKNOWN_STATUS' | 'GRACE_OVER'; reason: string };

/**
 * The status state machine. Two states, `active` and `inactive`:
 *
 * - same → same: no change (a PUT that repeats the status is not a transition);
 * - `active` → `inactive`: **cancel**, always allowed; it computes the pending charge;
 * - `inactive` → `active`: **reactivation**, allowed while the grace period after the cancellation
 *   lasts (`now < cancelledAt + gracePeriod days`; `gracePeriod` -1 is no limit, 0 is none). It
 *   starts a new period; the earlier charge stays as it was;
 * - anything else (an unknown status) is refused.
 *
 * @example
 *   statusTransition('inactive', 'active', { gracePeriod: 7, cancelledAt: '2026-11-01T00:00:00Z' }, new Date('2026-11-20T00:00:00Z'))
 *   // → { ok: false, code: 'GRACE_OVER', … }
 */
export function statusTransition(
  from: string,
  to: string,
  subscription: { gracePeriod: number; cancelledAt: string | null },
  now: Date,
): StatusTransition {
  const known = (s: string) => (SUBSCRIPTION_STATUSES as readonly string[]).includes(s);
  if (!known(from) || !known(to)) {
    return {
      ok: false,
      code: 'UNKNOWN_STATUS',
      reason: `There is no transition from '${from}' to '${to}'.`,
    };
  }
  if (from === to) return { ok: true, kind: 'none' };
  if (to === 'inactive') return { ok: true, kind: 'cancel' };
  const { gracePeriod, cancelledAt } = subscription;
  if (gracePeriod < 0) return { ok: true, kind: 'reactivate' };
  const graceEnds =
    cancelledAt === null
      ? Number.NEGATIVE_INFINITY
      : Date.parse(cancelledAt) + gracePeriod * DAY_MS;
  return now.getTime() < graceEnds
    ? { ok: true, kind: 'reactivate' }
    : {
        ok: false,
        code: 'GRACE_OVER',
        reason: `The subscription can no longer be reactivated: its ${String(gracePeriod)}-day grace period after cancellation is over.`,
      };
}

// ---------------------------------------------------------------------------------------------
// Money and charges

/**
 * Converts dollars to integer micro-dollars, once, rounding half up on the decimal the client
 * wrote (the shortest decimal that reads back as the same double), not on its binary value:
 * 0.0000005 → 1, where `Math.round(0.0000005 * 1e6)` gives 0.
 *
 * @example dollarsToMicros(0.005) // → 5000
 */
export function dollarsToMicros(dollars: number): number {
  if (!Number.isFinite(dollars) || dollars < 0) {
    throw new RangeError(`Not a non-negative amount of dollars: ${String(dollars)}`);
  }
  const [mantissa = '0', exponent = '0'] = dollars.toExponential().split('e');
  const digits = BigInt(mantissa.replace('.', ''));
  const fractionDigits = mantissa.includes('.') ? mantissa.length - mantissa.indexOf('.') - 1 : 0;
  const shift = Number(exponent) - fractionDigits + 6;
  let micros: bigint;
  if (shift >= 0) {
    micros = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    micros = digits / divisor;
    if ((digits % divisor) * 2n >= divisor) micros += 1n;
  }
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`Amount too large: ${String(dollars)}`);
  }
  return Number(micros);
}

/** Micro-dollars back to dollars for display: the double closest to the exact amount. */
export function microsToDollars(micros: number): number {
  return micros / MICROS_PER_DOLLAR;
}

export const ChargeLineSchema = Type.Object({
  metric: Type.Enum(CHARGE_METRICS),
  units: Type.Integer({ minimum: 0, description: 'Units used in the period, rounded up.' }),
  unitCostMicros: Type.Integer({ minimum: 0, description: 'Micro-dollars per unit.' }),
  amountMicros: Type.Integer({ minimum: 0, description: 'units × unitCostMicros.' }),
});
export type ChargeLine = Static<typeof ChargeLineSchema>;

export interface ChargeInput {
  terms: SubscriptionTerms;
  costPerAppUnitMicros: number;
  costPerNamespaceUnitMicros: number;
  /** Units used over the period, per metric, as the usage store reports them. */
  used: Record<ChargeMetric, number>;
}

/**
 * The pending charge of a cancelled subscription for its period, in integer micro-dollars:
 *
 *     units(m)  = ceil(max(0, used(m)))        — a partly used unit is a used unit
 *     amount(m) = units(m) × unitCostMicros(m)  — 0 for every metric of a trial
 *     amount    = Σ amount(m) over apps and namespaces
 *
 * Integer arithmetic only (BigInt, checked against 2^53); a charge too large to hold is refused.
 *
 * @example
 *   computeCharge({ terms: 'paid', costPerAppUnitMicros: 1_500_000, costPerNamespaceUnitMicros: 5_000, used: { apps: 3, namespaces: 10 } })
 *   // → { amountMicros: 4_550_000, lines: [{ metric: 'apps', units: 3, … amountMicros: 4_500_000 }, { metric: 'namespaces', units: 10, … 50_000 }] }
 */
export function computeCharge(input: ChargeInput): { amountMicros: number; lines: ChargeLine[] } {
  const costs: Record<ChargeMetric, number> = {
    apps: input.costPerAppUnitMicros,
    namespaces: input.costPerNamespaceUnitMicros,
  };
  let total = 0n;
  const lines = CHARGE_METRICS.map((metric): ChargeLine => {
    const used = input.used[metric];
    const units = Number.isFinite(used) && used > 0 ? Math.ceil(used) : 0;
    const unitCostMicros = input.terms === 'trial' ? 0 : costs[metric];
    const amount = BigInt(units) * BigInt(unitCostMicros);
    total += amount;
    return { metric, units, unitCostMicros, amountMicros: safe(amount) };
  });
  return { amountMicros: safe(total), lines };
}

function safe(amount: bigint): number {
  if (amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Conflict('The charge is too large to record.');
  }
  return Number(amount);
}

export const ChargeSchema = Type.Object(
  {
    id: Uuid,
    subscriptionId: Uuid,
    accountId: AccountId,
    amountMicros: Type.Integer({ minimum: 0, description: 'Integer micro-dollars.' }),
    currency: Type.Literal('USD'),
    breakdown: Type.Array(ChargeLineSchema),
    periodStart: DateTime,
    periodEnd: DateTime,
    status: Type.Enum(CHARGE_STATUSES),
    createdAt: DateTime,
    voidedAt: Type.Union([DateTime, Type.Null()]),
  },
  { additionalProperties: false },
);
export type Charge = Static<typeof ChargeSchema>;
