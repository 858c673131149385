import { readFile } from 'node:fs/promises';
import { LruCache, ttlOf } from './cache.js';
import { seg, Transport, type FetchLike, type RetryOptions } from './http.js';
import {
  verifyCertificate,
  type CertificateVerification,
  type PublicKeys,
  type VerifyCertificateOptions,
} from './offline.js';
import { holdLease, type HeldLease, type HoldOptions } from './leases.js';
import type {
  Account,
  AccountCompliance,
  AccountCreate,
  AccountUpdate,
  Activation,
  Charge,
  CheckedOut,
  CheckOutOptions,
  EntitleEvent,
  Instance,
  InstanceCreate,
  InstanceUpdate,
  IssuedCertificate,
  JwkSet,
  Lease,
  License,
  LicenseCreate,
  LicensePolicy,
  LicenseUpdate,
  ListQuery,
  Page,
  Policy,
  PolicyAssign,
  PolicyCreate,
  PolicyUpdate,
  Product,
  ProductCreate,
  ProductUpdate,
  Subscription,
  SubscriptionCreate,
  SubscriptionReplace,
  UsageIngestResult,
  UsageQuery,
  UsageRecord,
  UsageReport,
  ValidateOptions,
  Verdict,
  Webhook,
  WebhookCreate,
  WebhookUpdate,
  WebhookWithSecret,
} from './types.js';
import { UsageReporter, type UsageInput, type UsageReporterOptions } from './usage.js';

export interface EntitleOptions {
  /** The server, e.g. `https://entitle.example.com`. */
  url: string;
  /** A bearer token (`entitle token create`). */
  token?: string;
  /** A fetch implementation; default the global one. */
  fetch?: FetchLike;
  /** Retries of network errors and 5xx (idempotent requests only): a count or a policy. */
  retries?: number | RetryOptions;
  /** Milliseconds since the epoch; injectable for tests. Default `Date.now`. */
  clock?: () => number;
  /** Waits between retries; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** The validate cache. */
  cache?: {
    /** Most verdicts kept; default 1000. 0 disables the cache. */
    maxEntries?: number;
    /** Seconds a verdict is kept when the answer gives no TTL; default 60. */
    defaultTtlSeconds?: number;
  };
  usage?: UsageReporterOptions;
}

/** A collection that can be listed page by page or iterated item by item. */
export interface Listable<T> {
  /** Every item, following `metadata.continue` across pages. */
  list(query?: ListQuery): AsyncGenerator<T, void, undefined>;
  /** One page, with its `metadata`. */
  page(query?: ListQuery): Promise<Page<T>>;
}

/**
 * The Entitle native API.
 *
 * @example
 * const entitle = new Entitle({ url: 'http://localhost:8080', token: process.env.ENTITLE_TOKEN });
 * for await (const license of entitle.licenses.list({ filter: "state eq 'active'" })) ...
 * const verdict = await entitle.validate(key, { product: 'cvo' });
 */
export class Entitle {
  readonly transport: Transport;
  private readonly clock: () => number;
  private readonly cache: LruCache<Verdict>;
  private readonly defaultTtlSeconds: number;
  private readonly reporter: UsageReporter;

  constructor(options: EntitleOptions) {
    this.transport = new Transport({
      url: options.url,
      token: options.token,
      fetch: options.fetch,
      retries: options.retries,
      sleep: options.sleep,
    });
    this.clock = options.clock ?? Date.now;
    this.cache = new LruCache(options.cache?.maxEntries ?? 1000);
    this.defaultTtlSeconds = options.cache?.defaultTtlSeconds ?? 60;
    this.reporter = new UsageReporter(this.transport, this.clock, options.usage);
  }

