import { LRUCache } from 'lru-cache';
import { InvalidFields, RateLimited } from '../domain/errors.js';
import {
  checkTerms,
  clockStartAtBinding,
  effectiveTerms,
  termedFields,
  rateWindow,
  termsOf,
  type Policy,
  type PolicyOverrides,
  type PolicyTerms,
  type RateAction,
} from '../domain/policy.js';
import type { Executor, Tx } from '../store/database.js';
import { updateLicense, type LicenseRecord } from '../store/licenses.repository.js';
import {
  bindPolicy,
  findBinding,
  findPolicy,
  startClock,
  type PolicyBinding,
} from '../store/policies.repository.js';
import { countHit } from '../store/rate-limits.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';

/** The policy a license is bound to, its binding, and the terms it lives by. */
export interface BoundTerms {
  policy: Policy;
  binding: PolicyBinding;
  terms: PolicyTerms;
}

/** The terms a license lives by, read now (writes read them inside their transaction). */
export async function boundTerms(db: Executor, licenseId: string): Promise<BoundTerms | undefined> {
  const binding = await findBinding(db, licenseId);
  if (binding === undefined) return undefined;
  const policy = await findPolicy(db, binding.policyId);
  if (policy === undefined) return undefined;
  return { policy, binding, terms: effectiveTerms(termsOf(policy), binding.overrides) };
}

/** How long another process's policy change may go unseen by validation here. */
export const POLICY_CACHE_TTL_MS = 5000;

/**
 * Policies as validation reads them, on every call of a policy-bound license: kept a few seconds,
 * cleared at once by this process's own policy changes (like the product cache).
 */
export function policyCache(options: { ttlMs?: number; max?: number } = {}) {
  const policies = new LRUCache<string, PolicyTerms>({
    max: options.max ?? 10_000,
    ttl: options.ttlMs ?? POLICY_CACHE_TTL_MS,
  });
  return {
    /** The terms of a license bound to `policyId` with `overrides` (JSON as stored). */
    async terms(
      db: Executor,
      policyId: string,
      overrides: string,
    ): Promise<PolicyTerms | undefined> {
      let terms = policies.get(policyId);
      if (terms === undefined) {
        const policy = await findPolicy(db, policyId);
        if (policy === undefined) return undefined;
        terms = termsOf(policy);
        policies.set(policyId, terms);
      }
      return overrides === '{}'
        ? terms
        : effectiveTerms(terms, JSON.parse(overrides) as PolicyOverrides);
    },
    clear(): void {
      policies.clear();
    },
  };
}

export type PolicyCache = ReturnType<typeof policyCache>;

/**
 * Counts one `action` on a policy-bound license against its policy's limits, in the database (so
 * every process shares the count), and refuses past the limit with `Retry-After` the end of the
 * window. Called inside the use case's transaction: a refused attempt rolls its own hit back. A
 * license without a policy has no per-license limit (a site license may roll out to thousands of
 * machines in an hour); the API-wide limit per token still holds.
 */
export async function countLicenseAction(
  db: Executor,
  licenseId: string,
  action: RateAction,
  terms: PolicyTerms | undefined,
  now: Date,
): Promise<void> {
  if (terms === undefined) return;
  const window = rateWindow(action, terms.rateLimits, now);
  const hits = await countHit(db, `${licenseId}:${action}`, window.windowStart);
  if (hits > window.limit) {
    throw new RateLimited(
      `${action}s of license '${licenseId}'`,
      window.limit,
      window.per,
      window.retryAfterSeconds,
    );
  }
}

/**
 * Writes on a license the fields its terms decide (term, grace, seats, features, and — when
 * `withExpiry` — the expiry from its clock), with a `license.updated` event when any changed.
 */
