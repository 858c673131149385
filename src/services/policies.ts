import { randomBytes, randomUUID } from 'node:crypto';
import {
  Conflict,
  DomainError,
  InUse,
  InvalidFields,
  LicenseNotUsable,
  NotFound,
} from '../domain/errors.js';
import { licenseValidity, type License } from '../domain/license.js';
import type { Product } from '../domain/product.js';
import {
  DEFAULT_TERMS,
  checkOut,
  checkTerms,
  deactivatesDeadInstances,
  deadInstanceToDeactivate,
  effectiveTerms,
  heartbeat,
  leaseAlive,
  reclaimable,
  renewedExpiry,
  termsOf,
  type LeaseView,
  type LicensePolicy,
  type Policy,
  type PolicyInput,
  type PolicyOverrides,
  type PolicyPatch,
  type PolicyTerms,
} from '../domain/policy.js';
import { requireRole, type Principal } from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import type { Executor, Store, Tx } from '../store/database.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/errors.js';
import { findLicense, updateLicense, type LicenseRecord } from '../store/licenses.repository.js';
import {
  allPolicies,
  bindingsOfPolicy,
  countLicensesOfPolicy,
  deleteLease,
  deletePolicy,
  findBinding,
  findLease,
  findPolicy,
  insertPolicy,
  leasesOf,
  licensesWithStaleLeases,
  quietActivations,
  type QuietActivation,
  listPolicies,
  policiesCollection,
  saveLease,
  unbindPolicy,
  updatePolicy,
  type LeaseRecord,
} from '../store/policies.repository.js';
import type { Page } from '../store/list.js';
import { findProduct } from '../store/products.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';
import { assertActsFor, visibleInstance } from './instances.js';
import {
  applyTerms,
  bindLicense,
  boundTerms,
  countLicenseAction,
  recordOverage,
  startLicenseClock,
  type BoundTerms,
} from './license-terms.js';
import {
  checkAgainstProduct,
  ends,
  licenseRef,
  visibleLicense,
  withValidity,
  type LicenseService,
} from './licenses.js';

const MANAGERS = ['operator', 'admin'] as const;
const LEASE_HOLDERS = ['operator', 'admin', 'service', 'instance'] as const;
/** How many licenses one reclaim transaction looks at. */
const RECLAIM_PAGE = 200;
/** The shortest heartbeat window a policy may set (10 s × 2): older beats may be dead. */
const SHORTEST_HEARTBEAT_WINDOW_MS = 20_000;

export interface CheckedOut {
  lease: LeaseView;
  outcome: 'WITHIN' | 'OVERAGE' | 'RENEWED';
  /** A borrowed lease's certificate, valid offline until the lease ends. */
  certificate?: string;
}

/** The terms fields of a request body (the rest — product, name, description — are not terms). */
function overridesIn(input: PolicyOverrides & Record<string, unknown>): PolicyOverrides {
  const overrides: Record<string, unknown> = {};
  for (const name of Object.keys(DEFAULT_TERMS)) {
    if (input[name] !== undefined) overrides[name] = input[name];
  }
  return overrides;
}

function assertTerms(terms: PolicyTerms, product: Product | undefined): void {
  const issues = checkTerms(terms);
  if (issues.length > 0) throw new InvalidFields(issues);
  checkAgainstProduct(product, { features: terms.features }, (name) => name);
  terms.metrics.forEach((metric, i) => {
    checkAgainstProduct(
      product,
      { metricId: metric.metricId },
      () => `metrics.${String(i)}.metricId`,
    );
  });
}

function leaseView(lease: LeaseRecord, terms: PolicyTerms, now: Date): LeaseView {
  return {
    id: lease.id,
    licenseId: lease.licenseId,
    instanceId: lease.instanceId,
    expiresAt: lease.expiresAt,
    lastHeartbeatAt: lease.lastHeartbeatAt,
    createdAt: lease.createdAt,
    alive: leaseAlive(lease, terms, now),
  };
}

/** A floating license's binding and terms, or a conflict naming why it has no leases. */
async function floatingTerms(db: Executor, license: LicenseRecord): Promise<BoundTerms> {
  const found = await boundTerms(db, license.id);
  if (found?.terms.floating !== true) {
    throw new Conflict(`License '${license.id}' is not floating: it has no leases.`, [
      { name: 'license', reason: 'its policy does not make it floating' },
    ]);
  }
  return found;
}

