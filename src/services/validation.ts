import { NotFound } from '../domain/errors.js';
import {
  complianceLevel,
  licenseValidity,
  type License,
  type ValidateRequest,
  type Verdict,
} from '../domain/license.js';
import { leaseAlive, type PolicyTerms } from '../domain/policy.js';
import { validateLicense, type PolicyFacts } from '../domain/validation.js';
import { onlyWhenRegistered, recognizeKey } from '../domain/license-key.js';
import type { Product } from '../domain/product.js';
import { accountScope, requireAccount, requireRole, type Principal } from '../domain/principal.js';
import type { Executor, Store } from '../store/database.js';
import { findInstance, touchInstance } from '../store/instances.repository.js';
import {
  activeInstancesOfProduct,
  findLicenseForValidation,
  licensesOfProduct,
  type CallingInstance,
  licensesOnInstance,
  type LicenseRecord,
} from '../store/licenses.repository.js';
import { findProduct } from '../store/products.repository.js';
import { leasesOf, type LeaseRecord } from '../store/policies.repository.js';
import { countLicenseAction, startLicenseClock, type PolicyCache } from './license-terms.js';
import type { ProductCache } from './product-cache.js';
import type { ServiceContext } from './context.js';
import { assertActsFor, seenBy, visibleInstance } from './instances.js';
import { withValidity } from './licenses.js';
import { productRef } from './products.js';

export interface Entitlements {
  product: { id: number; slug: string; name: string } | null;
  features: string[];
  metric: { id: number; name: string; unit: string } | null;
  quantity: number;
  seatLimit: number | null;
  seatsUsed: number;
  expiresAt: string | null;
  graceDays: number;
}

export interface ValidationResult extends Verdict {
  license: License | null;
  entitlements: Entitlements | null;
}

/** Instances are marked seen at most this often: validation must not write on every call. */
const SEEN_EVERY_MS = 60_000;

/** How often a validation marks its instance seen: often enough to beat as its terms ask. */
function seenEvery(terms: PolicyTerms | undefined): number {
  const beat = terms?.heartbeatSeconds ?? null;
  return beat === null ? SEEN_EVERY_MS : Math.min(SEEN_EVERY_MS, (beat * 1000) / 2);
}