export async function applyTerms(
  tx: Tx,
  ctx: ServiceContext,
  license: LicenseRecord,
  terms: PolicyTerms,
  clockStartedAt: string | null,
  withExpiry: boolean,
): Promise<LicenseRecord> {
  const fields = termedFields(terms, license, clockStartedAt);
  const next: LicenseRecord = {
    ...license,
    term: fields.term,
    graceDays: fields.graceDays,
    seatLimit: fields.seatLimit,
    features: fields.features,
    metricId: fields.metricId,
    quantity: fields.quantity,
    expiresAt: withExpiry ? fields.expiresAt : license.expiresAt,
  };
  const changed =
    next.term !== license.term ||
    next.graceDays !== license.graceDays ||
    next.seatLimit !== license.seatLimit ||
    next.expiresAt !== license.expiresAt ||
    next.metricId !== license.metricId ||
    next.quantity !== license.quantity ||
    JSON.stringify(next.features) !== JSON.stringify(license.features);
  if (!changed) return license;
  const written = { ...next, updatedAt: ctx.clock.now().toISOString() };
  await updateLicense(tx, written);
  await recordChange(tx, ctx, {
    type: 'license.updated',
    accountId: license.accountId,
    resourceType: 'license',
    resourceId: license.id,
    before: { ...license, key: undefined },
    after: { ...written, key: undefined },
  });
  return written;
}

/**
 * Binds a license to a policy of its product with overrides of its own: checks the terms (fields
 * named `<prefix>overrides.<term>`), keeps a running clock when the license was bound already,
 * and writes the fields the terms decide on the license.
 */
export async function bindLicense(
  tx: Tx,
  ctx: ServiceContext,
  license: LicenseRecord,
  policy: Policy,
  overrides: PolicyOverrides,
  prefix = '',
  overridesField = 'overrides',
): Promise<{ license: LicenseRecord; terms: PolicyTerms }> {
  if (policy.productId !== license.productId) {
    throw new InvalidFields([
      {
        name: `${prefix}policy`,
        reason: "the policy is for another product than the license's",
      },
    ]);
  }
  const terms = effectiveTerms(termsOf(policy), overrides);
  const issues = checkTerms(terms).map((issue) => ({
    ...issue,
    name: `${prefix}${overridesField}.${issue.name}`,
  }));
  if (issues.length > 0) throw new InvalidFields(issues);
  const before = await findBinding(tx, license.id);
  const clockStartedAt = before?.clockStartedAt ?? clockStartAtBinding(terms, license);
  await bindPolicy(tx, license.id, { policyId: policy.id, overrides, clockStartedAt });
  await recordChange(tx, ctx, {
    type: 'license.policy_changed',
    accountId: license.accountId,
    resourceType: 'license',
    resourceId: license.id,
    before: before ?? null,
    after: { policyId: policy.id, overrides, clockStartedAt },
  });
  const next = await applyTerms(tx, ctx, license, terms, clockStartedAt, true);
  return { license: { ...next, policyId: policy.id }, terms };
}

/**
 * Starts a waiting clock at `now` (first activation or validation, as the terms say) and sets the
 * expiry it gives; false when it had started already (another process was first).
 */
export async function startLicenseClock(
  tx: Tx,
  ctx: ServiceContext,
  license: LicenseRecord,
  terms: PolicyTerms,
  now: Date,
): Promise<LicenseRecord | undefined> {
  const at = now.toISOString();
  if (!(await startClock(tx, license.id, at))) return undefined;
  await recordChange(tx, ctx, {
    type: 'license.clock_started',
    accountId: license.accountId,
    resourceType: 'license',
    resourceId: license.id,
    after: { clockStarts: terms.clockStarts, at },
  });
  return applyTerms(tx, ctx, license, terms, at, true);
}

/**
 * A seat (or lease) taken past the limit, within the overage allowance: `usage.overage` on the
 * license, so webhooks and the event log see it as it happens.
 */
export async function recordOverage(
  tx: Tx,
  ctx: ServiceContext,
  license: LicenseRecord,
  held: number,
): Promise<void> {
  await recordChange(tx, ctx, {
    type: 'usage.overage',
    accountId: license.accountId,
    resourceType: 'license',
    resourceId: license.id,
    after: { seatLimit: license.seatLimit, seatsUsed: held },
  });
}
