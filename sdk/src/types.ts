/**
 * Hand-written types of the native API v1, matching the OpenAPI document (`GET /openapi.json`).
 * Fields the server may add later are allowed by the index signatures of nested objects only
 * where the API documents free-form content (labels, summaries).
 */

export type Timestamp = string;

/** The query language of every collection (docs/api.md, "Collections"). */
export interface ListQuery {
  filter?: string;
  orderBy?: string;
  /** Page size, 1 to 1000 (server default 100). */
  limit?: number;
  skip?: number;
  count?: boolean;
  include?: string[];
  continue?: string;
}

export interface Page<T> {
  items: T[];
  metadata: { continue?: string; count?: number };
}

export interface AccountSettings {
  autoDownload: boolean;
  upstreamUrl: string | null;
  reminderDays?: number | null;
}

export interface Account {
  id: string;
  name: string;
  orgId: string | null;
  settings: AccountSettings;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface AccountCreate {
  id?: string;
  name: string;
  orgId?: string | null;
  settings?: Partial<AccountSettings>;
}

export type AccountUpdate = Partial<Omit<AccountCreate, 'id'>>;

export type MetricUnit =
  | 'nodes'
  | 'instances'
  | 'users'
  | 'devices'
  | 'seats'
  | 'cores'
  | 'apps'
  | 'namespaces'
  | 'flows/min'
  | 'TB'
  | 'TiB'
  | 'GB'
  | 'GiB'
  | 'units';

export interface ProductFeature {
  id: string;
  name: string;
  description: string;
}

export interface ProductMetric {
  id: number;
  name: string;
  unit: MetricUnit;
}

export interface Product {
  id: number;
  slug: string;
  name: string;
  group: string | null;
  description: string;
  features: ProductFeature[];
  metrics: ProductMetric[];
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface ProductCreate {
  id?: number;
  slug: string;
  name: string;
  group?: string | null;
  description?: string;
  features?: (Omit<ProductFeature, 'description'> & { description?: string })[];
  metrics?: ProductMetric[];
}

export type ProductUpdate = Partial<ProductCreate>;

export type LicenseKind = 'node' | 'capacity' | 'data-service' | 'feature';
export type LicenseTerm = 'PERPETUAL' | 'SUBSCRIPTION' | 'TRIAL' | 'DEMO';
export type LicenseState = 'active' | 'inactive' | 'invalid' | 'revoked' | 'suspended';

export interface LicenseValidity {
  status: string;
  valid: boolean;
  inGrace: boolean;
  daysRemaining: number | null;
  graceDaysRemaining: number | null;
  aboutToExpire: boolean;
  trialDaysRemaining: number | null;
}

export interface License {
  id: string;
  serialNumber: number;
  key: string;
  keyScheme: 'native' | 'upstream' | 'netprofiler' | 'hp' | 'opaque';
  accountId: string;
  productId: number | null;
  kind: LicenseKind;
  service: string | null;
  group: string | null;
  term: LicenseTerm;
  metricId: number | null;
  quantity: number;
  features: string[];
  baseLicense: boolean;
  description: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  startsAt: Timestamp | null;
  activatedAt: Timestamp | null;
  expiresAt: Timestamp | null;
  graceDays: number;
  seatLimit: number | null;
  seatsUsed: number;
  state: LicenseState;
  deactivatedKey: string | null;
  orderId: string | null;
  sku: string | null;
  labels: Record<string, string>;
  validity: LicenseValidity;
  /** The policy the license is bound to; absent on servers without policies. */
  policyId?: string | null;
}

export interface LicenseCreate {
  accountId: string;
  /** Product id or slug. */
  product?: number | string;
  key?: string;
  /** Caller-chosen serial number; a taken one is a 409, which makes imports idempotent. */
  serialNumber?: number;
  kind?: LicenseKind;
  service?: string | null;
  group?: string | null;
  term?: LicenseTerm;
  metricId?: number | null;
  /** -1 = unlimited. */
  quantity?: number;
  features?: string[];
  baseLicense?: boolean;
  description?: string;
  startsAt?: Timestamp | null;
  expiresAt?: Timestamp | null;
  graceDays?: number;
  seatLimit?: number | null;
  orderId?: string | null;
  sku?: string | null;
  labels?: Record<string, string>;
  /** Issue from a policy (`pol_…`): seats, grace, term, features and expiry come from it. */
  policy?: string;
}

export interface LicenseUpdate {
  description?: string;
  service?: string | null;
  group?: string | null;
  metricId?: number | null;
  quantity?: number;
  features?: string[];
  startsAt?: Timestamp | null;
  expiresAt?: Timestamp | null;
  graceDays?: number;
  seatLimit?: number | null;
  orderId?: string | null;
  sku?: string | null;
  labels?: Record<string, string>;
  state?: 'active' | 'suspended';
}

export interface Activation {
  instanceId: string;
  installId: number;
  deviceSerial: string;
  activatedAt: Timestamp;
  deactivatedAt: Timestamp | null;
}

export interface IssuedCertificate {
  certificate: string;
  expiresAt: Timestamp;
}

export interface Instance {
  id: string;
  accountId: string;
  installId: number;
  deviceSerial: string;
  name: string;
  hostname: string | null;
  fingerprint: string | null;
  labels: Record<string, string>;
  createdAt: Timestamp;
  lastSeenAt: Timestamp | null;
  [field: string]: unknown;
}

export interface InstanceCreate {
  accountId: string;
  installId?: number;
  deviceSerial?: string;
  name?: string;
  hostname?: string | null;
  fingerprint?: string | null;
  labels?: Record<string, string>;
}

export type InstanceUpdate = Partial<
  Pick<InstanceCreate, 'name' | 'hostname' | 'fingerprint' | 'labels'>
>;

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
  // From policies (issue 12). Valid: OVERAGE, MAINTAINED, EXPIRED_ALLOWED; the rest are invalid.
  'OVERAGE',
  'MAINTAINED',
  'EXPIRED_ALLOWED',
  'HEARTBEAT_DEAD',
  'LEASE_EXPIRED',
  'TOO_MANY_LEASES',
  'SCOPE_REQUIRED',
  'FINGERPRINT_SCOPE_MISMATCH',
  'VERSION_NOT_COVERED',
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

export interface Entitlements {
  product: { id: number; slug: string; name: string } | null;
  features: string[];
  metric: { id: number; name: string; unit: string } | null;
  quantity: number;
  seatLimit: number | null;
  seatsUsed: number;
  expiresAt: Timestamp | null;
  graceDays: number;
}

/** The answer of `POST /v1/licenses/validate`: a verdict, also for bad keys. */
export interface Verdict {
  valid: boolean;
  code: ValidationCode;
  detail: string;
  license: License | null;
  entitlements: Entitlements | null;
}

export interface ValidateOptions {
  instance?: string;
  fingerprint?: string;
  /** Product id or slug. */
  product?: string;
  feature?: string;
  /** When the version the caller runs was released (a MAINTAIN policy covers older ones only). */
  releasedAt?: Timestamp;
}

export type SubscriptionTerms = 'trial' | 'paid';

export interface Subscription {
  type: 'application/astra-subscription';
  version: '1.0' | '1.1' | '1.2';
  id: string;
  subscriptionNumber: number;
  customerProfileID: string;
  paymentProfileID: string;
  terms: SubscriptionTerms;
  status: 'active' | 'inactive';
  appLimit: number;
  namespaceLimit: number;
  subscriptionPeriod: number;
  gracePeriod: number;
  reminderBeforePeriod: number;
  onboardStatus: 'not started' | 'in progress' | 'success' | 'failed';
  costPerAppUnit: number;
  costPerNamespaceUnit: number;
  metadata: {
    labels: unknown[];
    creationTimestamp: Timestamp;
    modificationTimestamp: Timestamp;
    createdBy: string;
    modifiedBy?: string;
  };
  accounts: string[];
  productId: number | null;
  entitledCapacity: number | null;
  capacityUnit: MetricUnit | null;
  expiresAt: Timestamp | null;
  periodStart: Timestamp;
  cancelledAt: Timestamp | null;
  revision: number;
  marketplace?: 'netapp' | 'azure' | 'aws' | 'gcp';
  licenseSN?: string;
  purchaseOrderNumber?: string;
  paymentExpiry?: string;
  paymentFirstName?: string;
  paymentLastName?: string;
}

export interface SubscriptionCreate {
  type: 'application/astra-subscription';
  version: '1.0' | '1.1' | '1.2';
  terms: SubscriptionTerms;
  accounts: string[];
  customerProfileID?: string;
  paymentProfileID?: string;
  purchaseOrderNumber?: string;
  marketplace?: 'netapp' | 'azure' | 'aws' | 'gcp';
  licenseSN?: string;
  appLimit?: number;
  namespaceLimit?: number;
  subscriptionPeriod?: number;
  gracePeriod?: number;
  reminderBeforePeriod?: number;
  productId?: number | null;
  entitledCapacity?: number | null;
  capacityUnit?: MetricUnit | null;
  expiresAt?: Timestamp | null;
  [astraField: string]: unknown;
}

/** Astra's modify body: `status: 'inactive'` cancels, `'active'` reactivates. */
export type SubscriptionReplace = Partial<SubscriptionCreate> &
  Pick<SubscriptionCreate, 'type' | 'version'> & { status?: 'active' | 'inactive' };

export interface Charge {
  id: string;
  subscriptionId: string;
  accountId: string;
  status: string;
  amountMicros: number;
  currency: string;
  periodStart: Timestamp;
  periodEnd: Timestamp;
  createdAt: Timestamp;
  voidedAt: Timestamp | null;
  [field: string]: unknown;
}

export interface UsageRecord {
  /** The idempotency key, unique within the account; generated by `reportUsage` when absent. */
  id: string;
  account?: string;
  instance?: string;
  /** Product id or slug. */
  product: string;
  metric?: number;
  feature?: string;
  value: number;
  kind: 'gauge' | 'delta';
  at: Timestamp;
}

export interface UsageIngestResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; id: string; reasons: { name: string; reason: string }[] }[];
}

