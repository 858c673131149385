import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table types, one interface per table. Timestamps are ISO-8601 strings in UTC with milliseconds,
 * so that they sort and compare as text. Booleans are 0/1 integers (SQLite has no boolean type).
 */
export interface Database {
  accounts: AccountsTable;
  products: ProductsTable;
  product_features: ProductFeaturesTable;
  product_metrics: ProductMetricsTable;
  events: EventsTable;
  tokens: TokensTable;
  sequences: SequencesTable;
  instances: InstancesTable;
  licenses: LicensesTable;
  activations: ActivationsTable;
  signing_keys: SigningKeysTable;
  subscriptions: SubscriptionsTable;
  subscription_accounts: SubscriptionAccountsTable;
  charges: ChargesTable;
  usage_records: UsageRecordsTable;
  usage_daily: UsageDailyTable;
  usage_gauges: UsageGaugesTable;
  license_groups: LicenseGroupsTable;
  group_licenses: GroupLicensesTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  job_runs: JobRunsTable;
  lifecycle_marks: LifecycleMarksTable;
  compliance_levels: ComplianceLevelsTable;
  activation_tokens: ActivationTokensTable;
  upstream_links: UpstreamLinksTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  users: UsersTable;
  access_codes: AccessCodesTable;
  user_sessions: UserSessionsTable;
  login_failures: LoginFailuresTable;
  policies: PoliciesTable;
  license_policies: LicensePoliciesTable;
  leases: LeasesTable;
  rate_counters: RateCountersTable;
}

export interface AccountsTable {
  id: string;
  name: string;
  org_id: string | null;
  /** JSON: AccountSettings. */
  settings: string;
  created_at: string;
  updated_at: string;
}

export interface ProductsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  group_name: string | null;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface ProductFeaturesTable {
  product_id: number;
  feature_id: string;
  name: string;
  description: string;
  position: number;
}

export interface ProductMetricsTable {
  product_id: number;
  metric_id: number;
  name: string;
  unit: string;
}

export interface EventsTable {
  id: Generated<number>;
  at: string;
  type: string;
  actor: string;
  actor_role: string;
  account_id: string | null;
  resource_type: string;
  resource_id: string;
  /** JSON: { before, after } of the change, or null where nothing is worth recording. */
  summary: ColumnType<string | null, string | null, never>;
  request_id: string | null;
}

export interface TokensTable {
  id: string;
  subject: string;
  role: string;
  /** JSON: '*' or a list of account ids. */
  accounts: string;
  typ: string;
  instance_id: string | null;
  /** SHA-256 of the token: the token itself is never stored. */
  token_hash: string;
  issued_at: string;
  expires_at: string;
  created_by: string;
}

export interface SequencesTable {
  name: string;
  value: number;
}

export interface InstancesTable {
  id: string;
  account_id: string;
  /** HP's install id: a unique 7–8 digit number. */
  install_id: number;
  /** NetProfiler's "device serial number", e.g. AABA-ACAA-4W4C-QVXB. */
  device_serial: string;
  name: string;
  hostname: string | null;
  fingerprint: string | null;
  /** JSON: Record<string, string>. */
  labels: string;
  created_at: string;
  updated_at: string;
  last_seen_at: string | null;
}

export interface LicensesTable {
  /** BlueXP resource id: license-<serial>-<uuid>. */
  id: string;
  serial_number: number;
  /** Normalized key (see domain/license-key.ts). */
  key: string;
  key_scheme: string;
  account_id: string;
  product_id: number | null;
  kind: string;
  service: string | null;
  group_name: string | null;
  term: string;
  metric_id: number | null;
  /** In the metric's unit; -1 = unlimited. */
  quantity: number;
  /** JSON: string[] of feature ids. */
  features: string;
  base_license: number;
  description: string;
  created_at: string;
  updated_at: string;
  starts_at: string | null;
  activated_at: string | null;
  expires_at: string | null;
  grace_days: number;
  seat_limit: number | null;
  /** The administrative state; 'expired' is derived from the dates, never stored. */
  state: string;
  deactivated_key: string | null;
  order_id: string | null;
  sku: string | null;
  /** JSON: Record<string, string>. */
  labels: string;
}

export interface ActivationsTable {
  id: Generated<number>;
  license_id: string;
  instance_id: string;
  activated_at: string;
  deactivated_at: string | null;
}

