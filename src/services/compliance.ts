import { LRUCache } from 'lru-cache';
import {
  accountCompliance,
  complianceStableUntil,
  type AccountCompliance,
  type FeatureUsageFacts,
  type MetricCompliance,
  type SubscriptionFacts,
  type UsageFacts,
} from '../domain/compliance.js';
import { NotFound } from '../domain/errors.js';
import type { Product } from '../domain/product.js';
import { requireAccount } from '../domain/principal.js';
import type { SubscriptionRecord } from '../domain/subscription.js';
import { findAccount } from '../store/accounts.repository.js';
import { committedStamp, seatsOverLimit, type SeatsHeld } from '../store/compliance.repository.js';
import { findPolicy } from '../store/policies.repository.js';
import type { Executor, Store } from '../store/database.js';
import { listGroups } from '../store/groups.repository.js';
import { licenseFactsOfAccount } from '../store/licenses.repository.js';
import { allProducts } from '../store/products.repository.js';
import { subscriptionsOfAccount } from '../store/subscriptions.repository.js';
import { accountConsumption } from '../store/usage.repository.js';
import type { ServiceContext } from './context.js';
import { productRef } from './products.js';

export interface ComplianceServiceOptions {
  /** Bound of the summary cache, in (estimated) bytes of answers; 0 turns the cache off. */
  cacheBytes?: number;
}

/** 32 MB of summaries: a few accounts of ten thousand licenses, or thousands of small ones. */
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/** A summary kept with what it was read from: the database's stamp and a span of time. */
interface CachedSummary {
  /** The database's committed stamp, read before the data. */
  stamp: string;
  /** The summary reads the same for `from <= now < until` (ms since the epoch). */
  from: number;
  until: number;
  summary: AccountCompliance;
  bytes: number;
}

/**
 * The compliance summary of an account: licenses, subscriptions and usage side by side. Usage is
 * read from the aggregates (latest gauges, deltas of the current UTC month), never from raw records.
 *
 * Summaries are kept per account (bounded by size) and answered again while both hold: nothing was
 * written since (`committedStamp`, one cheap statement read before the data), and `now` lies in
 * the span where the time-dependent parts (expiry, grace, reminders, days left, the month of
 * usage) read the same (`complianceStableUntil`). A write through any store or process makes the
 * next summary a fresh one.
 */
/**
 * The seats each over-limit license holds: its live activations, or its leases when its policy
 * floats (a floating license's activations are installs, not seats).
 */
async function seatsHeld(
  db: Executor,
  over: readonly SeatsHeld[],
): Promise<{ licenseId: string; seatLimit: number; seatsUsed: number }[]> {
  const floating = new Map<string, boolean>();
  for (const policyId of new Set(over.map((held) => held.policyId))) {
    if (policyId === null) continue;
    floating.set(policyId, (await findPolicy(db, policyId))?.floating === true);
  }
  return over.map((held) => ({
    licenseId: held.licenseId,
    seatLimit: held.seatLimit,
    seatsUsed:
      held.policyId !== null && floating.get(held.policyId) === true
        ? held.leases
        : held.activations,
  }));
}