/** The lease a caller names, on this license; an instance token sees only its own. */
async function visibleLease(
  db: Executor,
  principal: Principal,
  licenseId: string,
  leaseId: string,
): Promise<LeaseRecord> {
  const lease = await findLease(db, licenseId, leaseId);
  if (
    lease === undefined ||
    (principal.role === 'instance' && principal.instance !== lease.instanceId)
  ) {
    throw new NotFound('Lease', leaseId);
  }
  return lease;
}

/**
 * Policies (operators' catalog of license templates), the policy a license is bound to, and
 * floating leases: check-out, heartbeat, check-in, and the reclaim of dead leases.
 */
export interface PolicyServiceOptions {
  /** Signs a borrowed lease's certificate (see licenseService.certificateWithin). */
  certify: LicenseService['certificateWithin'];
  /** Ends an activation the server found dead (see licenseService.deactivateWithin). */
  deactivate: LicenseService['deactivateWithin'];
  /** Called after a policy changes or is deleted (validation's policy cache). */
  onChange?: () => void;
}

export function policyService(store: Store, options: PolicyServiceOptions) {
  async function reclaimLicense(tx: Tx, ctx: ServiceContext, licenseId: string): Promise<number> {
    const found = await boundTerms(tx, licenseId);
    const held = await leasesOf(tx, licenseId);
    // Without a floating policy (unbound since), every lease it still has is stale.
    const dead =
      found?.terms.floating === true ? reclaimable(held, found.terms, ctx.clock.now()) : held;
    for (const lease of dead) {
      await deleteLease(tx, lease.id);
      await recordChange(tx, ctx, {
        type: 'lease.reclaimed',
        accountId: lease.accountId,
        resourceType: 'lease',
        resourceId: lease.id,
        before: lease,
      });
    }
    return dead.length;
  }

  /**
   * A changed policy's licenses take its new terms in the same transaction (term, grace, seats,
   * features); a term already running keeps its expiry — the new duration counts from the next
   * renewal or clock start.
   */
  async function applyToLicenses(tx: Tx, ctx: ServiceContext, policy: Policy): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const bindings = await bindingsOfPolicy(tx, policy.id, after, RECLAIM_PAGE);
      for (const binding of bindings) {
        const license = await findLicense(tx, { id: binding.licenseId });
        if (license === undefined) continue;
        const terms = effectiveTerms(termsOf(policy), binding.overrides);
        await applyTerms(tx, ctx, license, terms, binding.clockStartedAt, false);
      }
      if (bindings.length < RECLAIM_PAGE) return;
      after = bindings.at(-1)?.licenseId ?? null;
    }
  }

  return {
    async create(ctx: ServiceContext, input: PolicyInput): Promise<Policy> {
      requireRole(ctx.principal, ['operator']);
      const terms = effectiveTerms(DEFAULT_TERMS, overridesIn(input));
      assertTerms(terms, undefined);
      return store.transaction('policy.create', async (tx) => {
        const product = await findProduct(tx, input.product);
        if (product === undefined) {
          throw new InvalidFields([
            { name: 'product', reason: `no such product: ${String(input.product)}` },
          ]);
        }
        assertTerms(terms, product);
        const now = ctx.clock.now().toISOString();
        const policy: Policy = {
          id: `pol_${randomBytes(8).toString('hex')}`,
          productId: product.id,
          name: input.name,
          description: input.description ?? '',
          ...terms,
          revision: 1,
          createdAt: now,
          updatedAt: now,
        };
        try {
          await insertPolicy(tx, policy, terms);
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          throw new Conflict(`Product '${product.slug}' already has a policy '${input.name}'.`, [
            { name: 'name', reason: 'taken for this product' },
          ]);
        }
        await recordChange(tx, ctx, {
          type: 'policy.created',
          accountId: null,
          resourceType: 'policy',
          resourceId: policy.id,
          after: policy,
        });
        return policy;
      });
    },

    list(ctx: ServiceContext, params: RawListParams): Promise<Page<Policy>> {
      requireRole(ctx.principal, ['operator', 'admin', 'viewer', 'service', 'instance']);
      const query = parseListQuery(policiesCollection, params);
      return store.read((db) => listPolicies(db, query));
    },

    async get(ctx: ServiceContext, id: string): Promise<Policy> {
      requireRole(ctx.principal, ['operator', 'admin', 'viewer', 'service', 'instance']);
      const policy = await store.read((db) => findPolicy(db, id));
      if (policy === undefined) throw new NotFound('Policy', id);
      return policy;
    },

    /**
     * Changes a policy. Its licenses follow at once: their terms are the policy's, read on every
     * use, with their own overrides on top. `expectedRevision` (If-Match) guards lost updates.
     */
    async update(
      ctx: ServiceContext,
      id: string,
      patch: PolicyPatch,
      expectedRevision?: number,
    ): Promise<Policy> {
      requireRole(ctx.principal, ['operator']);
      const updated = await store.transaction('policy.update', async (tx) => {
        const current = await findPolicy(tx, id);
        if (current === undefined) throw new NotFound('Policy', id);
        if (expectedRevision !== undefined && expectedRevision !== current.revision) {
          throw new Conflict(
            `Policy '${id}' is at revision ${String(current.revision)}, not ${String(expectedRevision)}.`,
          );
        }
        const terms = effectiveTerms(termsOf(current), overridesIn(patch));
        assertTerms(terms, await findProduct(tx, current.productId));
        const next: Policy = {
          ...current,
          ...terms,
          name: patch.name ?? current.name,
          description: patch.description ?? current.description,
          revision: current.revision + 1,
          updatedAt: ctx.clock.now().toISOString(),
        };
        let written: boolean;
        try {
          written = await updatePolicy(tx, next, terms, current.revision);
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          throw new Conflict(`The product already has a policy '${next.name}'.`, [
            { name: 'name', reason: 'taken for this product' },
          ]);
        }
        if (!written) throw new Conflict(`Policy '${id}' changed meanwhile; read it again.`);
        await recordChange(tx, ctx, {
          type: 'policy.updated',
          accountId: null,
          resourceType: 'policy',
          resourceId: id,
          before: current,
          after: next,
        });
        await applyToLicenses(tx, ctx, next);
        return next;
      });
      options.onChange?.();
      return updated;
    },

    async remove(ctx: ServiceContext, id: string): Promise<void> {
      requireRole(ctx.principal, ['operator']);
      await store.transaction('policy.delete', async (tx) => {
        const current = await findPolicy(tx, id);
        if (current === undefined) throw new NotFound('Policy', id);
        const bound = await countLicensesOfPolicy(tx, id);
        if (bound > 0) throw new InUse('Policy', id, `${String(bound)} license(s)`);
        try {
          await deletePolicy(tx, id);
        } catch (error) {
          if (isForeignKeyViolation(error)) throw new InUse('Policy', id, 'licenses');
          throw error;
        }
        await recordChange(tx, ctx, {
          type: 'policy.deleted',
          accountId: null,
          resourceType: 'policy',
          resourceId: id,
          before: current,
        });
      });
      options.onChange?.();
    },

    /** The policy a license is bound to and the terms it lives by. */
    async licensePolicy(ctx: ServiceContext, ref: string): Promise<LicensePolicy> {
      return store.read(async (db) => {
        const license = await visibleLicense(db, ctx.principal, licenseRef(ref), ref);
        const found = await boundTerms(db, license.id);
        if (found === undefined) throw new NotFound('Policy of license', ref);
        return {
          licenseId: license.id,
          policyId: found.policy.id,
          overrides: found.binding.overrides,
          terms: found.terms,
        };
      });
    },

    /** Binds a license to a policy of its product, with overrides of its own. */
    async assign(
      ctx: ServiceContext,
      ref: string,
      input: { policy: string; overrides?: PolicyOverrides },
    ): Promise<LicensePolicy> {
      requireRole(ctx.principal, MANAGERS);
      return store.transaction('license.policy', async (tx) => {
        const license = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        const policy = await findPolicy(tx, input.policy);
        if (policy === undefined) {
          throw new InvalidFields([{ name: 'policy', reason: `no such policy: ${input.policy}` }]);
        }
        const overrides = input.overrides ?? {};
        const { terms } = await bindLicense(tx, ctx, license, policy, overrides);
        return { licenseId: license.id, policyId: policy.id, overrides, terms };
      });
    },

    async unassign(ctx: ServiceContext, ref: string): Promise<void> {
      requireRole(ctx.principal, MANAGERS);
      await store.transaction('license.policy', async (tx) => {
        const license = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        const before = await findBinding(tx, license.id);
        if (!(await unbindPolicy(tx, license.id))) throw new NotFound('Policy of license', ref);
        await recordChange(tx, ctx, {
          type: 'license.policy_changed',
          accountId: license.accountId,
          resourceType: 'license',
          resourceId: license.id,
          before,
          after: null,
        });
      });
    },

    /**
     * One more term for a policy-bound license: its policy's duration added to the expiry, or to
     * now (`renewalBasis`); a license past its expiry is usable again at once.
     */
    async renew(ctx: ServiceContext, ref: string): Promise<License> {
      requireRole(ctx.principal, MANAGERS);
      const now = ctx.clock.now();
      return store.transaction('license.renew', async (tx) => {
        const license = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        const bound = await boundTerms(tx, license.id);
        if (bound === undefined) {
          throw new Conflict(
            `License '${license.id}' has no policy to renew by; change its expiresAt instead.`,
          );
        }
        const expiresAt = renewedExpiry(bound.terms, license.expiresAt, now);
        if (expiresAt === null) {
          throw new Conflict(
            license.expiresAt === null
              ? `License '${license.id}' has no expiry to renew (a perpetual term, or a clock not started).`
              : `License '${license.id}' has a perpetual term.`,
          );
        }
        const next: LicenseRecord = { ...license, expiresAt, updatedAt: now.toISOString() };
        await updateLicense(tx, next);
        await recordChange(tx, ctx, {
          type: 'license.renewed',
          accountId: license.accountId,
          resourceType: 'license',
          resourceId: license.id,
          before: { expiresAt: license.expiresAt },
          after: { expiresAt, renewalBasis: bound.terms.renewalBasis },
        });
        return withValidity(next, now);
      });
    },

    /**
     * Checks a floating license out to an instance. The license row is read first in the
     * transaction (locked on PostgreSQL, one writer on SQLite), so the count of live leases and
     * the new lease are atomic: N concurrent callers for the last seat get exactly one lease.
     */
    async checkOut(
      ctx: ServiceContext,
      ref: string,
      input: { instance?: string; ttlSeconds?: number; borrow?: boolean },
    ): Promise<CheckedOut> {
      requireRole(ctx.principal, LEASE_HOLDERS);
      const instanceId = input.instance ?? ctx.principal.instance;
      if (instanceId === undefined) {
        throw new InvalidFields([{ name: 'instance', reason: 'required for this token' }]);
      }
      assertActsFor(ctx.principal, instanceId);
      const now = ctx.clock.now();
      return store.transaction('lease.check_out', async (tx) => {
        let license = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        const instance = await visibleInstance(tx, ctx.principal, instanceId);
        if (instance.accountId !== license.accountId) throw new NotFound('Instance', instanceId);
        const validity = licenseValidity(license, now);
        if (!validity.valid || license.state !== 'active') {
          throw new LicenseNotUsable(license.id, `it is ${validity.status}`);
        }
        const bound = await floatingTerms(tx, license);
        const { terms } = bound;
        const held = await leasesOf(tx, license.id);
        const decided = checkOut(
          held,
          { leaseId: `lease_${randomUUID()}`, instanceId, ttlSeconds: input.ttlSeconds },
          terms,
          now,
        );
        if (!decided.ok) throw new DomainError('SEAT_LIMIT', decided.detail);
        if (decided.outcome !== 'RENEWED') {
          await countLicenseAction(tx, license.id, 'activation', terms, now);
        }
        if (bound.binding.clockStartedAt === null && terms.clockStarts === 'FIRST_ACTIVATION') {
          license = (await startLicenseClock(tx, ctx, license, terms, now)) ?? license;
        }
        // A lease never outlives the license it leases.
        const leaseEnds = Math.min(Date.parse(decided.lease.expiresAt), ends(license) * 1000);
        const lease: LeaseRecord = {
          ...decided.lease,
          expiresAt: new Date(leaseEnds).toISOString(),
          licenseId: license.id,
          accountId: license.accountId,
          createdAt:
            decided.outcome === 'RENEWED'
              ? (held.find((l) => l.id === decided.lease.id)?.createdAt ?? now.toISOString())
              : now.toISOString(),
        };
        await saveLease(tx, lease);
        await recordChange(tx, ctx, {
          type: decided.outcome === 'RENEWED' ? 'lease.renewed' : 'lease.checked_out',
          accountId: license.accountId,
          resourceType: 'lease',
          resourceId: lease.id,
          after: { ...lease, outcome: decided.outcome, borrowed: input.borrow === true },
        });
        if (decided.outcome === 'OVERAGE') await recordOverage(tx, ctx, license, held.length + 1);
        const checkedOut: CheckedOut = {
          lease: leaseView(lease, terms, now),
          outcome: decided.outcome,
        };
        if (input.borrow !== true) return checkedOut;
        const certificate = await options.certify(
          tx,
          license,
          { id: instance.id, installId: instance.installId, fingerprint: instance.fingerprint },
          now,
          Math.floor(leaseEnds / 1000),
          { id: lease.id, expiresAt: lease.expiresAt },
        );
        return { ...checkedOut, certificate };
      });
    },

    async heartbeat(ctx: ServiceContext, ref: string, leaseId: string): Promise<LeaseView> {
      requireRole(ctx.principal, LEASE_HOLDERS);
      const now = ctx.clock.now();
      return store.transaction('lease.heartbeat', async (tx) => {
        const license = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        const lease = await visibleLease(tx, ctx.principal, license.id, leaseId);
        const { terms } = await floatingTerms(tx, license);
        const beat = heartbeat(lease, terms, now);
        if (!beat.ok) {
          throw new Conflict(
            beat.code === 'LEASE_EXPIRED'
              ? `Lease '${leaseId}' has expired; check the license out again.`
              : `Lease '${leaseId}' missed its heartbeats; check the license out again.`,
            [{ name: 'lease', reason: beat.code }],
          );
        }
        const next: LeaseRecord = { ...lease, ...beat.lease };
        await saveLease(tx, next);
        return leaseView(next, terms, now);
      });
    },

    async checkIn(ctx: ServiceContext, ref: string, leaseId: string): Promise<void> {
      requireRole(ctx.principal, LEASE_HOLDERS);
      await store.transaction('lease.check_in', async (tx) => {
        const license = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        const lease = await visibleLease(tx, ctx.principal, license.id, leaseId);
        await deleteLease(tx, lease.id);
        await recordChange(tx, ctx, {
          type: 'lease.checked_in',
          accountId: lease.accountId,
          resourceType: 'lease',
          resourceId: lease.id,
          before: lease,
        });
      });
    },

    async leases(ctx: ServiceContext, ref: string): Promise<LeaseView[]> {
      const now = ctx.clock.now();
      return store.read(async (db) => {
        const license = await visibleLicense(db, ctx.principal, licenseRef(ref), ref);
        const terms = (await boundTerms(db, license.id))?.terms ?? DEFAULT_TERMS;
        const held = await leasesOf(db, license.id);
        return held
          .filter(
            (lease) =>
              ctx.principal.role !== 'instance' || lease.instanceId === ctx.principal.instance,
          )
          .map((lease) => leaseView(lease, terms, now));
      });
    },

    /**
     * Deactivates instances whose heartbeat stopped, on licenses whose terms ask for heartbeats
     * and deactivate dead instances (`deadInstance: DEACTIVATE`); their seats go to the next
     * caller. An instance beats by validating or `POST /v1/instances/{id}/heartbeat`. One
     * transaction per page; answers how many activations ended.
     */
    async deactivateDead(ctx: ServiceContext): Promise<number> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now();
      const quietBefore = new Date(now.getTime() - SHORTEST_HEARTBEAT_WINDOW_MS).toISOString();
      // Only licenses whose policy deactivates dead instances, or whose own overrides might
      // make it so, can have any: the rest are not read at all.
      const policyIds = (await store.read((db) => allPolicies(db)))
        .filter((policy) => deactivatesDeadInstances(termsOf(policy)))
        .map((policy) => policy.id);
      let after: { licenseId: string; instanceId: string } | null = null;
      let ended = 0;
      for (;;) {
        const quiet: QuietActivation[] = await store.read((db) =>
          quietActivations(db, policyIds, quietBefore, after, RECLAIM_PAGE),
        );
        if (quiet.length === 0) return ended;
        ended += await store.transaction('instance.dead', async (tx) => {
          let count = 0;
          for (const activation of quiet) {
            const terms = (await boundTerms(tx, activation.licenseId))?.terms;
            if (terms === undefined) continue;
            if (!deadInstanceToDeactivate(terms, activation.lastSeenAt, now)) continue;
            const instance = { id: activation.instanceId, installId: activation.installId };
            if (await options.deactivate(tx, ctx, activation.licenseId, instance, 'HEARTBEAT_DEAD'))
              count++;
          }
          return count;
        });
        const last = quiet.at(-1);
        after =
          last === undefined ? null : { licenseId: last.licenseId, instanceId: last.instanceId };
      }
    },

    /**
     * Frees every dead lease (expired, or heartbeat missed), one transaction per page of licenses,
     * each with a `lease.reclaimed` event. Answers how many were freed.
     */
    async reclaim(ctx: ServiceContext): Promise<number> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now();
      const beatBefore = new Date(now.getTime() - SHORTEST_HEARTBEAT_WINDOW_MS).toISOString();
      let after: string | null = null;
      let freed = 0;
      for (;;) {
        const licenses: string[] = await store.read((db) =>
          licensesWithStaleLeases(db, now.toISOString(), beatBefore, after, RECLAIM_PAGE),
        );
        if (licenses.length === 0) return freed;
        freed += await store.transaction('lease.reclaim', async (tx) => {
          let count = 0;
          for (const licenseId of licenses) count += await reclaimLicense(tx, ctx, licenseId);
          return count;
        });
        after = licenses.at(-1) ?? null;
      }
    },
  };
}

export type PolicyService = ReturnType<typeof policyService>;
