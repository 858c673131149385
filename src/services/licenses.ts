import { randomBytes, randomUUID } from 'node:crypto';
import {
  InvalidFields,
  LicenseNotUsable,
  NotFound,
  SeatLimitReached,
  Conflict,
} from '../domain/errors.js';
import {
  licenseResourceId,
  licenseValidity,
  type License,
  type LicenseIssue,
  type LicensePatch,
} from '../domain/license.js';
import { generateNativeKey, recognizeKey } from '../domain/license-key.js';
import {
  clockStartAtBinding,
  effectiveTerms,
  nextSeat,
  seatCeiling,
  termedFields,
  termsOf,
  type Policy,
} from '../domain/policy.js';
import type { CertificateClaims } from '../domain/certificate.js';
import type { Product } from '../domain/product.js';
import { accountScope, requireRole, type Principal } from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import { missingAccounts } from '../store/accounts.repository.js';
import type { Executor, Store, Tx } from '../store/database.js';
import {
  deleteLicense,
  endActivations,
  findLicense,
  findLicenseOnInstance,
  insertActivation,
  insertLicense,
  licensesCollection,
  licensesOnInstance,
  listActivations,
  listLicenses,
  liveActivation,
  liveOnInstance,
  updateLicense,
  type ActivationRecord,
  type LicenseRecord,
  type LicenseRef,
} from '../store/licenses.repository.js';
import type { Page } from '../store/list.js';
import { findPolicy } from '../store/policies.repository.js';
import { findProduct } from '../store/products.repository.js';
import { nextValue } from '../store/sequences.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';
import { assertActsFor, visibleInstance } from './instances.js';
import {
  bindLicense,
  boundTerms,
  countLicenseAction,
  recordOverage,
  startLicenseClock,
} from './license-terms.js';
import { productRef } from './products.js';

/** Serial numbers start high enough to read as serials (BlueXP shows 481000485), and only grow. */
export const FIRST_SERIAL = 100_000_001;

export interface LicenseServiceOptions {
  /** Keys the check value of native license keys. */
  keySecret: Uint8Array;
  /** Signs HP's deactivated key: a proof of deactivation the vendor can verify later. */
  signDeactivation(tx: Tx, proof: DeactivationFacts, now: Date): Promise<string>;
  /** Signs a license certificate with the current signing key. */
  signCertificate(tx: Tx, claims: CertificateClaims, now: Date): Promise<string>;
  /** `iss` of certificates. */
  issuer: string;
}

/** Fields a policy decides: a license issued from one takes them from it, or its overrides. */
const DECIDED_BY_POLICY = ['term', 'graceDays', 'seatLimit', 'expiresAt'] as const;

/** The policy a license is issued from, if any: it must exist, and decide what it decides. */
async function issuingPolicy(
  tx: Tx,
  input: LicenseIssue,
  name: (suffix: string) => string,
): Promise<Policy | undefined> {
  if (input.policy === undefined) {
    if (input.policyOverrides !== undefined) {
      throw new InvalidFields([
        { name: name('policyOverrides'), reason: 'overrides need a policy' },
      ]);
    }
    return undefined;
  }
  const policy = await findPolicy(tx, input.policy);
  if (policy === undefined) {
    throw new InvalidFields([{ name: name('policy'), reason: `no such policy: ${input.policy}` }]);
  }
  const decided = DECIDED_BY_POLICY.filter((field) => input[field] !== undefined);
  if (decided.length > 0) {
    throw new InvalidFields(
      decided.map((field) => ({
        name: name(field),
        reason: 'set by the policy; change it in policyOverrides',
      })),
    );
  }
  return policy;
}

/** Default and longest lifetime of a certificate: it must be refreshed, and stops with the license. */
export const DEFAULT_CERTIFICATE_TTL_SECONDS = 7 * 86_400;
export const MAX_CERTIFICATE_TTL_SECONDS = 365 * 86_400;

export interface DeactivationFacts {
  licenseId: string;
  serialNumber: number;
  /** The instance the license left, or null when it left every instance at once. */
  instance: { id: string; installId: number } | null;
  deactivatedAt: string;
}

/**
 * Takes a seat: the activation row, the license back to active (a deactivated key no longer
 * holds), and the event. The caller has checked the seat is free, in the same transaction.
 */
