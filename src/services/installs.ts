import { InvalidFields } from '../domain/errors.js';
import type { Instance } from '../domain/instance.js';
import {
  licenseValidity,
  type InstallResult,
  type KeysRequest,
  type UninstallResult,
} from '../domain/license.js';
import { onlyWhenRegistered, recognizeKey, UNRECOGNIZED_LICENSE } from '../domain/license-key.js';
import { requireAccount, requireRole } from '../domain/principal.js';
import { missingAccounts } from '../store/accounts.repository.js';
import type { Store, Tx } from '../store/database.js';
import {
  deleteLicense,
  endActivations,
  findLicense,
  insertActivation,
  insertLicense,
  liveActivation,
  type LicenseRecord,
} from '../store/licenses.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';
import { assertActsFor, visibleInstance } from './instances.js';
import { boundTerms, countLicenseAction } from './license-terms.js';
import { claimSeat, newLicenseIdentity } from './licenses.js';

export interface KeyOutcome<R> {
  key: string;
  result: R;
}

export interface InstallTarget {
  accountId: string;
  instance: Instance | null;
}

/**
 * Where keys (or a redeemed token's licenses) go: the named instance or the instance token's own,
 * else an account named outright. Appliance roles only.
 */
export async function installTarget(
  tx: Tx,
  ctx: ServiceContext,
  request: Pick<KeysRequest, 'instance' | 'accountId'>,
): Promise<InstallTarget> {
  requireRole(ctx.principal, ['operator', 'admin', 'service', 'instance']);
  const instanceId = request.instance ?? ctx.principal.instance;
  if (instanceId !== undefined) {
    assertActsFor(ctx.principal, instanceId);
    const instance = await visibleInstance(tx, ctx.principal, instanceId);
    if (request.accountId !== undefined && request.accountId !== instance.accountId) {
      throw new InvalidFields([
        { name: 'accountId', reason: 'must be the account of the instance' },
      ]);
    }
    return { accountId: instance.accountId, instance };
  }
  if (request.accountId === undefined) {
    throw new InvalidFields([{ name: 'instance', reason: 'name an instance or an accountId' }]);
  }
  requireAccount(ctx.principal, 'Account', request.accountId);
  if ((await missingAccounts(tx, [request.accountId])).length > 0) {
    throw new InvalidFields([
      { name: 'accountId', reason: `no such account: ${request.accountId}` },
    ]);
  }
  return { accountId: request.accountId, instance: null };
}

/**
 * Installing keys as an appliance does (NetProfiler, HP): each key gets its own result, and
 * installing again is harmless. A well-formed key nobody issued is kept as an invalid license
 * ("Unrecognized License"), so the install shows it, as NetProfiler does.
 */
