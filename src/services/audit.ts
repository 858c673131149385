import type { Tx } from '../store/database.js';
import { insertEvent } from '../store/events.repository.js';
import { enqueueDeliveries } from '../store/webhooks.repository.js';
import type { ServiceContext } from './context.js';

export interface Change {
  type: string;
  accountId: string | null;
  resourceType: string;
  resourceId: string;
  before?: unknown;
  after?: unknown;
}

export interface RecordOptions {
  /** Queue the webhook delivery for this endpoint only (test pings), not for every subscriber. */
  onlyEndpoint?: string;
}

/**
 * Writes the event row of a change inside the use case's own transaction, and with it one
 * webhook delivery per endpoint that wants it (the outbox: committed or rolled back together).
 * Answers the event id.
 */
export async function recordChange(
  tx: Tx,
  ctx: ServiceContext,
  change: Change,
  options: RecordOptions = {},
): Promise<number> {
  const summary =
    change.before === undefined && change.after === undefined
      ? null
      : {
          ...(change.before === undefined ? {} : { before: change.before }),
          ...(change.after === undefined ? {} : { after: change.after }),
        };
  const at = ctx.clock.now().toISOString();
  const id = await insertEvent(tx, {
    at,
    type: change.type,
    actor: ctx.principal.subject,
    actorRole: ctx.principal.role,
    accountId: change.accountId,
    resourceType: change.resourceType,
    resourceId: change.resourceId,
    summary,
    requestId: ctx.requestId,
  });
  await enqueueDeliveries(
    tx,
    { id, type: change.type, accountId: change.accountId, at },
    options.onlyEndpoint,
  );
  return id;
}
