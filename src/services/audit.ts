import type { Tx } from '../store/database.js';
import { insertEvent } from '../store/events.repository.js';
import type { ServiceContext } from './context.js';

export interface Change {
  type: string;
  accountId: string | null;
  resourceType: string;
  resourceId: string;
  before?: unknown;
  after?: unknown;
}

/** Writes the event row of a change inside the use case's own transaction. */
export async function recordChange(tx: Tx, ctx: ServiceContext, change: Change): Promise<void> {
  const summary =
    change.before === undefined && change.after === undefined
      ? null
      : {
          ...(change.before === undefined ? {} : { before: change.before }),
          ...(change.after === undefined ? {} : { after: change.after }),
        };
  await insertEvent(tx, {
    at: ctx.clock.now().toISOString(),
    type: change.type,
    actor: ctx.principal.subject,
    actorRole: ctx.principal.role,
    accountId: change.accountId,
    resourceType: change.resourceType,
    resourceId: change.resourceId,
    summary,
    requestId: ctx.requestId,
  });
}
