import { LOGIN_WINDOW_SECONDS } from '../domain/user.js';
import { requireRole } from '../domain/principal.js';
import type { Store, Tx } from '../store/database.js';
import { deleteOlderThan } from '../store/prune.js';
import { restoreSigningKeySecret, signingKeySecrets } from '../store/signing-keys.repository.js';
import { restoreUpstreamToken, upstreamTokens } from '../store/upstream.repository.js';
import {
  endpointSecrets,
  pruneDeliveries,
  restoreEndpointSecret,
} from '../store/webhooks.repository.js';
import type { ServiceContext } from './context.js';
import type { SecretBox } from './secret-box.js';
import { sealedAs as signingKeySealedAs } from './signing-keys.js';
import { sealedAs as upstreamSealedAs } from './upstream.js';
import { sealedAs as webhookSealedAs } from './webhooks.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Rate windows are a minute or an hour long: one that started two hours ago has ended. */
const RATE_WINDOWS_KEPT_MS = 2 * HOUR_MS;
/** Expired sessions are kept a day, for the log of who was signed in. */
const SESSIONS_KEPT_MS = DAY_MS;
/** Deliveries deleted per transaction, so a first pass over a long history never holds the writer. */
const DELIVERY_BATCH = 1000;
export const DEFAULT_WEBHOOK_RETENTION_DAYS = 30;

export interface HousekeepingOptions {
  /** Seals secrets stored in the clear (by versions before sealing existed). */
  box: SecretBox;
  /** Days finished webhook deliveries (and their attempts) are kept; default 30. */
  webhookRetentionDays?: number | undefined;
}

export interface Pruned {
  rateCounters: number;
  sessions: number;
  loginFailures: number;
  webhookDeliveries: number;
  /** Webhook secrets, upstream tokens and signing keys found in the clear and sealed. */
  secretsSealed: number;
}

/**
 * Forgets what only grows with traffic and is useless once old: ended rate-limit windows,
 * expired sessions, stale failed-login windows, finished webhook deliveries past their
 * retention. Events, usage rollups and lifecycle marks are kept: they are history. And seals the
 * secrets a version before sealing stored in the clear.
 */
export function housekeepingService(store: Store, options: HousekeepingOptions) {
  const retentionDays = options.webhookRetentionDays ?? DEFAULT_WEBHOOK_RETENTION_DAYS;
  return {
    async prune(ctx: ServiceContext): Promise<Pruned> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now().getTime();
      const iso = (ms: number) => new Date(ms).toISOString();
      const rateCounters = await store.transaction('housekeeping.rate-counters', (tx) =>
        deleteOlderThan(tx, 'rate_counters', now - RATE_WINDOWS_KEPT_MS),
      );
      const sessions = await store.transaction('housekeeping.sessions', (tx) =>
        deleteOlderThan(tx, 'user_sessions', iso(now - SESSIONS_KEPT_MS)),
      );
      const loginFailures = await store.transaction('housekeeping.login-failures', (tx) =>
        deleteOlderThan(tx, 'login_failures', iso(now - LOGIN_WINDOW_SECONDS * 1000)),
      );
      const deliveriesBefore = iso(now - retentionDays * DAY_MS);
      let webhookDeliveries = 0;
      for (;;) {
        const deleted = await store.transaction('housekeeping.webhook-deliveries', (tx) =>
          pruneDeliveries(tx, deliveriesBefore, DELIVERY_BATCH),
        );
        webhookDeliveries += deleted;
        if (deleted < DELIVERY_BATCH) break;
      }
      const secretsSealed = await store.transaction('housekeeping.seal-secrets', async (tx) => {
        let sealed = 0;
        for (const secret of await storedSecrets(tx)) {
          if (options.box.isSealed(secret.stored)) continue;
          await secret.restore(options.box.seal(secret.stored, secret.context));
          sealed++;
        }
        return sealed;
      });
      return { rateCounters, sessions, loginFailures, webhookDeliveries, secretsSealed };
    },
  };
}

/** A secret as stored, the row it is bound to, and how to store another form of it. */
interface StoredSecret {
  context: string;
  stored: string;
  restore(value: string): Promise<void>;
}

/** Every secret the store keeps for Entitle to give back: webhook, upstream and signing keys. */
async function storedSecrets(tx: Tx): Promise<StoredSecret[]> {
  const webhooks = (await endpointSecrets(tx)).map(({ id, secret }) => ({
    context: webhookSealedAs(id),
    stored: secret,
    restore: (value: string) => restoreEndpointSecret(tx, id, value),
  }));
  const upstream = (await upstreamTokens(tx)).map(({ accountId, token }) => ({
    context: upstreamSealedAs(accountId),
    stored: token,
    restore: (value: string) => restoreUpstreamToken(tx, accountId, value),
  }));
  const signing = (await signingKeySecrets(tx)).map(({ kid, privateKey }) => ({
    context: signingKeySealedAs(kid),
    stored: privateKey,
    restore: (value: string) => restoreSigningKeySecret(tx, kid, value),
  }));
  return [...webhooks, ...upstream, ...signing];
}

export type HousekeepingService = ReturnType<typeof housekeepingService>;