export async function bindToInstance(
  tx: Tx,
  ctx: ServiceContext,
  license: LicenseRecord,
  instanceId: string,
): Promise<LicenseRecord> {
  const at = ctx.clock.now().toISOString();
  await insertActivation(tx, license.id, instanceId, at);
  const next: LicenseRecord = {
    ...license,
    state: 'active',
    activatedAt: license.activatedAt ?? at,
    deactivatedKey: null,
    seatsUsed: license.seatsUsed + 1,
    updatedAt: at,
  };
  await updateLicense(tx, next);
  await recordChange(tx, ctx, {
    type: 'license.activated',
    accountId: license.accountId,
    resourceType: 'license',
    resourceId: license.id,
    after: { instanceId, seatsUsed: next.seatsUsed, seatLimit: next.seatLimit },
  });
  return next;
}

export type SeatClaim =
  | { ok: true; license: LicenseRecord; outcome: 'WITHIN' | 'OVERAGE' }
  | { ok: false; ceiling: number };

/**
 * Takes a seat on an instance where the license is not active yet, as its terms allow: within the
 * seat limit, into the policy's overage allowance (`usage.overage`), or refused with the ceiling.
 * A floating license's seats are its leases: activations (installs) are not counted against them.
 * Counts against the license's activation rate limit and starts a clock waiting for the first
 * activation. The caller holds the license (locked) in its transaction.
 */
export async function claimSeat(
  tx: Tx,
  ctx: ServiceContext,
  license: LicenseRecord,
  instanceId: string,
): Promise<SeatClaim> {
  const now = ctx.clock.now();
  const bound = await boundTerms(tx, license.id);
  const terms = bound?.terms;
  const outcome =
    terms?.floating === true
      ? 'WITHIN'
      : nextSeat(license.seatsUsed, license.seatLimit, terms?.overage ?? 'NONE');
  if (outcome === 'EXHAUSTED') {
    return {
      ok: false,
      ceiling: seatCeiling(license.seatLimit, terms?.overage ?? 'NONE') ?? license.seatsUsed,
    };
  }
  await countLicenseAction(tx, license.id, 'activation', terms, now);
  let next = await bindToInstance(tx, ctx, license, instanceId);
  if (bound?.binding.clockStartedAt === null && bound.terms.clockStarts === 'FIRST_ACTIVATION') {
    next = (await startLicenseClock(tx, ctx, next, bound.terms, now)) ?? next;
  }
  if (outcome === 'OVERAGE') await recordOverage(tx, ctx, next, next.seatsUsed);
  return { ok: true, license: next, outcome };
}

/**
 * A new license's serial number and BlueXP resource id: the caller's serial when it keeps one
 * issued elsewhere (409 naming `serialNumber` if taken), else the next of the sequence that no kept
 * serial has taken.
 */
export async function newLicenseIdentity(
  tx: Tx,
  chosen?: number,
): Promise<{ id: string; serialNumber: number }> {
  let serialNumber: number;
  if (chosen !== undefined) {
    if ((await findLicense(tx, { serialNumber: chosen })) !== undefined) {
      throw new Conflict(`A license with serial number ${String(chosen)} already exists.`, [
        { name: 'serialNumber', reason: 'another license has this serial number' },
      ]);
    }
    serialNumber = chosen;
  } else {
    do {
      serialNumber = await nextValue(tx, 'license_serial', FIRST_SERIAL);
    } while ((await findLicense(tx, { serialNumber })) !== undefined);
  }
  return { id: licenseResourceId(serialNumber, randomUUID()), serialNumber };
}

/** A license name in a path: its resource id or its serial number. */
export function licenseRef(ref: string): LicenseRef {
  return /^\d{1,15}$/.test(ref) ? { serialNumber: Number(ref) } : { id: ref };
}

/** The last moment a license may be used, in seconds: its expiry plus grace (never, perpetual). */
export function ends(license: LicenseRecord): number {
  return license.expiresAt === null
    ? Infinity
    : Math.floor(Date.parse(license.expiresAt) / 1000) + license.graceDays * 86_400;
}

export function withValidity(record: LicenseRecord, now: Date): License {
  return { ...record, validity: licenseValidity(record, now) };
}

/** The license a principal may see; another account's is missing. */
export async function visibleLicense(
  db: Executor,
  principal: Principal,
  ref: LicenseRef,
  name: string,
): Promise<LicenseRecord> {
  const license = await findLicense(db, ref);
  if (
    license === undefined ||
    (principal.accounts !== '*' && !principal.accounts.includes(license.accountId))
  ) {
    throw new NotFound('License', name);
  }
  return license;
}

