/**
 * The API's shapes, as the dashboard reads them. The server's TypeBox schemas (src/domain/*.ts)
 * are the source of truth and the OpenAPI document at /openapi.json publishes them; these
 * interfaces mirror only the fields the dashboard shows. (Importing the server's types would pull
 * Node-only modules into the browser project.)
 */

export type OverallStatus = 'VALID' | 'WARNING' | 'NON_COMPLIANT';

export interface Account {
  id: string;
  name: string;
  orgId: string | null;
  settings: { autoDownload: boolean; upstreamUrl: string | null; reminderDays?: number | null };
  createdAt: string;
  updatedAt: string;
}

export interface Product {
  id: number;
  slug: string;
  name: string;
  group: string | null;
  description: string;
  features: { id: string; name: string; description: string }[];
  metrics: { id: number; name: string; unit: string }[];
  createdAt: string;
  updatedAt: string;
}

export type LicenseStatus = 'active' | 'inactive' | 'invalid' | 'revoked' | 'suspended' | 'expired';

export interface License {
  id: string;
  serialNumber: number;
  key: string;
  keyScheme: string;
  accountId: string;
  productId: number | null;
  kind: string;
  service: string | null;
  group: string | null;
  term: string;
  metricId: number | null;
  quantity: number;
  features: string[];
  baseLicense: boolean;
  description: string;
  createdAt: string;
  updatedAt: string;
  startsAt: string | null;
  activatedAt: string | null;
  expiresAt: string | null;
  graceDays: number;
  seatLimit: number | null;
  seatsUsed: number;
  state: string;
  deactivatedKey: string | null;
  orderId: string | null;
  sku: string | null;
  labels: Record<string, string>;
  /** The policy it is bound to (servers before issue 12 do not send it). */
  policyId?: string | null;
  validity: {
    status: LicenseStatus;
    valid: boolean;
    inGrace: boolean;
    daysRemaining: number | null;
    graceDaysRemaining: number | null;
    aboutToExpire: boolean;
    trialDaysRemaining: number | null;
  };
}

export interface Activation {
  instanceId: string;
  installId: number;
  deviceSerial: string;
  activatedAt: string;
  deactivatedAt: string | null;
}

export interface MetricCompliance {
  metricId: number;
  name: string;
  unit: string;
  entitled: number;
  used: number;
  available: number;
  level: number;
  compliant: boolean;
  inGrace: boolean;
  graceDaysRemaining: number | null;
  trial: boolean;
  trialDaysRemaining: number | null;
  aboutToExpire: boolean;
}

export interface ProductCompliance {
  productId: number;
  slug: string;
  name: string;
  compliant: boolean;
  inGracePeriod: boolean;
  complianceStateDescriptionDetails: string;
  metrics: MetricCompliance[];
}

export interface AccountCompliance {
  overallComplianceStatus: OverallStatus;
  products: ProductCompliance[];
  unlicensedUsage: { consumedTotal: number; features: { id: string; name: string }[] };
}

export interface UsageReport {
  accountId: string;
  product: number;
  metric?: number;
  from: string;
  to: string;
  granularity: 'day' | 'month';
  consumption: { gauges: number; instances: number; deltas: number; used: number };
  series: { period: string; deltas: number; records: number }[];
}

export interface Subscription {
  type: string;
  version: string;
  id: string;
  subscriptionNumber: number;
  customerProfileID: string;
  paymentProfileID: string;
  paymentExpiry?: string;
  paymentFirstName?: string;
  paymentLastName?: string;
  paymentAddress?: Record<string, string>;
  purchaseOrderNumber?: string;
  marketplace?: string;
  licenseSN?: string;
  terms: 'trial' | 'paid';
  status: 'active' | 'inactive';
  appLimit: number;
  namespaceLimit: number;
  subscriptionPeriod: number;
  gracePeriod: number;
  reminderBeforePeriod: number;
  onboardStatus: string;
  costPerAppUnit: number;
  costPerNamespaceUnit: number;
  metadata: {
    labels: { name: string; value: string }[];
    creationTimestamp: string;
    modificationTimestamp: string;
    createdBy: string;
    modifiedBy?: string;
  };
  accounts: string[];
  productId: number | null;
  entitledCapacity: number | null;
  capacityUnit: string | null;
  expiresAt: string | null;
  periodStart: string;
  cancelledAt: string | null;
  revision: number;
}