  /**
   * Verifies a certificate file against a keys file (the JSON of `GET /v1/keys`), offline.
   *
   * @example
   * const result = await Entitle.offline('/etc/app/license.jws', '/etc/app/keys.json');
   * if (!result.ok) throw new Error(`unlicensed: ${result.reason}`);
   */
  static async offline(
    certificatePath: string,
    keysPath: string,
    options: VerifyCertificateOptions = {},
  ): Promise<CertificateVerification> {
    const [certificate, keys] = await Promise.all([
      readFile(certificatePath, 'utf8'),
      readFile(keysPath, 'utf8'),
    ]);
    return verifyCertificate(certificate, JSON.parse(keys) as PublicKeys, options);
  }

  /**
   * Validates a license key online. Verdicts are cached (LRU) for the TTL the server gives
   * (`Cache-Control: max-age`), else `cache.defaultTtlSeconds`; network errors and 5xx are retried.
   *
   * @example
   * const verdict = await entitle.validate(key, { instance, product: 'cvo', feature: 'BACKUP' });
   * if (!verdict.valid) console.log(verdict.code); // 'EXPIRED', 'SEATS_EXHAUSTED', …
   */
  async validate(key: string, options: ValidateOptions = {}): Promise<Verdict> {
    const cacheKey = JSON.stringify([
      key,
      options.instance,
      options.fingerprint,
      options.product,
      options.feature,
      options.releasedAt,
    ]);
    const cached = this.cache.get(cacheKey, this.clock());
    if (cached !== undefined) return cached;
    const answer = await this.transport.request<Verdict>({
      method: 'POST',
      path: '/v1/licenses/validate',
      body: { key, ...options },
      retry: true,
    });
    const ttl = ttlOf(answer.headers, answer.body, this.defaultTtlSeconds);
    if (ttl > 0 && this.cache.capacity > 0) {
      this.cache.set(cacheKey, answer.body, this.clock() + ttl * 1000);
    }
    return answer.body;
  }

  /** Forgets every cached verdict. */
  clearCache(): void {
    this.cache.clear();
  }

  /**
   * Queues usage records (ids generated once per record when absent; `at` defaults to now) and
   * returns their ids. Sent in batches: when a batch is full, every `usage.flushIntervalMs`, on
   * `flush()`, and before the process exits.
   *
   * @example
   * entitle.reportUsage([{ product: 'cvo', metric: 1, kind: 'gauge', value: 12 }]);
   * await entitle.flush();
   */
  reportUsage(records: readonly UsageInput[]): string[] {
    return this.reporter.add(records);
  }

  /** Sends every queued usage record now. */
  flush(): Promise<UsageIngestResult> {
    return this.reporter.flush();
  }

  /** Records queued and not yet acknowledged. */
  get pendingUsage(): number {
    return this.reporter.pending;
  }

  /** Stops the usage timer and sends what is queued. */
  close(): Promise<UsageIngestResult> {
    return this.reporter.close();
  }

  /** The published public keys (`GET /v1/keys`, no token needed). */
  keys(): Promise<JwkSet> {
    return this.transport.json({ method: 'GET', path: '/v1/keys', retry: true });
  }

  readonly accounts = {
    ...listable<Account>(() => this.transport, '/v1/accounts'),
    get: (id: string) => this.get<Account>(`/v1/accounts/${seg(id)}`),
    create: (body: AccountCreate) => this.post<Account>('/v1/accounts', body),
    update: (id: string, body: AccountUpdate) =>
      this.patch<Account>(`/v1/accounts/${seg(id)}`, body),
    replace: (id: string, body: AccountCreate) =>
      this.transport.json<Account>({
        method: 'PUT',
        path: `/v1/accounts/${seg(id)}`,
        body,
        retry: true,
      }),
    delete: (id: string) => this.delete(`/v1/accounts/${seg(id)}`),
  };