export function licenseService(store: Store, options: LicenseServiceOptions) {
  /**
   * Signs a certificate of `license` (bound to `instance` when given) valid until `exp` (seconds),
   * inside the caller's transaction; a borrowed lease adds its own claim. The caller has checked
   * the license may be used there.
   */
  async function certificateWithin(
    tx: Tx,
    license: LicenseRecord,
    instance: { id: string; installId: number; fingerprint: string | null } | null,
    now: Date,
    exp: number,
    lease?: { id: string; expiresAt: string },
  ): Promise<string> {
    const product =
      license.productId === null ? undefined : await findProduct(tx, license.productId);
    const metric = product?.metrics.find((m) => m.id === license.metricId);
    const claims: CertificateClaims = {
      v: 1,
      iss: options.issuer,
      iat: Math.floor(now.getTime() / 1000),
      exp,
      license: {
        id: license.id,
        serialNumber: license.serialNumber,
        key: license.key,
        account: license.accountId,
        product: product === undefined ? null : { id: product.id, slug: product.slug },
        kind: license.kind,
        term: license.term,
        service: license.service,
        group: license.group,
        features:
          license.features.length > 0
            ? license.features
            : (product?.features.map((f) => f.id) ?? []),
        metric: metric === undefined ? null : { id: metric.id, unit: metric.unit },
        quantity: license.quantity,
        startsAt: license.startsAt,
        expiresAt: license.expiresAt,
        graceDays: license.graceDays,
        seatLimit: license.seatLimit,
        status: licenseValidity(license, now).status,
      },
      instance:
        instance === null
          ? null
          : { id: instance.id, installId: instance.installId, fingerprint: instance.fingerprint },
      ...(lease === undefined ? {} : { lease }),
    };
    return options.signCertificate(tx, claims, now);
  }

  /**
   * The license once `ended` activations (on `instance`, or everywhere) have ended: seats freed,
   * inactive with a signed deactivated key when none is left, and the event (with `reason` when
   * the server, not a caller, ended them).
   */
  async function afterDeactivation(
    tx: Tx,
    ctx: ServiceContext,
    license: LicenseRecord,
    instance: { id: string; installId: number } | null,
    ended: number,
    reason: string | null,
  ): Promise<LicenseRecord> {
    const now = ctx.clock.now();
    const at = now.toISOString();
    const seatsUsed = license.seatsUsed - ended;
    const inactive = seatsUsed === 0 && license.state === 'active';
    const next: LicenseRecord = {
      ...license,
      seatsUsed,
      updatedAt: at,
      state: inactive ? 'inactive' : license.state,
      deactivatedKey: inactive
        ? await options.signDeactivation(
            tx,
            {
              licenseId: license.id,
              serialNumber: license.serialNumber,
              instance:
                instance === null ? null : { id: instance.id, installId: instance.installId },
              deactivatedAt: at,
            },
            now,
          )
        : license.deactivatedKey,
    };
    await updateLicense(tx, next);
    await recordChange(tx, ctx, {
      type: 'license.deactivated',
      accountId: license.accountId,
      resourceType: 'license',
      resourceId: license.id,
      after: {
        instanceId: instance?.id ?? null,
        seatsUsed,
        state: next.state,
        ...(reason === null ? {} : { reason }),
      },
    });
    return next;
  }

  /**
   * Ends a license's activation on an instance inside the caller's transaction, for a reason the
   * server has (a dead instance's heartbeat). False when it was not activated there.
   */
  async function deactivateWithin(
    tx: Tx,
    ctx: ServiceContext,
    licenseId: string,
    instance: { id: string; installId: number },
    reason: string,
  ): Promise<boolean> {
    const license = await findLicense(tx, { id: licenseId });
    if (license === undefined) return false;
    const ended = await endActivations(tx, license.id, instance.id, ctx.clock.now().toISOString());
    if (ended === 0) return false;
    await afterDeactivation(tx, ctx, license, instance, ended, reason);
    return true;
  }

  async function build(
    tx: Tx,
    ctx: ServiceContext,
    input: LicenseIssue,
    field = '',
  ): Promise<LicenseRecord> {
    const name = (suffix: string) => (field === '' ? suffix : `${field}.${suffix}`);
    if ((await missingAccounts(tx, [input.accountId])).length > 0) {
      throw new InvalidFields([
        { name: name('accountId'), reason: `no such account: ${input.accountId}` },
      ]);
    }
    const product =
      input.product === undefined
        ? undefined
        : await findProduct(tx, productRef(String(input.product)));
    if (input.product !== undefined && product === undefined) {
      throw new InvalidFields([
        { name: name('product'), reason: `no such product: ${String(input.product)}` },
      ]);
    }
    checkAgainstProduct(product, input, name);
    const key =
      input.key === undefined
        ? {
            scheme: 'native' as const,
            normalized: generateNativeKey(randomBytes(32), options.keySecret),
          }
        : recognized(input.key, options.keySecret, name('key'));
    const identity = await newLicenseIdentity(tx, input.serialNumber);
    const now = ctx.clock.now().toISOString();
    return {
      ...identity,
      key: key.normalized,
      keyScheme: key.scheme,
      accountId: input.accountId,
      productId: product?.id ?? null,
      kind: input.kind ?? 'node',
      service: input.service ?? null,
      group: input.group === undefined ? (product?.group ?? null) : input.group,
      term: input.term ?? 'PERPETUAL',
      metricId: input.metricId ?? product?.metrics[0]?.id ?? null,
      quantity: input.quantity ?? 1,
      features: input.features ?? [],
      baseLicense: input.baseLicense ?? false,
      description: input.description ?? product?.name ?? '',
      createdAt: now,
      updatedAt: now,
      startsAt: input.startsAt ?? null,
      activatedAt: null,
      expiresAt: input.expiresAt ?? null,
      graceDays: input.graceDays ?? 0,
      seatLimit: input.seatLimit ?? null,
      seatsUsed: 0,
      state: 'active',
      deactivatedKey: null,
      orderId: input.orderId ?? null,
      sku: input.sku ?? null,
      labels: input.labels ?? {},
      policyId: null,
    };
  }

  /** Writes a new license and its event; answers the stored record. */
  async function insertIssued(
    tx: Tx,
    ctx: ServiceContext,
    input: LicenseIssue,
    field = '',
  ): Promise<LicenseRecord> {
    const name = (suffix: string) => (field === '' ? suffix : `${field}.${suffix}`);
    const policy = await issuingPolicy(tx, input, name);
    let record: LicenseRecord;
    try {
      record = await build(
        tx,
        ctx,
        policy === undefined ? input : { ...input, product: input.product ?? policy.productId },
        field,
      );
      if (policy !== undefined) {
        // The fields the policy decides are the new license's from the start.
        const terms = effectiveTerms(termsOf(policy), input.policyOverrides ?? {});
        record = { ...record, ...termedFields(terms, record, clockStartAtBinding(terms, record)) };
      }
      await insertLicense(tx, record);
    } catch (error) {
      // In a batch, a taken key or serial is named by its item, like every other error of the batch.
      if (error instanceof Conflict && field !== '') {
        throw new Conflict(
          error.message,
          error.issues.map((issue) => ({ ...issue, name: `${field}.${issue.name}` })),
        );
      }
      throw error;
    }
    await recordChange(tx, ctx, {
      type: 'license.created',
      accountId: record.accountId,
      resourceType: 'license',
      resourceId: record.id,
      after: { ...record, key: undefined },
    });
    if (policy === undefined) return record;
    const prefix = field === '' ? '' : `${field}.`;
    const overrides = input.policyOverrides ?? {};
    return (await bindLicense(tx, ctx, record, policy, overrides, prefix, 'policyOverrides'))
      .license;
  }

  async function issueIn(
    tx: Tx,
    ctx: ServiceContext,
    input: LicenseIssue,
    field = '',
  ): Promise<License> {
    return withValidity(await insertIssued(tx, ctx, input, field), ctx.clock.now());
  }

  return {
    /**
     * Issues a license inside another use case's transaction (a token redemption, an upstream
     * import); that use case has checked who may do it. Answers the stored record, ready to be
     * bound to an instance.
     */
    issueWithin: insertIssued,
    certificateWithin,
    deactivateWithin,

    /** Issues one license (operators). A native key is generated unless one is registered. */
    issue(ctx: ServiceContext, input: LicenseIssue): Promise<License> {
      requireRole(ctx.principal, ['operator']);
      return store.transaction('license.issue', (tx) => issueIn(tx, ctx, input));
    },

    /** Issues a batch in one transaction: all or nothing, errors named by item (`items.3.product`). */
    issueBatch(ctx: ServiceContext, inputs: readonly LicenseIssue[]): Promise<License[]> {
      requireRole(ctx.principal, ['operator']);
      return store.transaction('license.issue-batch', async (tx) => {
        const issued: License[] = [];
        for (const [index, input] of inputs.entries())
          issued.push(await issueIn(tx, ctx, input, `items.${String(index)}`));
        return issued;
      });
    },

    async list(ctx: ServiceContext, params: RawListParams): Promise<Page<License>> {
      const query = parseListQuery(licensesCollection, params);
      const page = await store.read((db) => listLicenses(db, accountScope(ctx.principal), query));
      const now = ctx.clock.now();
      return { ...page, rows: page.rows.map((row) => withValidity(row, now)) };
    },

    async get(ctx: ServiceContext, ref: string): Promise<License> {
      const license = await store.read((db) =>
        visibleLicense(db, ctx.principal, licenseRef(ref), ref),
      );
      return withValidity(license, ctx.clock.now());
    },

    /** Finds a license by its key, in any accepted spelling (case, dashes, Crockford aliases). */
    /**
     * The license of a key, if installed on an instance (activated there now or before), and
     * whether it is live there: one read. Anything else — an unknown key, another account's, one
     * never installed there — is the same 404.
     */
    async installedByKey(
      ctx: ServiceContext,
      key: string,
      instanceId: string,
    ): Promise<{ license: License; live: boolean }> {
      const recognition = recognizeKey(key, options.keySecret);
      if (!recognition.ok) throw new NotFound('License', 'with this key');
      const found = await store.read((db) =>
        findLicenseOnInstance(db, recognition.normalized, instanceId),
      );
      if (
        found === undefined ||
        found.installed === 0 ||
        (ctx.principal.accounts !== '*' &&
          !ctx.principal.accounts.includes(found.license.accountId))
      ) {
        throw new NotFound('License', 'with this key');
      }
      return { license: withValidity(found.license, ctx.clock.now()), live: found.live > 0 };
    },

    async getByKey(ctx: ServiceContext, key: string): Promise<License> {
      const recognition = recognizeKey(key, options.keySecret);
      if (!recognition.ok) throw new NotFound('License', 'with this key');
      const license = await store.read((db) =>
        visibleLicense(db, ctx.principal, { key: recognition.normalized }, 'with this key'),
      );
      return withValidity(license, ctx.clock.now());
    },

    update(ctx: ServiceContext, ref: string, patch: LicensePatch): Promise<License> {
      return change(ctx, ref, 'license.update', 'license.updated', async (tx, current) => {
        if (patch.state !== undefined && patch.state !== current.state)
          assertStateChange(current, patch.state);
        if (patch.metricId !== undefined || patch.features !== undefined) {
          const product =
            current.productId === null ? undefined : await findProduct(tx, current.productId);
          checkAgainstProduct(
            product,
            { metricId: patch.metricId, features: patch.features },
            (n) => n,
          );
        }
        const next = { ...current, ...definedOnly(patch) };
        // A license deactivated everywhere (it holds a deactivated key) resumes as inactive.
        if (
          patch.state === 'active' &&
          current.seatsUsed === 0 &&
          current.deactivatedKey !== null
        ) {
          next.state = 'inactive';
        }
        return next;
      });
    },

    /** Revokes for good: the license stops validating and its activations end. */
    revoke(ctx: ServiceContext, ref: string): Promise<License> {
      return change(ctx, ref, 'license.revoke', 'license.revoked', async (tx, current) => {
        await endActivations(tx, current.id, null, ctx.clock.now().toISOString());
        return { ...current, state: 'revoked', seatsUsed: 0 };
      });
    },

    async remove(ctx: ServiceContext, ref: string): Promise<void> {
      requireRole(ctx.principal, ['operator']);
      await store.transaction('license.delete', async (tx) => {
        const current = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        await deleteLicense(tx, current.id);
        await recordChange(tx, ctx, {
          type: 'license.deleted',
          accountId: current.accountId,
          resourceType: 'license',
          resourceId: current.id,
          before: { ...current, key: undefined },
        });
      });
    },

    /**
     * Binds the license to an instance, taking a seat. The seat count is read and the activation
     * written in one transaction, so concurrent activations never over-allocate. Activating the
     * same instance again changes nothing.
     */
    activate(
      ctx: ServiceContext,
      ref: string,
      instanceId: string,
    ): Promise<{ license: License; created: boolean; outcome: 'WITHIN' | 'OVERAGE' | null }> {
      requireRole(ctx.principal, ['operator', 'admin', 'service', 'instance']);
      assertActsFor(ctx.principal, instanceId);
      return store.transaction('license.activate', async (tx) => {
        const now = ctx.clock.now();
        const license = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        const instance = await visibleInstance(tx, ctx.principal, instanceId);
        if (instance.accountId !== license.accountId) throw new NotFound('Instance', instanceId);
        if ((await liveActivation(tx, license.id, instance.id)) !== undefined) {
          return { license: withValidity(license, now), created: false, outcome: null };
        }
        assertUsable(license, now);
        const claim = await claimSeat(tx, ctx, license, instance.id);
        if (!claim.ok) throw new SeatLimitReached(license.id, claim.ceiling);
        return {
          license: withValidity(claim.license, now),
          created: true,
          outcome: claim.outcome,
        };
      });
    },

    /**
     * Ends the activation on one instance (freeing its seat), or on every instance. When no
     * activation is left, the license becomes inactive and carries a signed deactivated key.
     */
    deactivate(ctx: ServiceContext, ref: string, instanceId: string | null): Promise<License> {
      requireRole(ctx.principal, ['operator', 'admin', 'service', 'instance']);
      // An instance token frees its own seat only: "every instance" is no instance of its own.
      assertActsFor(ctx.principal, instanceId ?? '');
      return store.transaction('license.deactivate', async (tx) => {
        const now = ctx.clock.now();
        const at = now.toISOString();
        const license = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        const instance =
          instanceId === null ? null : await visibleInstance(tx, ctx.principal, instanceId);
        const ended = await endActivations(tx, license.id, instanceId, at);
        if (ended === 0 && instanceId !== null) {
          throw new Conflict(
            `License '${license.id}' is not activated on instance '${instanceId}'.`,
          );
        }
        if (ended > 0) {
          const terms = (await boundTerms(tx, license.id))?.terms;
          await countLicenseAction(tx, license.id, 'deactivation', terms, now);
        }
        const next = await afterDeactivation(tx, ctx, license, instance, ended, null);
        return withValidity(next, now);
      });
    },

    /**
     * The offline form of a license: its claims signed with the server's Ed25519 key. For an
     * instance, the license must be activated there and the certificate is bound to it. It never
     * outlives the license (expiry plus grace).
     */
    certificate(
      ctx: ServiceContext,
      ref: string,
      instanceId: string | undefined,
      ttlSeconds = DEFAULT_CERTIFICATE_TTL_SECONDS,
    ): Promise<{ certificate: string; expiresAt: string }> {
      requireRole(ctx.principal, ['operator', 'admin', 'viewer', 'service', 'instance']);
      const boundTo = instanceId ?? ctx.principal.instance;
      if (boundTo !== undefined) assertActsFor(ctx.principal, boundTo);
      return store.transaction('license.certificate', async (tx) => {
        const now = ctx.clock.now();
        const license = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
        assertUsable(license, now);
        const instance =
          boundTo === undefined ? null : await visibleInstance(tx, ctx.principal, boundTo);
        if (
          instance !== null &&
          (await liveActivation(tx, license.id, instance.id)) === undefined
        ) {
          throw new Conflict(
            `License '${license.id}' is not activated on instance '${instance.id}'.`,
          );
        }
        const iat = Math.floor(now.getTime() / 1000);
        const exp = Math.min(
          iat + Math.min(ttlSeconds, MAX_CERTIFICATE_TTL_SECONDS),
          ends(license),
        );
        const certificate = await certificateWithin(tx, license, instance, now, exp);
        return { certificate, expiresAt: new Date(exp * 1000).toISOString() };
      });
    },

    /**
     * Every license installed on an instance, still activated there or deactivated since (HP's
     * "licenses installed on this controller"), by serial number.
     */
    /** The licenses activated on an instance now, each with when that activation began. */
    async liveOn(
      ctx: ServiceContext,
      instanceId: string,
    ): Promise<{ license: License; activatedAt: string }[]> {
      requireRole(ctx.principal, ['operator', 'admin', 'viewer', 'service', 'instance']);
      assertActsFor(ctx.principal, instanceId);
      const now = ctx.clock.now();
      const live = await store.read(async (db) => {
        await visibleInstance(db, ctx.principal, instanceId);
        return liveOnInstance(db, instanceId);
      });
      return live.map(({ license, activatedAt }) => ({
        license: withValidity(license, now),
        activatedAt,
      }));
    },

    async installedOn(ctx: ServiceContext, instanceId: string): Promise<License[]> {
      requireRole(ctx.principal, ['operator', 'admin', 'viewer', 'service', 'instance']);
      assertActsFor(ctx.principal, instanceId);
      const now = ctx.clock.now();
      const records = await store.read(async (db) => {
        await visibleInstance(db, ctx.principal, instanceId);
        return licensesOnInstance(db, instanceId, { includeEnded: true });
      });
      return records.map((record) => withValidity(record, now));
    },

    async activations(ctx: ServiceContext, ref: string): Promise<ActivationRecord[]> {
      return store.read(async (db) => {
        const license = await visibleLicense(db, ctx.principal, licenseRef(ref), ref);
        const all = await listActivations(db, license.id);
        return ctx.principal.role === 'instance'
          ? all.filter((a) => a.instanceId === ctx.principal.instance)
          : all;
      });
    },
  };

  async function change(
    ctx: ServiceContext,
    ref: string,
    useCase: string,
    eventType: string,
    apply: (tx: Tx, current: LicenseRecord) => Promise<LicenseRecord>,
  ): Promise<License> {
    return store.transaction(useCase, async (tx) => {
      const current = await visibleLicense(tx, ctx.principal, licenseRef(ref), ref);
      requireRole(ctx.principal, ['operator']);
      const next = { ...(await apply(tx, current)), updatedAt: ctx.clock.now().toISOString() };
      await updateLicense(tx, next);
      await recordChange(tx, ctx, {
        type: eventType,
        accountId: current.accountId,
        resourceType: 'license',
        resourceId: current.id,
        before: { ...current, key: undefined },
        after: { ...next, key: undefined },
      });
      return withValidity(next, ctx.clock.now());
    });
  }
}

