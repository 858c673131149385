import { randomBytes, randomUUID } from 'node:crypto';
import { Conflict, Forbidden, InvalidFields, NotFound } from '../domain/errors.js';
import {
  accountScope,
  canSeeAccount,
  isOperator,
  requireAccount,
  requireRole,
  type Principal,
} from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import {
  checkWebhookFields,
  newWebhookSecret,
  retryDelayMs,
  type RetryPolicy,
  type WebhookCreate,
  type WebhookDelivery,
  type WebhookDeliveryDetail,
  type WebhookEndpoint,
  type WebhookEndpointWithSecret,
  type WebhookPatch,
} from '../domain/webhook.js';
import { findAccount } from '../store/accounts.repository.js';
import type { Executor, Store, Tx } from '../store/database.js';
import type { Page } from '../store/list.js';
import {
  attemptsOf,
  countDeliveryOutcome,
  deleteEndpoint,
  deliveriesCollection,
  dueDeliveries,
  findDelivery,
  findDeliveryOfEvent,
  findEndpoint,
  insertAttempt,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  requeueDelivery,
  settleDelivery,
  updateEndpoint,
  webhooksCollection,
  type DueDelivery,
  type StoredEndpoint,
} from '../store/webhooks.repository.js';
import { recordChange } from './audit.js';
import type { SecretBox } from './secret-box.js';
import type { ServiceContext } from './context.js';

const READERS = ['operator', 'admin', 'viewer', 'service'] as const;
const WRITERS = ['operator', 'admin'] as const;

/** What one attempt to send a delivery came to, as the worker saw it. */
export interface AttemptOutcome {
  delivery: DueDelivery;
  /** When the request was sent (its `webhook-timestamp`). */
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
}

export interface SettlePolicy {
  retry: RetryPolicy;
  /** Deliveries in a row that end failed before the endpoint is disabled. */
  disableAfter: number;
  /** In [0, 1): spreads the retry delay (see `retryDelayMs`). */
  random: number;
}

export type Settled = 'delivered' | 'retrying' | 'failed' | 'stale';

/** The endpoint as the API shows it: never the secret. */
function publicView(endpoint: StoredEndpoint): WebhookEndpoint {
  const { secret: _secret, ...rest } = endpoint;
  return rest;
}

/**
 * The endpoint a principal may see: one of its accounts', or a global one for operators. Anything
 * else answers as missing.
 */
async function visibleEndpoint(
  db: Executor,
  principal: Principal,
  id: string,
): Promise<StoredEndpoint> {
  const found = await findEndpoint(db, id);
  const visible =
    found !== undefined &&
    (found.accountId === null ? isOperator(principal) : canSeeAccount(principal, found.accountId));
  if (!visible) throw new NotFound('Webhook', id);
  return found;
}

function checkFields(input: { url?: string | undefined; eventTypes?: readonly string[] }): void {
  const issues = checkWebhookFields(input);
  if (issues.length > 0) throw new InvalidFields(issues);
}

/**
 * Webhook endpoints (admins of the account, operators; global ones operators only), their
 * delivery log, and what the delivery worker needs: the due deliveries and where each attempt
 * leaves them.
 */
/** What a webhook secret is sealed as: bound to its endpoint. */
export const sealedAs = (endpointId: string) => `webhook:${endpointId}`;