/** "Am I licensed?": validation, is-licensed and the compliance level. The hot paths. */
export function validationService(
  store: Store,
  keySecret: Uint8Array,
  products: ProductCache,
  policies: PolicyCache,
) {
  /**
   * A policy-bound license's validation is counted against its rate limit (shared through the
   * database), and starts a clock that waits for the first validation.
   */
  async function countValidation(
    ctx: ServiceContext,
    license: LicenseRecord,
    bound: BoundFacts,
    now: Date,
  ): Promise<LicenseRecord> {
    const starts = bound.clockStartedAt === null && bound.terms.clockStarts === 'FIRST_VALIDATION';
    return store.transaction('license.validation_counted', async (tx) => {
      await countLicenseAction(tx, license.id, 'validation', bound.terms, now);
      if (!starts) return license;
      return (await startLicenseClock(tx, ctx, license, bound.terms, now)) ?? license;
    });
  }

  async function judge(
    ctx: ServiceContext,
    facts: LicenseFacts,
    request: ValidateRequest,
    instance: CallingInstance | undefined,
    now: Date,
  ): Promise<ValidationResult> {
    const license =
      facts.bound === undefined
        ? facts.license
        : await countValidation(ctx, facts.license, facts.bound, now);
    const verdict = validateLicense(
      {
        license,
        seatsUsed: license.seatsUsed,
        requestedProduct: facts.requested,
        requestedFeature: request.feature,
        instance:
          instance === undefined
            ? undefined
            : { activated: facts.activated, fingerprint: instance.fingerprint },
        fingerprint: request.fingerprint,
        releasedAt: request.releasedAt,
        policy: facts.bound,
      },
      now,
    );
    return {
      ...verdict,
      license: withValidity(license, now),
      entitlements: entitlementsOf(license, facts.product),
    };
  }

  return {
    /** A verdict, never an HTTP error for a wrong key: unknown and malformed keys are verdicts too. */
    async validate(ctx: ServiceContext, request: ValidateRequest): Promise<ValidationResult> {
      requireRole(ctx.principal, ['operator', 'admin', 'viewer', 'service', 'instance']);
      const instanceId = request.instance ?? ctx.principal.instance;
      if (instanceId !== undefined) assertActsFor(ctx.principal, instanceId);
      const now = ctx.clock.now();
      const recognition = recognizeKey(request.key, keySecret);
      if (!recognition.ok) return unknown('BAD_FORMAT', 'License key format not supported.');

      const result = await store.read(async (db): Promise<ReadOutcome> => {
        const found = await findLicenseForValidation(
          db,
          recognition.normalized,
          instanceId ?? null,
        );
        // The calling instance comes with its license; only an unknown key reads it on its own.
        const instance =
          instanceId === undefined
            ? undefined
            : seenBy(
                ctx.principal,
                instanceId,
                found === undefined ? await findInstance(db, instanceId) : found.instance,
              );
        const license = found?.license;
        if (license === undefined && onlyWhenRegistered(recognition.scheme)) {
          // Only registration makes an opaque string a key: unregistered, it is no key at all.
          return { verdict: unknown('BAD_FORMAT', 'License key format not supported.'), instance };
        }
        if (
          found === undefined ||
          license === undefined ||
          !sees(ctx.principal, license.accountId) ||
          license.state === 'invalid'
        ) {
          return {
            verdict: unknown('UNKNOWN_KEY', 'The license key is not recognized.'),
            instance,
          };
        }
        const product =
          license.productId === null ? undefined : await products.get(db, license.productId);
        const requested =
          request.product === undefined
            ? undefined
            : await requestedProduct(db, request.product, product);
        const terms =
          found.policy === null
            ? undefined
            : await policies.terms(db, found.policy.policyId, found.policy.overrides);
        const bound =
          found.policy === null || terms === undefined
            ? undefined
            : {
                terms,
                clockStartedAt: found.policy.clockStartedAt,
                ...(terms.floating && instance !== undefined
                  ? await leasesSeenBy(db, license.id, instance.id, terms, now)
                  : { lease: undefined, liveLeases: 0 }),
              };
        const facts: LicenseFacts = {
          license,
          product,
          requested,
          activated: found.activatedOnInstance,
          bound,
        };
        return { facts, instance };
      });
      const verdict =
        'verdict' in result
          ? result.verdict
          : await judge(ctx, result.facts, request, result.instance, now);

      const seen = result.instance?.lastSeenAt;
      const every = seenEvery('facts' in result ? result.facts.bound?.terms : undefined);
      if (
        result.instance !== undefined &&
        (seen === null || seen === undefined || now.getTime() - Date.parse(seen) >= every)
      ) {
        const id = result.instance.id;
        await store.transaction('instance.seen', (tx) =>
          touchInstance(tx, id, now.toISOString(), new Date(now.getTime() - every).toISOString()),
        );
      }
      return verdict;
    },

    /** Is product P licensed now, for an instance (its activated licenses) or an account? */
    async isLicensed(
      ctx: ServiceContext,
      query: ScopeQuery,
    ): Promise<{ product: number; licensed: boolean; licenses: string[] }> {
      const now = ctx.clock.now();
      return store.read(async (db) => {
        const { product, licenses } = await licensesInScope(db, ctx, query);
        const valid = licenses.filter(
          (license) => licenseValidity(license, now).valid && license.state !== 'inactive',
        );
        return {
          product: product.id,
          licensed: valid.length > 0,
          licenses: valid.map((license) => license.id),
        };
      });
    },

    /**
     * HP's compliance level for product P and metric M: entitled sums the valid licenses'
     * quantities; used counts instances holding an activation (for node and instance metrics)
     * until usage reports arrive.
     */
    async complianceLevel(
      ctx: ServiceContext,
      query: ScopeQuery & { metric: number },
    ): Promise<{ product: number; metric: number; entitled: number; used: number; level: number }> {
      const now = ctx.clock.now();
      return store.read(async (db) => {
        const { product, licenses, scope } = await licensesInScope(db, ctx, query);
        const metric = product.metrics.find((m) => m.id === query.metric);
        if (metric === undefined)
          throw new NotFound('Metric', `${String(product.id)}/${String(query.metric)}`);
        const entitled = licenses
          .filter(
            (license) =>
              license.metricId === metric.id &&
              license.state !== 'inactive' &&
              licenseValidity(license, now).valid,
          )
          .map((license) => license.quantity);
        const counted = metric.unit === 'nodes' || metric.unit === 'instances';
        const used = !counted
          ? 0
          : scope.kind === 'instance'
            ? licenses.length > 0
              ? 1
              : 0
            : await activeInstancesOfProduct(db, product.id, scope.accounts);
        const total = entitled.some((q) => q < 0) ? -1 : entitled.reduce((sum, q) => sum + q, 0);
        return {
          product: product.id,
          metric: metric.id,
          entitled: total,
          used,
          level: complianceLevel(entitled, used),
        };
      });
    },
  };
}

