import { Type, type Static } from 'typebox';
import {
  complianceLevel,
  LICENSE_TERMS,
  licenseValidity,
  type LicenseState,
  type LicenseTerm,
} from './license.js';
import type { Product } from './product.js';

/**
 * The compliance model: for one account, per product × metric, what is entitled (valid licenses
 * and active subscriptions), what is used, and what follows — level, compliance, grace, trial,
 * expiry reminders — plus usage of features nothing licenses, with the products that would.
 * Pure: everything comes in as arguments, time included.
 */

export const DEFAULT_REMINDER_DAYS = 30;

export interface LicenseFacts {
  id: string;
  productId: number | null;
  metricId: number | null;
  quantity: number;
  term: LicenseTerm;
  state: LicenseState;
  startsAt: string | null;
  expiresAt: string | null;
  graceDays: number;
  features: readonly string[];
}

export interface SubscriptionFacts {
  id: string;
  productId: number | null;
  metricId: number | null;
  /** Entitled capacity in the metric's unit; -1 unlimited. */
  quantity: number;
  active: boolean;
  trial: boolean;
  startsAt: string | null;
  expiresAt: string | null;
  graceDays: number;
  /** Days before expiry when reminders start; -1 not applicable (then the default window). */
  reminderDays: number;
}

export interface UsageFacts {
  productId: number;
  metricId: number;
  used: number;
}

export interface FeatureUsageFacts {
  featureId: string;
  consumed: number;
}

const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);

export const LicenseInfoSchema = Type.Object({
  type: Type.Enum(LICENSE_TERMS),
  quantity: Type.Number({ description: '-1 is unlimited.' }),
  expirationDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  aboutToExpire: Type.Boolean(),
  statusType: Type.Enum(['INFO', 'WARNING']),
  statusDescription: Type.String({ examples: ['10 trial licenses expire on 05/30/2019'] }),
});
export type LicenseInfo = Static<typeof LicenseInfoSchema>;
export type StatusType = LicenseInfo['statusType'];

export const MetricComplianceSchema = Type.Object({
  metricId: Type.Integer(),
  name: Type.String(),
  unit: Type.String(),
  entitled: Type.Number({ description: '-1 when any source is unlimited.' }),
  used: Type.Number(),
  available: Type.Number({ description: 'entitled − used, never negative; -1 when unlimited.' }),
  level: Type.Number({ minimum: 0, maximum: 1 }),
  compliant: Type.Boolean(),
  inGrace: Type.Boolean(),
  graceDaysRemaining: NullableInteger,
  trial: Type.Boolean(),
  trialDaysRemaining: NullableInteger,
  aboutToExpire: Type.Boolean(),
  licenseInfo: Type.Array(LicenseInfoSchema),
});
export type MetricCompliance = Static<typeof MetricComplianceSchema>;

export const ProductComplianceSchema = Type.Object({
  productId: Type.Integer(),
  slug: Type.String(),
  name: Type.String(),
  description: Type.String(),
  compliant: Type.Boolean(),
  inGracePeriod: Type.Boolean(),
  gracePeriodDaysRemaining: NullableInteger,
  activatedFeatures: Type.Array(Type.String()),
  featureUsage: Type.Array(Type.Object({ id: Type.String(), consumed: Type.Number() })),
  complianceStateDescription: Type.String(),
  complianceStateDescriptionDetails: Type.String(),
  metrics: Type.Array(MetricComplianceSchema),
});
export type ProductCompliance = Static<typeof ProductComplianceSchema>;

export const OVERALL_STATUSES = ['VALID', 'WARNING', 'NON_COMPLIANT'] as const;
export type OverallStatus = (typeof OVERALL_STATUSES)[number];

const Described = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
});

export const UnlicensedUsageSchema = Type.Object({
  consumedTotal: Type.Number(),
  features: Type.Array(Described),
  suggestedLicenses: Type.Array(Described, {
    description: 'Catalog products whose features cover the usage.',
  }),
});
export type UnlicensedUsage = Static<typeof UnlicensedUsageSchema>;