  readonly products = {
    ...listable<Product>(() => this.transport, '/v1/products'),
    /** By numeric id or slug. */
    get: (ref: string | number) => this.get<Product>(`/v1/products/${seg(ref)}`),
    create: (body: ProductCreate) => this.post<Product>('/v1/products', body),
    update: (ref: string | number, body: ProductUpdate) =>
      this.patch<Product>(`/v1/products/${seg(ref)}`, body),
    replace: (ref: string | number, body: ProductCreate) =>
      this.transport.json<Product>({
        method: 'PUT',
        path: `/v1/products/${seg(ref)}`,
        body,
        retry: true,
      }),
    delete: (ref: string | number) => this.delete(`/v1/products/${seg(ref)}`),
  };

  readonly instances = {
    ...listable<Instance>(() => this.transport, '/v1/instances'),
    get: (id: string) => this.get<Instance>(`/v1/instances/${seg(id)}`),
    create: (body: InstanceCreate) => this.post<Instance>('/v1/instances', body),
    update: (id: string, body: InstanceUpdate) =>
      this.patch<Instance>(`/v1/instances/${seg(id)}`, body),
    delete: (id: string) => this.delete(`/v1/instances/${seg(id)}`),
  };

  readonly licenses = {
    ...listable<License>(() => this.transport, '/v1/licenses'),
    /** By resource id or serial number. */
    get: (ref: string | number) => this.get<License>(`/v1/licenses/${seg(ref)}`),
    /** By key, in any accepted spelling. */
    lookup: (key: string) =>
      this.transport.json<License>({
        method: 'GET',
        path: '/v1/licenses/lookup',
        query: { key },
        retry: true,
      }),
    create: (body: LicenseCreate) => this.post<License>('/v1/licenses', body),
    /** 1 to 1000 licenses, all or nothing. */
    createBatch: async (items: LicenseCreate[]) =>
      (await this.post<{ items: License[] }>('/v1/licenses/batch', { items })).items,
    update: (ref: string | number, body: LicenseUpdate) =>
      this.patch<License>(`/v1/licenses/${seg(ref)}`, body),
    revoke: (ref: string | number) => this.post<License>(`/v1/licenses/${seg(ref)}/revoke`),
    delete: (ref: string | number) => this.delete(`/v1/licenses/${seg(ref)}`),
    activate: (ref: string | number, instance: string) =>
      this.post<Activation>(`/v1/licenses/${seg(ref)}/activate`, { instance }),
    deactivate: (ref: string | number, instance?: string) =>
      this.post<unknown>(
        `/v1/licenses/${seg(ref)}/deactivate`,
        instance === undefined ? {} : { instance },
      ),
    activations: async (ref: string | number) =>
      (await this.get<{ items: Activation[] }>(`/v1/licenses/${seg(ref)}/activations`)).items,
    /** A signed certificate for offline use, bound to `instance` when given. */
    certificate: (ref: string | number, options: { instance?: string; ttlSeconds?: number } = {}) =>
      this.transport.json<IssuedCertificate>({
        method: 'GET',
        path: `/v1/licenses/${seg(ref)}/certificate`,
        query: { instance: options.instance, ttl: options.ttlSeconds },
        retry: true,
      }),
    validate: (key: string, options?: ValidateOptions) => this.validate(key, options),
    /** The policy a license is bound to, and the terms it lives by (its overrides applied). */
    policy: {
      get: (ref: string | number) => this.get<LicensePolicy>(`/v1/licenses/${seg(ref)}/policy`),
      /** Binds the license to a policy of its product; `overrides` replace any of its terms. */
      assign: (ref: string | number, body: PolicyAssign) =>
        this.transport.json<LicensePolicy>({
          method: 'PUT',
          path: `/v1/licenses/${seg(ref)}/policy`,
          body,
          retry: true,
        }),
      unassign: (ref: string | number) => this.delete(`/v1/licenses/${seg(ref)}/policy`),
    },
  };