export function installService(store: Store, keySecret: Uint8Array) {
  async function installOne(
    tx: Tx,
    ctx: ServiceContext,
    target: InstallTarget,
    raw: string,
  ): Promise<InstallResult> {
    const recognition = recognizeKey(raw, keySecret);
    if (!recognition.ok) return 'License key format not supported';
    const now = ctx.clock.now();
    const at = now.toISOString();
    const license = await findLicense(tx, { key: recognition.normalized });
    if (license === undefined) {
      if (onlyWhenRegistered(recognition.scheme)) return 'License key format not supported';
      const stored = await storeUnrecognized(
        tx,
        ctx,
        target,
        recognition.normalized,
        recognition.scheme,
      );
      if (target.instance !== null) await insertActivation(tx, stored.id, target.instance.id, at);
      return 'Unrecognized License';
    }
    // Another account's key answers as an unknown one would, without revealing it exists.
    if (license.accountId !== target.accountId) return 'Unrecognized License';
    if (target.instance === null) return 'already installed';
    if ((await liveActivation(tx, license.id, target.instance.id)) !== undefined)
      return 'already installed';
    if (license.state === 'invalid') {
      await insertActivation(tx, license.id, target.instance.id, at);
      return 'Unrecognized License';
    }
    const validity = licenseValidity(license, now);
    if (license.state === 'revoked' || license.state === 'suspended' || !validity.valid)
      return 'License not usable';
    const claim = await claimSeat(tx, ctx, license, target.instance.id);
    return claim.ok ? 'success' : 'Seat limit reached';
  }

  async function uninstallOne(
    tx: Tx,
    ctx: ServiceContext,
    target: InstallTarget,
    raw: string,
  ): Promise<UninstallResult> {
    const recognition = recognizeKey(raw, keySecret);
    if (!recognition.ok) return 'License key format not supported';
    const license = await findLicense(tx, { key: recognition.normalized });
    if (license === undefined && onlyWhenRegistered(recognition.scheme))
      return 'License key format not supported';
    if (license === undefined || license.accountId !== target.accountId) return 'not installed';
    const at = ctx.clock.now().toISOString();
    if (target.instance !== null) {
      const ended = await endActivations(tx, license.id, target.instance.id, at);
      if (ended === 0) return 'not installed';
      const terms = (await boundTerms(tx, license.id))?.terms;
      await countLicenseAction(tx, license.id, 'deactivation', terms, ctx.clock.now());
    } else if (license.state !== 'invalid') {
      return 'issued licenses are removed by the vendor';
    }
    if (license.state === 'invalid' && (target.instance === null || license.seatsUsed <= 1)) {
      await deleteLicense(tx, license.id);
    }
    await recordChange(tx, ctx, {
      type: 'license.uninstalled',
      accountId: license.accountId,
      resourceType: 'license',
      resourceId: license.id,
      after: { instanceId: target.instance?.id ?? null },
    });
    return 'success';
  }

  return {
    install(ctx: ServiceContext, request: KeysRequest): Promise<KeyOutcome<InstallResult>[]> {
      return store.transaction('license.install', async (tx) => {
        const target = await installTarget(tx, ctx, request);
        const outcomes: KeyOutcome<InstallResult>[] = [];
        for (const key of request.keys)
          outcomes.push({ key, result: await installOne(tx, ctx, target, key) });
        return outcomes;
      });
    },

    uninstall(ctx: ServiceContext, request: KeysRequest): Promise<KeyOutcome<UninstallResult>[]> {
      return store.transaction('license.uninstall', async (tx) => {
        const target = await installTarget(tx, ctx, request);
        const outcomes: KeyOutcome<UninstallResult>[] = [];
        for (const key of request.keys)
          outcomes.push({ key, result: await uninstallOne(tx, ctx, target, key) });
        return outcomes;
      });
    },
  };
}

async function storeUnrecognized(
  tx: Tx,
  ctx: ServiceContext,
  target: InstallTarget,
  key: string,
  scheme: LicenseRecord['keyScheme'],
): Promise<LicenseRecord> {
  const identity = await newLicenseIdentity(tx);
  const at = ctx.clock.now().toISOString();
  const record: LicenseRecord = {
    ...identity,
    key,
    keyScheme: scheme,
    accountId: target.accountId,
    productId: null,
    kind: 'feature',
    service: null,
    group: null,
    term: 'PERPETUAL',
    metricId: null,
    quantity: 0,
    features: [],
    baseLicense: false,
    description: UNRECOGNIZED_LICENSE,
    createdAt: at,
    updatedAt: at,
    startsAt: null,
    activatedAt: null,
    expiresAt: null,
    graceDays: 0,
    seatLimit: null,
    seatsUsed: 0,
    state: 'invalid',
    deactivatedKey: null,
    orderId: null,
    sku: null,
    labels: {},
    policyId: null,
  };
  await insertLicense(tx, record);
  await recordChange(tx, ctx, {
    type: 'license.unrecognized',
    accountId: target.accountId,
    resourceType: 'license',
    resourceId: record.id,
    after: {
      serialNumber: record.serialNumber,
      keyScheme: scheme,
      instanceId: target.instance?.id ?? null,
    },
  });
  return record;
}

export type InstallService = ReturnType<typeof installService>;
