import { Value } from 'typebox/value';
import type { Redemption } from './activation-tokens.js';
import type { SecretBox } from './secret-box.js';
import { type RedeemRequest } from '../domain/activation-token.js';
import { NotFound } from '../domain/errors.js';
import type { Instance } from '../domain/instance.js';
import { recognizeKey } from '../domain/license-key.js';
import { requireAccount, requireRole } from '../domain/principal.js';
import {
  afterFailure,
  afterSuccess,
  changedFacts,
  circuitOpen,
  connected,
  fetchMessage,
  mirroredFacts,
  NEVER_CONTACTED,
  RemoteLicenseSchema,
  RemoteProductSchema,
  UPSTREAM_LABEL,
  type FetchOutcome,
  type FetchResult,
  type RemoteLicense,
  type RemoteProduct,
  type UpstreamHealth,
  type UpstreamLinkInput,
  type UpstreamStatus,
} from '../domain/upstream.js';
import { findAccount, updateAccount } from '../store/accounts.repository.js';
import type { Executor, Store, Tx } from '../store/database.js';
import {
  findLicense,
  liveActivation,
  updateLicense,
  type LicenseRecord,
} from '../store/licenses.repository.js';
import { findProduct } from '../store/products.repository.js';
import {
  autoDownloadAccounts,
  deleteUpstreamLink,
  findUpstreamLink,
  saveUpstreamCredentials,
  saveUpstreamHealth,
  type UpstreamLink,
} from '../store/upstream.repository.js';
import { instancesOfAccount } from '../store/instances.repository.js';
import { recordChange } from './audit.js';
import type { ServiceContext } from './context.js';
import { assertActsFor, visibleInstance } from './instances.js';
import { claimSeat, withValidity, type LicenseService } from './licenses.js';
import type { ProductService } from './products.js';
import { UpstreamUnavailable, type UpstreamClient } from './upstream-client.js';

interface Remote {
  url: string;
  token: string;
  remoteAccountId: string;
  health: UpstreamHealth;
}

/** What the upstream holds for a host: its licenses and their products. */
interface HostLicenses {
  licenses: RemoteLicense[];
  products: Map<number, RemoteProduct>;
}

/** The upstream answered, but not as an Entitle would: a fault of configuration, not of network. */
class UpstreamRefused extends Error {}

const AUTO_DOWNLOAD_PAGE = 200;

/** What an upstream service token is sealed as: bound to its account. */
export const sealedAs = (accountId: string) => `upstream:${accountId}`;

/**
 * Federation with an upstream Entitle (the vendor's): credentials and health per account, fetching
 * the licenses issued for a host, forwarding token redemptions, and auto-download. Upstream
 * calls never happen inside a transaction; their outcome is recorded in one afterwards. Local
 * validation never calls the upstream, so an upstream outage cannot break it.
 */