  /**
   * Policies: the operators' catalog of license templates (docs/policies.md).
   *
   * @example
   * const policy = await entitle.policies.create({ product: 'cvo', name: 'floating-5',
   *   floating: true, seatLimit: 5, heartbeatSeconds: 60 });
   * await entitle.policies.update(policy.id, { seatLimit: 10 }, { ifMatch: policy.revision });
   */
  readonly policies = {
    ...listable<Policy>(() => this.transport, '/v1/policies'),
    get: (id: string) => this.get<Policy>(`/v1/policies/${seg(id)}`),
    create: (body: PolicyCreate) => this.post<Policy>('/v1/policies', body),
    /** Pass the `revision` you read as `ifMatch` to refuse a lost update (409). */
    update: (id: string, body: PolicyUpdate, options: { ifMatch?: number } = {}) =>
      this.transport.json<Policy>({
        method: 'PATCH',
        path: `/v1/policies/${seg(id)}`,
        body,
        headers: ifMatch(options.ifMatch),
      }),
    /** A policy licenses are still bound to is in use (409). */
    delete: (id: string) => this.delete(`/v1/policies/${seg(id)}`),
  };

  /**
   * Floating leases: check-out, heartbeat, check-in, and `hold`, which does all three.
   * Check-out and heartbeat are safe to repeat (one lease per instance: a second check-out renews
   * it), so they are retried on network errors and 5xx like the idempotent requests.
   *
   * @example
   * const { lease, outcome } = await entitle.leases.checkOut(license, { instance });
   * await entitle.leases.heartbeat(license, lease.id);
   * await entitle.leases.checkIn(license, lease.id);
   */
  readonly leases = {
    /** All seats taken is a 409 (`/problems/seat-limit-reached`). */
    checkOut: (license: string | number, options: CheckOutOptions = {}) =>
      this.transport.json<CheckedOut>({
        method: 'POST',
        path: `/v1/licenses/${seg(license)}/leases`,
        body: {
          instance: options.instance,
          ttlSeconds: options.ttlSeconds,
          // Sent only when asked: servers before borrowing refuse unknown fields.
          ...(options.borrow === true ? { borrow: true } : {}),
        },
        retry: true,
      }),
    /** A dead lease is a 409 whose invalid field `lease` has reason HEARTBEAT_DEAD or LEASE_EXPIRED. */
    heartbeat: (license: string | number, leaseId: string) =>
      this.transport.json<Lease>({
        method: 'POST',
        path: `/v1/licenses/${seg(license)}/leases/${seg(leaseId)}/heartbeat`,
        retry: true,
      }),
    checkIn: (license: string | number, leaseId: string) =>
      this.delete(`/v1/licenses/${seg(license)}/leases/${seg(leaseId)}`),
    /** The license's leases (an instance token sees its own only). */
    list: async (license: string | number) =>
      (await this.get<{ items: Lease[] }>(`/v1/licenses/${seg(license)}/leases`)).items,
    /**
     * Checks the license out and keeps the lease alive: a heartbeat every `intervalSeconds`
     * (default half the policy's `heartbeatSeconds`) on an unref'd timer, retried on network
     * errors; stops and calls `onLost` when the server says the lease is dead or gone.
     * `release()` stops and checks in.
     *
     * @example
     * const held = await entitle.leases.hold(license, { instance, onLost: () => process.exit(1) });
     * process.on('SIGTERM', () => void held.release().then(() => process.exit(0)));
     */
    hold: (license: string | number, options: HoldOptions = {}): Promise<HeldLease> =>
      holdLease(
        {
          checkOut: (ref, body) => this.leases.checkOut(ref, body),
          heartbeat: (ref, id) => this.leases.heartbeat(ref, id),
          checkIn: (ref, id) => this.leases.checkIn(ref, id),
          heartbeatSeconds: async (ref) =>
            (await this.licenses.policy.get(ref)).terms.heartbeatSeconds,
        },
        license,
        options,
      ),
  };