export function webhookService(store: Store, box: SecretBox) {
  /** The account a new endpoint is for: named, the token's only one, or null (global). */
  function accountFor(principal: Principal, input: WebhookCreate): string | null {
    if (input.accountId === null) {
      if (!isOperator(principal)) {
        throw new Forbidden('Only operators may create global webhook endpoints.');
      }
      return null;
    }
    if (input.accountId !== undefined) return input.accountId;
    if (principal.accounts !== '*' && principal.accounts.length === 1) {
      return principal.accounts[0] ?? null;
    }
    throw new InvalidFields([
      { name: 'accountId', reason: 'is required: an account id, or null for a global endpoint' },
    ]);
  }

  async function deliveryOf(
    db: Executor,
    endpoint: StoredEndpoint,
    deliveryId: number,
  ): Promise<WebhookDelivery> {
    const delivery = await findDelivery(db, endpoint.id, deliveryId);
    if (delivery === undefined) throw new NotFound('Webhook delivery', String(deliveryId));
    return delivery;
  }

  async function disableAfterFailures(
    tx: Tx,
    ctx: ServiceContext,
    endpointId: string,
    failures: number,
  ): Promise<void> {
    const current = await findEndpoint(tx, endpointId);
    if (current?.enabled !== true) return;
    const at = ctx.clock.now().toISOString();
    const next: StoredEndpoint = {
      ...current,
      enabled: false,
      disabledAt: at,
      disabledReason: `${String(failures)} deliveries in a row failed`,
      updatedAt: at,
    };
    await updateEndpoint(tx, next);
    await recordChange(tx, ctx, {
      type: 'webhook_endpoint.disabled',
      accountId: next.accountId,
      resourceType: 'webhook_endpoint',
      resourceId: next.id,
      before: publicView(current),
      after: publicView(next),
    });
  }

  return {
    /** Creates an endpoint; the answer carries its signing secret, shown this once. */
    create(ctx: ServiceContext, input: WebhookCreate): Promise<WebhookEndpointWithSecret> {
      requireRole(ctx.principal, WRITERS);
      const accountId = accountFor(ctx.principal, input);
      if (accountId !== null) requireAccount(ctx.principal, 'Account', accountId);
      checkFields(input);
      return store.transaction('webhook.create', async (tx) => {
        if (accountId !== null && (await findAccount(tx, accountId)) === undefined) {
          throw new NotFound('Account', accountId);
        }
        const at = ctx.clock.now().toISOString();
        const endpoint: StoredEndpoint = {
          id: randomUUID(),
          accountId,
          url: input.url,
          description: input.description ?? '',
          eventTypes: [...input.eventTypes],
          enabled: input.enabled ?? true,
          consecutiveFailures: 0,
          disabledAt: input.enabled === false ? at : null,
          disabledReason: null,
          createdAt: at,
          updatedAt: at,
          secret: newWebhookSecret(randomBytes(24)),
        };
        await insertEndpoint(tx, {
          ...endpoint,
          secret: box.seal(endpoint.secret, sealedAs(endpoint.id)),
        });
        await recordChange(tx, ctx, {
          type: 'webhook_endpoint.created',
          accountId,
          resourceType: 'webhook_endpoint',
          resourceId: endpoint.id,
          after: publicView(endpoint),
        });
        return { ...publicView(endpoint), secret: endpoint.secret };
      });
    },

    async list(ctx: ServiceContext, params: RawListParams): Promise<Page<WebhookEndpoint>> {
      requireRole(ctx.principal, READERS);
      const query = parseListQuery(webhooksCollection, params);
      const page = await store.read((db) =>
        listEndpoints(db, accountScope(ctx.principal), isOperator(ctx.principal), query),
      );
      return { ...page, rows: page.rows.map(publicView) };
    },

    async get(ctx: ServiceContext, id: string): Promise<WebhookEndpoint> {
      requireRole(ctx.principal, READERS);
      return publicView(await store.read((db) => visibleEndpoint(db, ctx.principal, id)));
    },

    /** Changes the fields present; enabling a disabled endpoint starts its failure count anew. */
    update(ctx: ServiceContext, id: string, patch: WebhookPatch): Promise<WebhookEndpoint> {
      requireRole(ctx.principal, WRITERS);
      checkFields(patch);
      return store.transaction('webhook.update', async (tx) => {
        const current = await visibleEndpoint(tx, ctx.principal, id);
        const at = ctx.clock.now().toISOString();
        const enabling = patch.enabled === true && !current.enabled;
        const disabling = patch.enabled === false && current.enabled;
        const next: StoredEndpoint = {
          ...current,
          url: patch.url ?? current.url,
          description: patch.description ?? current.description,
          eventTypes: patch.eventTypes === undefined ? current.eventTypes : [...patch.eventTypes],
          enabled: patch.enabled ?? current.enabled,
          consecutiveFailures: enabling ? 0 : current.consecutiveFailures,
          disabledAt: enabling ? null : disabling ? at : current.disabledAt,
          disabledReason: enabling || disabling ? null : current.disabledReason,
          updatedAt: at,
        };
        await updateEndpoint(tx, next);
        await recordChange(tx, ctx, {
          type: 'webhook_endpoint.updated',
          accountId: next.accountId,
          resourceType: 'webhook_endpoint',
          resourceId: id,
          before: publicView(current),
          after: publicView(next),
        });
        return publicView(next);
      });
    },

    /** Deletes an endpoint with its delivery log; deliveries not yet sent are dropped. */
    async remove(ctx: ServiceContext, id: string): Promise<void> {
      requireRole(ctx.principal, WRITERS);
      await store.transaction('webhook.delete', async (tx) => {
        const current = await visibleEndpoint(tx, ctx.principal, id);
        await deleteEndpoint(tx, id);
        await recordChange(tx, ctx, {
          type: 'webhook_endpoint.deleted',
          accountId: current.accountId,
          resourceType: 'webhook_endpoint',
          resourceId: id,
          before: publicView(current),
        });
      });
    },

    /** A new signing secret, shown this once; the old one stops signing at once. */
    rotateSecret(ctx: ServiceContext, id: string): Promise<WebhookEndpointWithSecret> {
      requireRole(ctx.principal, WRITERS);
      return store.transaction('webhook.rotate-secret', async (tx) => {
        const current = await visibleEndpoint(tx, ctx.principal, id);
        const next: StoredEndpoint = {
          ...current,
          secret: newWebhookSecret(randomBytes(24)),
          updatedAt: ctx.clock.now().toISOString(),
        };
        await updateEndpoint(tx, { ...next, secret: box.seal(next.secret, sealedAs(id)) });
        await recordChange(tx, ctx, {
          type: 'webhook_endpoint.secret_rotated',
          accountId: next.accountId,
          resourceType: 'webhook_endpoint',
          resourceId: id,
        });
        return { ...publicView(next), secret: next.secret };
      });
    },

    /** Queues a `webhook.test` event for this endpoint alone; answers its delivery. */
    test(ctx: ServiceContext, id: string): Promise<WebhookDelivery> {
      requireRole(ctx.principal, WRITERS);
      return store.transaction('webhook.test', async (tx) => {
        const endpoint = await visibleEndpoint(tx, ctx.principal, id);
        if (!endpoint.enabled) {
          throw new Conflict(`Webhook '${id}' is disabled; enable it first.`, [
            { name: 'enabled', reason: 'the endpoint is disabled' },
          ]);
        }
        const eventId = await recordChange(
          tx,
          ctx,
          {
            type: 'webhook.test',
            accountId: endpoint.accountId,
            resourceType: 'webhook_endpoint',
            resourceId: id,
            after: { message: 'A test event sent on request.' },
          },
          { onlyEndpoint: id },
        );
        const delivery = await findDeliveryOfEvent(tx, id, eventId);
        if (delivery === undefined) throw new NotFound('Webhook delivery', String(eventId));
        return delivery;
      });
    },

    async deliveries(
      ctx: ServiceContext,
      id: string,
      params: RawListParams,
    ): Promise<Page<WebhookDelivery>> {
      requireRole(ctx.principal, READERS);
      const query = parseListQuery(deliveriesCollection, params);
      return store.read(async (db) => {
        await visibleEndpoint(db, ctx.principal, id);
        return listDeliveries(db, id, query);
      });
    },

    /** One delivery with every attempt made to send it. */
    async delivery(
      ctx: ServiceContext,
      id: string,
      deliveryId: number,
    ): Promise<WebhookDeliveryDetail> {
      requireRole(ctx.principal, READERS);
      return store.read(async (db) => {
        const endpoint = await visibleEndpoint(db, ctx.principal, id);
        const delivery = await deliveryOf(db, endpoint, deliveryId);
        return { ...delivery, attemptLog: await attemptsOf(db, deliveryId) };
      });
    },

    /**
     * Sends a delivered or failed delivery again, as a new series of attempts (same `webhook-id`,
     * so a receiver that already has it can tell). A pending one, or a disabled endpoint, is a 409.
     */
    redeliver(ctx: ServiceContext, id: string, deliveryId: number): Promise<WebhookDelivery> {
      requireRole(ctx.principal, WRITERS);
      return store.transaction('webhook.redeliver', async (tx) => {
        const endpoint = await visibleEndpoint(tx, ctx.principal, id);
        const delivery = await deliveryOf(tx, endpoint, deliveryId);
        if (!endpoint.enabled) {
          throw new Conflict(`Webhook '${id}' is disabled; enable it first.`, [
            { name: 'enabled', reason: 'the endpoint is disabled' },
          ]);
        }
        const at = ctx.clock.now().toISOString();
        if (!(await requeueDelivery(tx, deliveryId, at))) {
          throw new Conflict(`Webhook delivery '${String(deliveryId)}' is still pending.`, [
            { name: 'status', reason: 'already pending' },
          ]);
        }
        await recordChange(tx, ctx, {
          type: 'webhook_delivery.redelivered',
          accountId: endpoint.accountId,
          resourceType: 'webhook_delivery',
          resourceId: String(deliveryId),
          before: delivery,
        });
        return deliveryOf(tx, endpoint, deliveryId);
      });
    },

    /** The worker's read: pending deliveries due now, of enabled endpoints, oldest first. */
    async due(ctx: ServiceContext, limit: number): Promise<DueDelivery[]> {
      requireRole(ctx.principal, ['operator']);
      const due = await store.read((db) => dueDeliveries(db, ctx.clock.now().toISOString(), limit));
      return due.map((delivery) => ({
        ...delivery,
        secret: box.open(delivery.secret, sealedAs(delivery.endpointId)),
      }));
    },

    /**
     * Logs an attempt and moves its delivery on: delivered on a 2xx; otherwise retried after the
     * backoff, or failed once the attempts run out. The update applies only if the delivery is
     * still where the worker read it ('stale' otherwise). A failed delivery extends the
     * endpoint's run of failures; a run of `disableAfter` disables it, with an event.
     */
    settle(ctx: ServiceContext, outcome: AttemptOutcome, policy: SettlePolicy): Promise<Settled> {
      requireRole(ctx.principal, ['operator']);
      const { delivery } = outcome;
      const attempt = delivery.attempts + 1;
      const at = outcome.at.toISOString();
      const ok =
        outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
      const result: Settled = ok
        ? 'delivered'
        : attempt >= policy.retry.maxAttempts
          ? 'failed'
          : 'retrying';
      const nextAttemptAt =
        result === 'retrying'
          ? new Date(
              outcome.at.getTime() + retryDelayMs(attempt, policy.random, policy.retry),
            ).toISOString()
          : null;
      return store.transaction('webhook.attempt', async (tx) => {
        // Every request sent is logged, even one whose result arrives too late to count.
        await insertAttempt(tx, {
          deliveryId: delivery.id,
          attempt,
          at,
          statusCode: outcome.statusCode,
          error: outcome.error,
          durationMs: outcome.durationMs,
          responseBody: outcome.responseBody,
        });
        const applied = await settleDelivery(tx, delivery.id, delivery.attempts, {
          status: result === 'retrying' ? 'pending' : result,
          attempts: attempt,
          nextAttemptAt,
          lastAttemptAt: at,
          lastStatusCode: outcome.statusCode,
          lastError: outcome.error,
          deliveredAt: ok ? at : null,
        });
        if (!applied) return 'stale';
        if (result !== 'retrying') {
          const failures = await countDeliveryOutcome(tx, delivery.endpointId, result === 'failed');
          if (result === 'failed' && failures >= policy.disableAfter) {
            await disableAfterFailures(tx, ctx, delivery.endpointId, failures);
          }
        }
        return result;
      });
    },
  };
}

export type WebhookService = ReturnType<typeof webhookService>;