export interface SubscriptionsTable {
  /** UUIDv4. */
  id: string;
  /** BlueXP subscription number. */
  number: number;
  version: string;
  customer_profile_id: string | null;
  payment_profile_id: string | null;
  payment_first_name: string | null;
  payment_last_name: string | null;
  /** JSON: PaymentAddress. */
  payment_address: string | null;
  payment_expiry: string | null;
  purchase_order_number: string | null;
  marketplace: string | null;
  license_sn: string | null;
  terms: string;
  status: string;
  /** -1 = no limit. */
  app_limit: number;
  namespace_limit: number;
  /** Days; -1 = no limit / not applicable. */
  subscription_period: number;
  grace_period: number;
  reminder_before_period: number;
  onboard_status: string;
  /** Integer micro-dollars per unit. */
  cost_per_app_unit_micros: number;
  cost_per_namespace_unit_micros: number;
  /** JSON: { name, value }[]. */
  labels: string;
  created_at: string;
  created_by: string;
  modified_at: string;
  modified_by: string | null;
  /** Optimistic concurrency: grows with every change. */
  revision: number;
  product_id: number | null;
  entitled_capacity: number | null;
  capacity_unit: string | null;
  expires_at: string | null;
  period_start: string;
  cancelled_at: string | null;
}

export interface SubscriptionAccountsTable {
  subscription_id: string;
  account_id: string;
  /** Order of the accounts; position 0 is billed. */
  position: number;
}

export interface ChargesTable {
  id: string;
  subscription_id: string;
  account_id: string;
  /** Integer micro-units of `currency`. */
  amount_micros: number;
  currency: string;
  /** JSON: ChargeLine[]. */
  breakdown: string;
  period_start: string;
  period_end: string;
  /** pending | billed | void. */
  status: string;
  created_at: string;
  voided_at: string | null;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  /** PEM (SPKI). */
  public_key: string;
  /** PEM (PKCS#8). */
  private_key: string;
  created_at: string;
  /** When a newer key took over signing; the key stays published until `signed_until`. */
  retired_at: string | null;
  /** The latest expiry of any certificate this key signed. */
  signed_until: string | null;
}

export interface LicenseGroupsTable {
  guid: string;
  account_id: string;
  name: string;
  number_of_users: number;
  created_at: string;
  updated_at: string;
}

export interface GroupLicensesTable {
  license_id: string;
  group_guid: string;
  assigned_at: string;
}

export interface OrdersTable {
  account_id: string;
  order_id: string;
  created_at: string;
}

export interface OrderItemsTable {
  account_id: string;
  order_id: string;
  position: number;
  sku: string;
  description: string;
  quantity: number;
  start_date: string;
  end_date: string;
}

/** Raw usage, kept for the retention window; (account_id, id) is the idempotency key. */
export interface UsageRecordsTable {
  account_id: string;
  /** The client's record id. */
  id: string;
  instance_id: string | null;
  product_id: number;
  /** `metric:<id>` or `feature:<id>`. */
  measure: string;
  /** 'gauge' | 'delta'. */
  kind: string;
  value: number;
  /** When it was measured (UTC). */
  at: string;
  received_at: string;
}

/** Per account × product × measure × UTC day: deltas summed, records counted. */
export interface UsageDailyTable {
  account_id: string;
  product_id: number;
  measure: string;
  /** YYYY-MM-DD. */
  day: string;
  delta_sum: number;
  records: number;
}

/** The latest gauge per account × product × measure × instance ('' = no instance). */
export interface UsageGaugesTable {
  account_id: string;
  product_id: number;
  measure: string;
  instance_key: string;
  value: number;
  at: string;
  /** Breaks ties between gauges of the same `at`: the greater id wins. */
  record_id: string;
}

export type AccountRow = Selectable<AccountsTable>;
export type NewAccountRow = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type ProductRow = Selectable<ProductsTable>;
export type NewProductRow = Insertable<ProductsTable>;
export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type NewTokenRow = Insertable<TokensTable>;

export interface JobRunsTable {
  name: string;
  /** The process holding the current pass, while it runs. */
  holder: string | null;
  /** A holder that dies is replaced once its lease ends. */
  lease_until: string | null;
  last_started_at: string | null;
  last_finished_at: string | null;
  /** 'ok' | 'failed'. */
  last_outcome: string | null;
  /** JSON: what the last pass did. */
  last_summary: string | null;
}