export const SeatOverageSchema = Type.Object({
  licenseId: Type.String(),
  seatLimit: Type.Integer(),
  seatsUsed: Type.Integer({ description: 'Live activations, or leases when the license floats.' }),
  level: Type.Number({ minimum: 0, maximum: 1, description: 'seatLimit / seatsUsed: below 1.' }),
});
export type SeatOverage = Static<typeof SeatOverageSchema>;

export const AccountComplianceSchema = Type.Object({
  overallComplianceStatus: Type.Enum(OVERALL_STATUSES),
  products: Type.Array(ProductComplianceSchema),
  unlicensedUsage: UnlicensedUsageSchema,
  seatOverages: Type.Array(SeatOverageSchema, {
    description:
      "Licenses holding more seats than their limit, inside their policy's overage allowance (a WARNING).",
  }),
});
export type AccountCompliance = Static<typeof AccountComplianceSchema>;

export interface ComplianceInputs {
  now: Date;
  /** Every catalog product: entitlements name some, suggestions may name others. */
  catalog: readonly Product[];
  licenses: readonly LicenseFacts[];
  subscriptions: readonly SubscriptionFacts[];
  usage: readonly UsageFacts[];
  featureUsage: readonly FeatureUsageFacts[];
  /** Seats held per license with a seat limit (absent: none counted). */
  seats?: readonly { licenseId: string; seatLimit: number; seatsUsed: number }[];
}

/** A source with its validity, computed once. */
interface Judged {
  source: Source;
  validity: ReturnType<typeof licenseValidity>;
}

function minimum(values: readonly number[]): number | null {
  let least: number | null = null;
  for (const value of values) if (least === null || value < least) least = value;
  return least;
}

/** An entitlement source, licenses and subscriptions alike, as the metric summary sees it. */
interface Source {
  quantity: number;
  term: LicenseTerm;
  startsAt: string | null;
  expiresAt: string | null;
  graceDays: number;
  reminderDays: number;
}

/**
 * The account's compliance, product by product.
 *
 * @example
 *   accountCompliance({ now, catalog, licenses, subscriptions: [], usage: [{ productId: 1, metricId: 1, used: 10 }], featureUsage: [] })
 *   // → { overallComplianceStatus: 'NON_COMPLIANT', products: [{ metrics: [{ entitled: 5, used: 10, level: 0.5, … }] }], … }
 */
export function accountCompliance(inputs: ComplianceInputs): AccountCompliance {
  // Deactivated, revoked, suspended and unrecognized licenses and cancelled subscriptions entitle
  // nothing; not-yet-started ones are shown ("start on …") but entitle nothing until they start.
  const liveLicenses = inputs.licenses.filter((l) => l.state === 'active');
  const liveSubscriptions = inputs.subscriptions.filter((s) => s.active);
  const productIds = new Set<number>();
  for (const source of [...liveLicenses, ...liveSubscriptions])
    if (source.productId !== null) productIds.add(source.productId);
  for (const usage of inputs.usage) productIds.add(usage.productId);

  // Usable now (valid, grace included): what activates features. Judged once per license.
  const usableLicenses = liveLicenses.filter((l) => licenseValidity(l, inputs.now).valid);
  const products = inputs.catalog
    .filter((product) => productIds.has(product.id))
    .map((product) =>
      productCompliance(product, inputs, liveLicenses, liveSubscriptions, usableLicenses),
    );
  const unlicensedUsage = unlicensed(inputs, usableLicenses);
  const seatOverages: SeatOverage[] = (inputs.seats ?? [])
    .filter((held) => held.seatsUsed > held.seatLimit)
    .map((held) => ({ ...held, level: held.seatLimit / held.seatsUsed }));
  const status = overall(products, unlicensedUsage);
  return {
    overallComplianceStatus: status === 'VALID' && seatOverages.length > 0 ? 'WARNING' : status,
    products,
    unlicensedUsage,
    seatOverages,
  };
}

const DAY_MS = 86_400_000;