export interface UsageQuery {
  product: string;
  metric?: number;
  feature?: string;
  from?: Timestamp;
  to?: Timestamp;
  granularity?: 'day' | 'month';
}

export interface UsageReport {
  accountId: string;
  product: number;
  metric?: number;
  feature?: string;
  from: Timestamp;
  to: Timestamp;
  granularity: 'day' | 'month';
  consumption: { gauges: number; instances: number; deltas: number; used: number };
  series: { period: string; deltas: number; records: number }[];
}

export interface AccountCompliance {
  overallComplianceStatus: 'VALID' | 'WARNING' | 'NON_COMPLIANT';
  products: ({
    productId: number;
    slug: string;
    name: string;
    compliant: boolean;
    metrics: Record<string, unknown>[];
  } & Record<string, unknown>)[];
  unlicensedUsage: Record<string, unknown>;
}

export interface EntitleEvent {
  id: number;
  at: Timestamp;
  type: string;
  actor: string;
  actorRole: string;
  accountId: string | null;
  resourceType: string;
  resourceId: string;
  summary: { before?: unknown; after?: unknown };
  requestId: string | null;
}

export interface Webhook {
  id: string;
  accountId: string | null;
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
  consecutiveFailures: number;
  disabledAt: Timestamp | null;
  disabledReason: string | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/** Only the create answer carries the signing secret. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export interface WebhookCreate {
  accountId?: string | null;
  url: string;
  description?: string;
  eventTypes: string[];
  enabled?: boolean;
}

export type WebhookUpdate = Partial<Omit<WebhookCreate, 'accountId'>>;

/** A published key; only OKP/Ed25519 keys verify certificates, others are ignored. */
export interface Jwk {
  kty: string;
  crv?: string;
  x: string;
  kid: string;
  alg?: string;
  use?: string;
}

export interface JwkSet {
  keys: Jwk[];
}

// ---------------------------------------------------------------------------------------------
// Policies and floating leases (docs/policies.md)

export type PolicyTermKind = LicenseTerm;
export type ClockStart = 'ISSUE' | 'FIRST_ACTIVATION' | 'FIRST_VALIDATION';
export type RenewalBasis = 'FROM_EXPIRY' | 'FROM_NOW';
export type ExpirationBehaviour = 'RESTRICT' | 'MAINTAIN' | 'ALLOW';
export type FingerprintMatching = 'ANY' | 'MOST' | 'ALL';
export type DeadInstanceAction = 'DEACTIVATE' | 'KEEP';
export type OverageAllowance = 'NONE' | '1.25X' | '1.5X' | '2X' | 'UNLIMITED';
export type ValidationScope = 'product' | 'instance' | 'fingerprint' | 'feature';

export interface PolicyRateLimits {
  activationsPerHour: number;
  deactivationsPerHour: number;
  validationsPerMinute: number;
}

/** Every term of a policy; a license lives by its policy's terms under its own overrides. */
export interface PolicyTerms {
  /** Length of one term in days; null is perpetual. */
  durationDays: number | null;
  term: PolicyTermKind;
  clockStarts: ClockStart;
  renewalBasis: RenewalBasis;
  expirationBehaviour: ExpirationBehaviour;
  graceDays: number;
  /** Seats, or concurrent leases when floating; null is unlimited. */
  seatLimit: number | null;
  nodeLocked: boolean;
  fingerprintMatching: FingerprintMatching;
  floating: boolean;
  leaseSeconds: number;
  /** Expected heartbeat interval; a lease is dead two intervals after its last beat. */
  heartbeatSeconds: number | null;
  deadInstance: DeadInstanceAction;
  overage: OverageAllowance;
  features: string[];
  metrics: { metricId: number; quantity: number }[];
  requiredScopes: ValidationScope[];
  rateLimits: PolicyRateLimits;
}

/** A license's departures from its policy: any subset of the terms. */
export type PolicyOverrides = Partial<PolicyTerms>;

export interface Policy extends PolicyTerms {
  /** `pol_<16 hex>`. */
  id: string;
  productId: number;
  name: string;
  description: string;
  /** Incremented by every change; pass it as `ifMatch` to refuse a lost update. */
  revision: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface PolicyCreate extends PolicyOverrides {
  /** Product id or slug. */
  product: number | string;
  name: string;
  description?: string;
}

export interface PolicyUpdate extends PolicyOverrides {
  name?: string;
  description?: string;
}

/** `GET /v1/licenses/{id}/policy`: the binding, and the terms the license lives by. */
export interface LicensePolicy {
  licenseId: string;
  policyId: string;
  overrides: PolicyOverrides;
  terms: PolicyTerms;
}

export interface PolicyAssign {
  /** The policy (`pol_…`), of the license's product. */
  policy: string;
  overrides?: PolicyOverrides;
}

export interface Lease {
  /** `lease_<uuid>`. */
  id: string;
  licenseId: string;
  instanceId: string;
  expiresAt: Timestamp;
  lastHeartbeatAt: Timestamp;
  createdAt: Timestamp;
  /** Holds a seat now: not expired, heartbeat on time. */
  alive: boolean;
}

export type LeaseOutcome = 'WITHIN' | 'OVERAGE' | 'RENEWED';

export interface CheckOutOptions {
  /** The instance; default the instance token's own. */
  instance?: string;
  /** At most the policy's `leaseSeconds` (the default). */
  ttlSeconds?: number;
  /** Also answer a signed certificate valid until the lease ends, for offline use. */
  borrow?: boolean;
}

export interface CheckedOut {
  lease: Lease;
  outcome: LeaseOutcome;
  /** With `borrow`: a license certificate (JWS) bound to the instance, `exp` = the lease's end. */
  certificate?: string;
}