function recognized(raw: string, secret: Uint8Array, field: string) {
  const recognition = recognizeKey(raw, secret);
  if (!recognition.ok)
    throw new InvalidFields([{ name: field, reason: 'License key format not supported' }]);
  return recognition;
}

/** A license's metric must be one of its product's, and its features among the product's. */
/** A license's (or a policy's) metric and features must be the product's. */
export function checkAgainstProduct(
  product: Product | undefined,
  input: { metricId?: number | null | undefined; features?: readonly string[] | undefined },
  name: (field: string) => string,
): void {
  if (product === undefined) return;
  const issues = [];
  if (
    input.metricId !== undefined &&
    input.metricId !== null &&
    !product.metrics.some((m) => m.id === input.metricId)
  ) {
    issues.push({
      name: name('metricId'),
      reason: `product '${product.slug}' has no metric ${String(input.metricId)}`,
    });
  }
  const known = new Set(product.features.map((f) => f.id));
  (input.features ?? []).forEach((feature, i) => {
    if (known.size > 0 && !known.has(feature)) {
      issues.push({
        name: name(`features.${String(i)}`),
        reason: `product '${product.slug}' has no feature '${feature}'`,
      });
    }
  });
  if (issues.length > 0) throw new InvalidFields(issues);
}

/** Suspend and resume only: a revoked or unrecognized license stays so, and resuming needs a suspension. */
function assertStateChange(current: LicenseRecord, next: 'active' | 'suspended'): void {
  const allowed = next === 'suspended' ? ['active', 'inactive'] : ['suspended'];
  if (!allowed.includes(current.state)) {
    throw new Conflict(`License '${current.id}' is ${current.state} and cannot become ${next}.`, [
      { name: 'state', reason: `cannot change from ${current.state} to ${next}` },
    ]);
  }
}

function assertUsable(license: LicenseRecord, now: Date): void {
  if (license.state === 'revoked' || license.state === 'suspended' || license.state === 'invalid') {
    throw new LicenseNotUsable(license.id, `it is ${license.state}.`);
  }
  const validity = licenseValidity(license, now);
  if (!validity.valid) {
    throw new LicenseNotUsable(
      license.id,
      validity.status === 'expired' ? 'it has expired.' : 'it is not valid yet.',
    );
  }
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(patch).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

export type LicenseService = ReturnType<typeof licenseService>;
