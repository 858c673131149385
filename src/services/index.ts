import type { Store } from '../store/database.js';
import { accountService } from './accounts.js';
import { activationTokenService } from './activation-tokens.js';
import { complianceService } from './compliance.js';
import { eventService } from './events.js';
import { groupService } from './groups.js';
import { housekeepingService } from './housekeeping.js';
import { installService } from './installs.js';
import { instanceService } from './instances.js';
import { jobService } from './jobs.js';
import { lifecycleService } from './lifecycle.js';
import { licenseService } from './licenses.js';
import { policyCache } from './license-terms.js';
import { productCache } from './product-cache.js';
import { productService } from './products.js';
import { signingKeyService } from './signing-keys.js';
import { subscriptionService, type UsageReader } from './subscriptions.js';
import type { TokenKeys } from './token-keys.js';
import { tokenService } from './tokens.js';
import { userService } from './users.js';
import { usageService } from './usage.js';
import { upstreamClient, type UpstreamClientOptions } from './upstream-client.js';
import { upstreamService } from './upstream.js';
import { validationService } from './validation.js';
import { webhookService } from './webhooks.js';
import { secretBox } from './secret-box.js';
import { policyService } from './policies.js';

export interface ServiceOptions {
  /** Keys the check value of native license keys (see domain/license-key.ts). */
  keySecret: Uint8Array;
  /** `iss` of certificates and deactivation proofs. */
  issuer?: string;
  /** Days raw usage records are kept (default 90). */
  usageRetentionDays?: number;
  /** Days finished webhook deliveries are kept (default 30). */
  webhookRetentionDays?: number;
  /** Where charges read usage from; tests substitute their own (default: the usage store). */
  usageReader?: UsageReader;
  /** How upstream servers are called (timeouts, retries); tests shorten the delays. */
  upstreamClient?: UpstreamClientOptions;
}

/** Every use case, wired to one store. Front ends (native API, facades, CLI) call only these. */
export function createServices(store: Store, keys: TokenKeys, options: ServiceOptions) {
  const box = secretBox(options.keySecret);
  const signingKeys = signingKeyService(store, box);
  const issuer = options.issuer ?? 'entitle';
  const licenses = licenseService(store, {
    keySecret: options.keySecret,
    issuer,
    signCertificate: (tx, claims, now) => signingKeys.signCertificate(tx, claims, now),
    signDeactivation: (tx, facts, now) =>
      signingKeys.signDeactivationProof(
        tx,
        {
          v: 1,
          iss: issuer,
          iat: Math.floor(now.getTime() / 1000),
          license: { id: facts.licenseId, serialNumber: facts.serialNumber },
          instance: facts.instance,
          deactivatedAt: facts.deactivatedAt,
        },
        now,
      ),
  });
  const catalog = productCache();
  const products = productService(store, catalog);
  const policyTerms = policyCache();
  const tokens = tokenService(store, keys);
  const upstream = upstreamService(store, {
    licenses,
    products,
    client: upstreamClient(options.upstreamClient),
    keySecret: options.keySecret,
    box,
  });
  return {
    store,
    accounts: accountService(store),
    products,
    events: eventService(store),
    tokens,
    users: userService(store, tokens),
    signingKeys,
    instances: instanceService(store),
    licenses,
    activationTokens: activationTokenService(store, licenses, (ctx, target, request) =>
      upstream.forwardRedeem(ctx, target, request),
    ),
    upstream,
    installs: installService(store, options.keySecret),
    groups: groupService(store),
    compliance: complianceService(store),
    validation: validationService(store, options.keySecret, catalog, policyTerms),
    subscriptions: subscriptionService(store, options.usageReader),
    usage: usageService(store, { retentionDays: options.usageRetentionDays }),
    jobs: jobService(store),
    lifecycle: lifecycleService(store, {
      compliance: complianceService(store),
      subscriptions: subscriptionService(store, options.usageReader),
    }),
    webhooks: webhookService(store, box),
    housekeeping: housekeepingService(store, {
      box,
      webhookRetentionDays: options.webhookRetentionDays,
    }),
    policies: policyService(store, {
      certify: licenses.certificateWithin,
      deactivate: licenses.deactivateWithin,
      onChange: () => {
        policyTerms.clear();
      },
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
