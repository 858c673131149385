import type { Selectable } from 'kysely';
import type { CollectionSpec, ListQuery } from '../domain/query.js';
import {
  wantsEvent,
  webhookMessageId,
  type DeliveryStatus,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookPayload,
} from '../domain/webhook.js';
import type { Executor } from './database.js';
import { listPage, type Page } from './list.js';
import type {
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
} from './schema.js';

/** Webhook endpoints (with their secrets), the delivery outbox and the attempt log. */

export const webhooksCollection: CollectionSpec = {
  name: 'webhooks',
  fields: {
    id: { type: 'string', column: 'id' },
    accountId: { type: 'string', column: 'account_id', nullable: true },
    url: { type: 'string', column: 'url' },
    description: { type: 'string', column: 'description' },
    enabled: { type: 'boolean', column: 'enabled' },
    consecutiveFailures: { type: 'integer', column: 'consecutive_failures' },
    disabledAt: { type: 'timestamp', column: 'disabled_at', nullable: true },
    createdAt: { type: 'timestamp', column: 'created_at' },
    updatedAt: { type: 'timestamp', column: 'updated_at' },
  },
  key: 'id',
  defaultOrder: [{ field: 'createdAt', direction: 'asc' }],
  includable: [
    'id',
    'accountId',
    'url',
    'description',
    'eventTypes',
    'enabled',
    'consecutiveFailures',
    'disabledAt',
    'disabledReason',
    'createdAt',
    'updatedAt',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

export const deliveriesCollection: CollectionSpec = {
  name: 'webhook-deliveries',
  fields: {
    id: { type: 'integer', column: 'id' },
    eventId: { type: 'integer', column: 'event_id' },
    eventType: { type: 'string', column: 'event_type' },
    status: { type: 'string', column: 'status' },
    attempts: { type: 'integer', column: 'attempts' },
    nextAttemptAt: { type: 'timestamp', column: 'next_attempt_at', nullable: true },
    lastAttemptAt: { type: 'timestamp', column: 'last_attempt_at', nullable: true },
    lastStatusCode: { type: 'integer', column: 'last_status_code', nullable: true },
    createdAt: { type: 'timestamp', column: 'created_at' },
    deliveredAt: { type: 'timestamp', column: 'delivered_at', nullable: true },
  },
  key: 'id',
  defaultOrder: [{ field: 'id', direction: 'desc' }],
  includable: [
    'id',
    'endpointId',
    'eventId',
    'eventType',
    'messageId',
    'status',
    'attempts',
    'nextAttemptAt',
    'lastAttemptAt',
    'lastStatusCode',
    'lastError',
    'createdAt',
    'deliveredAt',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

/** An endpoint as stored: the resource plus its signing secret. */
export interface StoredEndpoint extends WebhookEndpoint {
  secret: string;
}

function toEndpoint(row: WebhookEndpointsTable): StoredEndpoint {
  return {
    id: row.id,
    accountId: row.account_id,
    url: row.url,
    description: row.description,
    eventTypes: JSON.parse(row.event_types) as string[],
    enabled: row.enabled === 1,
    consecutiveFailures: row.consecutive_failures,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    secret: row.secret,
  };
}

function toRow(endpoint: StoredEndpoint): WebhookEndpointsTable {
  return {
    id: endpoint.id,
    account_id: endpoint.accountId,
    url: endpoint.url,
    description: endpoint.description,
    event_types: JSON.stringify(endpoint.eventTypes),
    secret: endpoint.secret,
    enabled: endpoint.enabled ? 1 : 0,
    consecutive_failures: endpoint.consecutiveFailures,
    disabled_at: endpoint.disabledAt,
    disabled_reason: endpoint.disabledReason,
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
  };
}

export async function findEndpoint(db: Executor, id: string): Promise<StoredEndpoint | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toEndpoint(row);
}

/**
 * A page of endpoints: of the accounts in `scope` (null: of every account), and the global ones
 * only when `withGlobal` (they are the operators' alone).
 */
export async function listEndpoints(
  db: Executor,
  scope: readonly string[] | null,
  withGlobal: boolean,
  query: ListQuery,
): Promise<Page<StoredEndpoint>> {
  let base = db.selectFrom('webhook_endpoints').selectAll();
  if (scope !== null) base = base.where('account_id', 'in', scope.length > 0 ? [...scope] : ['']);
  else if (!withGlobal) base = base.where('account_id', 'is not', null);
  const page = await listPage(base, webhooksCollection, query);
  return { ...page, rows: page.rows.map(toEndpoint) };
}

export async function insertEndpoint(db: Executor, endpoint: StoredEndpoint): Promise<void> {
  await db.insertInto('webhook_endpoints').values(toRow(endpoint)).execute();
}

export async function updateEndpoint(db: Executor, endpoint: StoredEndpoint): Promise<void> {
  const { id, ...row } = toRow(endpoint);
  await db.updateTable('webhook_endpoints').set(row).where('id', '=', id).execute();
}

/** Deletes an endpoint with its deliveries and their attempts. */
export async function deleteEndpoint(db: Executor, id: string): Promise<void> {
  await db
    .deleteFrom('webhook_attempts')
    .where('delivery_id', 'in', (eb) =>
      eb.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', id),
    )
    .execute();
  await db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
  await db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
}

export interface OutboxEvent {
  id: number;
  type: string;
  accountId: string | null;
  at: string;
}

/**
 * Writes one pending delivery per enabled endpoint that wants the event: the account's own and
 * the global ones (`only` narrows it to one endpoint, for test pings). One indexed SELECT; most
 * events have no endpoint and stop there. Returns how many deliveries were queued.
 */
export async function enqueueDeliveries(
  db: Executor,
  event: OutboxEvent,
  only?: string,
): Promise<number> {
  let query = db
    .selectFrom('webhook_endpoints')
    .select(['id', 'event_types'])
    .where('enabled', '=', 1);
  query =
    only !== undefined
      ? query.where('id', '=', only)
      : event.accountId === null
        ? query.where('account_id', 'is', null)
        : query.where((eb) =>
            eb.or([eb('account_id', '=', event.accountId), eb('account_id', 'is', null)]),
          );
  const endpoints = await query.execute();
  const wanting = endpoints.filter(
    (endpoint) =>
      only !== undefined || wantsEvent(JSON.parse(endpoint.event_types) as string[], event.type),
  );
  if (wanting.length === 0) return 0;
  await db
    .insertInto('webhook_deliveries')
    .values(
      wanting.map((endpoint) => ({
        endpoint_id: endpoint.id,
        event_id: event.id,
        event_type: event.type,
        status: 'pending',
        attempts: 0,
        next_attempt_at: event.at,
        created_at: event.at,
      })),
    )
    .execute();
  return wanting.length;
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    eventType: row.event_type,
    messageId: webhookMessageId(row.event_id, row.endpoint_id),
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

export async function listDeliveries(
  db: Executor,
  endpointId: string,
  query: ListQuery,
): Promise<Page<WebhookDelivery>> {
  const base = db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('endpoint_id', '=', endpointId);
  const page = await listPage(base, deliveriesCollection, query);
  return { ...page, rows: page.rows.map(toDelivery) };
}

export async function findDelivery(
  db: Executor,
  endpointId: string,
  id: number,
): Promise<WebhookDelivery | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('id', '=', id)
    .where('endpoint_id', '=', endpointId)
    .executeTakeFirst();
  return row === undefined ? undefined : toDelivery(row);
}

export async function findDeliveryOfEvent(
  db: Executor,
  endpointId: string,
  eventId: number,
): Promise<WebhookDelivery | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('event_id', '=', eventId)
    .where('endpoint_id', '=', endpointId)
    .executeTakeFirst();
  return row === undefined ? undefined : toDelivery(row);
}

function toAttempt(row: Selectable<WebhookAttemptsTable>): WebhookAttempt {
  return {
    id: row.id,
    attempt: row.attempt,
    at: row.at,
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
    responseBody: row.response_body,
  };
}

export async function attemptsOf(db: Executor, deliveryId: number): Promise<WebhookAttempt[]> {
  const rows = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('id')
    .execute();
  return rows.map(toAttempt);
}

/** Starts a new attempt series: pending, no attempts yet, due at `at`. */
export async function requeueDelivery(db: Executor, id: number, at: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: at, delivered_at: null })
    .where('id', '=', id)
    .where('status', '<>', 'pending')
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** A delivery the worker is to send now: the endpoint's address and secret, the signed body. */
export interface DueDelivery {
  id: number;
  attempts: number;
  messageId: string;
  endpointId: string;
  url: string;
  secret: string;
  body: string;
}

/**
 * Pending deliveries due at `now`, of enabled endpoints, oldest first. The body is built from the
 * event row, so every attempt sends the same bytes.
 */
export async function dueDeliveries(
  db: Executor,
  now: string,
  limit: number,
): Promise<DueDelivery[]> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select([
      'd.id',
      'd.attempts',
      'd.event_id',
      'd.endpoint_id',
      'w.url',
      'w.secret',
      'e.type',
      'e.at',
      'e.actor',
      'e.account_id',
      'e.resource_type',
      'e.resource_id',
      'e.summary',
      'e.request_id',
    ])
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where('w.enabled', '=', 1)
    .orderBy('d.next_attempt_at')
    .orderBy('d.id')
    .limit(limit)
    .execute();
  return rows.map((row) => {
    const summary =
      row.summary === null
        ? {}
        : (JSON.parse(row.summary) as { before?: unknown; after?: unknown });
    const payload: WebhookPayload = {
      type: row.type,
      timestamp: row.at,
      data: {
        eventId: row.event_id,
        accountId: row.account_id,
        resourceType: row.resource_type,
        resourceId: row.resource_id,
        actor: row.actor,
        before: summary.before ?? null,
        after: summary.after ?? null,
        requestId: row.request_id,
      },
    };
    return {
      id: row.id,
      attempts: row.attempts,
      messageId: webhookMessageId(row.event_id, row.endpoint_id),
      endpointId: row.endpoint_id,
      url: row.url,
      secret: row.secret,
      body: JSON.stringify(payload),
    };
  });
}