/**
 * Until when (ms since the epoch, exclusive) `accountCompliance(inputs)` reads the same as at
 * `inputs.now`, the inputs staying as they are: the first instant after `now` at which a source
 * starts, expires, leaves its grace period or enters its reminder window, or at which a count of
 * days left (trial, grace) steps down. `Infinity` when nothing is dated. Conservative: every
 * source counts, whether or not it shows, so the answer may come earlier than a change, never
 * later. What caches a summary keeps it for `[now, stableUntil)` only.
 */
export function complianceStableUntil(inputs: ComplianceInputs): number {
  const at = inputs.now.getTime();
  let until = Infinity;
  const consider = (instant: number) => {
    if (instant > at && instant < until) until = instant;
  };
  // ceil((end − t) / day) = c holds while end − t > (c − 1) days: it steps down at end − (c − 1) days.
  const dayCount = (end: number) => {
    if (end > at) consider(end - (Math.ceil((end - at) / DAY_MS) - 1) * DAY_MS);
  };
  const dated = (
    source: Omit<Source, 'term' | 'quantity' | 'reminderDays'>,
    reminderDays: number,
  ) => {
    if (source.startsAt !== null) consider(Date.parse(source.startsAt));
    if (source.expiresAt === null) return;
    const expires = Date.parse(source.expiresAt);
    const graceEnds = expires + source.graceDays * DAY_MS;
    consider(expires);
    consider(graceEnds);
    consider(expires - reminderDays * DAY_MS);
    dayCount(expires);
    dayCount(graceEnds);
  };
  for (const license of inputs.licenses) dated(license, DEFAULT_REMINDER_DAYS);
  for (const subscription of inputs.subscriptions) {
    dated(
      subscription,
      subscription.reminderDays < 0 ? DEFAULT_REMINDER_DAYS : subscription.reminderDays,
    );
  }
  return until;
}

function productCompliance(
  product: Product,
  inputs: ComplianceInputs,
  licenses: readonly LicenseFacts[],
  subscriptions: readonly SubscriptionFacts[],
  usableLicenses: readonly LicenseFacts[],
): ProductCompliance {
  const { now } = inputs;
  const ofProduct = licenses.filter((l) => l.productId === product.id);
  const metrics = product.metrics.map((metric) => {
    const sources: Source[] = [
      ...ofProduct
        .filter((l) => l.metricId === metric.id)
        .map((l) => ({ ...l, reminderDays: DEFAULT_REMINDER_DAYS })),
      ...subscriptions
        .filter((s) => s.productId === product.id && s.metricId === metric.id)
        .map((s): Source => ({
          ...s,
          term: s.trial ? 'TRIAL' : 'SUBSCRIPTION',
          reminderDays: s.reminderDays < 0 ? DEFAULT_REMINDER_DAYS : s.reminderDays,
        })),
    ];
    const used = inputs.usage
      .filter((u) => u.productId === product.id && u.metricId === metric.id)
      .reduce((sum, u) => sum + u.used, 0);
    return metricCompliance(metric, sources, used, now);
  });
  const productLicenses = usableLicenses.filter((l) => l.productId === product.id);
  const activatedFeatures = unique(
    productLicenses.flatMap((l) =>
      l.features.length > 0 ? l.features : product.features.map((f) => f.id),
    ),
  );
  const featureUsage = product.features
    .map((f) => ({
      id: f.id,
      consumed: inputs.featureUsage
        .filter((u) => u.featureId === f.id)
        .reduce((s, u) => s + u.consumed, 0),
    }))
    .filter((f) => activatedFeatures.includes(f.id) || f.consumed > 0);
  const compliant = metrics.every((m) => m.compliant);
  const inGrace = metrics.some((m) => m.inGrace);
  const graceDays = metrics.map((m) => m.graceDaysRemaining).filter((d): d is number => d !== null);
  return {
    productId: product.id,
    slug: product.slug,
    name: product.name,
    description: product.description === '' ? product.name : product.description,
    compliant,
    inGracePeriod: inGrace,
    gracePeriodDaysRemaining: graceDays.length > 0 ? Math.min(...graceDays) : null,
    activatedFeatures,
    featureUsage,
    complianceStateDescription: compliant ? 'In compliance' : 'Not in compliance',
    complianceStateDescriptionDetails: compliant
      ? 'This service is in compliance.'
      : `This service uses more than it is entitled to: ${metrics
          .filter((m) => !m.compliant)
          .map(
            (m) =>
              `${formatQuantity(m.used)} ${m.unit} used, ${formatQuantity(m.entitled)} entitled`,
          )
          .join('; ')}.`,
    metrics,
  };
}