export interface ActivationTokensTable {
  id: string;
  /** sha256 of the normalized token; the token itself is shown once and never stored. */
  token_hash: string;
  hint: string;
  account_id: string | null;
  order_id: string | null;
  count: number;
  /** JSON: LicenseTemplate. */
  license: string;
  created_at: string;
  expires_at: string;
  redeemed_at: string | null;
  redeemed_by_account: string | null;
  redeemed_by_subject: string | null;
  /** JSON: ids of the licenses the redemption issued. */
  license_ids: string;
  revoked_at: string | null;
}

export interface WebhookEndpointsTable {
  /** UUIDv4. */
  id: string;
  /** Null: a global endpoint (every account's events). */
  account_id: string | null;
  url: string;
  description: string;
  /** JSON: string[] of event types, or ["*"]. */
  event_types: string;
  /** `whsec_…`, kept in clear so that the worker can sign (see docs/webhooks.md, known gaps). */
  secret: string;
  enabled: number;
  /** Deliveries in a row that ended failed. */
  consecutive_failures: number;
  disabled_at: string | null;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** The outbox: one row per event and endpoint, written in the event's transaction. */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  endpoint_id: string;
  event_id: number;
  event_type: string;
  /** 'pending' | 'delivered' | 'failed'. */
  status: string;
  /** Attempts of the current series (a redeliver starts a new one). */
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  /** The first 1 KB of the answer. */
  response_body: string | null;
}

/** One per resource × mark × occurrence a lifecycle job recorded (see migration 0008). */
export interface LifecycleMarksTable {
  /** `license`, `subscription` or `account`. */
  resource_type: string;
  resource_id: string;
  /** `expiring`, `expired`, `grace_ended`, `overage:<product>:<metric>`. */
  mark: string;
  /** The canonical expiry instant, or the overage month (`2026-11`). */
  occurrence: string;
  /** The stored `expires_at` text the mark was computed from (null for overages). */
  source: string | null;
  at: string;
}

/** The last overall compliance level observed per account (`VALID`, `WARNING`, `NON_COMPLIANT`). */
export interface ComplianceLevelsTable {
  account_id: string;
  level: string;
  at: string;
}

export interface UpstreamLinksTable {
  account_id: string;
  /** The upstream service token (a secret: never returned, never logged). */
  token: string | null;
  remote_account_id: string | null;
  last_attempt_at: string | null;
  last_contact_at: string | null;
  last_error: string | null;
  consecutive_failures: number;
  open_until: string | null;
}

/** Local users of vendor logins (migration 0012). */
export interface UsersTable {
  username: string;
  /** `scrypt$N$r$p$salt$hash`; the password itself is never stored. */
  password_hash: string;
  account_id: string;
  role: string;
  instance_id: string | null;
  created_at: string;
  updated_at: string;
  password_changed_at: string;
}

/** NetProfiler OAuth access codes: sha256 of the code only. */
export interface AccessCodesTable {
  id: string;
  username: string;
  code_hash: string;
  hint: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Tokens yielded by a login, by token id (jti): a logout or a password rotation revokes them. */
export interface UserSessionsTable {
  token_id: string;
  username: string;
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** Failed logins per `user:<name>` or `addr:<address>` in a fixed window. */
export interface LoginFailuresTable {
  key: string;
  window_start: string;
  count: number;
}

export interface PoliciesTable {
  id: string;
  product_id: number;
  name: string;
  description: string;
  /** JSON of the policy's terms (domain/policy.ts PolicyTerms). */
  terms: string;
  revision: number;
  created_at: string;
  updated_at: string;
}

export interface LicensePoliciesTable {
  license_id: string;
  policy_id: string;
  /** JSON of the license's own overrides of its policy's terms. */
  overrides: string;
  /** When the term's clock started, for policies that start it on first activation or validation. */
  clock_started_at: string | null;
}

/** Hits of one rate-limit bucket (`<license>:<action>`) in one fixed window (ms since the epoch). */
export interface RateCountersTable {
  bucket: string;
  window_start: number;
  hits: number;
}

/** One row per live (or not yet reclaimed) floating lease: one per license and instance. */
export interface LeasesTable {
  id: string;
  license_id: string;
  instance_id: string;
  account_id: string;
  expires_at: string;
  last_heartbeat_at: string;
  created_at: string;
}