export function complianceService(store: Store, options: ComplianceServiceOptions = {}) {
  const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  const cache =
    cacheBytes > 0
      ? new LRUCache<string, CachedSummary>({
          maxSize: cacheBytes,
          sizeCalculation: (entry) => entry.bytes,
        })
      : null;
  async function summary(ctx: ServiceContext, accountId: string): Promise<AccountCompliance> {
    requireAccount(ctx.principal, 'Account', accountId);
    const now = ctx.clock.now();
    const at = now.getTime();
    const { firstDay, endDay } = currentMonth(now);
    return store.read(async (db) => {
      let stamp: string | undefined;
      if (cache !== null) {
        stamp = await committedStamp(db);
        const hit = cache.get(accountId);
        if (hit?.stamp === stamp && hit.from <= at && at < hit.until) return hit.summary;
      }
      if ((await findAccount(db, accountId)) === undefined)
        throw new NotFound('Account', accountId);
      const [catalog, licenses, subscriptions, consumption, over] = await Promise.all([
        allProducts(db),
        licenseFactsOfAccount(db, accountId),
        subscriptionsOfAccount(db, accountId),
        accountConsumption(db, accountId, firstDay, endDay),
        seatsOverLimit(db, accountId),
      ]);
      const usage: UsageFacts[] = [];
      const featureUsage: FeatureUsageFacts[] = [];
      for (const row of consumption) {
        if (row.measure.startsWith('metric:')) {
          usage.push({
            productId: row.productId,
            metricId: Number(row.measure.slice(7)),
            used: row.consumed,
          });
        } else if (row.measure.startsWith('feature:')) {
          featureUsage.push({ featureId: row.measure.slice(8), consumed: row.consumed });
        }
      }
      const inputs = {
        now,
        catalog,
        licenses,
        subscriptions: subscriptions.flatMap((s) => subscriptionFacts(s, catalog)),
        usage,
        featureUsage,
        seats: await seatsHeld(db, over),
      };
      const result = accountCompliance(inputs);
      if (cache !== null && stamp !== undefined) {
        cache.set(accountId, {
          stamp,
          from: at,
          until: Math.min(complianceStableUntil(inputs), Date.parse(endDay)),
          // Answered to every later caller: frozen, so no caller can change what others read.
          summary: deepFreeze(result),
          bytes: estimatedBytes(result),
        });
      }
      return result;
    });
  }

  return {
    account: summary,

    /**
     * Each group's compliance over the licenses assigned to it (BlackBerry group licensing):
     * entitlement only — usage is recorded per account and instance, never per group.
     */
    async groups(
      ctx: ServiceContext,
      accountId: string,
    ): Promise<{ guid: string; compliance: AccountCompliance }[]> {
      requireAccount(ctx.principal, 'Account', accountId);
      const now = ctx.clock.now();
      return store.read(async (db) => {
        if ((await findAccount(db, accountId)) === undefined)
          throw new NotFound('Account', accountId);
        const [catalog, licenses, groups] = await Promise.all([
          allProducts(db),
          licenseFactsOfAccount(db, accountId),
          listGroups(db, accountId),
        ]);
        return groups.map((group) => {
          const assigned = new Set(group.licenses);
          return {
            guid: group.guid,
            compliance: accountCompliance({
              now,
              catalog,
              licenses: licenses.filter((l) => assigned.has(l.id)),
              subscriptions: [],
              usage: [],
              featureUsage: [],
            }),
          };
        });
      });
    },

    async metric(
      ctx: ServiceContext,
      accountId: string,
      product: string,
      metricId: number,
    ): Promise<MetricCompliance> {
      const result = await summary(ctx, accountId);
      const ref = productRef(product);
      const found = result.products.find((p) => p.productId === ref || p.slug === ref);
      const metric = found?.metrics.find((m) => m.metricId === metricId);
      if (metric === undefined)
        throw new NotFound('Compliance of metric', `${product}/${String(metricId)}`);
      return metric;
    },
  };
}

/**
 * What a subscription entitles, per metric of its product: its capacity in the metric of the
 * same unit, and Astra's app and namespace limits in the product's `apps` and `namespaces`
 * metrics (-1 unlimited).
 */
export function subscriptionFacts(
  subscription: SubscriptionRecord,
  catalog: readonly Product[],
): SubscriptionFacts[] {
  const product = catalog.find((p) => p.id === subscription.productId);
  if (product === undefined) return [];
  const entitlements: { unit: string; quantity: number }[] = [
    { unit: 'apps', quantity: subscription.appLimit },
    { unit: 'namespaces', quantity: subscription.namespaceLimit },
  ];
  if (subscription.capacityUnit !== null) {
    entitlements.push({
      unit: subscription.capacityUnit,
      quantity: subscription.entitledCapacity ?? -1,
    });
  }
  return entitlements.flatMap(({ unit, quantity }) => {
    const metric = product.metrics.find((m) => m.unit === unit);
    if (metric === undefined) return [];
    return [
      {
        id: subscription.id,
        productId: product.id,
        metricId: metric.id,
        quantity,
        active: subscription.status === 'active',
        trial: subscription.terms === 'trial',
        startsAt: subscription.periodStart,
        expiresAt: subscription.expiresAt,
        graceDays: Math.max(0, subscription.gracePeriod),
        reminderDays: subscription.reminderBeforePeriod,
      },
    ];
  });
}

/** Freezes an answer and everything in it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A summary's size, roughly (its JSON runs about 200 bytes a status line, 1 KB a metric). */
function estimatedBytes(summary: AccountCompliance): number {
  let bytes = 2048;
  for (const product of summary.products) {
    bytes += 1024;
    for (const metric of product.metrics) bytes += 1024 + metric.licenseInfo.length * 256;
  }
  return bytes;
}

function currentMonth(now: Date): { firstDay: string; endDay: string } {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { firstDay: first.toISOString().slice(0, 10), endDay: next.toISOString().slice(0, 10) };
}

export type ComplianceService = ReturnType<typeof complianceService>;