export interface ChargeLine {
  metric: string;
  units: number;
  unitCostMicros: number;
  amountMicros: number;
}

export interface Charge {
  id: string;
  subscriptionId: string;
  accountId: string;
  amountMicros: number;
  currency: string;
  breakdown: ChargeLine[];
  periodStart: string;
  periodEnd: string;
  status: string;
  createdAt: string;
  voidedAt: string | null;
}

export interface ChargePreview {
  subscriptionId: string;
  accountId: string;
  amountMicros: number;
  currency: string;
  breakdown: ChargeLine[];
  periodStart: string;
  periodEnd: string;
}

export interface AuditEvent {
  id: number;
  at: string;
  type: string;
  actor: string;
  actorRole: string;
  accountId: string | null;
  resourceType: string;
  resourceId: string;
  requestId: string | null;
}

export interface Instance {
  id: string;
  accountId: string;
  installId: number;
  deviceSerial: string;
  name: string;
  hostname: string | null;
  fingerprint: string | null;
  createdAt: string;
  updatedAt: string;
  lastSeenAt: string | null;
}

export interface Group {
  guid: string;
  accountId: string;
  groupName: string;
  numberOfUsers: number;
  licenses: string[];
  createdAt: string;
}

export interface Order {
  orderId: string;
  accountId: string;
  purchaseDetails: {
    sku: string;
    description?: string;
    quantity: number;
    assigned: number;
    unassigned: number;
    startDate?: string;
    endDate?: string;
  }[];
  createdAt: string;
}

export interface Webhook {
  id: string;
  accountId: string | null;
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
  consecutiveFailures: number;
  disabledAt: string | null;
  disabledReason: string | null;
  createdAt: string;
}

export interface Delivery {
  id: number;
  endpointId: string;
  eventId: number;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface InstallResult {
  key: string;
  result: string;
}

/** A policy's terms (docs/policies.md), which a license bound to it may override. */
export interface PolicyTerms {
  durationDays: number | null;
  term: 'PERPETUAL' | 'SUBSCRIPTION' | 'TRIAL' | 'DEMO';
  clockStarts: 'ISSUE' | 'FIRST_ACTIVATION' | 'FIRST_VALIDATION';
  renewalBasis: 'FROM_EXPIRY' | 'FROM_NOW';
  expirationBehaviour: 'RESTRICT' | 'MAINTAIN' | 'ALLOW';
  graceDays: number;
  seatLimit: number | null;
  nodeLocked: boolean;
  fingerprintMatching: 'ANY' | 'MOST' | 'ALL';
  floating: boolean;
  leaseSeconds: number;
  heartbeatSeconds: number | null;
  deadInstance: 'DEACTIVATE' | 'KEEP';
  overage: 'NONE' | '1.25X' | '1.5X' | '2X' | 'UNLIMITED';
  features: string[];
  metrics: { metricId: number; quantity: number }[];
  requiredScopes: ('product' | 'instance' | 'fingerprint' | 'feature')[];
  rateLimits: {
    activationsPerHour: number;
    deactivationsPerHour: number;
    validationsPerMinute: number;
  };
}

export interface Policy extends PolicyTerms {
  id: string;
  productId: number;
  name: string;
  description: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

/** A license's binding to its policy, and the terms it lives by. */
export interface LicensePolicy {
  licenseId: string;
  policyId: string;
  overrides: Partial<PolicyTerms>;
  terms: PolicyTerms;
}

/** A floating lease; `alive` is the server's word at the time of the answer. */
export interface Lease {
  id: string;
  licenseId: string;
  instanceId: string;
  expiresAt: string;
  lastHeartbeatAt: string;
  createdAt: string;
  alive: boolean;
}
