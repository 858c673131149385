import { accountScope, requireRole } from '../domain/principal.js';
import { parseListQuery, type RawListParams } from '../domain/query.js';
import type { Store } from '../store/database.js';
import { eventsCollection, listEvents, type AuditEvent } from '../store/events.repository.js';
import type { Page } from '../store/list.js';
import type { ServiceContext } from './context.js';

/** The audit log: operators see everything, others only the events of their accounts. */
export function eventService(store: Store) {
  return {
    list(ctx: ServiceContext, params: RawListParams): Promise<Page<AuditEvent>> {
      requireRole(ctx.principal, ['operator', 'admin', 'viewer', 'service']);
      const query = parseListQuery(eventsCollection, params);
      return store.read((db) => listEvents(db, accountScope(ctx.principal), query));
    },
  };
}

export type EventService = ReturnType<typeof eventService>;