export function upstreamService(
  store: Store,
  deps: {
    licenses: LicenseService;
    products: ProductService;
    client: UpstreamClient;
    keySecret: Uint8Array;
    /** Seals the service token in the store. */
    box: SecretBox;
  },
) {
  const { client } = deps;
  const { box } = deps;

  async function remoteOf(db: Executor, accountId: string): Promise<Remote | null> {
    const account = await findAccount(db, accountId);
    if (account === undefined) throw new NotFound('Account', accountId);
    const link = await findUpstreamLink(db, accountId);
    if (account.settings.upstreamUrl === null || link?.token == null) return null;
    return {
      url: account.settings.upstreamUrl,
      token: box.open(link.token, sealedAs(accountId)),
      remoteAccountId: link.remoteAccountId ?? accountId,
      health: link,
    };
  }

  function statusOf(
    accountId: string,
    url: string | null,
    autoDownload: boolean,
    link: UpstreamLink | undefined,
    now: Date,
  ): UpstreamStatus {
    const health = link ?? NEVER_CONTACTED;
    return {
      accountId,
      url,
      remoteAccountId: link?.remoteAccountId ?? null,
      tokenSet: link?.token != null,
      autoDownload,
      connected: connected(health),
      lastAttemptAt: health.lastAttemptAt,
      lastContactAt: health.lastContactAt,
      lastError: health.lastError,
      consecutiveFailures: health.consecutiveFailures,
      circuit: circuitOpen(health, now) ? 'open' : 'closed',
    };
  }

  /** Calls the upstream unless the circuit is open; a failure is recorded at once. */
  async function guarded<T>(
    ctx: ServiceContext,
    accountId: string,
    remote: Remote,
    work: () => Promise<T>,
  ): Promise<T | null> {
    if (circuitOpen(remote.health, ctx.clock.now())) return null;
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof UpstreamUnavailable) && !(error instanceof UpstreamRefused))
        throw error;
      await store.transaction('upstream.contact-failed', (tx) =>
        saveUpstreamHealth(
          tx,
          accountId,
          afterFailure(remote.health, ctx.clock.now(), error.message),
        ),
      );
      return null;
    }
  }

  async function getJson(remote: Remote, path: string): Promise<unknown> {
    const answer = await client.call('GET', remote.url, remote.token, path);
    if (answer.status !== 200) {
      throw new UpstreamRefused(`GET ${path}: HTTP ${String(answer.status)}`);
    }
    return answer.body;
  }

  function items(body: unknown, path: string): unknown[] {
    if (
      typeof body === 'object' &&
      body !== null &&
      Array.isArray((body as { items?: unknown }).items)
    ) {
      return (body as { items: unknown[] }).items;
    }
    throw new UpstreamRefused(`GET ${path}: no items in the answer`);
  }

  /** The upstream's licenses of the host with this device serial, and their products. */
  async function hostLicenses(remote: Remote, instance: Instance): Promise<HostLicenses> {
    // The host is the upstream's instance with the same device serial (NetProfiler's identity),
    // else the same install id (HP's).
    const hostsWhere = async (condition: string) => {
      const path = `v1/instances?filter=${encodeURIComponent(condition)}&limit=10`;
      return items(await getJson(remote, path), path);
    };
    let hosts = await hostsWhere(`deviceSerial eq '${instance.deviceSerial.replace(/'/g, "''")}'`);
    if (hosts.length === 0) hosts = await hostsWhere(`installId eq ${String(instance.installId)}`);
    const licenses: RemoteLicense[] = [];
    for (const host of hosts) {
      const id = (host as { id?: unknown }).id;
      if (typeof id !== 'string') throw new UpstreamRefused('an instance without an id');
      const path = `v1/instances/${encodeURIComponent(id)}/licenses`;
      for (const license of items(await getJson(remote, path), path)) {
        if (!Value.Check(RemoteLicenseSchema, license)) {
          throw new UpstreamRefused(`GET ${path}: a license of an unknown shape`);
        }
        licenses.push(license);
      }
    }
    return { licenses, products: await productsOf(remote, licenses) };
  }

  async function productsOf(
    remote: Remote,
    licenses: readonly RemoteLicense[],
  ): Promise<Map<number, RemoteProduct>> {
    const products = new Map<number, RemoteProduct>();
    for (const license of licenses) {
      if (license.productId === null || products.has(license.productId)) continue;
      const path = `v1/products/${String(license.productId)}`;
      const product = await getJson(remote, path);
      if (!Value.Check(RemoteProductSchema, product)) {
        throw new UpstreamRefused(`GET ${path}: a product of an unknown shape`);
      }
      products.set(license.productId, product);
    }
    return products;
  }

  /** The local product of an upstream one, by slug; mirrored into the catalog when missing. */
  async function localProduct(
    tx: Tx,
    ctx: ServiceContext,
    remote: RemoteProduct | undefined,
  ): Promise<number | null> {
    if (remote === undefined) return null;
    const existing = await findProduct(tx, remote.slug);
    if (existing !== undefined) return existing.id;
    const created = await deps.products.createWithin(tx, ctx, {
      slug: remote.slug,
      name: remote.name,
      group: remote.group,
      description: remote.description,
      features: remote.features.map(({ id, name }) => ({ id, name })),
      metrics: remote.metrics,
    });
    return created.id;
  }

  /** Installs or refreshes one upstream license on a local instance. */
  async function importOne(
    tx: Tx,
    ctx: ServiceContext,
    accountId: string,
    instance: Instance | null,
    remote: RemoteLicense,
    productId: number | null,
  ): Promise<{ licenseId: string | null; result: FetchResult }> {
    const recognition = recognizeKey(remote.key, deps.keySecret);
    if (!recognition.ok) return { licenseId: null, result: 'conflict' };
    const facts = mirroredFacts(remote);
    const existing = await findLicense(tx, { key: recognition.normalized });
    if (existing !== undefined && existing.accountId !== accountId) {
      return { licenseId: null, result: 'conflict' };
    }
    let license: LicenseRecord;
    let result: FetchResult = 'unchanged';
    if (existing === undefined) {
      if (facts.state !== 'active' && facts.state !== 'inactive') {
        return { licenseId: null, result: 'unchanged' };
      }
      const { state: _state, ...issuable } = facts;
      license = await deps.licenses.issueWithin(tx, ctx, {
        ...issuable,
        accountId,
        key: remote.key,
        ...(productId === null ? {} : { product: productId }),
        labels: { [UPSTREAM_LABEL]: remote.id },
      });
      result = 'installed';
    } else {
      license = existing;
      const local = mirroredFacts({ ...existing, id: existing.id });
      const changed = changedFacts(local, facts);
      if (changed.length > 0 || existing.productId !== productId) {
        const next: LicenseRecord = {
          ...existing,
          ...facts,
          productId,
          updatedAt: ctx.clock.now().toISOString(),
        };
        await updateLicense(tx, next);
        await recordChange(tx, ctx, {
          type: 'license.updated',
          accountId: existing.accountId,
          resourceType: 'license',
          resourceId: existing.id,
          before: { ...existing, key: undefined },
          after: { ...next, key: undefined },
        });
        license = next;
        result = 'updated';
      }
    }
    if (instance === null) return { licenseId: license.id, result };
    const usable = license.state === 'active' || license.state === 'inactive';
    if (usable && (await liveActivation(tx, license.id, instance.id)) === undefined) {
      const claim = await claimSeat(tx, ctx, license, instance.id);
      if (!claim.ok) return { licenseId: license.id, result: 'seat limit reached' };
      if (result === 'unchanged') result = 'updated';
    }
    return { licenseId: license.id, result };
  }

  async function fetchFor(ctx: ServiceContext, instance: Instance): Promise<FetchOutcome> {
    const remote = await store.read((db) => remoteOf(db, instance.accountId));
    if (remote === null) {
      return { contacted: false, message: fetchMessage(false, 0), licenses: [] };
    }
    const fetched = await guarded(ctx, instance.accountId, remote, () =>
      hostLicenses(remote, instance),
    );
    if (fetched === null)
      return { contacted: false, message: fetchMessage(false, 0), licenses: [] };
    return store.transaction('upstream.fetch', async (tx) => {
      const results: FetchOutcome['licenses'] = [];
      const localIds = new Map<number, number | null>();
      for (const license of fetched.licenses) {
        let productId: number | null = null;
        if (license.productId !== null) {
          if (!localIds.has(license.productId)) {
            localIds.set(
              license.productId,
              await localProduct(tx, ctx, fetched.products.get(license.productId)),
            );
          }
          productId = localIds.get(license.productId) ?? null;
        }
        results.push({
          key: license.key,
          ...(await importOne(tx, ctx, instance.accountId, instance, license, productId)),
        });
      }
      await saveUpstreamHealth(
        tx,
        instance.accountId,
        afterSuccess(remote.health, ctx.clock.now()),
      );
      const installed = results.filter((r) => r.result === 'installed' || r.result === 'updated');
      await recordChange(tx, ctx, {
        type: 'upstream.fetched',
        accountId: instance.accountId,
        resourceType: 'instance',
        resourceId: instance.id,
        after: { licenses: results.map(({ licenseId, result }) => ({ licenseId, result })) },
      });
      return { contacted: true, message: fetchMessage(true, installed.length), licenses: results };
    });
  }

  return {
    /** Points an account at its upstream (operators, or an admin of the account). */
    configure(
      ctx: ServiceContext,
      accountId: string,
      input: UpstreamLinkInput,
    ): Promise<UpstreamStatus> {
      requireAccount(ctx.principal, 'Account', accountId);
      requireRole(ctx.principal, ['operator', 'admin']);
      return store.transaction('upstream.configure', async (tx) => {
        const account = await findAccount(tx, accountId);
        if (account === undefined) throw new NotFound('Account', accountId);
        const remoteAccountId = input.remoteAccountId ?? null;
        const next = { ...account, settings: { ...account.settings, upstreamUrl: input.url } };
        await updateAccount(tx, { ...next, updatedAt: ctx.clock.now().toISOString() });
        await saveUpstreamCredentials(tx, {
          accountId,
          token: box.seal(input.token, sealedAs(accountId)),
          remoteAccountId,
        });
        await recordChange(tx, ctx, {
          type: 'account.upstream-configured',
          accountId,
          resourceType: 'account',
          resourceId: accountId,
          // Never the token.
          after: { url: input.url, remoteAccountId },
        });
        return statusOf(
          accountId,
          input.url,
          account.settings.autoDownload,
          await findUpstreamLink(tx, accountId),
          ctx.clock.now(),
        );
      });
    },

    /** Forgets the upstream: URL, token and health. */
    remove(ctx: ServiceContext, accountId: string): Promise<void> {
      requireAccount(ctx.principal, 'Account', accountId);
      requireRole(ctx.principal, ['operator', 'admin']);
      return store.transaction('upstream.remove', async (tx) => {
        const account = await findAccount(tx, accountId);
        if (account === undefined) throw new NotFound('Account', accountId);
        await updateAccount(tx, {
          ...account,
          settings: { ...account.settings, upstreamUrl: null },
          updatedAt: ctx.clock.now().toISOString(),
        });
        await deleteUpstreamLink(tx, accountId);
        await recordChange(tx, ctx, {
          type: 'account.upstream-removed',
          accountId,
          resourceType: 'account',
          resourceId: accountId,
        });
      });
    },

    /** Where the account's licenses come from and whether that server answers. */
    async status(ctx: ServiceContext, accountId: string): Promise<UpstreamStatus> {
      requireAccount(ctx.principal, 'Account', accountId);
      requireRole(ctx.principal, ['operator', 'admin', 'viewer', 'service', 'instance']);
      return store.read(async (db) => {
        const account = await findAccount(db, accountId);
        if (account === undefined) throw new NotFound('Account', accountId);
        const link = await findUpstreamLink(db, accountId);
        return statusOf(
          accountId,
          account.settings.upstreamUrl,
          account.settings.autoDownload,
          link,
          ctx.clock.now(),
        );
      });
    },

    /** Fetches the licenses the upstream issued for this instance's host and installs them. */
    async fetch(ctx: ServiceContext, instanceId: string): Promise<FetchOutcome> {
      requireRole(ctx.principal, ['operator', 'admin', 'service', 'instance']);
      assertActsFor(ctx.principal, instanceId);
      const instance = await store.read((db) => visibleInstance(db, ctx.principal, instanceId));
      return fetchFor(ctx, instance);
    },

    /**
     * Redeems a token the local server does not know at the upstream, then installs what it
     * issued. Null when there is no upstream to ask, or it could not be reached.
     */
    async forwardRedeem(
      ctx: ServiceContext,
      target: { accountId: string; instance: Instance | null },
      request: RedeemRequest,
    ): Promise<Redemption | null> {
      const remote = await store.read((db) => remoteOf(db, target.accountId));
      if (remote === null) return null;
      const answer = await guarded(ctx, target.accountId, remote, () =>
        client.call('POST', remote.url, remote.token, 'v1/activation-tokens/redeem', {
          token: request.token,
          accountId: remote.remoteAccountId,
        }),
      );
      if (answer === null) return null;
      if (answer.status !== 201) {
        await store.transaction('upstream.contacted', (tx) =>
          saveUpstreamHealth(tx, target.accountId, afterSuccess(remote.health, ctx.clock.now())),
        );
        return null;
      }
      const body = answer.body as { licenses?: unknown; activationToken?: unknown };
      const licenses = Array.isArray(body.licenses) ? body.licenses : [];
      if (!licenses.every((l) => Value.Check(RemoteLicenseSchema, l))) return null;
      const remoteLicenses = licenses;
      const products = await guarded(ctx, target.accountId, remote, () =>
        productsOf(remote, remoteLicenses),
      );
      if (products === null) return null;
      return store.transaction('upstream.redeem', async (tx) => {
        const issued = [];
        for (const license of remoteLicenses) {
          const productId =
            license.productId === null
              ? null
              : await localProduct(tx, ctx, products.get(license.productId));
          const { licenseId } = await importOne(
            tx,
            ctx,
            target.accountId,
            target.instance,
            license,
            productId,
          );
          const record = licenseId === null ? undefined : await findLicense(tx, { id: licenseId });
          if (record !== undefined) issued.push(withValidity(record, ctx.clock.now()));
        }
        await saveUpstreamHealth(
          tx,
          target.accountId,
          afterSuccess(remote.health, ctx.clock.now()),
        );
        return {
          activationToken: body.activationToken as Redemption['activationToken'],
          licenses: issued,
        };
      });
    },

    /** One pass of auto-download: every instance of every account that has it on. */
    async autoDownload(
      ctx: ServiceContext,
    ): Promise<{ accounts: number; instances: number; installed: number }> {
      let after = '';
      const totals = { accounts: 0, instances: 0, installed: 0 };
      for (;;) {
        const page = await store.read((db) => autoDownloadAccounts(db, after, AUTO_DOWNLOAD_PAGE));
        for (const accountId of page.matching) {
          totals.accounts++;
          const instances = await store.read((db) => instancesOfAccount(db, accountId));
          for (const instance of instances) {
            totals.instances++;
            const outcome = await fetchFor(ctx, instance);
            totals.installed += outcome.licenses.filter((l) => l.result === 'installed').length;
            if (!outcome.contacted) break;
          }
        }
        if (page.last === null) break;
        after = page.last;
      }
      return totals;
    },
  };
}

export type UpstreamService = ReturnType<typeof upstreamService>;