export interface AttemptRecord {
  deliveryId: number;
  /** The attempt count the sender read: the update applies only if it is still current. */
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
}

/** Appends to the attempt log (every request sent is logged, even by a late writer). */
export async function insertAttempt(db: Executor, record: AttemptRecord): Promise<void> {
  await db
    .insertInto('webhook_attempts')
    .values({
      delivery_id: record.deliveryId,
      attempt: record.attempt,
      at: record.at,
      status_code: record.statusCode,
      error: record.error,
      duration_ms: record.durationMs,
      response_body: record.responseBody,
    })
    .execute();
}

/**
 * Moves a delivery on after an attempt, only if it is still pending at the attempt count the
 * sender read: a late or second writer changes nothing and gets false.
 */
export async function settleDelivery(
  db: Executor,
  id: number,
  expectedAttempts: number,
  next: {
    status: DeliveryStatus;
    attempts: number;
    nextAttemptAt: string | null;
    lastAttemptAt: string;
    lastStatusCode: number | null;
    lastError: string | null;
    deliveredAt: string | null;
  },
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({
      status: next.status,
      attempts: next.attempts,
      next_attempt_at: next.nextAttemptAt,
      last_attempt_at: next.lastAttemptAt,
      last_status_code: next.lastStatusCode,
      last_error: next.lastError,
      delivered_at: next.deliveredAt,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('attempts', '=', expectedAttempts)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** After a delivery ended: a success resets the endpoint's failure run, a failure extends it. */
export async function countDeliveryOutcome(
  db: Executor,
  endpointId: string,
  failed: boolean,
): Promise<number> {
  const row = await db
    .updateTable('webhook_endpoints')
    .set((eb) => ({
      consecutive_failures: failed ? eb('consecutive_failures', '+', 1) : eb.val(0),
    }))
    .where('id', '=', endpointId)
    .returning('consecutive_failures')
    .executeTakeFirst();
  return row?.consecutive_failures ?? 0;
}

/**
 * Deletes up to `limit` finished deliveries (delivered or failed, never pending) created before
 * `before`, with their attempts, oldest first; answers how many deliveries went.
 */
export async function pruneDeliveries(
  db: Executor,
  before: string,
  limit: number,
): Promise<number> {
  const ids = (
    await db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('created_at', '<', before)
      .where('status', '!=', 'pending')
      .orderBy('created_at')
      .limit(limit)
      .execute()
  ).map((row) => row.id);
  if (ids.length === 0) return 0;
  await db.deleteFrom('webhook_attempts').where('delivery_id', 'in', ids).execute();
  await db.deleteFrom('webhook_deliveries').where('id', 'in', ids).execute();
  return ids.length;
}

/** Every endpoint's stored secret (housekeeping seals the ones stored in the clear). */
export async function endpointSecrets(db: Executor): Promise<{ id: string; secret: string }[]> {
  return db.selectFrom('webhook_endpoints').select(['id', 'secret']).execute();
}

/** Replaces a stored secret with another form of the same secret. */
export async function restoreEndpointSecret(
  db: Executor,
  id: string,
  secret: string,
): Promise<void> {
  await db.updateTable('webhook_endpoints').set({ secret }).where('id', '=', id).execute();
}