/** A policy-bound license's terms, clock and (floating) leases, as validation sees them. */
interface BoundFacts extends PolicyFacts {
  clockStartedAt: string | null;
}

/** The read part of validation: a verdict already (an unknown key), or the facts to judge. */
type ReadOutcome =
  | { verdict: ValidationResult; instance: CallingInstance | undefined }
  | { facts: LicenseFacts; instance: CallingInstance | undefined };

/** What the read part of validation learned about a recognized license. */
interface LicenseFacts {
  license: LicenseRecord;
  product: Product | undefined;
  requested: { id: number | null; ref: string } | undefined;
  activated: boolean;
  bound: BoundFacts | undefined;
}

/** The asking instance's lease of a floating license, and how many leases are alive. */
async function leasesSeenBy(
  db: Executor,
  licenseId: string,
  instanceId: string,
  terms: PolicyTerms,
  now: Date,
): Promise<{ lease: LeaseRecord | undefined; liveLeases: number }> {
  const held = await leasesOf(db, licenseId);
  return {
    lease: held.find((lease) => lease.instanceId === instanceId),
    liveLeases: held.filter((lease) => leaseAlive(lease, terms, now)).length,
  };
}

export interface ScopeQuery {
  product: string;
  instance?: string | undefined;
  account?: string | undefined;
}

type Scope =
  { kind: 'instance'; id: string } | { kind: 'accounts'; accounts: readonly string[] | null };

async function licensesInScope(db: Executor, ctx: ServiceContext, query: ScopeQuery) {
  requireRole(ctx.principal, ['operator', 'admin', 'viewer', 'service', 'instance']);
  const product = await findProduct(db, productRef(query.product));
  if (product === undefined) throw new NotFound('Product', query.product);
  const instanceId =
    query.instance ?? (query.account === undefined ? ctx.principal.instance : undefined);
  let scope: Scope;
  if (instanceId !== undefined) {
    assertActsFor(ctx.principal, instanceId);
    await visibleInstance(db, ctx.principal, instanceId);
    scope = { kind: 'instance', id: instanceId };
  } else if (query.account !== undefined) {
    requireAccount(ctx.principal, 'Account', query.account);
    scope = { kind: 'accounts', accounts: [query.account] };
  } else {
    scope = { kind: 'accounts', accounts: accountScope(ctx.principal) };
  }
  const licenses =
    scope.kind === 'instance'
      ? (await licensesOnInstance(db, scope.id)).filter(
          (license) => license.productId === product.id,
        )
      : await licensesOfProduct(db, product.id, scope.accounts);
  return { product, licenses, scope };
}

function sees(principal: Principal, accountId: string): boolean {
  return principal.accounts === '*' || principal.accounts.includes(accountId);
}

async function requestedProduct(db: Executor, ref: string, licensed: Product | undefined) {
  const parsed = productRef(ref);
  if (licensed !== undefined && (parsed === licensed.id || parsed === licensed.slug))
    return { id: licensed.id, ref };
  const product = await findProduct(db, parsed);
  return { id: product?.id ?? null, ref };
}

function entitlementsOf(license: LicenseRecord, product: Product | undefined): Entitlements {
  const metric = product?.metrics.find((m) => m.id === license.metricId);
  return {
    product:
      product === undefined ? null : { id: product.id, slug: product.slug, name: product.name },
    features:
      license.features.length > 0 ? license.features : (product?.features.map((f) => f.id) ?? []),
    metric: metric === undefined ? null : { id: metric.id, name: metric.name, unit: metric.unit },
    quantity: license.quantity,
    seatLimit: license.seatLimit,
    seatsUsed: license.seatsUsed,
    expiresAt: license.expiresAt,
    graceDays: license.graceDays,
  };
}

function unknown(code: 'BAD_FORMAT' | 'UNKNOWN_KEY', detail: string): ValidationResult {
  return { valid: false, code, detail, license: null, entitlements: null };
}

export type ValidationService = ReturnType<typeof validationService>;