/** One metric: entitlement from the sources still valid now (grace included), use, and what follows. */
export function metricCompliance(
  metric: { id: number; name: string; unit: string },
  sources: readonly Source[],
  used: number,
  now: Date,
): MetricCompliance {
  // Each source's validity is computed once: an account may hold tens of thousands.
  const judged: Judged[] = sources.map((source) => ({ source, validity: validity(source, now) }));
  const valid = judged.filter((j) => j.validity.valid);
  const upcoming = judged.filter(
    (j) =>
      j.source.startsAt !== null &&
      Date.parse(j.source.startsAt) > now.getTime() &&
      j.validity.status !== 'expired',
  );
  const quantities = valid.map((j) => j.source.quantity);
  const unlimited = quantities.some((q) => q < 0);
  const entitled = unlimited ? -1 : quantities.reduce((sum, q) => sum + q, 0);
  const level = complianceLevel(quantities, used);
  const graced = valid.filter((j) => j.validity.inGrace);
  const trials = valid.filter((j) => j.source.term === 'TRIAL');
  const trialDays = trials
    .map((j) => j.validity.trialDaysRemaining)
    .filter((d): d is number => d !== null);
  const graceDays = graced
    .map((j) => j.validity.graceDaysRemaining)
    .filter((d): d is number => d !== null);
  const licenseInfo = groupByTerm([...valid, ...upcoming]);
  return {
    metricId: metric.id,
    name: metric.name,
    unit: metric.unit,
    entitled,
    used,
    available: unlimited ? -1 : Math.max(0, entitled - used),
    level,
    compliant: level >= 1,
    inGrace: graced.length > 0,
    graceDaysRemaining: minimum(graceDays),
    trial: trials.length > 0,
    trialDaysRemaining: minimum(trialDays),
    aboutToExpire: licenseInfo.some((info) => info.aboutToExpire),
    licenseInfo,
  };
}

