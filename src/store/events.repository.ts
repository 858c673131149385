import type { CollectionSpec, ListQuery } from '../domain/query.js';
import type { Executor } from './database.js';
import { listPage, type Page } from './list.js';
import type { EventRow } from './schema.js';

export interface AuditEvent {
  id: number;
  at: string;
  type: string;
  actor: string;
  actorRole: string;
  accountId: string | null;
  resourceType: string;
  resourceId: string;
  summary: { before?: unknown; after?: unknown } | null;
  requestId: string | null;
}

export type NewAuditEvent = Omit<AuditEvent, 'id'>;

export const eventsCollection: CollectionSpec = {
  name: 'events',
  fields: {
    id: { type: 'integer', column: 'id' },
    at: { type: 'timestamp', column: 'at' },
    type: { type: 'string', column: 'type' },
    actor: { type: 'string', column: 'actor' },
    accountId: { type: 'string', column: 'account_id', nullable: true },
    resourceType: { type: 'string', column: 'resource_type' },
    resourceId: { type: 'string', column: 'resource_id' },
    requestId: { type: 'string', column: 'request_id', nullable: true },
  },
  key: 'id',
  defaultOrder: [{ field: 'id', direction: 'desc' }],
  includable: [
    'id',
    'at',
    'type',
    'actor',
    'actorRole',
    'accountId',
    'resourceType',
    'resourceId',
    'summary',
    'requestId',
  ],
  defaultLimit: 100,
  maxLimit: 1000,
};

/** Inserts an event row; answers its id. */
export async function insertEvent(db: Executor, event: NewAuditEvent): Promise<number> {
  const row = await db
    .insertInto('events')
    .values({
      at: event.at,
      type: event.type,
      actor: event.actor,
      actor_role: event.actorRole,
      account_id: event.accountId,
      resource_type: event.resourceType,
      resource_id: event.resourceId,
      summary: event.summary === null ? null : JSON.stringify(event.summary),
      request_id: event.requestId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Lists events; `scope` null means every event, otherwise only events of those accounts. */
export async function listEvents(
  db: Executor,
  scope: readonly string[] | null,
  query: ListQuery,
): Promise<Page<AuditEvent>> {
  let base = db.selectFrom('events').selectAll();
  if (scope !== null) base = base.where('account_id', 'in', scope.length > 0 ? [...scope] : ['']);
  const page = await listPage(base, eventsCollection, query);
  return { ...page, rows: page.rows.map(toEvent) };
}

function toEvent(row: EventRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    actor: row.actor,
    actorRole: row.actor_role,
    accountId: row.account_id,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    summary: row.summary === null ? null : (JSON.parse(row.summary) as AuditEvent['summary']),
    requestId: row.request_id,
  };
}