  readonly subscriptions = {
    ...listable<Subscription>(() => this.transport, '/v1/subscriptions'),
    get: (id: string) => this.get<Subscription>(`/v1/subscriptions/${seg(id)}`),
    create: (body: SubscriptionCreate) => this.post<Subscription>('/v1/subscriptions', body),
    /** Astra's modify; pass the `revision` you read as `ifMatch` to refuse a lost update. */
    update: (id: string, body: SubscriptionReplace, options: { ifMatch?: number } = {}) =>
      this.transport.json<Subscription>({
        method: 'PUT',
        path: `/v1/subscriptions/${seg(id)}`,
        body,
        headers: ifMatch(options.ifMatch),
      }),
    cancel: (id: string, options: { ifMatch?: number } = {}) =>
      this.transport.json<Subscription>({
        method: 'POST',
        path: `/v1/subscriptions/${seg(id)}/cancel`,
        headers: ifMatch(options.ifMatch),
      }),
    delete: (id: string) => this.delete(`/v1/subscriptions/${seg(id)}`),
    charges: (id: string, query?: ListQuery) =>
      this.transport.paginate<Charge>(`/v1/subscriptions/${seg(id)}/charges`, query),
  };

  readonly usage = {
    /** One batch as is (1 to 10,000 records with ids); see `reportUsage` for batching. */
    send: (records: UsageRecord[]) =>
      this.transport.json<UsageIngestResult>({
        method: 'POST',
        path: '/v1/usage',
        body: { records },
        retry: true,
      }),
    get: (accountId: string, query: UsageQuery) =>
      this.transport.json<UsageReport>({
        method: 'GET',
        path: `/v1/accounts/${seg(accountId)}/usage`,
        query: { ...query },
        retry: true,
      }),
  };

  readonly compliance = {
    get: (accountId: string) =>
      this.get<AccountCompliance>(`/v1/accounts/${seg(accountId)}/compliance`),
    metric: (accountId: string, product: string | number, metric: number) =>
      this.get<Record<string, unknown>>(
        `/v1/accounts/${seg(accountId)}/compliance/${seg(product)}/${seg(metric)}`,
      ),
    groups: async (accountId: string) =>
      (
        await this.get<{ items: { guid: string; compliance: AccountCompliance }[] }>(
          `/v1/accounts/${seg(accountId)}/compliance/groups`,
        )
      ).items,
  };

  readonly events = listable<EntitleEvent>(() => this.transport, '/v1/events');

  readonly webhooks = {
    ...listable<Webhook>(() => this.transport, '/v1/webhooks'),
    get: (id: string) => this.get<Webhook>(`/v1/webhooks/${seg(id)}`),
    /** The answer carries the signing secret, shown once. */
    create: (body: WebhookCreate) => this.post<WebhookWithSecret>('/v1/webhooks', body),
    update: (id: string, body: WebhookUpdate) =>
      this.patch<Webhook>(`/v1/webhooks/${seg(id)}`, body),
    delete: (id: string) => this.delete(`/v1/webhooks/${seg(id)}`),
    deliveries: (id: string, query?: ListQuery) =>
      this.transport.paginate<Record<string, unknown>>(`/v1/webhooks/${seg(id)}/deliveries`, query),
  };

  private get<T>(path: string): Promise<T> {
    return this.transport.json<T>({ method: 'GET', path, retry: true });
  }

  private post<T>(path: string, body?: unknown): Promise<T> {
    return this.transport.json<T>({ method: 'POST', path, body });
  }

  private patch<T>(path: string, body: unknown): Promise<T> {
    return this.transport.json<T>({ method: 'PATCH', path, body });
  }

  private async delete(path: string): Promise<void> {
    await this.transport.request({ method: 'DELETE', path, retry: true });
  }
}

function listable<T>(transport: () => Transport, path: string): Listable<T> {
  return {
    list: (query) => transport().paginate<T>(path, query),
    page: (query) => transport().page<T>(path, query),
  };
}

function ifMatch(revision: number | undefined): Record<string, string> | undefined {
  return revision === undefined ? undefined : { 'if-match': `"${String(revision)}"` };
}