/** BlackBerry's licenseInfo: one line per term and expiry, with a status a person can read. */
function groupByTerm(judged: readonly Judged[]): LicenseInfo[] {
  const groups = new Map<string, Judged[]>();
  for (const entry of judged) {
    const { source } = entry;
    const key = `${source.term}|${source.startsAt ?? ''}|${source.expiresAt ?? ''}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [entry]);
    else group.push(entry);
  }
  const order: LicenseTerm[] = ['TRIAL', 'DEMO', 'SUBSCRIPTION', 'PERPETUAL'];
  return [...groups.values()]
    .map((group): LicenseInfo => {
      const first = group[0]?.source;
      const term = first?.term ?? 'PERPETUAL';
      const expiresAt = first?.expiresAt ?? null;
      const quantity = group.some((j) => j.source.quantity < 0)
        ? -1
        : group.reduce((sum, j) => sum + j.source.quantity, 0);
      const aboutToExpire = group.some((j) => j.validity.aboutToExpire || j.validity.inGrace);
      // Sources are valid or not started yet: a source that is not valid starts later.
      const startsLater = group.find((j) => !j.validity.valid)?.source;
      return {
        type: term,
        quantity,
        expirationDate: expiresAt,
        aboutToExpire,
        statusType: aboutToExpire ? 'WARNING' : 'INFO',
        statusDescription: describe(
          term,
          quantity,
          expiresAt,
          startsLater?.startsAt ?? null,
          first?.startsAt ?? null,
        ),
      };
    })
    .sort(
      (a, b) =>
        order.indexOf(a.type) - order.indexOf(b.type) ||
        compareText(a.expirationDate ?? '', b.expirationDate ?? ''),
    );
}

/** "10 trial licenses expire on 05/30/2019", "50 Subscription licenses start on … and end on …". */
export function describe(
  term: LicenseTerm,
  quantity: number,
  expiresAt: string | null,
  startsLater: string | null,
  startsAt: string | null,
): string {
  const count = quantity < 0 ? 'Unlimited' : formatQuantity(quantity);
  const noun =
    term === 'TRIAL'
      ? 'trial'
      : term === 'DEMO'
        ? 'demo'
        : term === 'SUBSCRIPTION'
          ? 'Subscription'
          : 'Perpetual';
  const what = `${count} ${noun} licenses`;
  if (expiresAt === null)
    return startsLater === null
      ? `${what} never expire`
      : `${what} start on ${usDate(startsLater)}`;
  if (startsLater !== null)
    return `${what} start on ${usDate(startsLater)} and end on ${usDate(expiresAt)}`;
  if (term === 'SUBSCRIPTION' && startsAt !== null)
    return `${what} started on ${usDate(startsAt)} and end on ${usDate(expiresAt)}`;
  return `${what} expire on ${usDate(expiresAt)}`;
}

/** Usage of features that no usable license covers. `licenses` are the usable ones. */
function unlicensed(inputs: ComplianceInputs, licenses: readonly LicenseFacts[]): UnlicensedUsage {
  const covered = new Set<string>();
  for (const license of licenses) {
    const product = inputs.catalog.find((p) => p.id === license.productId);
    for (const feature of license.features.length > 0
      ? license.features
      : (product?.features.map((f) => f.id) ?? [])) {
      covered.add(feature);
    }
  }
  const uncovered = inputs.featureUsage.filter((u) => u.consumed > 0 && !covered.has(u.featureId));
  const ids = unique(uncovered.map((u) => u.featureId));
  const describeFeature = (id: string) => {
    const feature = inputs.catalog.flatMap((p) => p.features).find((f) => f.id === id);
    return {
      id,
      name: feature?.name ?? id,
      description:
        feature?.description === '' || feature === undefined
          ? (feature?.name ?? id)
          : feature.description,
    };
  };
  // Suggest the products that cover the most uncovered features, then by name.
  const suggestions = inputs.catalog
    .map((product) => ({
      product,
      covers: ids.filter((id) => product.features.some((f) => f.id === id)).length,
    }))
    .filter((s) => s.covers > 0)
    .sort((a, b) => b.covers - a.covers || a.product.name.localeCompare(b.product.name))
    .map(({ product }) => ({
      id: product.slug,
      name: product.name,
      description: product.description,
    }));
  return {
    consumedTotal: uncovered.reduce((sum, u) => sum + u.consumed, 0),
    features: ids.map(describeFeature),
    suggestedLicenses: suggestions,
  };
}

function overall(
  products: readonly ProductCompliance[],
  unlicensedUsage: UnlicensedUsage,
): OverallStatus {
  if (products.some((p) => !p.compliant)) return 'NON_COMPLIANT';
  const warning =
    unlicensedUsage.consumedTotal > 0 ||
    products.some((p) => p.inGracePeriod || p.metrics.some((m) => m.aboutToExpire));
  return warning ? 'WARNING' : 'VALID';
}

function validity(source: Source, now: Date) {
  return licenseValidity(
    {
      state: 'active',
      term: source.term,
      startsAt: source.startsAt,
      expiresAt: source.expiresAt,
      graceDays: source.graceDays,
    },
    now,
    source.reminderDays,
  );
}

/**
 * ISO-8601 instants of one format sort as text, by code point: as `localeCompare` orders them, at
 * a fraction of the cost (an account may hold ten thousand expiry lines).
 */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function formatQuantity(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
}

/** MM/DD/YYYY in UTC, as BlackBerry writes dates in its status lines. */
function usDate(iso: string): string {
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${String(at.getUTCFullYear())}`;
}
